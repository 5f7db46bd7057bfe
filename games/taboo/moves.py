"""Parsing taboo replies into moves. Pure functions: the live game and the scorer (which re-reads the record's
move texts) use the very same code, so a score can never disagree with what happened in the episode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from . import prompts

__all__ = ["MAX_CLUE_CHARS", "Move", "parse_describer", "parse_guesser"]

#: Longest clue or question accepted, in characters. A Taboo clue is a sentence; a longer "clue" is a word
#: dump that games the listener, and it would bloat every later prompt.
MAX_CLUE_CHARS = 300
#: Longest guess accepted (the longest English nouns in any bank are far shorter).
_MAX_WORD = 30

# One line "KEYWORD: text"; leading spaces and any letter case are tolerated, text must be on the same line.
_CLUE_RE = re.compile(r"^[ \t]*CLUE[ \t]*:(.*)$", re.IGNORECASE | re.MULTILINE)
_GUESSER_RE = re.compile(r"^[ \t]*(GUESS|CLARIFY)[ \t]*:(.*)$", re.IGNORECASE | re.MULTILINE)
_WORD_RE = re.compile(rf"[A-Za-z]{{1,{_MAX_WORD}}}")
# Quotes, emphasis and end punctuation around a guess are forgiven: "GUESS: **Cat**." means cat.
_WRAPPING = " \t\"'`*_.,!?;:()[]"


@dataclass(frozen=True)
class Move:
    """A parsed reply: a describer's ``clue``, or a guesser's ``guess`` (a lowercase word) or ``clarify``."""

    kind: Literal["clue", "guess", "clarify"]
    text: str


def parse_describer(text: str) -> Move:
    """The first ``CLUE: <text>`` line of a describer's reply."""
    m = _CLUE_RE.search(text)
    if m is None:
        raise FormatError(prompts.CLUE_FORMAT)
    clue = m.group(1).strip()
    if not clue:
        raise FormatError("Your clue is empty. " + prompts.CLUE_FORMAT)
    if len(clue) > MAX_CLUE_CHARS:
        raise FormatError(f"Your clue is {len(clue)} characters long; keep it under {MAX_CLUE_CHARS} "
                          "(one sentence). Reply with one line: CLUE: <your clue>")
    return Move("clue", clue)


def parse_guesser(text: str) -> Move:
    """The first ``GUESS: <word>`` or ``CLARIFY: <question>`` line of a guesser's reply."""
    m = _GUESSER_RE.search(text)
    if m is None:
        raise FormatError(prompts.GUESSER_FORMAT)
    keyword, body = m.group(1).upper(), m.group(2).strip()
    if keyword == "CLARIFY":
        if not body:
            raise FormatError("Your question is empty. " + prompts.GUESSER_FORMAT)
        if len(body) > MAX_CLUE_CHARS:
            raise FormatError(f"Your question is too long; keep it under {MAX_CLUE_CHARS} characters. "
                              + prompts.GUESSER_FORMAT)
        return Move("clarify", body)
    word = body.strip(_WRAPPING)
    if not _WORD_RE.fullmatch(word):
        raise FormatError("A guess is one word of letters only. " + prompts.GUESSER_FORMAT)
    return Move("guess", word.lower())
