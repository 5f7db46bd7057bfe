"""The arena's settings: one frozen dataclass, read from ``PLAYSCHOOL_ARENA_*`` environment variables on a Space
(where there is no command line) and from flags by ``playschool space``.

Limits are part of the contract with visitors, so they live here, in one place, with their reasons.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "PLAYSCHOOL_ARENA_"


@dataclass(frozen=True)
class ArenaConfig:
    """Everything the arena app, the submission checker and the worker need to agree on."""

    #: SQLite file holding submissions, the audit table, the request queue and the leaderboard.
    db_path: Path = Path("arena.db")
    #: The interactional plan every leaderboard entry is scored on: games (None: every registered game),
    #: test instances per experiment (None: the game's test split size) and the instance seed. Submitted
    #: records outside the plan are ignored; planned episodes without a record count as failures.
    games: tuple[str, ...] | None = None
    n: int | None = None
    instance_seed: int = 0
    #: Bootstrap replicates and seed of the intervals the arena shows (recomputed, never read from an upload).
    n_boot: int = 1000
    seed: int = 0
    #: Model specs visitors can watch play (the host's choice; the embedded nano model by default).
    watch_models: tuple[str, ...] = ("nano",)
    #: Run folders (or interactions-dataset folders / JSONL files) the transcript browser offers.
    transcripts: tuple[Path, ...] = ()
    #: Upload limits: one file, an archive's unpacked total and member count, records per submission.
    max_upload_bytes: int = 64 * 2**20
    max_unpacked_bytes: int = 256 * 2**20
    max_archive_members: int = 4096
    max_records: int = 50_000
    #: Per-visitor rate limit on submissions and model requests (a sliding hour).
    submissions_per_hour: int = 10
    #: Play sessions: idle seconds before a game is dropped, and the most games held at once.
    session_ttl_s: float = 1800.0
    max_sessions: int = 1000
    #: Extra arguments the worker passes to ``playschool eval`` (e.g. ``--device cuda``).
    worker_eval_args: tuple[str, ...] = field(default_factory=tuple)

    def plan_id(self) -> str:
        """The interactional plan as one string, stored with every entry: entries scored on different plans
        (other games, instance counts or instance seeds) are different measurements and never ranked together."""
        games = ",".join(sorted(self.games)) if self.games else "all"
        n = "split" if self.n is None else str(self.n)
        return f"games={games};n={n};instance_seed={self.instance_seed}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> ArenaConfig:
        """Defaults, then ``PLAYSCHOOL_ARENA_<FIELD>`` variables (lists comma-separated), then ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw)
        return replace(cls(**values), **{k: v for k, v in overrides.items() if v is not None})


_INTS = {"n", "instance_seed", "n_boot", "seed", "max_upload_bytes", "max_unpacked_bytes", "max_archive_members",
         "max_records", "submissions_per_hour", "max_sessions"}


def _parse(name: str, raw: str) -> Any:
    try:
        if name == "db_path":
            return Path(raw)
        if name in ("games", "watch_models", "worker_eval_args"):
            return tuple(x.strip() for x in raw.split(",") if x.strip())
        if name == "transcripts":
            return tuple(Path(x.strip()) for x in raw.split(",") if x.strip())
        if name in _INTS:
            return int(raw)
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r}: {exc}") from exc
