"""How the teacher instructor answers a follower's question: as a cooperative instructor does, by resolving
what the question asks about, and never by handing out the next door for any question.

* The step in question was **clear** (one door fits what was said): there is nothing to resolve, so the
  instructor restates its instruction (and, for a room named alone, that only one door fits).
  The follower still has to find the door itself; the question only cost a turn.
* The step was **not clear** (two doors lead to the room named, the named door leads elsewhere, or no door
  fits) and the question engages with that: it names one of the doors in question or the room, or asks
  "which", "where", "what way/door/direction". The instructor resolves it ("I mean the kitchen to the east.").
* A content-free question ("Can you repeat that?", "Pardon?") gets a restatement, even on an unclear step:
  a repetition is what it asked for.
"""

from __future__ import annotations

import re

from .language import Resolution, Step

__all__ = ["Answer", "answer", "engages"]

_WORD = re.compile(r"[a-z]+")
#: Words that ask for the missing choice ("which door?", "where to?", "what way?"). A question with none of
#: them, no door of the choice and no room type asks for nothing in particular.
_CHOICE_WORDS = frozenset({"which", "where", "door", "doors", "way", "direction", "directions"})

#: An answer and what it does: ``"resolve"`` (the ambiguity asked about) or ``"restate"`` (the instruction).
Answer = tuple[str, str]


def engages(question: str, step: Step, res: Resolution) -> bool:
    """Whether ``question`` asks about the unclear step: a door among the candidates, the room named, or a
    word asking for the choice."""
    words = set(_WORD.findall(question.lower()))
    named = {step.room} if step.room else set()
    return bool(words & (_CHOICE_WORDS | set(res.candidates) | named))


def answer(question: str, step: Step, res: Resolution, said: str, direction: str, room_type: str) -> Answer:
    """The answer to ``question`` about ``step`` (resolved from where the follower stands as ``res``), given
    that the instructor last said ``said`` and that the route goes ``direction`` into a ``room_type``."""
    if res.situation != "clear" and engages(question, step, res):
        if res.situation == "ambiguous":
            return f"I mean the {room_type} to the {direction}.", "resolve"
        return f"Sorry, my mistake: go {direction} into the {room_type}.", "resolve"
    restated = f"As I said: {said if said.startswith('I ') else said[:1].lower() + said[1:]}"
    if res.situation == "clear" and step.direction is None and step.room is not None:
        restated += " There is only one such door."
    return restated, "restate"
