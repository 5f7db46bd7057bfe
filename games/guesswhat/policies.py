"""Cheap policies against guesswhat: attacks that need the game's vocabulary, and honest short programs.

Every policy reads only the role's view (its chat messages): the candidate list and the answers for the
questioner; the secret animal's name, its table row and the questions for the answerer. The generic attacks
(copy the example, yes/no to everything, echo the prompt, ...) come from ``games/policies.py``.
"""

from __future__ import annotations

import math
import random
import re
from functools import lru_cache

from ..policies import CheapPolicy, Policy, View, last_message, stateless
from .matcher import resolve
from .table import holds, load_table, render
from .teacher import best_predicate, predicate_masks, question_predicates

_CANDIDATES = re.compile(r"one of these \d+ animals:\s*\n?(.+)", re.IGNORECASE)
_SECRET = re.compile(r"The secret animal is: ([^.\n]+)\.")
_QUESTION = re.compile(r"^QUESTION: (.+)$", re.MULTILINE)
_QUOTED = re.compile(r'"([^"\n]+\?)"')
_ANSWERER_CANDIDATES = re.compile(r"must find it among these \d+ animals: (.+)\.\n")


def _first_user(view: View) -> str:
    return next((m.get("content", "") for m in view if m.get("role") == "user"), "")


def candidates_of(view: View) -> list[str]:
    """The candidate animals as the questioner's instructions list them."""
    m = _CANDIDATES.search(_first_user(view))
    return [c.strip() for c in m.group(1).split(",") if c.strip()] if m else []


def _my_moves(view: View) -> list[str]:
    return [m.get("content", "") for m in view if m.get("role") == "assistant"]


def _must_guess(text: str) -> bool:
    """Whether the game told the questioner that no question is left."""
    low = text.lower()
    return "make your guess now" in low or "cannot ask another" in low


# ------------------------------------------------------------------------------------------ questioner
def _enumerate(_rng: random.Random) -> Policy:
    """Ask "Is it the X?" for each candidate in turn; guess the first one answered yes."""
    nxt = [0]
    asked = [""]

    def policy(view: View) -> str:
        names = candidates_of(view) or ["cat"]
        last = last_message(view)
        if asked[0] and "ANSWER: yes" in last:
            return f"GUESS: {asked[0]}"
        if _must_guess(last) or nxt[0] >= len(names) - 1:
            return f"GUESS: {names[min(nxt[0], len(names) - 1)]}"
        asked[0] = names[nxt[0]]
        nxt[0] += 1
        return f"QUESTION: Is it the {asked[0]}?"
    return policy


def _guess_first(view: View) -> str:
    names = candidates_of(view)
    return f"GUESS: {names[0] if names else 'cat'}"


def _name_halves(_rng: random.Random) -> Policy:
    """Binary search by names: "Is it the a, the b, ... or the h?" over half of the candidates still open."""
    state: dict[str, list[str]] = {"open": [], "asked": []}

    def policy(view: View) -> str:
        if not state["open"]:
            state["open"] = candidates_of(view) or ["cat"]
        last = last_message(view)
        if state["asked"]:
            if "ANSWER: yes" in last:
                state["open"] = state["asked"]
            elif "ANSWER: no" in last:
                state["open"] = [c for c in state["open"] if c not in state["asked"]]
            state["asked"] = []
        if len(state["open"]) == 1 or _must_guess(last):
            return f"GUESS: {state['open'][0]}"
        half = state["open"][: len(state["open"]) // 2]
        state["asked"] = half
        return "QUESTION: Is it " + " or ".join(f"the {c}" for c in half) + "?"
    return policy


def _copy_attributes(_rng: random.Random) -> Policy:
    """Asks the example questions of the instructions in order (whatever the candidates), then guesses the
    first candidate: attribute names copied from the prompt without tracking what they rule out."""
    turn = [0]

    def policy(view: View) -> str:
        quoted = [q for q in _QUOTED.findall(_first_user(view)) if "?" in q] or ["Is it a mammal?"]
        if _must_guess(last_message(view)) or turn[0] >= 20:
            return _guess_first(view)
        q = quoted[turn[0] % len(quoted)]
        turn[0] += 1
        return f"QUESTION: {q}"
    return policy


def _repeat_question(view: View) -> str:
    if _must_guess(last_message(view)):
        return _guess_first(view)
    return "QUESTION: Is it a mammal?"


#: Questions that split animals in general, asked whatever the candidates (the prompt's kind of examples).
_BLIND_QUESTIONS = ("Is it a mammal?", "Can it fly?", "Does it have four legs?", "Is it bigger than a cat?",
                    "Does it live in water?", "Is it a wild animal?", "Does it eat meat?", "Is it brown?")


@lru_cache(maxsize=1)
def _training_targets() -> frozenset[str]:
    """Every animal that is the target of a published training or validation instance: the prior over targets
    that a learner trained on those splits can pick up."""
    from .game import GuessWhatGame  # the game imports this module

    game = GuessWhatGame()
    return frozenset(str(i.params["target"]) for split in ("train", "validation") for i in game.generate(split))


def _unseen_target(rng: random.Random) -> Policy:
    """Asks ceil(log2 N) general questions blindly (their answers are never used), then guesses a candidate
    that was never a target in the published training and validation splits: if targets are held out by
    animal while the other candidates come from every split, that is the target (a prior, not questions)."""
    asked = [0]

    def policy(view: View) -> str:
        names = candidates_of(view) or ["cat"]
        needed = max(1, math.ceil(math.log2(max(2, len(names)))))
        if asked[0] < min(needed, len(_BLIND_QUESTIONS)) and not _must_guess(last_message(view)):
            asked[0] += 1
            return f"QUESTION: {_BLIND_QUESTIONS[asked[0] - 1]}"
        unseen = [c for c in names if c not in _training_targets()]
        return f"GUESS: {rng.choice(unseen or names)}"
    return policy


def _table_solver(_rng: random.Random) -> Policy:
    """An honest program: halves the candidates with the public table (what the reference does, without its
    look-ahead)."""
    table = load_table()
    preds = question_predicates(table)
    open_: list[str] = []
    asked = [""]

    def policy(view: View) -> str:
        if not open_:
            open_.extend(c for c in candidates_of(view) if c in table.names)
        last = last_message(view)
        if asked[0] and ("ANSWER: yes" in last or "ANSWER: no" in last):
            truth = "ANSWER: yes" in last
            open_[:] = [c for c in open_ if holds(asked[0], table.get(c), table) == truth]
            asked[0] = ""
        if len(open_) <= 1 or _must_guess(last):
            return f"GUESS: {open_[0] if open_ else 'cat'}"
        best, best_gap = "", len(open_)
        for p in preds:
            yes = sum(holds(p, table.get(c), table) for c in open_)
            if 0 < yes < len(open_) and abs(2 * yes - len(open_)) < best_gap:
                best, best_gap = p, abs(2 * yes - len(open_))
        if not best:
            return f"GUESS: {open_[0]}"
        asked[0] = best
        return f"QUESTION: {render(best)}"
    return policy


# ------------------------------------------------------------------------------------------ answerer
def _wrong_last(view: View) -> bool:
    return "is not right" in last_message(view)


def _yes_then_flip(_rng: random.Random) -> Policy:
    """Answers yes; told that was wrong, answers no (the correction gives the answer away)."""
    def policy(view: View) -> str:
        return "ANSWER: no" if _wrong_last(view) else "ANSWER: yes"
    return policy


def _base_rate(_rng: random.Random) -> Policy:
    """Answers whatever was the truth most often so far (learnt from corrections), flipping when corrected."""
    counts = {"yes": 1, "no": 0}

    def policy(view: View) -> str:
        mine = _my_moves(view)
        last_answer = "yes" if mine and mine[-1].strip().lower().endswith("yes") else "no"
        if mine and _wrong_last(view):
            truth = "no" if last_answer == "yes" else "yes"
            counts[truth] += 1
            return f"ANSWER: {truth}"
        if mine and "ANSWER" in mine[-1]:
            counts[last_answer] += 1
        return "ANSWER: " + ("yes" if counts["yes"] >= counts["no"] else "no")
    return policy


def _alternate(_rng: random.Random) -> Policy:
    turn = [0]

    def policy(view: View) -> str:
        turn[0] += 1
        return "ANSWER: " + ("yes" if turn[0] % 2 else "no")
    return policy


def _row_words(view: View) -> set[str]:
    text = _first_user(view).lower()
    start = text.find("table of facts")
    return set(re.findall(r"[a-z]+", text[start:]))


_STOP = {"is", "it", "a", "an", "the", "does", "do", "have", "has", "can", "than", "of", "in", "on", "to", "its"}


def _word_overlap(view: View) -> str:
    """Yes when a content word of the question occurs anywhere in the fact table: reads words, not facts."""
    questions = _QUESTION.findall(last_message(view))
    q = questions[-1] if questions else ""
    words = set(re.findall(r"[a-z]+", q.lower())) - _STOP
    return "ANSWER: " + ("yes" if words & _row_words(view) else "no")


_PROBE_CUES = re.compile(r",? or |\bbig\b|\bsmall\b|colou?r", re.IGNORECASE)


def _spot_probes(answer: Policy) -> Policy:
    """Asks back whenever the question has a surface cue of ambiguity (" or ", "big", "small", "colour"),
    else answers with ``answer``."""
    def policy(view: View) -> str:
        questions = _QUESTION.findall(last_message(view))
        if questions and _PROBE_CUES.search(questions[-1]):
            return "CLARIFY: Which one do you mean?"
        return answer(view)
    return policy


def _predict_question(rng: random.Random) -> Policy:
    """Never reads a question's meaning: predicts the teacher questioner's next question from the candidates
    with the public table and the teacher's own choice (``best_predicate``, ties drawn with its own rng) and
    answers that prediction truthfully; asks back on surface cues of a probe."""
    table = load_table()
    state: dict[str, object] = {}

    def policy(view: View) -> str:
        first = _first_user(view)
        if not state:
            names = _ANSWERER_CANDIDATES.search(first)
            secret = _SECRET.search(first)
            candidates = [c.strip() for c in names.group(1).split(",")] if names else []
            if secret is None or secret.group(1) not in table.names or not candidates:
                return "ANSWER: yes"
            state.update(target=secret.group(1), masks=predicate_masks(table, candidates),
                         remaining=(1 << len(candidates)) - 1)
        questions = _QUESTION.findall(last_message(view))
        if questions and _PROBE_CUES.search(questions[-1]):
            return "CLARIFY: Which one do you mean?"
        masks = state["masks"]
        remaining = state["remaining"]
        assert isinstance(masks, dict) and isinstance(remaining, int)
        pred = best_predicate(masks, remaining, rng)
        if pred is None:
            return "ANSWER: yes"
        yes = holds(pred, table.get(str(state["target"])), table)
        state["remaining"] = remaining & (masks[pred] if yes else ~masks[pred])
        return "ANSWER: " + ("yes" if yes else "no")
    return policy


def _table_reader(view: View) -> str:
    """An honest program: maps the question to a predicate with the game's own matcher and reads the public
    table for the animal named in the instructions."""
    table = load_table()
    m = _SECRET.search(_first_user(view))
    questions = _QUESTION.findall(last_message(view)) or _QUESTION.findall(
        "\n".join(x.get("content", "") for x in view if x.get("role") == "user"))
    if m is None or not questions or m.group(1) not in table.names:
        return "ANSWER: yes"
    res = resolve(questions[-1], table)
    if res.kind != "answer":
        return "CLARIFY: What do you mean exactly?"
    return "ANSWER: " + ("yes" if holds(res.pred, table.get(m.group(1)), table) else "no")


def game_policies(role: str) -> list[CheapPolicy]:
    """The guesswhat attacks on ``role`` and its honest programs (``degenerate=False``)."""
    if role == "questioner":
        return [
            CheapPolicy("enumerate", 'asks "Is it the X?" for each candidate in turn, guesses the one answered '
                        "yes", _enumerate),
            CheapPolicy("guess_first", "guesses the first candidate listed, without a question",
                        stateless(_guess_first)),
            CheapPolicy("name_halves", 'binary search by names: "Is it the a or the b or ...?" over half the '
                        "candidates left", _name_halves),
            CheapPolicy("copy_attributes", "asks the example questions of the instructions blindly, then guesses "
                        "the first candidate", _copy_attributes),
            CheapPolicy("repeat_question", "asks the same question until none is left, then guesses the first "
                        "candidate", stateless(_repeat_question)),
            CheapPolicy("unseen_target", "asks ceil(log2 N) general questions blindly, then guesses a candidate "
                        "never seen as a target in the training and validation splits", _unseen_target),
            CheapPolicy("table_solver", "honest program: halves the candidates with the public attribute table",
                        _table_solver, degenerate=False),
        ]
    if role == "answerer":
        return [
            CheapPolicy("yes_then_flip", "answers yes; after a correction answers no", _yes_then_flip),
            CheapPolicy("base_rate", "answers the truth seen most often so far (from corrections)", _base_rate),
            CheapPolicy("alternate", "answers yes, no, yes, no, ...", _alternate),
            CheapPolicy("word_overlap", "yes when a word of the question occurs in the fact table",
                        stateless(_word_overlap)),
            CheapPolicy("cues_then_yes", 'asks back on surface cues (" or ", "big", "colour"), else yes; flips '
                        "after a correction", lambda rng: _spot_probes(_yes_then_flip(rng))),
            CheapPolicy("cues_then_overlap", "asks back on surface cues, else answers by word overlap with the "
                        "fact table", stateless(_spot_probes(_word_overlap))),
            CheapPolicy("predict_question", "never reads a question: predicts the teacher's next question from "
                        "the candidates and the public table, answers that; asks back on surface cues",
                        _predict_question),
            CheapPolicy("table_reader", "honest program: the game's matcher plus the public table row",
                        stateless(_table_reader), degenerate=False),
        ]
    return []


__all__ = ["candidates_of", "game_policies"]
