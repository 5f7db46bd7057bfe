"""Cheap policies for wordle: attacks that read only what the role is told, and honest short programs.

Every policy here sees the role's chat history and nothing else (no instance params, no episode). The word
lists are public game data, so a program may use them, as a player may know English words.

Guesser attacks skip the deduction the role is about: a fixed sequence of words that ignores the feedback,
random target words, repeating a guess. The honest program filters the word list by the feedback it was
given: it shows how little *language* the role needs once the feedback is read (wordle mostly tests
deduction). Critic attacks give verdicts without checking the proposal against the feedback: always agree
(generic), always disagree with a generic or copied reason, coin-flip verdicts, fixed patterns of
verdicts (the first three proposals always hold both kinds), a disagreement that enumerates letters, one that
names the proposal's own letters, one that names a letter the feedback showed in the word without looking at
the proposal. The honest critic checks the proposal
against every constraint and names the first it breaks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import cast

from ..policies import CheapPolicy, Policy, PolicyFactory, View, stateless
from ..seeding import split_of
from .rules import Entry, Mark, consistent, is_word, load_allowed, load_targets, violations

__all__ = ["critic_policies", "guesser_policies", "history_from_view", "last_proposal"]

_FEEDBACK = re.compile(r"^\s*Feedback:\s*((?:[a-z]\[(?:green|yellow|absent)\]\s*){5})$", re.MULTILINE)
_MARK = re.compile(r"([a-z])\[(green|yellow|absent)\]")
_PROPOSES = re.compile(r"proposes ([A-Za-z]{5})\b")
#: Six fixed words with 22 different letters between them: a feedback-blind player's try at covering the alphabet.
FIXED_SEQUENCE = ("crane", "sloth", "pudgy", "wimpy", "blitz", "quack")


def history_from_view(view: View) -> list[Entry]:
    """The scored guesses and their marks, in order, from the ``Feedback:`` lines the role received."""
    out: list[Entry] = []
    for msg in view:
        if msg.get("role") != "user":
            continue
        for m in _FEEDBACK.finditer(msg.get("content", "")):
            pairs = _MARK.findall(m.group(1))
            word = "".join(letter for letter, _ in pairs)
            marks = cast(tuple[Mark, ...], tuple(mark for _, mark in pairs))
            out.append((word, marks))
    return out


def last_proposal(view: View) -> str:
    """The proposal the critic is asked to judge now (lowercase; empty if none is shown)."""
    for msg in reversed(view):
        if msg.get("role") == "user":
            found = _PROPOSES.findall(msg.get("content", ""))
            if found:
                return found[-1].lower()
    return ""


def _own_moves(view: View) -> list[str]:
    return [m.get("content", "") for m in view if m.get("role") == "assistant"]


# ------------------------------------------------------------------------------------------------ guesser
def _fixed_sequence(_rng: random.Random) -> Policy:
    def policy(view: View) -> str:
        n = len(history_from_view(view))
        return f"GUESS: {FIXED_SEQUENCE[n % len(FIXED_SEQUENCE)]}"
    return policy


def _random_targets(rng: random.Random) -> Policy:
    words = list(load_targets())

    def policy(view: View) -> str:
        return f"GUESS: {rng.choice(words)}"
    return policy


def _repeat_last(view: View) -> str:
    for text in reversed(_own_moves(view)):
        m = re.search(r"GUESS:\s*([A-Za-z]{5})\b", text, re.IGNORECASE)
        if m:
            return f"GUESS: {m.group(1).lower()}"
    return "GUESS: crane"


def _solver(pool: Sequence[str]) -> Policy:
    def policy(view: View) -> str:
        history = history_from_view(view)
        if not history:
            return "GUESS: crane"
        fits = [w for w in pool if consistent(w, history)]
        return f"GUESS: {fits[0] if fits else 'crane'}"
    return policy


def _test_pool() -> tuple[str, ...]:
    """The test split's target words: ``split_of`` is a public hash, so anyone can list them."""
    return tuple(w for w in load_targets() if split_of(w) == "test")


def _enumerate_pool(pool: Sequence[str]) -> PolicyFactory:
    """Guesses the words of ``pool`` in a shuffled order, one per turn, ignoring the feedback."""
    def make(rng: random.Random) -> Policy:
        order = list(pool)
        rng.shuffle(order)

        def policy(view: View) -> str:
            return f"GUESS: {order[len(history_from_view(view)) % len(order)]}"
        return policy
    return make


def guesser_policies() -> list[CheapPolicy]:
    return [
        CheapPolicy("fixed_sequence", "six fixed words covering 22 letters, feedback ignored",
                    stateless(_fixed_sequence(random.Random(0)))),
        CheapPolicy("random_targets", "a random word of the public target list each turn, feedback ignored",
                    _random_targets),
        CheapPolicy("repeat_last", "repeats its own last guess (its first: the example's CRANE)",
                    stateless(_repeat_last)),
        CheapPolicy("enumerate_test_pool", "the test split's 88 target words (split_of is public) in a random "
                    "order, feedback ignored", _enumerate_pool(_test_pool())),
        CheapPolicy("solver_targets", "honest program: the first target-list word consistent with all "
                    "feedback so far", stateless(_solver(load_targets())), degenerate=False),
        CheapPolicy("solver_test_pool", "honest program: the first word of the test split's targets (a public "
                    "hash) consistent with all feedback so far: deduction with knowledge of the test pool",
                    stateless(_solver(_test_pool())), degenerate=False),
        CheapPolicy("solver_allowed", "honest program: the first allowed word consistent with all feedback "
                    "so far (no knowledge of which words are targets)",
                    stateless(_solver(sorted(load_allowed()))), degenerate=False),
    ]


# ------------------------------------------------------------------------------------------------- critic
_GENERIC = "DISAGREE: it does not fit the feedback so far."


def _known_letter(view: View, rng: random.Random | None = None) -> str:
    """A DISAGREE naming first a letter the feedback showed in the word (green or yellow), without looking at
    the proposal: the broken constraint of a near miss is often about such a letter."""
    known = list(dict.fromkeys(g[i] for g, ms in history_from_view(view) for i, m in enumerate(ms)
                               if m != "absent"))
    if not known:
        return _GENERIC
    letter = rng.choice(known) if rng is not None else known[0]
    return f"DISAGREE: {letter.upper()} is in the word but the proposal does not place it right."


def _coin_flip(reason: str) -> PolicyFactory:
    def make(rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            if rng.random() < 0.5:
                return "AGREE"
            return _known_letter(view, rng) if reason == "known" else _GENERIC
        return policy
    return make


def _pattern(verdicts: str) -> Policy:
    """Verdicts in a fixed order (``A`` agree, ``D`` disagree naming a known letter), cycling."""
    def policy(view: View) -> str:
        turn = len(_own_moves(view))
        return "AGREE" if verdicts[turn % len(verdicts)] == "A" else _known_letter(view)
    return policy


def _name_own_letters(view: View) -> str:
    word = last_proposal(view) or "crane"
    return "DISAGREE: " + "; ".join(f"{c.upper()} was marked absent" for c in dict.fromkeys(word[:3]))


def _enumerate_letters(view: View) -> str:
    return "DISAGREE: " + ", ".join(chr(c) for c in range(ord("A"), ord("Z") + 1)) + " break the feedback."


def _checker(view: View) -> str:
    word = last_proposal(view)
    if not word or not is_word(word):
        return "AGREE"
    broken = violations(word, history_from_view(view))
    return f"DISAGREE: {broken[0]}" if broken else "AGREE"


def _absent_letters_only(view: View) -> str:
    """A partial check: only letters marked absent everywhere (greens, yellows and counts are not checked)."""
    word = last_proposal(view)
    history = history_from_view(view)
    found = {g[i] for g, ms in history for i, m in enumerate(ms) if m != "absent"}
    absent = {g[i] for g, ms in history for i, m in enumerate(ms) if m == "absent"} - found
    bad = [c for c in dict.fromkeys(word) if c in absent]
    return f"DISAGREE: {bad[0].upper()} was marked absent" if bad else "AGREE"


def _repeated_letter(view: View) -> str:
    """DISAGREE naming a letter the proposal holds twice, AGREE otherwise: a feature of the word alone."""
    word = last_proposal(view)
    twice = [c for c in dict.fromkeys(word) if word.count(c) > 1]
    return f"DISAGREE: {twice[0].upper()} appears twice" if twice else "AGREE"


def _shared_with_last(view: View) -> str:
    """DISAGREE naming the first letter the proposal shares with the last scored guess (whatever its mark),
    AGREE if it shares none: it looks at the words, not at the feedback."""
    word, history = last_proposal(view), history_from_view(view)
    last = history[-1][0] if history else ""
    shared = [c for c in dict.fromkeys(word) if c in last]
    return f"DISAGREE: {shared[0].upper()} was in {last.upper()}" if shared else "AGREE"


def _greens_only(view: View) -> str:
    """A partial check: only the green positions (absent letters, yellows and counts are not checked)."""
    word = last_proposal(view)
    for guess, marks in history_from_view(view):
        for i, m in enumerate(marks):
            if m == "green" and len(word) == len(guess) and word[i] != guess[i]:
                return f"DISAGREE: {guess[i].upper()} must be in position {i + 1}"
    return "AGREE"


def _episode_habit(rng: random.Random) -> Policy:
    """One habit per episode, drawn at random: always agree, or always disagree naming a letter the feedback
    showed in the word. Each habit has J = 0 on average, but the score floors each episode's J at 0, so a
    habit that varies between episodes might collect the positive side of its spread."""
    agree = rng.random() < 0.5

    def policy(view: View) -> str:
        return "AGREE" if agree else _known_letter(view, rng)
    return policy


def critic_policies() -> list[CheapPolicy]:
    return [
        CheapPolicy("coin_flip", "AGREE or a generic DISAGREE at random", _coin_flip("generic")),
        CheapPolicy("coin_flip_known_letter", "AGREE or DISAGREE at random; a DISAGREE names a letter the "
                    "feedback showed in the word", _coin_flip("known")),
        CheapPolicy("alternate", "AGREE and DISAGREE (naming a letter known to be in the word) by turns",
                    stateless(_pattern("AD"))),
        CheapPolicy("pattern_aad", "AGREE, AGREE, DISAGREE (naming a letter known to be in the word), cycling",
                    stateless(_pattern("AAD"))),
        CheapPolicy("pattern_dda", "DISAGREE, DISAGREE (naming a letter known to be in the word), AGREE, cycling",
                    stateless(_pattern("DDA"))),
        CheapPolicy("name_own_letters", "always DISAGREE, saying the proposal's first letters were marked "
                    "absent", stateless(_name_own_letters)),
        CheapPolicy("enumerate_letters", "always DISAGREE naming every letter A-Z",
                    stateless(_enumerate_letters)),
        CheapPolicy("repeated_letter", "DISAGREE naming a letter the proposal holds twice, else AGREE",
                    stateless(_repeated_letter)),
        CheapPolicy("shared_with_last", "DISAGREE naming a letter the proposal shares with the last guess, else "
                    "AGREE (the words, not their marks)", stateless(_shared_with_last)),
        CheapPolicy("episode_habit", "one habit per episode at random: always AGREE, or always DISAGREE naming a "
                    "letter known to be in the word", _episode_habit),
        CheapPolicy("checker", "honest program: checks the proposal against every feedback line and names the "
                    "first constraint it breaks", stateless(_checker), degenerate=False),
        CheapPolicy("absent_letters_only", "honest partial program: disagrees only when the proposal holds a "
                    "letter marked absent", stateless(_absent_letters_only), degenerate=False),
        CheapPolicy("greens_only", "honest partial program: disagrees only when the proposal moves a green "
                    "letter", stateless(_greens_only), degenerate=False),
    ]
