"""Collaborative sub-metrics of CLU2, computed from episode records alone.

They read the notes games attach to moves (``parse`` of a move turn; see ``Episode.note`` in
``games/episode.py``) and the feedback kinds of the turns, so any game that writes the shared notes is measured
without code here. Only the learner's moves count (``speaker == learner_role``), whoever played the role.

One item per episode (game, instance, learner role) and sub-metric, and only where the episode had the
situation the sub-metric is about; an episode without it produces no item for that sub-metric (a game with no
probes says nothing about probe accuracy). An *aborted* episode in which the situation existed scores 0 and is
marked invalid: aborting is a failure, never a reason to leave the episode out.

=======================  ================================================================================
sub-metric               item score (situation that makes an item)
=======================  ================================================================================
clarification_f1         2 TP / (2 TP + FP + FN) over the learner's valid moves noted ``ambiguous`` True/False,
                         a move being a clarification when its ``act`` is ``"clarify"``; 1.0 when there was
                         nothing to ask and nothing was asked (TP = FP = FN = 0). (>= 1 such move)
clarification_precision  TP / (TP + FP): its questions were needed. (>= 1 clarification)
clarification_recall     TP / (TP + FN): it asked when the situation was ambiguous. (>= 1 ambiguous move)
repair_rate              share of the learner's moves that directly follow a ``correction`` sent to it (since
                         its previous move) and are valid (parse ``ok``). (>= 1 correction to the learner)
probe_accuracy           share of correct answers among the learner's moves noted ``probe`` True. (>= 1 probe)
rule_compliance          1 - (format + rule errors) / learner moves. (>= 1 learner move)
efficiency               the game's own ``efficiency`` score (0-1). (the game reports it)
=======================  ================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playschool.games import EpisodeRecord

SUBMETRICS: tuple[str, ...] = ("clarification_f1", "clarification_precision", "clarification_recall",
                               "repair_rate", "probe_accuracy", "rule_compliance", "efficiency")


@dataclass(frozen=True)
class SubScore:
    """One episode's score on one sub-metric, with the counts it came from."""

    score: float
    valid: bool = True
    details: dict[str, Any] = field(default_factory=dict)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def episode_submetrics(record: EpisodeRecord) -> dict[str, SubScore]:
    """The sub-metrics that apply to this episode (see the module docstring), keyed by name."""
    role = record.learner_role
    aborted = record.outcome == "aborted"
    tp = fp = fn = tn = 0
    moves = errors = probes = probes_right = 0
    repair_chances = repaired = 0
    corrected = False  # a correction reached the learner since its last move
    corrections = 0
    for turn in record.turns:
        if turn.kind == "correction" and turn.to == role:
            corrected = True
            corrections += 1
            continue
        if turn.kind != "move" or turn.speaker != role:
            continue
        note = turn.parse or {}
        ok = note.get("ok") is True
        moves += 1
        errors += not ok
        if corrected:
            repair_chances += 1
            repaired += ok
            corrected = False
        if not ok:
            continue
        if isinstance(note.get("ambiguous"), bool):
            asked, ambiguous = note.get("act") == "clarify", note["ambiguous"]
            tp += asked and ambiguous
            fp += asked and not ambiguous
            fn += ambiguous and not asked
            tn += not (asked or ambiguous)
        if note.get("probe") is True:
            probes += 1
            probes_right += note.get("correct") is True

    out: dict[str, SubScore] = {}

    def put(name: str, score: float, situation: bool, **details: Any) -> None:
        if situation:
            out[name] = SubScore(0.0, False, {**details, "aborted": True}) if aborted else SubScore(score, True,
                                                                                                    details)

    counts = {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    decisions = tp + fp + fn + tn
    f1 = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    put("clarification_f1", f1, decisions > 0, **counts)
    put("clarification_precision", _ratio(tp, tp + fp), tp + fp > 0, **counts)
    put("clarification_recall", _ratio(tp, tp + fn), tp + fn > 0, **counts)
    # A correction with no later learner move (the episode ended) gave no chance to repair; it still makes the
    # situation exist, so an aborted episode with corrections scores 0.
    put("repair_rate", _ratio(repaired, repair_chances), corrections > 0 and (repair_chances > 0 or aborted),
        chances=repair_chances, repaired=repaired)
    put("probe_accuracy", _ratio(probes_right, probes), probes > 0, probes=probes, correct=probes_right)
    put("rule_compliance", 1.0 - _ratio(errors, moves), moves > 0, moves=moves, errors=errors)
    if "efficiency" in record.scores:
        put("efficiency", min(1.0, max(0.0, float(record.scores["efficiency"]))), True)
    return out
