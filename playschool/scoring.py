"""Offline scoring of episode records with each game's one scorer, and per-game summaries.

``playschool score DIR`` uses this to recompute every score from the records alone and to confirm they equal
the scores written during play (same scorer, same input, same numbers).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from playschool.games import EpisodeRecord, load_game


@dataclass(frozen=True)
class Mismatch:
    key: str
    stored: dict[str, float]
    recomputed: dict[str, float]


def rescore(record: EpisodeRecord) -> dict[str, float]:
    """The scores of ``record`` recomputed by its game's scorer (the exact game version is required)."""
    return load_game(record.game).score(record)


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=0, abs_tol=1e-9) for k in a)


def check_scores(records: Iterable[EpisodeRecord]) -> tuple[int, list[Mismatch]]:
    """Rescore every record; returns how many were checked and those whose stored scores differ."""
    n, bad = 0, []
    for rec in records:
        n += 1
        new = rescore(rec)
        if not _same(new, rec.scores):
            bad.append(Mismatch(rec.key, rec.scores, new))
    return n, bad


@dataclass(frozen=True)
class GameSummary:
    game: str
    learner_role: str
    episodes: int
    played: float
    success: float
    main: float
    main_played: float

    def as_row(self) -> list[str]:
        return [self.game, self.learner_role, str(self.episodes), f"{100 * self.played:.1f}",
                f"{100 * self.success:.1f}", f"{self.main:.1f}", f"{self.main_played:.1f}"]


SUMMARY_HEADER = ["game", "learner role", "episodes", "% played", "% success", "main", "main (played)"]


def summarize(records: Iterable[EpisodeRecord]) -> list[GameSummary]:
    """Per game and learner role: episodes, share played (not aborted), success rate, mean main score over all
    episodes (aborted count as 0) and over played ones (clembench's quality score)."""
    groups: dict[tuple[str, str], list[EpisodeRecord]] = defaultdict(list)
    for rec in records:
        groups[(rec.game, rec.learner_role)].append(rec)
    out = []
    for (game, role), recs in sorted(groups.items()):
        played = [r for r in recs if r.outcome != "aborted"]
        out.append(GameSummary(
            game=game, learner_role=role, episodes=len(recs), played=len(played) / len(recs),
            success=sum(r.outcome == "success" for r in recs) / len(recs),
            main=sum(r.scores.get("main", 0.0) for r in recs) / len(recs),
            main_played=(sum(r.scores.get("main", 0.0) for r in played) / len(played)) if played else 0.0,
        ))
    return out
