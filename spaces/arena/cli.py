"""``playschool space``: launch the arena locally, or run the worker that evaluates queued model requests.

    playschool space                                  # http://127.0.0.1:7860, database ./arena.db
    playschool space --db runs/arena.db --transcripts runs/clu2 --watch-models nano hf:/models/my-sft
    playschool space worker --db runs/arena.db        # on a machine with the models and a GPU
    playschool space worker --db runs/arena.db --once -- --device cuda --batch-size 64

Only ``argparse`` is imported when the parser is built; Gradio loads when the app starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``space`` (and ``space worker``) to the ``playschool`` subcommands."""
    p = subparsers.add_parser("space", help="the arena: play, watch, transcripts, submissions, leaderboard",
                              description="Launch the arena Gradio app locally (the same app as the Space). "
                                          "Settings default to PLAYSCHOOL_ARENA_* environment variables.")
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="also open a public Gradio share link")
    p.add_argument("--watch-models", nargs="+", help="model specs visitors can watch (default: nano)")
    p.add_argument("--transcripts", nargs="+", type=Path, help="run folders or interaction datasets to browse")
    sub = p.add_subparsers(dest="space_command", metavar="{worker}")
    w = sub.add_parser("worker", help="evaluate queued model requests one at a time with 'playschool eval'")
    _common(w)
    w.add_argument("--once", action="store_true", help="process at most one request, then exit")
    w.add_argument("--poll", type=float, default=10.0, help="seconds between looks at an empty queue")
    w.add_argument("--worker-id", help="name recorded with each claimed request (default: host:pid)")
    w.add_argument("eval_args", nargs=argparse.REMAINDER,
                   help="after --: extra arguments for 'playschool eval' (e.g. -- --device cuda)")
    p.set_defaults(fn=cmd_space)
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, help="SQLite database (default: $PLAYSCHOOL_ARENA_DB_PATH or ./arena.db)")
    p.add_argument("--games", nargs="+", help="games of the leaderboard's interactional plan (default: all)")
    p.add_argument("--n", type=int, help="test instances per experiment in the plan (default: the split size)")
    p.add_argument("--instance-seed", type=int, help="instance seed of the plan (default 0)")


def _config(args: argparse.Namespace) -> Any:
    from .config import ArenaConfig

    eval_args = [a for a in getattr(args, "eval_args", None) or [] if a != "--"]
    return ArenaConfig.from_env(
        db_path=args.db, games=tuple(args.games) if args.games else None, n=args.n,
        instance_seed=args.instance_seed,
        watch_models=tuple(args.watch_models) if getattr(args, "watch_models", None) else None,
        transcripts=tuple(args.transcripts) if getattr(args, "transcripts", None) else None,
        worker_eval_args=tuple(eval_args) if eval_args else None)


def cmd_space(args: argparse.Namespace) -> int:
    """Run ``playschool space`` (or ``space worker``); returns the exit status."""
    config = _config(args)
    if getattr(args, "space_command", None) == "worker":
        from .worker import run_worker

        return run_worker(config, worker_id=args.worker_id, once=args.once, poll_s=args.poll)
    try:
        from .launch import launch
    except ImportError as exc:
        from playschool.cli import CLIError

        raise CLIError(f"the arena needs Gradio: pip install 'playschool[space]' ({exc})") from exc
    launch(config, host=args.host, port=args.port, share=args.share)
    return 0
