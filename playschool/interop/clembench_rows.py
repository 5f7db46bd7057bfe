"""Imported episodes as rows of the interactions dataset (``playschool/playpen-interactions``).

A row is one episode seen by one player: ``id``, ``messages`` (the chat that player saw: what was sent to it as
``user``, its own replies as ``assistant``, consecutive user messages merged as our episodes merge them) and
``meta`` with the dataset's fields. Rows of our records are those the dataset builder makes; rows of foreign
episodes fill the same fields from clembench's files, so clembench data joins our datasets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from playschool.games import EpisodeRecord
from playschool.games.loading import canonical_json
from playschool.views import interaction_rows, learner_view

from .clembench_format import GAME_SPEAKER, PROGRAMMATIC, ForeignEpisode
from .clembench_import import ImportedEpisode

#: Prefix of a foreign episode's game in rows: clembench's ``taboo`` is not our ``taboo-v2``.
FOREIGN_GAME_PREFIX = "clembench/"


def to_interactions_rows(episodes: Iterable[ImportedEpisode], *, run: str = "imported",
                         split: str = "train") -> list[dict[str, Any]]:
    """The interactions-dataset rows of ``episodes``: one per episode and perspective in which the player moved.

    ``run`` names the source in rows of records without a manifest id; ``split`` is the split of foreign
    episodes (clembench has none; ours keep their own).
    """
    rows: list[dict[str, Any]] = []
    for episode in episodes:
        if isinstance(episode, ForeignEpisode):
            rows += foreign_rows(episode, split=split)
        else:
            rows += record_rows(episode, run)
    return rows


def record_rows(record: EpisodeRecord, run: str) -> list[dict[str, Any]]:
    """Rows of one of our records, exactly as ``datasets_scripts/build_interactions.py`` builds them."""
    return interaction_rows(record, run)


def foreign_rows(episode: ForeignEpisode, *, split: str = "train") -> list[dict[str, Any]]:
    """Rows of a clembench episode: one per model player that replied at least once, seen from that player.

    clembench has no per-move reward or error type and no seed: those fields are empty (``None``, ``""``,
    ``0``). ``main`` is clembench's main score, 0 when the game was aborted or not scored (as our aborted
    episodes score 0); ``outcome`` is empty for an episode never scored.
    """
    turns = episode.turns
    models = episode.model_names()
    # A programmatic player (clembench's name for a scripted partner) is no model: its view is no training data.
    played = list(dict.fromkeys(t.speaker for t in turns if t.kind == "move" and t.speaker != GAME_SPEAKER
                                and models.get(t.speaker) != PROGRAMMATIC))
    self_play = len(models) > 1 and len(set(models.values())) == 1
    game_id = episode.instance.get("game_id", episode.meta.get("game_id"))
    instance_id = f"{episode.experiment}/{episode.episode if game_id is None else game_id}"
    main = episode.main_score
    rows = []
    for role in played:
        view = learner_view(turns, role)
        meta = {
            "game": FOREIGN_GAME_PREFIX + episode.game, "instance_id": instance_id, "split": split,
            "experiment": episode.experiment, "seed": 0, "role": role, "learner_role": role,
            "played_by": models.get(role, ""), "self_play": self_play, "roles": canonical_json(models),
            "kinds": view.kinds, "rewards": [None for _ in view.moves], "errors": ["" for _ in view.moves],
            "outcome": episode.outcome, "reason": "", "main": 0.0 if main is None else main,
            "scores": canonical_json(_finite(episode.episode_scores)), "manifest_id": "", "run": episode.run,
        }
        rows.append({"id": f"{FOREIGN_GAME_PREFIX}{episode.id}/{role}", "messages": view.messages, "meta": meta})
    return rows


def _finite(scores: dict[str, Any]) -> dict[str, Any]:
    """NaN (clembench's mark of an aborted game) as null: the dataset's JSON has no NaN."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in scores.items()}


__all__ = ["FOREIGN_GAME_PREFIX", "foreign_rows", "record_rows", "to_interactions_rows"]
