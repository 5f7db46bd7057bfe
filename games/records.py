"""Typed records shared by every game: instances, turns and the episode record.

The episode record is the one source of truth: the runner writes it, scoring replays it (a record is a claim,
checked against what its moves produce), and datasets and transcripts are built from it. Its top-level field names
are fixed (docs/architecture.md) so every tool reads them alike.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: What a message to a player is. Every message a learner receives carries one of these.
FeedbackKind = Literal["instruction", "observation", "clarification", "correction", "environment"]
FEEDBACK_KINDS: tuple[str, ...] = ("instruction", "observation", "clarification", "correction", "environment")

#: How an episode ended. ``aborted`` means a player could not carry on (repeated format or rule errors, a context
#: overflow): the record's ``fault`` names that role, and the episode counts as not played. ``error`` means the
#: game's own code failed (an exception, or its programmatic teacher made an invalid move): ``fault`` is
#: ``"game"``, and evaluation counts the episode as missing, never as the learner's failure.
Outcome = Literal["success", "lose", "aborted", "error"]
OUTCOMES: tuple[str, ...] = ("success", "lose", "aborted", "error")
#: ``fault`` of an ``error`` outcome: the game's code, not any player.
GAME_FAULT = "game"

#: Splits every generator produces.
SPLITS: tuple[str, ...] = ("train", "validation", "test")

#: 2 added ``fault`` (version 1 records read as having none).
RECORD_SCHEMA_VERSION = 2


class RecordError(ValueError):
    """A record (or instance) is malformed: missing fields, wrong types, unknown values."""


@dataclass(frozen=True)
class Instance:
    """One playable configuration of a game, generated from a seed.

    ``params`` holds everything the game needs (target word, word lists, ...) as plain JSON values, so that
    an instance can be frozen into a dataset and played again byte for byte.
    """

    id: str
    game: str
    split: str
    experiment: str
    seed: int
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instance:
        try:
            return cls(id=str(data["id"]), game=str(data["game"]), split=str(data["split"]),
                       experiment=str(data["experiment"]), seed=int(data["seed"]), params=dict(data["params"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"malformed instance: {exc!r}") from exc


@dataclass(frozen=True)
class Turn:
    """One message in an episode.

    A *move* is what a player wrote (``kind == "move"``; ``parse`` says whether it parsed and was legal, and
    ``reward`` is the reward the mover got for it). Any other ``kind`` is a feedback message sent *to* ``to``
    by ``speaker`` (a role, or ``"game"`` for the game master).
    """

    index: int
    speaker: str
    to: str
    kind: str
    text: str
    parse: dict[str, Any] | None = None
    reward: float | None = None
    tokens: dict[str, int] | None = None
    truncated_from: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        try:
            return cls(index=int(data["index"]), speaker=str(data["speaker"]), to=str(data["to"]),
                       kind=str(data["kind"]), text=str(data["text"]), parse=data.get("parse"),
                       reward=None if data.get("reward") is None else float(data["reward"]),
                       tokens=data.get("tokens"), truncated_from=data.get("truncated_from"))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"malformed turn: {exc!r}") from exc


@dataclass(frozen=True)
class EpisodeRecord:
    """Everything that happened in one episode. One JSON object per line in ``records.jsonl``.

    ``fault`` is empty unless the episode was ``aborted`` (the role that could not carry on) or ended in an
    ``error`` (``"game"``).
    """

    game: str
    instance_id: str
    split: str
    seed: int
    experiment: str
    roles: dict[str, str]
    learner_role: str
    instance: dict[str, Any]
    turns: tuple[Turn, ...]
    outcome: str
    reason: str
    scores: dict[str, float]
    manifest_id: str = ""
    timing: dict[str, float] = field(default_factory=dict)
    fault: str = ""
    schema: int = RECORD_SCHEMA_VERSION

    @property
    def key(self) -> str:
        """Identifies the episode within a run: resuming never plays the same key twice."""
        return episode_key(self.game, self.instance_id, self.learner_role)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["turns"] = [t.to_dict() for t in self.turns]
        return data

    def to_json(self) -> str:
        # ensure_ascii keeps every line pure ASCII: a hostile reply with odd code points cannot break the file.
        return json.dumps(self.to_dict(), ensure_ascii=True, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpisodeRecord:
        if not isinstance(data, dict):
            raise RecordError(f"an episode record must be a JSON object, got {type(data).__name__}")
        missing = [k for k in ("game", "instance_id", "split", "seed", "roles", "turns", "outcome", "scores")
                   if k not in data]
        if missing:
            raise RecordError(f"episode record lacks field(s) {missing}")
        if data["outcome"] not in OUTCOMES:
            raise RecordError(f"unknown outcome {data['outcome']!r}; expected one of {OUTCOMES}")
        try:
            return cls(
                game=str(data["game"]), instance_id=str(data["instance_id"]), split=str(data["split"]),
                seed=int(data["seed"]), experiment=str(data.get("experiment", "")), roles=dict(data["roles"]),
                learner_role=str(data.get("learner_role", "")), instance=dict(data.get("instance", {})),
                turns=tuple(Turn.from_dict(t) for t in data["turns"]), outcome=str(data["outcome"]),
                reason=str(data.get("reason", "")), scores={str(k): float(v) for k, v in data["scores"].items()},
                manifest_id=str(data.get("manifest_id", "")), timing=dict(data.get("timing", {})),
                fault=str(data.get("fault", "")), schema=int(data.get("schema", RECORD_SCHEMA_VERSION)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise RecordError(f"malformed episode record: {exc!r}") from exc

    @classmethod
    def from_json(cls, line: str) -> EpisodeRecord:
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"not valid JSON: {exc}") from exc
        return cls.from_dict(data)


def episode_key(game: str, instance_id: str, learner_role: str) -> str:
    return f"{game}|{instance_id}|{learner_role}"
