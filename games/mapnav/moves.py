"""Parsing replies into moves: ``INSTRUCT: <text>`` for the instructor, ``MOVE: <direction>`` or
``CLARIFY: <question>`` for the follower. Shared by the episode and the scorer; never raises anything but
:class:`FormatError`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..episode import FormatError
from . import prompts
from .maps import DIRECTIONS

__all__ = ["MAX_INSTRUCTION_CHARS", "MAX_QUESTION_CHARS", "Move", "parse_follower", "parse_instructor"]

#: A whole route of a large house fits easily ("go north into the conservatory, then ..." x 12).
MAX_INSTRUCTION_CHARS = 600
MAX_QUESTION_CHARS = 300

_LINE = re.compile(r"^\s*(INSTRUCT|MOVE|CLARIFY)\s*:(.*)$", re.IGNORECASE)
_SHORT = {d[0]: d for d in DIRECTIONS}
_WRAPPING = " \t\"'`*.!,;"


@dataclass(frozen=True)
class Move:
    kind: str  # "instruct", "move" or "clarify"
    text: str  # the instruction, the direction or the question


def _first_line(text: str, keywords: tuple[str, ...]) -> tuple[str, str] | None:
    """The first line that starts with one of ``keywords`` and a colon: (keyword, rest of the line)."""
    for line in text.splitlines():
        m = _LINE.match(line)
        if m and m.group(1).upper() in keywords:
            return m.group(1).upper(), m.group(2).strip()
    return None


def parse_instructor(text: str) -> Move:
    found = _first_line(text, ("INSTRUCT",))
    if found is None:
        raise FormatError("Your reply has no line starting with \"INSTRUCT:\". " + prompts.INSTRUCTOR_FORMAT)
    body = found[1]
    if not body:
        raise FormatError("Your instruction is empty. " + prompts.INSTRUCTOR_FORMAT)
    if len(body) > MAX_INSTRUCTION_CHARS:
        raise FormatError(f"Your instruction is longer than {MAX_INSTRUCTION_CHARS} characters. "
                          + prompts.INSTRUCTOR_FORMAT)
    return Move("instruct", body)


def parse_follower(text: str) -> Move:
    found = _first_line(text, ("MOVE", "CLARIFY"))
    if found is None:
        raise FormatError("Your reply has no line starting with \"MOVE:\" or \"CLARIFY:\". "
                          + prompts.FOLLOWER_FORMAT)
    keyword, body = found
    if keyword == "CLARIFY":
        if not body:
            raise FormatError("Your question is empty. " + prompts.FOLLOWER_FORMAT)
        if len(body) > MAX_QUESTION_CHARS:
            raise FormatError(f"Your question is longer than {MAX_QUESTION_CHARS} characters. "
                              + prompts.FOLLOWER_FORMAT)
        return Move("clarify", body)
    word = body.strip(_WRAPPING).lower()
    direction = word if word in DIRECTIONS else _SHORT.get(word)
    if direction is None:
        shown = body[:30] + ("..." if len(body) > 30 else "")
        raise FormatError(f"\"{shown}\" is not a direction. " + prompts.FOLLOWER_FORMAT)
    return Move("move", direction)
