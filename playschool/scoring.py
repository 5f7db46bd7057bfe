"""Offline checking of episode records by replay, and per-game summaries.

``playschool score DIR`` replays every record (its learner's moves against the seeded game and teacher) and
reports each record whose turns, outcome or scores differ from the replay: a record is a claim, checked against
what its moves produce, never taken as given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from playschool.games import EpisodeRecord, Instance, RecordError, replay


@dataclass(frozen=True)
class Invalid:
    """A record that is not what its moves produce: its key and every difference its replay found."""

    key: str
    problems: tuple[str, ...]


def rescore(record: EpisodeRecord) -> dict[str, float]:
    """The scores of ``record`` recomputed by replaying its moves (the exact game version is required)."""
    result = replay(record)
    if result.record is None:
        raise RecordError(f"{record.key}: cannot be replayed: {'; '.join(result.problems)}")
    return result.record.scores


def check_scores(records: Iterable[EpisodeRecord],
                 plan: Mapping[str, Instance] | None = None) -> tuple[int, list[Invalid]]:
    """Replay every record; returns how many were checked and the invalid ones, each with its reasons. With a
    ``plan`` (episode key -> instance), a record must also be of a planned episode, on the planned instance."""
    n, bad = 0, []
    for rec in records:
        n += 1
        if plan is not None and rec.key not in plan:
            bad.append(Invalid(rec.key, ("the episode is not in the run's plan",)))
            continue
        result = replay(rec, instance=None if plan is None else plan[rec.key])
        if not result.valid:
            bad.append(Invalid(rec.key, result.problems))
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
    """Per game and learner role: episodes, share played (not aborted, no game error), success rate, mean main score over all
    episodes (aborted count as 0) and over played ones (clembench's quality score)."""
    groups: dict[tuple[str, str], list[EpisodeRecord]] = defaultdict(list)
    for rec in records:
        groups[(rec.game, rec.learner_role)].append(rec)
    out = []
    for (game, role), recs in sorted(groups.items()):
        played = [r for r in recs if r.outcome not in ("aborted", "error")]
        out.append(GameSummary(
            game=game, learner_role=role, episodes=len(recs), played=len(played) / len(recs),
            success=sum(r.outcome == "success" for r in recs) / len(recs),
            main=sum(r.scores.get("main", 0.0) for r in recs) / len(recs),
            main_played=(sum(r.scores.get("main", 0.0) for r in played) / len(played)) if played else 0.0,
        ))
    return out
