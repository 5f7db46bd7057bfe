"""The evaluation worker: the ``playschool eval`` command it builds, requests that end done or failed with a
readable reason, a stopped worker that puts its request back, and one real run of the tiny model end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from playschool.arena import worker as worker_module
from playschool.arena.config import ArenaConfig
from playschool.arena.db import ArenaDB
from playschool.arena.worker import default_eval_cmd, eval_args, model_label, run_worker
from playschool.benchmark.registry import COLLABORATION
from playschool.benchmark.results import read_results


def _fake_eval(tmp_path: Path, body: str) -> list[str]:
    """A stand-in for ``playschool eval``: a script run with the worker's arguments (``sys.argv[1:]``)."""
    script = tmp_path / "fake_eval.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    return [sys.executable, str(script)]


def _queue(config: ArenaConfig, *models: str, base: str = "") -> list[int]:
    with ArenaDB(config.db_path) as db:
        return [db.add_request(model=m, revision="", base=base, visitor="visitor") for m in models]


def _requests(config: ArenaConfig) -> list[dict]:
    with ArenaDB(config.db_path) as db:
        return db.requests()


def test_eval_arguments_follow_the_arena_plan(tmp_path: Path) -> None:
    config = ArenaConfig(games=("taboo", "wordle"), n=2, instance_seed=7, seed=3, n_boot=50,
                         worker_eval_args=("--device", "cuda"))
    request = {"id": 4, "model": "hf:org/m", "revision": "main", "base": "hf:org/base"}
    fetched: list[tuple[str, str]] = []

    def download(repo_id: str, revision: str) -> str:  # stands in for huggingface_hub.snapshot_download
        fetched.append((repo_id, revision))
        return f"/cache/{repo_id}/{revision}"

    args = eval_args(config, request, tmp_path / "4", download)
    # A requested revision is fetched to a local snapshot first: both planes then load exactly those files.
    assert fetched == [("org/m", "main")]
    assert args == ["eval", "--learner", "hf:/cache/org/m/main", "--base", "hf:org/base", "--out", str(tmp_path / "4"),
                    "--games", "taboo", "wordle", "--n", "2", "--instance-seed", "7", "--seed", "3",
                    "--n-boot", "50", "--quiet", "--device", "cuda"]
    plain = eval_args(ArenaConfig(), {"id": 1, "model": "nano", "revision": "", "base": ""}, tmp_path)
    assert "--base" not in plain and "--games" not in plain and "--n" not in plain
    assert plain[:3] == ["eval", "--learner", "nano"]
    assert model_label(request) == "org/m@main" and model_label({"model": "nano"}) == "nano"


def test_the_default_command_starts_this_playschool() -> None:
    cmd = default_eval_cmd()
    done = subprocess.run([*cmd, "eval", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--learner" in done.stdout


def test_a_failing_evaluation_fails_its_request_and_the_worker_goes_on(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = ArenaConfig(db_path=tmp_path / "arena.db")
    cmd = _fake_eval(tmp_path, """
        import sys
        print("loading the model", file=sys.stderr)
        print("error: " + sys.argv[sys.argv.index("--learner") + 1] + ": out of memory", file=sys.stderr)
        sys.exit(3)
    """)
    first, second = _queue(config, "org/a", "org/b")

    def stop(seconds: float) -> None:  # the queue is empty: end the endless loop as Ctrl-C would
        raise KeyboardInterrupt

    monkeypatch.setattr(worker_module.time, "sleep", stop)
    assert run_worker(config, eval_cmd=cmd, workdir=tmp_path / "runs", worker_id="w") == 130
    reqs = _requests(config)
    assert [(r["id"], r["state"]) for r in reqs] == [(first, "failed"), (second, "failed")]
    assert "exited with status 3" in reqs[0]["reason"] and "error: hf:org/a: out of memory" in reqs[0]["reason"]
    assert "hf:org/b" in reqs[1]["reason"]
    with ArenaDB(config.db_path) as db:
        outcomes = [(r["request_id"], r["outcome"]) for r in reversed(db.audit_rows())]
        assert outcomes == [(first, "running"), (first, "failed"), (second, "running"), (second, "failed")]
        assert db.counts()["entries"] == 0


def test_output_that_cannot_be_scored_fails_the_request(tmp_path: Path) -> None:
    config = ArenaConfig(db_path=tmp_path / "arena.db")
    cmd = _fake_eval(tmp_path, "print('nothing written')\n")  # exits 0 without results.json
    (rid,) = _queue(config, "org/a")
    assert run_worker(config, once=True, eval_cmd=cmd, workdir=tmp_path / "runs") == 1
    (req,) = _requests(config)
    assert req["id"] == rid and req["state"] == "failed" and "results.json" in req["reason"]
    assert run_worker(config, once=True, eval_cmd=cmd, workdir=tmp_path / "runs") == 0  # nothing queued


def test_a_stopped_worker_puts_its_request_back(tmp_path: Path) -> None:
    config = ArenaConfig(db_path=tmp_path / "arena.db")
    pid_file = tmp_path / "eval.pid"
    cmd = _fake_eval(tmp_path, f"""
        import os, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(120)
    """)
    (rid,) = _queue(config, "org/slow")
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from playschool.arena.config import ArenaConfig
        from playschool.arena.worker import run_worker
        sys.exit(run_worker(ArenaConfig(db_path=Path({str(config.db_path)!r})), once=True, eval_cmd={cmd!r},
                            workdir=Path({str(tmp_path / "runs")!r}), worker_id="stoppable"))
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), "the evaluation never started"
    assert _requests(config)[0]["state"] == "running"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 130
    (req,) = _requests(config)
    assert (req["id"], req["state"], req["worker"]) == (rid, "pending", None)
    assert "stopped" in req["reason"]
    eval_pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # the evaluation was stopped with the worker, not orphaned
        for _ in range(50):
            os.kill(eval_pid, 0)
            time.sleep(0.1)


def test_a_missing_model_fails_with_the_evaluation_s_reason(tmp_path: Path) -> None:
    config = ArenaConfig(db_path=tmp_path / "arena.db", games=("reference",), n=1, n_boot=20,
                         worker_eval_args=("--skip-reference",))
    missing = tmp_path / "no-such-model"
    _queue(config, f"hf:{missing}")
    assert run_worker(config, once=True, workdir=tmp_path / "runs") == 1
    (req,) = _requests(config)
    assert req["state"] == "failed" and f"no such model folder {missing}" in req["reason"]


@pytest.mark.slow
def test_the_tiny_model_goes_from_request_to_leaderboard_entry(tmp_path: Path, tiny_model_path: Path) -> None:
    config = ArenaConfig(db_path=tmp_path / "arena.db", games=("reference",), n=1, n_boot=50,
                         worker_eval_args=("--skip-reference", "--max-new-tokens", "8"))
    spec = f"hf:{tiny_model_path}"
    (rid,) = _queue(config, spec, base=spec)
    assert _requests(config)[0]["state"] == "pending"
    assert run_worker(config, once=True, workdir=tmp_path / "runs", worker_id="w1") == 0
    (req,) = _requests(config)
    assert (req["state"], req["worker"], req["attempts"], req["reason"]) == ("done", "w1", 1, "")
    with ArenaDB(config.db_path) as db:
        (entry,) = db.entries()
        assert [r["outcome"] for r in reversed(db.audit_rows())] == ["running", "done"]
    results = read_results(tmp_path / "runs" / str(rid))
    collab = results.scorecard["dimensions"][COLLABORATION]
    assert entry["id"] == req["entry_id"] and entry["request_id"] == rid
    assert entry["collab_score"] == pytest.approx(collab["score"])
    assert [entry["collab_lo"], entry["collab_hi"]] == pytest.approx(collab["ci"])
    assert entry["model"] == str(tiny_model_path) and entry["base_model"] == spec
    assert entry["source"] == "worker" and entry["verified"] is True
    assert entry["delta_collab_score"] == pytest.approx(0.0)  # the same model as its own base
    assert set(entry["games"]) == {"game/reference/listener", "game/reference/speaker"}
