"""``playschool serve-env``: the games as RL environments over HTTP and WebSocket, many sessions per process.

    playschool serve-env --port 8000 --records runs/served              # every game, the teacher as partner
    playschool serve-env --games taboo wordle --max-sessions 512 --idle-timeout 120
    playschool serve-env --allow-partner hf:models/sft                 # clients may name this model as partner

Also runs on its own as ``python -m playschool.serve.cli ...`` (same options).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playschool.games import UnknownGameError

if TYPE_CHECKING:  # the server's modules need the [serve] and [envs] extras: `playschool --help` must not
    from .service import ServerConfig

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1: this machine "
                                                       "only; 0.0.0.0 serves the network)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--games", nargs="+", help="game ids served (default: every registered game)")
    p.add_argument("--max-sessions", type=int, default=256, help="live sessions at most (default 256); a reset "
                                                                   "beyond it is refused with 503")
    p.add_argument("--idle-timeout", type=float, default=300.0,
                   help="seconds without a request after which a session is dropped (default 300)")
    p.add_argument("--records", metavar="DIR", help="write the record of every finished episode here (a run "
                                                    "folder; repeated episodes go to DIR/repeats/N)")
    p.add_argument("--allow-partner", action="append", default=[], metavar="SPEC",
                   help="a model spec clients may name as partner (repeatable); loaded once at start. Without it "
                        "clients can choose only 'teacher' and 'random'")
    p.add_argument("--max-action-chars", type=int, help="longest action accepted, in characters (default 65536; "
                                                        "the game itself keeps 8000 of a move)")
    p.add_argument("--workers", type=int, default=1, help="must be 1: sessions live in the server process's memory")
    p.add_argument("--log-level", default="info", choices=LOG_LEVELS)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve-env", help="serve the games as RL environments over HTTP and WebSocket")
    add_arguments(p)
    p.set_defaults(fn=cmd_serve_env)


def config_from(args: argparse.Namespace) -> ServerConfig:
    from .service import ServerConfig

    if args.workers != 1:
        raise ValueError(f"--workers must be 1 (got {args.workers}): sessions live in the server process's "
                         "memory, so a second process would not know them; one process holds thousands of sessions")
    limits = {} if args.max_action_chars is None else {"max_action_chars": args.max_action_chars}
    return ServerConfig(games=tuple(args.games or ()), max_sessions=args.max_sessions,
                        idle_timeout=args.idle_timeout, records=Path(args.records) if args.records else None,
                        allowed_partners=tuple(args.allow_partner), **limits)


def cmd_serve_env(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ValueError(f"serve-env needs fastapi and uvicorn: pip install 'playschool[serve]' ({exc})") from exc

    from .app import KEEP_ALIVE_S, create_app, max_body_bytes
    from .records import RecordLog

    config = config_from(args)
    if config.records is not None:
        # Fail now, with the store's own message, if the folder is locked by a run or another server or holds
        # malformed records, rather than in the middle of uvicorn's start-up.
        RecordLog(config.records).open().close()
    app = create_app(config)
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level=args.log_level,
                ws_max_size=max_body_bytes(config), timeout_keep_alive=KEEP_ALIVE_S)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="playschool serve-env", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_serve_env(args)
    except (ValueError, RuntimeError, FileNotFoundError, UnknownGameError) as exc:  # SpecError, a locked folder
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) and exc.args else exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["add_arguments", "add_parser", "cmd_serve_env", "config_from", "main"]
