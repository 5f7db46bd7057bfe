"""The evaluation worker: takes queued model requests from the arena's database, runs ``playschool eval`` on each
in a subprocess, and posts the verified entry.

The evaluation runs as a separate process so that a model that crashes, leaks memory or hangs takes down only
its own run, and so the worker can stop it. The arena then scores the run's output exactly as it scores an
upload (the interactional plane re-scored by replaying the records), with the reference plane marked verified
because the worker ran it. Every request ends ``done`` or ``failed`` with a reason a visitor can read; a worker
stopped with Ctrl-C or SIGTERM puts its request back in the queue, and one killed outright leaves a claim that
another worker takes over once it is stale (:meth:`ArenaDB.claim_request`).

Run it with ``playschool space worker`` (the same settings as the Space: ``PLAYSCHOOL_ARENA_*`` or flags).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from .config import ArenaConfig
from .db import ArenaDB, ArenaDBError
from .rescore import verify_results_dir

console = Console(stderr=True, highlight=False)
#: How much of a failed evaluation's stderr becomes the request's reason.
REASON_LINES, REASON_CHARS = 12, 1500
#: Seconds an evaluation gets to exit after SIGTERM before it is killed.
STOP_GRACE_S = 20.0
#: Exit statuses of :func:`run_worker`.
OK, FAILED, INTERRUPTED = 0, 1, 130


class EvalFailed(RuntimeError):
    """``playschool eval`` exited with an error; the message is what a visitor reads."""


def default_eval_cmd() -> list[str]:
    """How to start ``playschool`` with this interpreter: ``python -m playschool`` where the package has a
    ``__main__``, else the console script installed beside this Python, else ``python -m playschool.cli``.
    (Not whatever ``playschool`` is first on PATH: that may belong to another environment.)"""
    if importlib.util.find_spec("playschool.__main__") is not None:
        return [sys.executable, "-m", "playschool"]
    script = Path(sys.executable).with_name("playschool")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "playschool.cli"]


def learner_spec(request: dict[str, Any]) -> str:
    """The ``--learner`` spec of a request: its model, at its revision if one was asked for."""
    return f"{request['model']}@{request['revision']}" if request.get("revision") else str(request["model"])


def model_label(request: dict[str, Any]) -> str:
    """The name the leaderboard shows: the Hub id (or path) without the ``hf:`` prefix, with its revision."""
    spec = learner_spec(request)
    return spec[3:] if spec.startswith("hf:") else spec


def pinned_local(spec: str, download: Any = None) -> str:
    """``hf:ORG/NAME@REV`` -> ``hf:<local snapshot of exactly that revision>``; anything else unchanged.

    ``playschool eval``'s reference plane (lm-eval) loads a folder or a Hub id at its default revision, so a
    requested revision is fetched first (into the Hugging Face cache, reused by later requests) and both planes
    evaluate the same files. ``download`` stands in for ``huggingface_hub.snapshot_download`` in tests."""
    from playschool.spec import parse_spec

    s = parse_spec(spec)
    if s.kind != "hf" or not s.revision or Path(s.target).exists():
        return spec
    if download is None:
        from huggingface_hub import snapshot_download as download
    return f"hf:{download(repo_id=s.target, revision=s.revision)}"


def eval_args(config: ArenaConfig, request: dict[str, Any], out_dir: Path, download: Any = None) -> list[str]:
    """The ``playschool eval`` arguments for one request under the arena's plan (games, instances, seeds)."""
    args = ["eval", "--learner", pinned_local(learner_spec(request), download)]
    if request.get("base"):
        args += ["--base", pinned_local(str(request["base"]), download)]
    args += ["--out", str(out_dir)]
    if config.games:
        args += ["--games", *config.games]
    if config.n is not None:
        args += ["--n", str(config.n)]
    args += ["--instance-seed", str(config.instance_seed), "--seed", str(config.seed),
             "--n-boot", str(config.n_boot), "--quiet", *config.worker_eval_args]
    return args


def _tail(path: Path) -> str:
    """The last lines of a log, trimmed to what a reason can hold."""
    try:
        lines = [ln.rstrip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return ""
    text = "\n".join(ln for ln in lines if ln.strip())
    text = "\n".join(text.splitlines()[-REASON_LINES:])
    return text if len(text) <= REASON_CHARS else "…" + text[-REASON_CHARS:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End an evaluation: SIGTERM, a grace period for it to save what it has, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_eval(cmd: Sequence[str], log_dir: Path) -> None:
    """Run one evaluation command, its output in ``log_dir`` (``eval.out``, ``eval.err``); raises
    :class:`EvalFailed` with the end of its stderr on a non-zero exit. An interrupt stops the child first."""
    log_dir.mkdir(parents=True, exist_ok=True)
    err_path = log_dir / "eval.err"
    with (log_dir / "eval.out").open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            code = proc.wait()
        except BaseException:
            _stop(proc)
            raise
    if code != 0:
        tail = _tail(err_path) or "(no error output)"
        raise EvalFailed(f"playschool eval exited with status {code}:\n{tail}")


def process_request(db: ArenaDB, config: ArenaConfig, request: dict[str, Any], *, eval_cmd: Sequence[str],
                    workdir: Path, worker_id: str) -> bool:
    """Evaluate one claimed request and finish it: ``done`` with its entry, or ``failed`` with a reason.
    Returns whether it succeeded. An interrupt puts the request back in the queue and propagates."""
    rid, visitor = int(request["id"]), str(request["visitor"])
    out_dir = (workdir / str(rid)).resolve()
    label = model_label(request)
    console.print(f"[worker {worker_id}] request {rid}: evaluating {label} -> {out_dir}")
    db.audit(visitor=visitor, action="worker", outcome="running", detail=f"worker {worker_id}", request_id=rid)
    started = time.monotonic()
    try:
        cmd = [*eval_cmd, *eval_args(config, request, out_dir)]  # may download a requested revision first
        run_eval(cmd, workdir / "logs" / str(rid))
        entry = verify_results_dir(out_dir, config, reference_verified=True, model=label, source="worker")
        entry_id = db.add_entry(entry, request_id=rid)
        db.finish_request(rid, state="done", entry_id=entry_id)
    except (KeyboardInterrupt, SystemExit):
        _settle(db.release_request, rid, reason=f"worker {worker_id} was stopped; queued again")
        db.audit(visitor=visitor, action="worker", outcome="released", detail=f"worker {worker_id} stopped",
                 request_id=rid)
        console.print(f"[worker {worker_id}] request {rid}: stopped, back in the queue")
        raise
    except Exception as exc:  # any failure ends this request, never the worker
        reason = str(exc) if isinstance(exc, (EvalFailed, ValueError)) else f"{type(exc).__name__}: {exc}"
        _settle(db.finish_request, rid, state="failed", reason=reason)
        db.audit(visitor=visitor, action="worker", outcome="failed", detail=reason, request_id=rid)
        console.print(f"[worker {worker_id}] request {rid}: [red]failed[/red] after "
                      f"{time.monotonic() - started:.0f}s: {reason.splitlines()[0] if reason else ''}")
        return False
    db.audit(visitor=visitor, action="worker", outcome="done", detail=f"entry {entry_id}", request_id=rid)
    console.print(f"[worker {worker_id}] request {rid}: [green]done[/green] in {time.monotonic() - started:.0f}s, "
                  f"entry {entry_id}")
    return True


def _settle(action: Any, rid: int, **kwargs: Any) -> None:
    """Release or fail a request, unless another worker already settled it (it took over a claim it thought
    stale): that is logged, not raised, so it cannot hide the failure being handled."""
    try:
        action(rid, **kwargs)
    except ArenaDBError as exc:
        console.print(f"request {rid}: {exc}")


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let SIGTERM (how services and containers stop a process) unwind like Ctrl-C, so the running request is
    released. Signal handlers can only be set from the main thread; elsewhere this does nothing."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_worker(config: ArenaConfig, *, worker_id: str | None = None, once: bool = False, poll_s: float = 10.0,
               eval_cmd: Sequence[str] | None = None, workdir: Path | None = None) -> int:
    """Evaluate queued requests until stopped (or, with ``once``, at most one; none queued returns at once).

    ``eval_cmd`` is how ``playschool`` is started (default :func:`default_eval_cmd`); each request's output goes
    to ``<workdir>/<request id>`` and its logs to ``<workdir>/logs/<request id>`` (default: ``arena-runs`` beside the database). Returns an exit status: 0, or
    1 when ``once`` ran a request that failed, or 130 when stopped by Ctrl-C or SIGTERM."""
    if poll_s <= 0:
        raise ValueError(f"poll_s must be positive, got {poll_s!r}")
    worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    workdir = Path(workdir) if workdir is not None else config.db_path.resolve().parent / "arena-runs"
    cmd = list(eval_cmd) if eval_cmd else default_eval_cmd()
    db = ArenaDB(config.db_path)
    console.print(f"[worker {worker_id}] watching {config.db_path} for requests" + (" (once)" if once else ""))
    try:
        with _sigterm_as_interrupt():
            while True:
                request = db.claim_request(worker_id)
                if request is None:
                    if once:
                        console.print(f"[worker {worker_id}] no queued requests")
                        return OK
                    time.sleep(poll_s)
                    continue
                ok = process_request(db, config, request, eval_cmd=cmd, workdir=workdir, worker_id=worker_id)
                if once:
                    return OK if ok else FAILED
    except KeyboardInterrupt:
        console.print(f"[worker {worker_id}] stopped")
        return INTERRUPTED
    finally:
        db.close()
