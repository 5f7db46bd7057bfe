"""Scores of a privateshared record, from the record alone: the instance params and the moves' parse notes.

The notes are written by the episode (``Episode.note``): ``form`` on the accepted ``FORM`` move, ``probe``/
``truth``/``answer``/``correct`` on probe answers, ``unclear`` on questions that named no slot or several.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..records import EpisodeRecord

__all__ = ["cohen_kappa", "privateshared_scores"]


def cohen_kappa(pairs: Sequence[tuple[bool, bool]]) -> float:
    """Cohen's kappa of (truth, answer) yes/no pairs, in [-1, 1].

    Degenerate case: when truth and answers all carry one and the same label, the expected agreement is 1
    and kappa is undefined; it is then the observed agreement, 1.0. With no pairs it is 0.0.
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
        return agree / n
    return (agree * n - chance) / (n * n - chance)


def privateshared_scores(record: EpisodeRecord) -> dict[str, float]:
    params = record.instance.get("params", {})
    slots = [str(s) for s in params.get("slots", [])]
    facts = {str(k): str(v) for k, v in params.get("facts", {}).items()}
    role = record.learner_role
    values: dict[str, str] | None = None
    pairs: list[tuple[bool, bool]] = []
    questions = unclear = 0
    for t in record.turns:
        note = t.parse or {}
        if t.kind != "move" or not note.get("ok"):
            continue
        if t.speaker == "agent" and note.get("act") == "submit" and isinstance(note.get("form"), dict):
            values = {str(k): str(v) for k, v in note["form"].items()}
        if t.speaker == "agent" and note.get("act") in ("ask", "clarify"):
            questions += 1
            unclear += bool(note.get("unclear"))
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
    agreement = 0.0
    if pairs:
        kappa = cohen_kappa(pairs)
        scores["probe_kappa"] = kappa
        scores["probe_accuracy"] = sum(t == a for t, a in pairs) / len(pairs)
        agreement = max(0.0, kappa)
    scores["main"] = 100.0 * (slot_accuracy + agreement) / 2
    return scores
