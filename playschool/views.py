"""What one role saw in an episode, rebuilt from its record: the chat a learner is trained on.

Shared by the dataset builders and the training recipes, so the conversations a model is trained on are
exactly the ones a live episode hands its player.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from playschool.games import LEARNER, EpisodeRecord, Turn
from playschool.games.episode import add_message
from playschool.games.loading import canonical_json

from .feedback import shown_turns


@dataclass(frozen=True)
class View:
    """What one role saw in an episode: chat messages plus, aligned with them, kinds and the move turns."""

    messages: list[dict[str, str]]
    kinds: list[list[str]]
    moves: list[Turn | None]


def learner_view(turns: Iterable[Turn], role: str, feedback: str = "all") -> View:
    """Rebuild the chat history of ``role`` from a record's turns.

    Uses the episode's own rule (``add_message``): a message ``to`` the role becomes a ``user`` message
    (merged into a previous ``user`` message), the role's own move an ``assistant`` message with the
    sanitised text. A test checks this against the histories live episodes hand to their players.
    ``feedback`` (a :data:`~playschool.feedback.FEEDBACK_MODES` value) shows the ablated feedback kinds as
    their neutral text (:func:`~playschool.feedback.shown_turns`); kinds and moves are unchanged.
    """
    if feedback != "all":
        turns = shown_turns(turns, role, feedback)
    messages: list[dict[str, str]] = []
    kinds: list[list[str]] = []
    moves: list[Turn | None] = []
    for t in turns:
        if t.kind == "move":
            if t.speaker == role:
                add_message(messages, "assistant", t.text)
                kinds.append(["move"])
                moves.append(t)
        elif t.to == role:
            if add_message(messages, "user", t.text):
                kinds[-1].append(t.kind)
            else:
                kinds.append([t.kind])
                moves.append(None)
    return View(messages, kinds, moves)


def perspectives(record: EpisodeRecord) -> list[str]:
    """The roles whose view becomes a row: every role the learner played (several in self-play), or the
    learner's seat when a reference player sat there (a calibration run)."""
    played = [r for r, who in record.roles.items() if who == LEARNER]
    return played or [record.learner_role]


__all__ = ["View", "learner_view", "perspectives"]


def interaction_rows(record: EpisodeRecord, run: str) -> list[dict[str, Any]]:
    """The rows of the interactions dataset for one record: one per perspective in which the role moved at
    least once (``messages`` as that role saw them, ``meta`` with kinds, rewards, errors, outcome and scores).
    One definition for the dataset builder and the clembench import."""
    source = record.manifest_id or run
    self_play = sum(1 for who in record.roles.values() if who == LEARNER) > 1
    rows = []
    for role in perspectives(record):
        view = learner_view(record.turns, role)
        if not any(m is not None for m in view.moves):
            continue  # the role never moved: nothing to learn from
        meta = {
            "game": record.game, "instance_id": record.instance_id, "split": record.split,
            "experiment": record.experiment, "seed": record.seed, "role": role,
            "learner_role": record.learner_role, "played_by": record.roles.get(role, ""), "self_play": self_play,
            "roles": canonical_json(record.roles), "kinds": view.kinds,
            "rewards": [None if m is None else m.reward for m in view.moves],
            "errors": ["" if m is None else str((m.parse or {}).get("error") or "") for m in view.moves],
            "outcome": record.outcome, "reason": record.reason, "main": record.scores.get("main", 0.0),
            "scores": canonical_json(record.scores), "manifest_id": record.manifest_id, "run": run,
        }
        rows.append({"id": f"{source}/{record.game}/{record.instance_id}/{record.learner_role}/{role}",
                     "messages": view.messages, "meta": meta})
    return rows
