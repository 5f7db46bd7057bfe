"""Scores of a privateshared record, from the record alone: the instance params and the moves' parse notes.

The notes are written by the episode (``Episode.note``): ``form`` on the accepted ``FORM`` move, ``probe``/
``truth``/``answer``/``correct`` on probe answers, ``unclear`` on questions that named no slot or several,
``on_topic``/``overshared`` on the customer's answers. The notes are recomputed by replay before a record is
scored, so a score never rests on a claim of the record.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..records import EpisodeRecord
from .moves import UNKNOWN

__all__ = ["answer_score", "cohen_kappa", "form_score", "privateshared_scores"]


def cohen_kappa(pairs: Sequence[tuple[bool, bool]]) -> float:
    """Cohen's kappa of (truth, answer) yes/no pairs, in [-1, 1]; 0.0 (chance) with no pairs.

    When every truth carries one label, kappa is 0 whatever the answers (the expected agreement equals the
    observed one) except where every answer carries that same label too: then it is undefined (0 / 0), and it
    is taken as 0.0, chance, as its limit. An episode whose truths do not vary cannot tell a player that
    tracks the common ground from one that answers every probe alike, so neither earns anything from it.
    Computed on integer counts, so the result does not depend on float summation order.
    """
    n = len(pairs)
    if n == 0:
        return 0.0
    agree = sum(t == a for t, a in pairs)
    truth_yes = sum(t for t, _ in pairs)
    answer_yes = sum(a for _, a in pairs)
    # p_o = agree / n, p_e = chance / n^2; kappa = (p_o - p_e) / (1 - p_e), scaled by n^2.
    chance = truth_yes * answer_yes + (n - truth_yes) * (n - answer_yes)
    if chance == n * n:
        return 0.0
    return (agree * n - chance) / (n * n - chance)


def answer_score(on_topic: int, answers: int) -> float:
    """The customer's answers: (on-topic answers - the others) / answers, at least 0.

    Every answer either answers the question asked (the asked detail with its true value and nothing else
    new) or it does not (a vague or wrong answer, a detail not asked for): a right answer counts +1, any other
    -1, so saying details in some order until the asked one comes up, stalling until a re-asked question names
    the detail, or giving every detail at once all come to 0.
    """
    if answers == 0:
        return 0.0
    return max(0.0, (on_topic - (answers - on_topic)) / answers)


def form_score(correct: int, wrong: int, fields: int) -> float:
    """The agent's form: (right fields - wrong fields) / fields, at least 0. ``unknown`` counts 0: a value the
    customer never gave is made up, and a made-up field costs what a right one earns, so filling the form with
    guesses scores 0 however lucky the guesses (the form's reward says the same: +0.5, -0.5, 0)."""
    if fields == 0:
        return 0.0
    return max(0.0, (correct - wrong) / fields)


def privateshared_scores(record: EpisodeRecord) -> dict[str, float]:
    params = record.instance.get("params", {})
    slots = [str(s) for s in params.get("slots", [])]
    facts = {str(k): str(v) for k, v in params.get("facts", {}).items()}
    role = record.learner_role
    values: dict[str, str] | None = None
    pairs: list[tuple[bool, bool]] = []
    questions = unclear = answers = on_topic = overshared = 0
    for t in record.turns:
        note = t.parse or {}
        if t.kind != "move" or not note.get("ok"):
            continue
        if t.speaker == "agent" and note.get("act") == "submit" and isinstance(note.get("form"), dict):
            values = {str(k): str(v) for k, v in note["form"].items()}
        if t.speaker == "agent" and note.get("act") in ("ask", "clarify"):
            questions += 1
            unclear += bool(note.get("unclear"))
        if t.speaker == "customer" and note.get("act") == "answer" and not note.get("probe"):
            answers += 1
            on_topic += bool(note.get("on_topic"))
            overshared += len(note.get("overshared") or ())
        if t.speaker == role and note.get("probe"):
            pairs.append((bool(note.get("truth")), bool(note.get("answer"))))
    correct = sum(1 for s in slots if values is not None and values.get(s) == facts.get(s))
    slot_accuracy = correct / len(slots) if slots else 0.0
    scores: dict[str, float] = {
        "slot_accuracy": slot_accuracy,
        "probes": float(len(pairs)),
        "questions": float(questions),
        "unclear_questions": float(unclear),
        "clarifications": float(sum(1 for t in record.turns if t.to == role and t.kind == "clarification")),
    }
    if role == "customer":
        task = answer_score(on_topic, answers)
        scores.update(answer_score=task, answers=float(answers), on_topic_answers=float(on_topic),
                      overshared=float(overshared))
    else:
        wrong = sum(1 for s in slots if values is not None and values.get(s) not in (facts.get(s), UNKNOWN))
        task = form_score(correct, wrong, len(slots))
        scores["form_score"] = task
    agreement = 0.0
    if pairs:
        kappa = cohen_kappa(pairs)
        scores["probe_kappa"] = kappa
        scores["probe_accuracy"] = sum(t == a for t, a in pairs) / len(pairs)
        agreement = max(0.0, kappa)
    # The probe half is earned on the dialogue the learner achieved (see the card).
    scores["main"] = 100.0 * task * (1.0 + agreement) / 2
    return scores
