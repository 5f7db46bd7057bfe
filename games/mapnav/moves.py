"""Parsing replies into moves with the Playpen's one move grammar (``games/grammar.py``): ``INSTRUCT: <text>``
for the instructor, ``MOVE: <direction>`` or ``CLARIFY: <question>`` for the follower. Only the keywords and
what a body means live here; never raises anything but :class:`FormatError`."""

from __future__ import annotations

from dataclasses import dataclass

from ..episode import FormatError
from ..grammar import body, find_move, strip_wrapping
from . import prompts
from .maps import DIRECTIONS

__all__ = ["FOLLOWER_KEYWORDS", "INSTRUCTOR_KEYWORDS", "MAX_INSTRUCTION_CHARS", "MAX_QUESTION_CHARS", "Move",
           "parse_follower", "parse_instructor"]

#: A whole route of a large house fits easily ("go north into the conservatory, then ..." x 12).
MAX_INSTRUCTION_CHARS = 600
MAX_QUESTION_CHARS = 300
INSTRUCTOR_KEYWORDS: tuple[str, ...] = ("INSTRUCT",)
FOLLOWER_KEYWORDS: tuple[str, ...] = ("MOVE", "CLARIFY")

_SHORT = {d[0]: d for d in DIRECTIONS}


@dataclass(frozen=True)
class Move:
    kind: str  # "instruct", "move" or "clarify"
    text: str  # the instruction, the direction or the question


def parse_instructor(text: str) -> Move:
    fmt = prompts.INSTRUCTOR_FORMAT
    line = find_move(text, INSTRUCTOR_KEYWORDS, fmt=fmt)
    return Move("instruct", body(line, what="instruction", limit=MAX_INSTRUCTION_CHARS, fmt=fmt))


def parse_follower(text: str) -> Move:
    fmt = prompts.FOLLOWER_FORMAT
    line = find_move(text, FOLLOWER_KEYWORDS, fmt=fmt)
    if line.keyword == "CLARIFY":
        return Move("clarify", body(line, what="question", limit=MAX_QUESTION_CHARS, fmt=fmt))
    raw = body(line, what="direction", limit=MAX_QUESTION_CHARS, fmt=fmt)
    word = strip_wrapping(raw).lower()
    direction = word if word in DIRECTIONS else _SHORT.get(word)
    if direction is None:
        shown = raw[:30] + ("..." if len(raw) > 30 else "")
        raise FormatError(f"\"{shown}\" is not a direction. {fmt}")
    return Move("move", direction)
