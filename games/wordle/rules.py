"""Wordle rules as pure functions: word lists, letter feedback, and the constraints earlier feedback implies.

Nothing here knows about episodes or players, so the teacher (critic and solver), the episode and the scorer
all share one definition of what a guess's feedback is and when a word is consistent with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

Mark = Literal["green", "yellow", "absent"]
GREEN: Mark = "green"
YELLOW: Mark = "yellow"
ABSENT: Mark = "absent"

#: One scored guess and its feedback, lowercase word and one mark per letter.
Entry = tuple[str, tuple[Mark, ...]]

WORD_LENGTH = 5
_WORD = re.compile(r"[a-z]{5}", re.ASCII)
_TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}


def is_word(text: str) -> bool:
    """Five ASCII letters, lowercase (callers lower-case first)."""
    return _WORD.fullmatch(text) is not None


def parse_word_list(text: str) -> tuple[str, ...]:
    """Words of a list file: one per line; blank lines and ``#`` comments are skipped; order kept, no repeats.

    Lines that are not five ASCII letters are dropped rather than trusted, so a stray entry can never become a
    target the guesser cannot type.
    """
    seen: dict[str, None] = {}
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip().lower()
        if is_word(word):
            seen.setdefault(word, None)
    return tuple(seen)


@cache
def load_word_list(name: str) -> tuple[str, ...]:
    """A word list shipped in this package (``targets.txt`` or ``allowed.txt``); cached per process."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    words = parse_word_list(text)
    if not words:
        raise ValueError(f"wordle word list {name} is empty")
    return words


def load_targets() -> tuple[str, ...]:
    """Common five-letter words the secret word is drawn from."""
    return load_word_list("targets.txt")


@lru_cache(maxsize=1)
def load_allowed() -> frozenset[str]:
    """Every accepted guess. Targets are always accepted, even if the allowed list omits one."""
    return frozenset(load_word_list("allowed.txt")) | frozenset(load_targets())


def feedback(guess: str, target: str) -> tuple[Mark, ...]:
    """The marks for ``guess`` against ``target`` (both five lowercase letters), as in Wordle.

    Greens are assigned first; then, left to right, a letter is yellow only while the target still has copies
    of it not used by a green or an earlier yellow. Every other position is absent, which is why a repeated
    letter can be yellow in one position and absent in another.
    """
    if len(guess) != len(target):
        raise ValueError(f"guess {guess!r} and target {target!r} differ in length")
    # Hot path (the teacher and the scorer call it for every candidate): plain lists beat a Counter here.
    marks: list[Mark] = [ABSENT] * len(guess)
    unmatched: list[str] = []
    for i, t in enumerate(target):
        if guess[i] == t:
            marks[i] = GREEN
        else:
            unmatched.append(t)
    for i, g in enumerate(guess):
        if marks[i] != GREEN and g in unmatched:
            marks[i] = YELLOW
            unmatched.remove(g)
    return tuple(marks)


def format_feedback(guess: str, marks: Sequence[Mark]) -> str:
    """The feedback line players read, e.g. ``c[green] r[yellow] a[absent] n[absent] e[absent]``."""
    return " ".join(f"{letter}[{mark}]" for letter, mark in zip(guess, marks))


def consistent(word: str, history: Iterable[Entry]) -> bool:
    """Whether ``word`` could still be the target: it would have produced exactly the feedback seen so far."""
    return all(feedback(guess, word) == tuple(marks) for guess, marks in history)


@dataclass(frozen=True)
class _LetterRule:
    """What one scored guess says about one of its letters."""

    letter: str
    guess: str
    greens: tuple[int, ...]
    yellows: tuple[int, ...]
    absents: tuple[int, ...]

    @property
    def at_least(self) -> int:
        return len(self.greens) + len(self.yellows)

    @property
    def exact(self) -> bool:
        # An absent copy means the target has no more copies than the guess marked green or yellow.
        return bool(self.absents)


class Constraints:
    """The constraints a feedback history implies, checkable against many words (the teacher checks hundreds).

    The checks are exactly equivalent to :func:`consistent` for histories produced by :func:`feedback`:
    a word gets no violation iff it would have produced the same marks.
    """

    def __init__(self, history: Iterable[Entry]) -> None:
        self.rules: list[_LetterRule] = []
        for guess, marks in history:
            for letter in dict.fromkeys(guess):  # each letter of the guess once, in order of first appearance
                where = [i for i, g in enumerate(guess) if g == letter]
                self.rules.append(_LetterRule(
                    letter=letter, guess=guess,
                    greens=tuple(i for i in where if marks[i] == GREEN),
                    yellows=tuple(i for i in where if marks[i] == YELLOW),
                    absents=tuple(i for i in where if marks[i] == ABSENT),
                ))

    def broken_letters(self, word: str) -> set[str]:
        """The letters (lowercase) whose constraints ``word`` breaks: what a reason must name to be right."""
        return {rule.letter for rule in self.rules if _rule_violations(rule, word)}

    def check(self, word: str) -> list[str]:
        """Human-readable constraints ``word`` violates, in history order, without repeats."""
        out: dict[str, None] = {}
        for rule in self.rules:
            for message in _rule_violations(rule, word):
                out.setdefault(message, None)
        return list(out)


def _rule_violations(rule: _LetterRule, word: str) -> list[str]:
    L, G = rule.letter.upper(), rule.guess.upper()
    found = []
    for i in rule.greens:
        if word[i] != rule.letter:
            found.append(f"{L} must be in position {i + 1} (green in {G})")
    for i in rule.yellows:
        if word[i] == rule.letter:
            found.append(f"{L} is in the word but not in position {i + 1} (yellow in {G})")
    if rule.at_least > 0:  # with no green/yellow copy, the "absent" message below already covers positions
        for i in rule.absents:
            if word[i] == rule.letter:
                found.append(f"{L} is not in position {i + 1} (absent in {G})")
    count = word.count(rule.letter)
    if rule.exact and rule.at_least == 0 and count > 0:
        found.append(f"{L} was marked absent in {G}")
    elif rule.exact and count != rule.at_least:
        found.append(f"the word contains {L} exactly {_TIMES[rule.at_least]} "
                     f"(another {L} in {G} was marked absent)")
    elif not rule.exact and rule.yellows and count < rule.at_least:
        # Only with a yellow: a missing green copy is already reported by its position above.
        found.append(f"{L} is in the word (yellow in {G})" if rule.at_least == 1 else
                     f"the word contains {L} at least {_TIMES[rule.at_least]} "
                     f"({G} marks {rule.at_least} {L}s green or yellow)")
    return found


def violations(word: str, history: Iterable[Entry]) -> list[str]:
    """Why ``word`` cannot be the target given ``history`` (empty iff :func:`consistent`), for people to read.

    e.g. ``["E was marked absent in CRANE", "R must be in position 2 (green in CRANE)"]``.
    """
    return Constraints(history).check(word)
