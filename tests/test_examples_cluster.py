"""The cluster examples (examples/cluster/): sharded CLU2 under Ray and SLURM, training under accelerate.

No Ray, SLURM or GPU here. The Ray script runs its ``--local`` path for real and its Ray path against a stand-in
module with the calls it makes of Ray's API; the SLURM script runs against a stand-in ``sbatch`` that runs the
array tasks and the dependent merge job at once; both merged results must equal an unsharded ``playschool eval``.
Every command the shell scripts print under ``DRY_RUN=1`` is parsed by the parser that will read it, and the
data-parallel training stage runs for real with two processes on CPU (gloo).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from playschool.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "examples" / "cluster"
EVAL_FLAGS = ["--learner", "teacher", "--skip-reference", "--n", "1", "--games", "reference", "mapnav",
              "--n-boot", "200", "--quiet"]
# What may differ between a merged result's manifest and the unsharded run's: when and how each ran.
ENVIRONMENT = {"created", "command", "merged_from", "hardware", "git_sha"}


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", **extra}


def _run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """results.json of the unsharded run every sharded example must reproduce."""
    out = tmp_path_factory.mktemp("whole")
    done = _run([sys.executable, "-m", "playschool.cli", "eval", *EVAL_FLAGS, "--out", str(out)], out)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads((out / "results.json").read_text()))


def _assert_same_result(merged_dir: Path, whole: dict[str, Any], shards: int) -> None:
    merged = json.loads((merged_dir / "results.json").read_text())
    assert merged["shard"] is None and merged["items"]
    assert {k: v for k, v in merged.items() if k != "manifest"} == {k: v for k, v in whole.items() if k != "manifest"}
    m, w = merged["manifest"], whole["manifest"]
    assert m["manifest_id"] == w["manifest_id"]  # the same settings: the same run
    assert {k for k in set(m) | set(w) if m.get(k) != w.get(k)} <= ENVIRONMENT
    # The shards are disjoint and together hold every item.
    keys = [(i["task"], i["item_id"]) for s in range(shards)
            for i in json.loads((merged_dir / f"shard-{s}" / "results.json").read_text())["items"]]
    assert len(keys) == len(set(keys)) and sorted(keys) == sorted((i["task"], i["item_id"]) for i in whole["items"])
    assert (merged_dir / "report.html").is_file() and (merged_dir / "transcripts" / "index.html").is_file()


# ---------------------------------------------------------------------------------------------------- Ray
def test_ray_example_local_shards_merge_into_the_unsharded_result(tmp_path: Path, whole: dict[str, Any]) -> None:
    out = tmp_path / "clu2"
    done = _run([sys.executable, str(CLUSTER / "eval_ray.py"), "--local", "--shards", "2", *EVAL_FLAGS,
                 "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_same_result(out, whole, 2)


STAND_IN_RAY = '''"""A stand-in for the calls eval_ray.py makes of Ray's API; each task runs at once, in this process."""
import json
import os


def _log(**entry):
    with open(os.environ["STAND_IN_RAY_LOG"], "a") as f:
        f.write(json.dumps(entry) + "\\n")


def init(address=None):
    _log(call="init", address=address)


class _Ref:
    def __init__(self, value):
        self.value = value


class _RemoteFunction:
    def __init__(self, fn, options):
        self.fn, self._options = fn, options

    def options(self, **options):
        return _RemoteFunction(self.fn, {**self._options, **options})

    def remote(self, *args):
        _log(call="remote", options=self._options, args=list(args))
        return _Ref(self.fn(*args))


def remote(*args, **options):
    if args and callable(args[0]):
        return _RemoteFunction(args[0], {})
    return lambda fn: _RemoteFunction(fn, options)


def wait(refs, num_returns=1):
    return list(refs[:num_returns]), list(refs[num_returns:])


def get(ref):
    return [r.value for r in ref] if isinstance(ref, list) else ref.value
'''


def test_ray_example_ray_path_with_a_stand_in(tmp_path: Path, whole: dict[str, Any]) -> None:
    (tmp_path / "stand_in" / "ray").mkdir(parents=True)
    (tmp_path / "stand_in" / "ray" / "__init__.py").write_text(STAND_IN_RAY)
    log, out = tmp_path / "ray.jsonl", tmp_path / "clu2"
    path = os.pathsep.join([str(tmp_path / "stand_in"), os.environ.get("PYTHONPATH", "")])
    done = _run([sys.executable, str(CLUSTER / "eval_ray.py"), "--shards", "2", "--num-gpus", "0",
                 "--address", "auto", *EVAL_FLAGS, "--out", str(out)], tmp_path, PYTHONPATH=path,
                STAND_IN_RAY_LOG=str(log))
    assert done.returncode == 0, done.stderr[-2000:]
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[0] == {"call": "init", "address": "auto"}
    assert [c["args"] for c in calls[1:]] == [[0], [1]]
    assert all(c["options"] == {"num_gpus": 0.0, "num_cpus": 1.0, "max_retries": 2} for c in calls[1:])
    assert "shard 1/2 finished with status 0" in done.stdout
    _assert_same_result(out, whole, 2)


def test_ray_example_without_ray_and_bad_flags(tmp_path: Path) -> None:
    script = [sys.executable, str(CLUSTER / "eval_ray.py"), "--shards", "2", "--out", str(tmp_path / "x")]
    try:
        import ray  # noqa: F401
    except ImportError:
        done = _run([*script, "--learner", "teacher"], tmp_path)
        assert done.returncode == 1 and "Ray is not installed" in done.stderr and "--local" in done.stderr
    for bad in (["--shard", "0/2"], ["--no-such-eval-flag"]):  # refused before anything starts
        done = _run([*script, "--local", *bad], tmp_path)
        assert done.returncode == 2 and not (tmp_path / "x").exists(), done.stderr
    # A shard that fails: nothing is merged, and the message says how to go on.
    done = _run([*script, "--local", "--learner", f"hf:{tmp_path / 'no-model'}", "--skip-reference"], tmp_path)
    assert done.returncode == 1 and "shard(s) 0/2, 1/2 did not finish cleanly; nothing merged" in done.stderr
    assert not (tmp_path / "x" / "results.json").exists()


# -------------------------------------------------------------------------------------------------- SLURM
def _printed(cmd: list[str], cwd: Path, **env: str) -> list[list[str]]:
    done = _run(cmd, cwd, DRY_RUN="1", **env)
    assert done.returncode == 0, done.stderr
    return [shlex.split(line) for line in done.stdout.splitlines() if line.strip()]


def test_shell_scripts_are_valid_bash() -> None:
    for script in ("eval_slurm.sh", "train_accelerate.sh"):
        done = subprocess.run(["bash", "-n", str(CLUSTER / script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_slurm_example_commands_parse(tmp_path: Path) -> None:
    script = str(CLUSTER / "eval_slurm.sh")
    lines = _printed(["bash", script, "--games", "taboo", "wordle", "--n", "30"], tmp_path, N="3", NAME="sft",
                     RUNS="/shared/runs", LEARNER="hf:/shared/models/my sft", BASE="hf:/shared/models/base",
                     INSTANCE_SEED="7")
    sbatch = [c for c in lines if c[0] == "sbatch"]
    evals = [c for c in lines if c[0] == "playschool"]
    assert len(sbatch) == 2 and len(evals) == 4 and len(lines) == 6
    array, merge_job = sbatch
    assert "--array=0-2" in array and array[-6:-5] == ["shard"] and array[-5:] == ["--games", "taboo", "wordle", "--n", "30"]
    assert "--dependency=afterok:1000" in merge_job and "--kill-on-invalid-dep=yes" in merge_job
    wrap = next(a for a in merge_job if a.startswith("--wrap="))
    assert shlex.split(wrap.removeprefix("--wrap=")) == ["bash", script, "merge"]
    parser = build_parser()
    shards = [parser.parse_args(c[1:]) for c in evals[:3]]
    for i, ns in enumerate(shards):
        assert (ns.shard, ns.out) == (f"{i}/3", f"/shared/runs/sft/shard-{i}")
        assert (ns.learner, ns.base, ns.games, ns.n) == ("hf:/shared/models/my sft", "hf:/shared/models/base",
                                                         ["taboo", "wordle"], 30)
    # Every shard has the same settings (the instance seed above all); only --shard and --out differ.
    assert len({tuple(sorted((k, str(v)) for k, v in vars(ns).items() if k not in ("shard", "out")))
                for ns in shards}) == 1 and shards[0].instance_seed == 7
    merge = parser.parse_args(evals[3][1:])
    assert merge.eval_command == "merge" and merge.merge_out == "/shared/runs/sft"
    assert merge.dirs == [f"/shared/runs/sft/shard-{i}" for i in range(3)]
    # Inside an array task the script runs its shard without being told the mode.
    [task] = _printed(["bash", script], tmp_path, SLURM_ARRAY_TASK_ID="5", LEARNER="teacher")
    assert parser.parse_args(task[1:]).shard == "5/8"


STAND_IN_SBATCH = '''#!/usr/bin/env python3
"""A stand-in for sbatch: runs an array job's tasks, or a --wrap job once its afterok dependency succeeded, at once
(their output goes to stderr, as a real job's goes to its log: stdout is the job id)."""
import json, os, subprocess, sys
from pathlib import Path

state = Path(os.environ["STAND_IN_SLURM"])
opts, script = {}, []
for n, arg in enumerate(sys.argv[1:]):
    if not arg.startswith("--"):
        script = sys.argv[1 + n:]
        break
    key, _, value = arg[2:].partition("=")
    opts[key] = value
job = len(list(state.glob("job-*"))) + 1
if "dependency" in opts:
    kind, _, after = opts["dependency"].partition(":")
    assert kind == "afterok", kind
    ok = all(s == 0 for s in json.loads((state / f"job-{after}").read_text()))
else:
    ok = True
statuses = []
if ok and "wrap" in opts:
    statuses.append(subprocess.run(["bash", "-c", opts["wrap"]], stdout=sys.stderr).returncode)
elif ok:
    first, _, last = opts["array"].partition("-")
    for task in range(int(first), int(last) + 1):
        env = {**os.environ, "SLURM_ARRAY_TASK_ID": str(task), "SLURM_CPUS_PER_TASK": "1"}
        statuses.append(subprocess.run(["bash", *script], env=env, stdout=sys.stderr).returncode)
(state / f"job-{job}").write_text(json.dumps(statuses if ok else [-1]))
print(f"{job};stand-in" if "parsable" in opts else f"Submitted batch job {job}")
'''


def test_slurm_example_end_to_end_with_a_stand_in_sbatch(tmp_path: Path, whole: dict[str, Any]) -> None:
    if shutil.which("playschool") is None:
        pytest.skip("the playschool command is not on PATH")
    bin_dir, state = tmp_path / "bin", tmp_path / "slurm"
    bin_dir.mkdir()
    state.mkdir()
    (bin_dir / "sbatch").write_text(STAND_IN_SBATCH.replace("#!/usr/bin/env python3", f"#!{sys.executable}"))
    (bin_dir / "sbatch").chmod(0o755)
    flags = [f for f in EVAL_FLAGS if f not in ("--learner", "teacher")]
    done = _run(["bash", str(CLUSTER / "eval_slurm.sh"), *flags], tmp_path, LEARNER="teacher", N="2",
                NAME="clu2", RUNS=str(tmp_path / "runs"), STAND_IN_SLURM=str(state),
                PATH=os.pathsep.join([str(bin_dir), os.environ["PATH"]]))
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((state / "job-1").read_text()) == [0, 0]  # the array: both shards succeeded
    assert json.loads((state / "job-2").read_text()) == [0]  # then the merge
    assert (tmp_path / "logs").is_dir()
    _assert_same_result(tmp_path / "runs" / "clu2", whole, 2)


# ---------------------------------------------------------------------------------------------- accelerate
def test_accelerate_example_commands_parse(tmp_path: Path) -> None:
    pytest.importorskip("accelerate")
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import launch_command_parser
    from playschool.baselines.config import build_parser as recipe_parser
    from playschool.baselines.grpo import GRPORecipe
    from playschool.baselines.sft import SFTRecipe

    script = str(CLUSTER / "train_accelerate.sh")
    env = {"MODEL": "/shared/models/base", "OUT": "models/sft", "BUDGET": "100M"}
    cases = {
        "ddp": (["bash", script], env),
        "deepspeed": (["bash", script, "deepspeed", "--lora"], env),
        "multinode": (["bash", script, "deepspeed"], {**env, "NODES": "2", "NODE_RANK": "1", "MAIN_IP": "10.0.0.1"}),
        "grpo": (["bash", script, "--roles", "taboo:guesser"], {**env, "RECIPE": "grpo", "DATA": "", "NPROC": "4"}),
    }
    recipes = {"playschool.baselines.sft": SFTRecipe, "playschool.baselines.grpo": GRPORecipe}
    for case, (cmd, case_env) in cases.items():
        lines = _printed(cmd, tmp_path, **case_env)
        assert lines[0][:2] == ["accelerate", "launch"], case
        launch = launch_command_parser().parse_args(lines[0][2:])
        assert launch.module and launch.training_script in recipes, case
        cfg = recipe_parser(recipes[launch.training_script], prog="x").parse_args(launch.training_script_args)
        assert cfg.budget_tokens == 100_000_000 and cfg.bf16 and launch.mixed_precision == "bf16", case
        nodes = 2 if case == "multinode" else 1
        assert launch.num_processes == nodes * (4 if case == "grpo" else 8) and launch.num_machines == nodes
        if case == "multinode":
            assert (launch.machine_rank, launch.main_process_ip) == (1, "10.0.0.1") and len(lines) == 1  # rank 1: no verify
            continue
        if "deepspeed" in cmd:
            config = load_config_from_file(launch.config_file)
            assert config.distributed_type == "DEEPSPEED" and config.deepspeed_config["zero_stage"] == 2
            assert "gradient_accumulation_steps" not in config.deepspeed_config  # taken from the recipe's flag
            assert config.deepspeed_config["deepspeed_multinode_launcher"] == "standard"  # one launch per node
            assert cfg.lora
        else:
            assert launch.multi_gpu and launch.config_file is None
        if case == "grpo":
            assert "--data" not in lines[0] and cfg.roles == ["taboo:guesser"]
        else:
            assert cfg.data == ["runs/ref-train"]
        verify = build_parser().parse_args(lines[1][1:])
        assert lines[1][0] == "playschool" and verify.ledger == "models/sft/ledger.jsonl" and len(lines) == 2


@pytest.mark.slow
def test_accelerate_example_runs_two_processes_on_one_budget(tiny_model_path: Path, tmp_path: Path) -> None:
    """The ddp stage for real on CPU (gloo): one ledger, both processes' tokens in every step, the run stopped
    before the step that would pass the budget, and the script's own verify step passes."""
    pytest.importorskip("trl")
    if shutil.which("accelerate") is None:
        pytest.skip("accelerate is not on PATH")
    from playschool.budget import verify_ledger
    from playschool.players import ReferencePlayer
    from playschool.runner import Runner, plan_episodes
    from playschool.store import RecordStore

    with RecordStore(tmp_path / "ref-train") as store:
        for r in Runner({"learner": ReferencePlayer()}).run(plan_episodes(["reference"], "train", n=3)).records:
            store.append(r)
    out = tmp_path / "sft"
    done = _run(["bash", str(CLUSTER / "train_accelerate.sh"), "ddp", "--use-cpu", "--batch-size", "1", "--seed", "1"],
                tmp_path, MODEL=str(tiny_model_path), DATA=str(tmp_path / "ref-train"), OUT=str(out), BUDGET="8000",
                NPROC="2", BF16="0", MAIN_PORT=str(29300 + os.getpid() % 150), TRL_EXPERIMENTAL_SILENCE="1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"OK {out}/ledger.jsonl" in done.stdout  # the script's verify step
    ledger = verify_ledger(out / "ledger.jsonl")
    assert ledger.header["world_size"] == 2 and all(e["micro_batches"] == 2 for e in ledger.steps)
    assert ledger.end and ledger.end["reason"] == "budget"
    assert ledger.total_tokens <= 8000 < ledger.total_tokens + ledger.end["refused_step_tokens"]
