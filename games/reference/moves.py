"""Parsing replies into moves with the Playpen's one move grammar (``games/grammar.py``); this module keeps only
the game's keywords and what a body means. Pure functions: the live episode and the tests read moves alike."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from ..grammar import body, find_move, strip_wrapping
from . import prompts

__all__ = ["LISTENER_KEYWORDS", "MAX_TEXT_CHARS", "Move", "SPEAKER_KEYWORDS", "parse_listener", "parse_speaker"]

#: Longest description or question accepted. A description is a noun phrase; a longer one is a list of
#: attribute words that games the listener, and it would bloat every later prompt.
MAX_TEXT_CHARS = 300
SPEAKER_KEYWORDS: tuple[str, ...] = ("DESCRIPTION",)
LISTENER_KEYWORDS: tuple[str, ...] = ("SELECT", "CLARIFY")

# "SELECT: 3", "SELECT: #3", "SELECT: object 3" all mean object 3.
_NUMBER = re.compile(r"(?:object|number|no\.?|#)?[ \t]*(\d{1,3})", re.IGNORECASE)


@dataclass(frozen=True)
class Move:
    """A parsed reply: the speaker's ``describe`` (``text``), the listener's ``select`` (``number``, as the
    listener numbers the objects) or ``clarify`` (``text``, the question)."""

    kind: Literal["describe", "select", "clarify"]
    text: str = ""
    number: int = 0


def parse_speaker(text: str) -> Move:
    """The one ``DESCRIPTION: <text>`` line of a speaker's reply."""
    line = find_move(text, SPEAKER_KEYWORDS, fmt=prompts.SPEAKER_FORMAT)
    return Move("describe", body(line, what="description", limit=MAX_TEXT_CHARS, fmt=prompts.SPEAKER_FORMAT))


def parse_listener(text: str) -> Move:
    """The one ``SELECT: <n>`` or ``CLARIFY: <question>`` line of a listener's reply."""
    line = find_move(text, LISTENER_KEYWORDS, fmt=prompts.LISTENER_FORMAT)
    if line.keyword == "CLARIFY":
        return Move("clarify", body(line, what="question", limit=MAX_TEXT_CHARS, fmt=prompts.LISTENER_FORMAT))
    number = _NUMBER.fullmatch(strip_wrapping(body(line, what="selection", limit=MAX_TEXT_CHARS,
                                                   fmt=prompts.LISTENER_FORMAT)))
    if number is None:
        raise FormatError("SELECT takes the number of one object. " + prompts.LISTENER_FORMAT)
    return Move("select", number=int(number.group(1)))
