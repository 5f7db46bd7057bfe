"""The budget under data parallelism: two processes (torchrun, gloo on CPU) run the SFT script unchanged; every
step's tokens are summed over both, both stop at the same step, one ledger is written, and it verifies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from playschool.budget import verify_ledger
from playschool.players import ReferencePlayer
from playschool.runner import Runner, plan_episodes
from playschool.store import RecordStore

pytest.importorskip("trl")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::FutureWarning")]
SCRIPT = Path(__file__).resolve().parents[1] / "baselines" / "sft.py"


def _sft(args: list[str], nproc: int, tmp: Path) -> subprocess.CompletedProcess[str]:
    torchrun = shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun is not on PATH")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [torchrun, "--nproc_per_node", str(nproc), "--master_port", str(29500 + os.getpid() % 1000 + nproc),
           str(SCRIPT), *args] if nproc > 1 else [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=tmp)


def test_two_processes_share_one_budget(tiny_model_path: Path, tmp_path: Path) -> None:
    run = tmp_path / "ref"
    with RecordStore(run) as store:
        for r in Runner({"learner": ReferencePlayer()}).run(plan_episodes(["reference"], "train", n=3)).records:
            store.append(r)
    # Batch 1 and an even number of rows: no process gets a short last batch. (With a short one, accelerate
    # repeats rows to even the batches out; those rows are fed, so they count, and the totals differ.)
    common = ["--model", str(tiny_model_path), "--data", str(run), "--batch-size", "1", "--use-cpu", "--seed", "1"]
    # Without a binding budget, one epoch feeds every row once: the same total in one process and in two.
    single = _sft([*common, "--out", str(tmp_path / "one"), "--budget-tokens", "10M"], 1, tmp_path)
    assert single.returncode == 0, single.stderr[-2000:]
    double = _sft([*common, "--out", str(tmp_path / "two"), "--budget-tokens", "10M"], 2, tmp_path)
    assert double.returncode == 0, double.stderr[-2000:]
    one, two = verify_ledger(tmp_path / "one" / "ledger.jsonl"), verify_ledger(tmp_path / "two" / "ledger.jsonl")
    assert two.header["world_size"] == 2 and all(e["micro_batches"] == 2 for e in two.steps[:-1])
    assert len(one.steps) % 2 == 0, "the fixture needs an even number of rows"
    assert two.total_tokens == one.total_tokens > 0
    # A binding budget: both processes stop before the same step, and the total stays within it.
    budget = one.total_tokens // 2
    stopped = _sft([*common, "--out", str(tmp_path / "stop"), "--budget-tokens", str(budget)], 2, tmp_path)
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    s = verify_ledger(tmp_path / "stop" / "ledger.jsonl")
    assert s.end and s.end["reason"] == "budget" and s.total_tokens <= budget < s.total_tokens + s.end["refused_step_tokens"]
    assert json.loads((tmp_path / "stop" / "budget.json").read_text())["ledger_head"] == s.head


def test_grpo_under_two_processes_stops_both_at_one_budget(tiny_model_path: Path, tmp_path: Path) -> None:
    """GRPO unchanged under torchrun: each process plays its own groups, a step's tokens are reserved on the sum
    over both, both refuse the same step, one ledger is written and it verifies."""
    grpo = Path(__file__).resolve().parents[1] / "baselines" / "grpo.py"
    torchrun = shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun is not on PATH")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}
    out = tmp_path / "grpo2"
    cmd = [torchrun, "--nproc_per_node", "2", "--master_port", str(29700 + os.getpid() % 200), str(grpo),
           "--model", str(tiny_model_path), "--out", str(out), "--budget-tokens", "9k", "--roles", "reference:listener",
           "--group-size", "2", "--groups-per-step", "2", "--max-new-tokens", "6", "--eval-n", "0", "--use-cpu",
           "--curriculum", "uniform"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    s = verify_ledger(out / "ledger.jsonl")
    assert s.header["world_size"] == 2 and len(s.steps) >= 1
    assert s.end and s.end["reason"] == "budget" and s.total_tokens <= 9000 < s.total_tokens + s.end["refused_step_tokens"]
    # Each step fed both processes' sequences: two forwards (one micro-batch per process) summed.
    assert all(e["micro_batches"] == 2 and e["rollout_tokens"] > 0 for e in s.steps)
    # Each process chose for its own two groups every step (the refused one included); all choices reach the
    # one ledger, with their rank.
    assert len(s.choices) == 4 * (len(s.steps) + 1)
    assert sorted({c["rank"] for c in s.choices}) == [0, 1]
    assert all(sum(c["rank"] == r for c in s.choices if c["after_step"] == k) == 2
               for k in range(len(s.steps) + 1) for r in (0, 1))
    assert json.loads((out / "budget.json").read_text())["ledger_head"] == s.head
