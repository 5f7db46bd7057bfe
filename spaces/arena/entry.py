"""A leaderboard entry: what the arena shows for one evaluated model, every number recomputed by the arena.

The interactional plane is always re-scored by replaying the episode records; the reference plane can only be
verified by rerunning the model, which the worker does (``reference_verified``) and an upload cannot
(self-reported reference items, marked as such). ``verified`` therefore means: both planes recomputed here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Interval:
    """A score (0-100 normalised, or a delta) with its 95% bootstrap interval; ``None`` where not computable."""

    score: float | None
    lo: float | None = None
    hi: float | None = None

    @classmethod
    def of(cls, data: Any) -> Interval:
        """From a scorecard block ``{"score" or "delta": x, "ci": [lo, hi] | None}``."""
        if not isinstance(data, dict):
            return cls(None)
        value = data.get("score", data.get("delta"))
        ci = data.get("ci") or (None, None)
        return cls(_num(value), _num(ci[0]), _num(ci[1]))


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


@dataclass(frozen=True)
class Entry:
    """One leaderboard row. Built only by the arena's own scoring (``rescore.verify*``), never from an
    upload's numbers."""

    model: str
    clu2_version: str
    registry_fingerprint: str
    understanding: Interval  # dimension "understanding & reasoning" (reference plane)
    collab: Interval  # dimension "collaborative language use" (interactional plane)
    overall: Interval
    delta_collab: Interval | None  # paired improvement over the base in collaborative language use
    base_model: str | None
    games: dict[str, float | None] = field(default_factory=dict)  # game task id -> normalised score
    reference_verified: bool = False  # reference plane rerun by the worker (True) or self-reported (False)
    n_episodes: int = 0  # planned interactional episodes
    invalid_records: int = 0  # records whose replay disagreed with them (scored 0)
    missing_episodes: int = 0  # planned episodes without a record (scored 0)
    source: str = "upload"  # "upload" | "worker"
    content_hash: str = ""  # canonical sha256 of the results and records scored (submission.content_hash)
    plan: str = ""  # the interactional plan it was scored on (ArenaConfig.plan_id)

    @property
    def verified(self) -> bool:
        """Both planes recomputed by the arena (the interactional plane always is)."""
        return self.reference_verified

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
