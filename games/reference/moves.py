"""Parsing replies into moves. Pure functions: the live episode and the scorer read moves with the same code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from . import prompts

__all__ = ["MAX_TEXT_CHARS", "Move", "parse_listener", "parse_speaker"]

#: Longest description or question accepted. A description is a noun phrase; a longer one is a list of
#: attribute words that games the listener, and it would bloat every later prompt.
MAX_TEXT_CHARS = 300

# One line "KEYWORD: text"; leading spaces and any letter case are tolerated, text must be on the same line.
_DESCRIPTION = re.compile(r"^[ \t]*DESCRIPTION[ \t]*:(.*)$", re.IGNORECASE | re.MULTILINE)
_LISTENER = re.compile(r"^[ \t]*(SELECT|CLARIFY)[ \t]*:(.*)$", re.IGNORECASE | re.MULTILINE)
# "SELECT: 3", "SELECT: #3", "SELECT: object 3." all mean object 3.
_NUMBER = re.compile(r"(?:object|number|no\.?|#)?[ \t]*(\d{1,3})", re.IGNORECASE)
_WRAPPING = " \t\"'`*_.,!?;:()[]"


@dataclass(frozen=True)
class Move:
    """A parsed reply: the speaker's ``describe`` (``text``), the listener's ``select`` (``number``, as the
    listener numbers the objects) or ``clarify`` (``text``, the question)."""

    kind: Literal["describe", "select", "clarify"]
    text: str = ""
    number: int = 0


def _bounded(text: str, what: str, fmt: str) -> str:
    body = text.strip()
    if not body:
        raise FormatError(f"Your {what} is empty. {fmt}")
    if len(body) > MAX_TEXT_CHARS:
        raise FormatError(f"Your {what} is {len(body)} characters long; keep it under {MAX_TEXT_CHARS}. {fmt}")
    return body


def parse_speaker(text: str) -> Move:
    """The first ``DESCRIPTION: <text>`` line of a speaker's reply."""
    m = _DESCRIPTION.search(text)
    if m is None:
        raise FormatError(prompts.SPEAKER_FORMAT)
    return Move("describe", _bounded(m.group(1), "description", prompts.SPEAKER_FORMAT))


def parse_listener(text: str) -> Move:
    """The first ``SELECT: <n>`` or ``CLARIFY: <question>`` line of a listener's reply."""
    m = _LISTENER.search(text)
    if m is None:
        raise FormatError(prompts.LISTENER_FORMAT)
    keyword, body = m.group(1).upper(), m.group(2)
    if keyword == "CLARIFY":
        return Move("clarify", _bounded(body, "question", prompts.LISTENER_FORMAT))
    number = _NUMBER.fullmatch(body.strip(_WRAPPING))
    if number is None:
        raise FormatError("SELECT takes the number of one object. " + prompts.LISTENER_FORMAT)
    return Move("select", number=int(number.group(1)))
