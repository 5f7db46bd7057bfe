"""Wordle moves: what a guess and a verdict mean, read through the shared move grammar (``grammar.py``).

Pure functions: the live episode and the scorer (which re-reads the record's move texts) use the very same
code, so a score can never disagree with what happened in the episode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..episode import FormatError
from ..grammar import WRAPPING, body, find_move, strip_wrapping
from . import prompts
from .rules import is_word

__all__ = ["CRITIC_KEYWORDS", "GUESSER_KEYWORDS", "MAX_REASON_CHARS", "Guess", "Verdict", "named_letters",
           "parse_guess", "parse_verdict"]

GUESSER_KEYWORDS: tuple[str, ...] = ("GUESS",)
CRITIC_KEYWORDS: tuple[str, ...] = ("AGREE", "DISAGREE")
#: A reason is a sentence or three; a longer one is a dump, and it is relayed into the guesser's prompt.
MAX_REASON_CHARS = 500
#: A guess body longer than this is not a word (room for quotes and emphasis around five letters).
_MAX_GUESS_CHARS = 40

_EXPLANATION = re.compile(rf"^[{re.escape(WRAPPING)}#>\-]*EXPLANATION[ \t*_`]*:(.*)$", re.IGNORECASE)
# How a reason names a letter: a capital standing alone ("E was absent"), any letter in quotes or emphasis
# ('e', *R*), after the word "letter" ("the letter s"), or in the feedback notation ("e[absent]").
_CAPITAL = re.compile(r"(?<![A-Za-z0-9'’])([A-Z])(?![A-Za-z0-9])(?!['’](?:m|ve|d|ll)\b)")
# "A" and "I" are also English words. "A" followed by a lowercase word is the article ("A letter marked
# absent ...") unless that word says something about a letter ("A is ...", "A must ..."); "I" followed by a
# verb of thinking or saying is the pronoun ("I think ...").
_WORD_AFTER = re.compile(r"\s+([a-z]+(?:['’][a-z]+)?)")
_LETTER_PREDICATES = frozenset({
    "is", "was", "isn't", "wasn't", "must", "should", "has", "had", "needs", "cannot", "can't", "can", "could",
    "does", "doesn't", "appears", "appeared", "occurs", "belongs", "goes", "sits", "stays", "shows", "showed",
    "marked", "at", "in", "on", "and", "or", "not", "never", "only"})
_PRONOUN_VERBS = frozenset({
    "think", "believe", "disagree", "agree", "see", "saw", "guess", "am", "would", "suggest", "feel", "noticed",
    "notice", "found", "checked", "don't", "do", "did", "cannot", "can't", "can", "could", "reject", "object"})
_QUOTED = re.compile(r"(?<![A-Za-z0-9])['\"`*‘“]([A-Za-z])['\"`*’”](?![A-Za-z0-9])")
_AFTER_LETTER = re.compile(r"\bletters?\s+([A-Za-z])(?![A-Za-z0-9])", re.IGNORECASE)
_NOTATION = re.compile(r"(?<![A-Za-z])([a-z])\[(?:green|yellow|absent)\]")


@dataclass(frozen=True)
class Guess:
    """A guesser's move: the lowercase ``word`` and an optional ``explanation`` (relayed to the critic)."""

    word: str
    explanation: str = ""


@dataclass(frozen=True)
class Verdict:
    """A critic's move: ``agree``, or a disagreement with its ``reason``."""

    agree: bool
    reason: str = ""


def parse_guess(text: str) -> Guess:
    """The one ``GUESS: <word>`` line of a reply; a later ``EXPLANATION: ...`` line (to the end of the reply)
    is kept for the critic, other lines are ignored. Raises :class:`FormatError`."""
    line = find_move(text, GUESSER_KEYWORDS, fmt=prompts.GUESS_REMINDER)
    token = strip_wrapping(body(line, what="guess", limit=_MAX_GUESS_CHARS, fmt=prompts.GUESS_REMINDER))
    word = token.lower()
    if not is_word(word):
        raise FormatError(f"'{token[:20]}' is not one five-letter word made of the letters A-Z. "
                          f"{prompts.GUESS_REMINDER}")
    explanation = ""
    for i, following in enumerate(line.following):
        m = _EXPLANATION.match(following.strip())
        if m:
            explanation = "\n".join([m.group(1), *line.following[i + 1:]]).strip()
            break
    return Guess(word, explanation)


def parse_verdict(text: str) -> Verdict:
    """``AGREE`` alone on its line, or ``DISAGREE: <reason>`` with a non-empty reason. Raises
    :class:`FormatError`."""
    line = find_move(text, CRITIC_KEYWORDS, fmt=prompts.VERDICT_REMINDER, bare=("AGREE",))
    if line.keyword == "AGREE":
        return Verdict(True)
    return Verdict(False, body(line, what="reason", limit=MAX_REASON_CHARS, fmt=prompts.VERDICT_REMINDER))


def named_letters(reason: str) -> list[str]:
    """The letters (lowercase) a critic's reason names, in the order it names them, each once. Words written
    in capitals (CRANE) name none: a reason points at a constraint by its letter ("E was marked absent in
    CRANE")."""
    found = [(m.start(1), m.group(1).lower()) for pattern in (_QUOTED, _AFTER_LETTER, _NOTATION)
             for m in pattern.finditer(reason)]
    found += [(m.start(1), m.group(1).lower()) for m in _CAPITAL.finditer(reason) if not _is_word(reason, m)]
    return list(dict.fromkeys(letter for _, letter in sorted(found)))


def _is_word(text: str, capital: re.Match[str]) -> bool:
    """Whether a standalone capital A or I is the English article or pronoun rather than a letter's name."""
    letter = capital.group(1)
    if letter not in "AI":
        return False
    after = _WORD_AFTER.match(text, capital.end(1))
    if after is None:
        return False
    word = after.group(1)
    return word not in _LETTER_PREDICATES if letter == "A" else word in _PRONOUN_VERBS
