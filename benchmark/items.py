"""Item-level results: the unit every CLU2 number is computed from.

Both planes reduce to items: a reference-task question, or one interactional episode (game instance x learner
role). Keeping per-item scores (not only means) is what makes bootstrap intervals, paired comparisons with the
base model over the same items, shard merging and the metric module possible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ItemResult:
    """The score of one item of one task.

    ``score`` is the task metric for the item on the task's raw scale (accuracy 0/1, exact match 0/1, a game's
    main score 0-100, a sub-metric share, ...). ``valid`` is False for an item that could not be scored
    (aborted episode, unparseable answer): it still counts, with ``score`` at the task's failure value, so
    nothing is averaged away. ``details`` keeps what explains the score (the prediction, the record key).
    """

    task: str
    item_id: str
    score: float
    valid: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.task, self.item_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        return cls(task=str(data["task"]), item_id=str(data["item_id"]), score=float(data["score"]),
                   valid=bool(data.get("valid", True)), details=dict(data.get("details", {})))
