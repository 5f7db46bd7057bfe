"""Helpers shared by the game tests (``tests/test_<game>.py``): scripted play, views of a transcript and the
golden-transcript check.

The tests import it as a sibling module (``from gamekit import play_script``), like ``toygame`` and
``agents``: pytest puts ``tests/`` on ``sys.path`` because the folder has no ``__init__.py``.

Regenerate a golden file after an intended change of behaviour with ``PLAYSCHOOL_UPDATE_GOLDEN=1``, e.g.
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_wordle.py -k golden``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playschool.games import EpisodeRecord, Game, Instance, Turn

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_GOLDEN_ENV = "PLAYSCHOOL_UPDATE_GOLDEN"
GOLDEN_FIELDS: tuple[str, ...] = ("speaker", "to", "kind", "text", "reward")
GOLDEN_CHANGED = f"transcript changed; if intended, rerun with {UPDATE_GOLDEN_ENV}=1"


# ------------------------------------------------------------------------------------------- scripted play
def play_script(game: Game, instance: Instance, role: str, replies: Sequence[str]) -> EpisodeRecord:
    """Play ``role`` with fixed ``replies`` in order; the teacher plays every other role.

    Strict: every pending turn must be ``role``'s, the script must not run out before the episode ends, and
    every reply must be used (an episode that ends early leaves replies unused, and fails).
    """
    ep = game.new_episode(instance, role)
    todo = list(replies)
    while (turn := ep.pending()) is not None:
        assert turn.role == role, f"{turn.role!r} is to move, but the script plays {role!r}"
        assert todo, f"script ran out; last message: {turn.messages[-1]['content']!r}"
        ep.act(todo.pop(0))
    assert not todo, f"the episode ended before the script did; unused replies {todo}"
    return ep.record()


# ------------------------------------------------------------------------------------------- transcript views
def learner_moves(rec: EpisodeRecord) -> list[Turn]:
    """The learner's moves, in order."""
    return [t for t in rec.turns if t.kind == "move" and t.speaker == rec.learner_role]


def learner_rewards(rec: EpisodeRecord) -> list[float | None]:
    """The reward of each learner move, in order."""
    return [t.reward for t in learner_moves(rec)]


def moves_of(rec: EpisodeRecord, role: str) -> list[str]:
    """The texts of ``role``'s moves, in order."""
    return [t.text for t in rec.turns if t.kind == "move" and t.speaker == role]


def kinds_to(rec: EpisodeRecord, role: str) -> list[str]:
    """The kinds of all messages sent to ``role``, in order."""
    return [t.kind for t in rec.turns if t.to == role]


# ------------------------------------------------------------------------------------------- golden files
def golden_turns(rec: EpisodeRecord, fields: Sequence[str] = GOLDEN_FIELDS) -> list[dict[str, Any]]:
    """Each turn of ``rec`` as a dict of ``fields`` (in that order), as the golden files store them."""
    return [{f: getattr(t, f) for f in fields} for t in rec.turns]


def check_golden(path: Path, data: Any, *, indent: int = 1, ensure_ascii: bool = True) -> Any:
    """Compare ``data`` with the JSON in ``path`` and return what the file holds.

    With ``PLAYSCHOOL_UPDATE_GOLDEN=1`` the file is (re)written from ``data`` first (``indent`` and
    ``ensure_ascii`` as :func:`json.dumps` takes them, plus a final newline), so the comparison then holds.
    """
    if os.environ.get(UPDATE_GOLDEN_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=indent, ensure_ascii=ensure_ascii) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert data == expected, GOLDEN_CHANGED
    return expected
