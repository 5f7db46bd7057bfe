"""Parsing taboo replies into moves with the Playpen's one move grammar (``games/grammar.py``).

Pure functions: the live game and the scorer (which re-reads the record's move texts) use the very same
code, so a score can never disagree with what happened in the episode. This module keeps only taboo's own
keywords and what a body means; which lines count as a move line is the grammar's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from ..grammar import body, find_move, strip_wrapping
from . import prompts

__all__ = ["DESCRIBER_KEYWORDS", "GUESSER_KEYWORDS", "MAX_CLUE_CHARS", "Move", "parse_describer",
           "parse_guesser"]

#: Longest clue or question accepted, in characters. A Taboo clue is a sentence; a longer "clue" is a word
#: dump that games the listener, and it would bloat every later prompt.
MAX_CLUE_CHARS = 300
#: Longest guess accepted (the longest English nouns in any bank are far shorter).
_MAX_WORD = 30
_WORD_RE = re.compile(rf"[A-Za-z]{{1,{_MAX_WORD}}}")

DESCRIBER_KEYWORDS: tuple[str, ...] = ("CLUE",)
GUESSER_KEYWORDS: tuple[str, ...] = ("GUESS", "CLARIFY")


@dataclass(frozen=True)
class Move:
    """A parsed reply: a describer's ``clue``, or a guesser's ``guess`` (a lowercase word) or ``clarify``."""

    kind: Literal["clue", "guess", "clarify"]
    text: str


def parse_describer(text: str) -> Move:
    """The one ``CLUE: <text>`` line of a describer's reply."""
    line = find_move(text, DESCRIBER_KEYWORDS, fmt=prompts.CLUE_FORMAT)
    return Move("clue", body(line, what="clue", limit=MAX_CLUE_CHARS, fmt=prompts.CLUE_FORMAT))


def parse_guesser(text: str) -> Move:
    """The one ``GUESS: <word>`` or ``CLARIFY: <question>`` line of a guesser's reply."""
    line = find_move(text, GUESSER_KEYWORDS, fmt=prompts.GUESSER_FORMAT)
    if line.keyword == "CLARIFY":
        return Move("clarify", body(line, what="question", limit=MAX_CLUE_CHARS, fmt=prompts.GUESSER_FORMAT))
    word = strip_wrapping(body(line, what="guess", limit=_MAX_WORD + 10, fmt=prompts.GUESSER_FORMAT))
    if not _WORD_RE.fullmatch(word):
        raise FormatError("A guess is one word of letters only. " + prompts.GUESSER_FORMAT)
    return Move("guess", word.lower())
