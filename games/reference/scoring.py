"""Scoring of the reference game: Gricean quantity for the speaker, chance-corrected resolution for the listener.

Pure functions of the record (its instance params and the notes each move stored in its ``parse`` field), so
the live rewards, the scorer and a replay cannot disagree. The card (the :class:`~.game.Reference` docstring)
explains each rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..records import EpisodeRecord
from .scene import minimal_unique

__all__ = ["REDUNDANT_FACTOR", "ROUND_FACTOR", "game_scores", "listener_quality",
           "speaker_quality"]

#: Speaker: each attribute beyond the fewest that single the target out (over-informative, Quantity 2)...
REDUNDANT_FACTOR = 0.5
#: ... and each round beyond the first (under-informative, Quantity 1: the listener had to ask, or nothing
#: fitted) multiply the score by these. Under-informativeness costs more: it fails the listener, who must
#: spend a turn, while a redundant attribute only lengthens the description.
ROUND_FACTOR = 0.25


def speaker_quality(redundant: int, rounds: int) -> float:
    """The speaker's share of full credit (0-1) for a successful episode."""
    return REDUNDANT_FACTOR ** max(0, redundant) * ROUND_FACTOR ** max(0, rounds - 1)


def listener_quality(needless: int, guessed: bool) -> float:
    """The listener's share of full credit (0 or 1) for selecting the target. Its work is to judge whether
    what it heard singles out one object, and both misjudgements earn nothing: a guess (it selected while 2+
    objects fitted: a hit is chance, not understanding) and a needless question (it asked when one object
    fitted: it did not see that the description was enough). Partial credit for either would pay a habit
    (always ask once, never ask) for the share of instances where the habit happens to be right."""
    return 0.0 if guessed or needless > 0 else 1.0


def fewest_attributes(params: Mapping[str, Any]) -> int | None:
    """How many attributes the target's shortest unique description names (``None`` if the params are broken:
    a hand-edited record must not crash the scorer)."""
    try:
        shortest = minimal_unique(params["objects"], int(params["target"]) - 1)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return len(shortest[0]) if shortest else None


def _speaker_scores(spoken: Sequence[dict[str, Any]], params: Mapping[str, Any],
                    success: bool) -> dict[str, float]:
    accepted = [p for p in spoken if p.get("ok")]
    first = spoken[0] if spoken else {}
    scores = {"first_unique": float(bool(first.get("ok")) and first.get("candidates") == 1
                                    and bool(first.get("consistent")))}
    named = {d for p in accepted for d in p.get("attributes", [])}
    fewest = fewest_attributes(params)
    redundant = max(0, len(named) - fewest) if named and fewest is not None else 0
    if named and fewest is not None:
        scores["overspecification"] = float(redundant)
    scores["main"] = 100.0 * speaker_quality(redundant, len(spoken)) if success else 0.0
    return scores


def _listener_scores(listened: Sequence[dict[str, Any]], success: bool) -> dict[str, float]:
    questions = [p for p in listened if p.get("act") == "clarify"]
    selections = [p for p in listened if p.get("act") == "select"]
    needless = sum(1 for p in questions if p.get("candidates", 0) <= 1)
    needed = len(questions) - needless
    could_ask = [p for p in listened if "ambiguous" in p]
    faced = sum(1 for p in could_ask if p.get("ambiguous"))
    guessed = bool(selections) and selections[-1].get("candidates", 0) > 1
    scores = {"unnecessary_clarifications": float(needless), "guessed": float(guessed)}
    if questions:
        scores["clarification_precision"] = needed / len(questions)
    if faced:
        scores["clarification_recall"] = needed / faced
    scores["main"] = 100.0 * listener_quality(needless, guessed) if success else 0.0
    return scores


def game_scores(record: EpisodeRecord) -> dict[str, float]:
    """The reference game's scores of ``record`` (see the card)."""
    moves = [t for t in record.turns if t.kind == "move"]
    # A description no object fitted is a rule error, but it was said: it counts as a round.
    spoken = [t.parse or {} for t in moves if t.speaker == "speaker"
              and ((t.parse or {}).get("ok") or (t.parse or {}).get("error") == "rule")]
    accepted = [p for p in spoken if p.get("ok")]
    listened = [t.parse or {} for t in moves if t.speaker == "listener" and (t.parse or {}).get("ok")]
    params = record.instance.get("params", {})
    n = len(params.get("objects", []))
    success = record.outcome == "success"
    scores: dict[str, float] = {
        "rounds": float(len(spoken)),
        "clarifications": float(sum(1 for p in listened if p.get("act") == "clarify")),
        "candidates_left": float(accepted[-1].get("candidates", n) if accepted else n),
    }
    if record.learner_role == "listener":
        scores.update(_listener_scores(listened, success))
    else:
        scores.update(_speaker_scores(spoken, params, success))
    scores["main"] = max(0.0, scores["main"])
    return scores
