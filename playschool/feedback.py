"""Feedback ablations: what a learner is *shown* of the teacher's typed feedback.

The challenge asks what the teacher's linguistic feedback contributes to learning. Every message a learner
receives is a typed :class:`~playschool.games.Turn` (``instruction``, ``observation``, ``clarification``,
``correction``, ``environment``), so the question can be asked without touching any game: the game, its
teacher, the record and every score stay exactly as they are, and only the text the learner reads in the
ablated slots is replaced by a fixed, content-free message. The slot stays (the learner still learns *that*
the teacher said something there, and that it must move again), its content goes.

Modes (``--feedback``):

``all``          the full game (default; CLU2 always evaluates this).
``environment``  every ``clarification`` and ``correction`` to the learner becomes a neutral message: the learner
                 keeps the environment's signal (success, failure, state) but loses the teacher's words.
``none``         as ``environment``, and every ``environment`` message becomes a neutral message too: only the
                 instructions and observations are left.

The neutral texts are constants and never depend on the original text, so nothing of it can leak through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from playschool.games import Turn

#: The feedback modes, from the full game to instructions and observations only.
FEEDBACK_MODES: tuple[str, ...] = ("all", "environment", "none")

#: Shown instead of a ``correction``. Not "invalid move": corrections here also carry a teacher's repair of a
#: legal move (an off-route step, a wrong answer, a deviating drawing), so the neutral text must be true of both.
NEUTRAL_CORRECTION = "Not quite. Try again."
#: Shown instead of a ``clarification`` (and, under ``none``, instead of an ``environment`` message).
NEUTRAL_CLARIFICATION = "Go on."
NEUTRAL_ENVIRONMENT = "Go on."

#: The feedback kinds each mode replaces, with the text shown instead.
ABLATED: Mapping[str, Mapping[str, str]] = {
    "all": {},
    "environment": {"correction": NEUTRAL_CORRECTION, "clarification": NEUTRAL_CLARIFICATION},
    "none": {"correction": NEUTRAL_CORRECTION, "clarification": NEUTRAL_CLARIFICATION,
             "environment": NEUTRAL_ENVIRONMENT},
}


def check_feedback(mode: str) -> str:
    """Return ``mode`` if it is a feedback mode; raise :class:`ValueError` naming the valid ones otherwise."""
    if mode not in FEEDBACK_MODES:
        raise ValueError(f"unknown feedback mode {mode!r}; expected one of {', '.join(FEEDBACK_MODES)}")
    return mode


def shown_turns(turns: Iterable[Turn], role: str, mode: str) -> list[Turn]:
    """The turns as ``role`` is shown them under ``mode``.

    Feedback turns *to* ``role`` of the kinds ``mode`` ablates get the neutral text of their kind; their kind,
    speaker and index stay, and every other turn (moves, messages to other roles) is returned unchanged.
    """
    replace = ABLATED[check_feedback(mode)]
    if not replace:
        return list(turns)
    out = []
    for t in turns:
        text = replace.get(t.kind) if t.to == role else None
        out.append(t if text is None else Turn(index=t.index, speaker=t.speaker, to=t.to, kind=t.kind, text=text,
                                              parse=t.parse, reward=t.reward, tokens=t.tokens,
                                              truncated_from=t.truncated_from))
    return out


__all__ = ["ABLATED", "FEEDBACK_MODES", "NEUTRAL_CLARIFICATION", "NEUTRAL_CORRECTION", "NEUTRAL_ENVIRONMENT",
           "check_feedback", "shown_turns"]
