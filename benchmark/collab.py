"""Collaborative sub-metrics of CLU2, computed from (replayed) episode records alone.

They read the notes games attach to moves (``parse`` of a move turn; see ``Episode.note`` in
``games/episode.py``): each game's card says when it sets each note and what its ground truth is. Any game
that writes the shared notes is measured without code here. Only the learner's moves count
(``speaker == learner_role``), whoever played the role.

One item per episode (game, instance, learner role) and sub-metric, and **only where the episode had the
situation the sub-metric is about**: an episode with nothing ambiguous in which nothing was asked says nothing
about clarification (no free 1.0 for never asking), an episode without a correction says nothing about repair.
An *aborted* episode in which the situation existed scores 0 and is marked invalid: aborting is a failure, never
a reason to leave the episode out.

======================  ===========================================================================================
sub-metric              item score (the situation that makes an item)
======================  ===========================================================================================
clarification_f1        2 TP / (2 TP + FP + FN) over the learner's valid moves noted ``ambiguous``: a move is a
                        clarification when its ``act`` is ``"clarify"``; TP asked when ambiguous, FP asked when not,
                        FN did not ask when ambiguous. (an ambiguous situation, or a clarification, occurred)
clarification_precision TP / (TP + FP): its questions were needed. (>= 1 noted clarification; weight 0)
clarification_recall    TP / (TP + FN): it asked when the situation was ambiguous. (>= 1 ambiguous move; weight 0)
repair                  share of the learner's moves noted ``repaired`` that fixed what the correction or reported
                        misunderstanding named; a noted move the game refused counts as not fixed. (>= 1 such move)
format_recovery         share of the learner's moves right after one of its format errors that are well-formed
                        again. (>= 1 format error followed by a move, or an abort on format)
coherence               share of the learner's moves noted ``consistent`` that agree with what was said, given or
                        agreed earlier in the episode. (>= 1 such move)
probe_accuracy          share of correct answers among the learner's moves noted ``probe``. (>= 1 probe)
rule_compliance         1 - (format + rule errors) / learner moves. (>= 1 learner move)
efficiency              the game's own ``efficiency`` score (0-1). (the game reports it)
======================  ===========================================================================================

Worked example: a mapnav follower gets an instruction naming two doors (ambiguous), asks "which door?" (TP),
moves, gets a clear instruction (not ambiguous) and asks again (FP), then moves. clarification_f1 =
2·1 / (2·1 + 1 + 0) = 0.67, precision 0.5, recall 1.0. Had it never asked, F1 would be 0 (one FN); had nothing
been ambiguous and nothing asked, the episode would give no clarification item at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playschool.games import EpisodeRecord

SUBMETRICS: tuple[str, ...] = ("clarification_f1", "clarification_precision", "clarification_recall", "repair",
                               "format_recovery", "coherence", "probe_accuracy", "rule_compliance", "efficiency")


@dataclass(frozen=True)
class SubScore:
    """One episode's score on one sub-metric, with the counts it came from."""

    score: float
    valid: bool = True
    details: dict[str, Any] = field(default_factory=dict)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    moves: int = 0
    errors: int = 0
    after_format: int = 0
    recovered: int = 0
    format_errors: int = 0
    repairs: int = 0
    repaired: int = 0
    checked: int = 0
    consistent: int = 0
    probes: int = 0
    probes_right: int = 0


def _count(record: EpisodeRecord) -> _Counts:
    c = _Counts()
    last_error: str | None = None
    for turn in record.turns:
        if turn.kind != "move" or turn.speaker != record.learner_role:
            continue
        note = turn.parse or {}
        ok = note.get("ok") is True
        error = note.get("error")
        c.moves += 1
        c.errors += not ok
        c.format_errors += error == "format"
        if last_error == "format":
            c.after_format += 1
            c.recovered += error != "format"
        last_error = error if isinstance(error, str) else None
        if isinstance(note.get("repaired"), bool):  # a refused repair attempt counts too: it failed to repair
            c.repairs += 1
            c.repaired += note["repaired"] and ok
        if not ok:
            continue
        if isinstance(note.get("ambiguous"), bool):
            asked, ambiguous = note.get("act") == "clarify", note["ambiguous"]
            c.tp += asked and ambiguous
            c.fp += asked and not ambiguous
            c.fn += ambiguous and not asked
            c.tn += not (asked or ambiguous)
        if isinstance(note.get("consistent"), bool):
            c.checked += 1
            c.consistent += note["consistent"]
        if note.get("probe") is True:
            c.probes += 1
            c.probes_right += note.get("correct") is True
    return c


def episode_submetrics(record: EpisodeRecord) -> dict[str, SubScore]:
    """The sub-metrics that apply to this episode (see the module docstring), keyed by name."""
    aborted = record.outcome == "aborted"
    c = _count(record)
    out: dict[str, SubScore] = {}

    def put(name: str, score: float, situation: bool, **details: Any) -> None:
        if situation:
            out[name] = (SubScore(0.0, False, {**details, "aborted": True}) if aborted
                         else SubScore(score, True, details))

    counts = {"tp": c.tp, "fp": c.fp, "fn": c.fn, "tn": c.tn}
    put("clarification_f1", _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn), c.tp + c.fp + c.fn > 0, **counts)
    put("clarification_precision", _ratio(c.tp, c.tp + c.fp), c.tp + c.fp > 0, **counts)
    put("clarification_recall", _ratio(c.tp, c.tp + c.fn), c.tp + c.fn > 0, **counts)
    put("repair", _ratio(c.repaired, c.repairs), c.repairs > 0, needed=c.repairs, repaired=c.repaired)
    # An abort on format errors with no move after the last one still had the situation (and failed it).
    put("format_recovery", _ratio(c.recovered, c.after_format),
        c.after_format > 0 or (aborted and c.format_errors > 0), chances=c.after_format, recovered=c.recovered)
    put("coherence", _ratio(c.consistent, c.checked), c.checked > 0, checked=c.checked, consistent=c.consistent)
    put("probe_accuracy", _ratio(c.probes_right, c.probes), c.probes > 0, probes=c.probes, correct=c.probes_right)
    put("rule_compliance", 1.0 - _ratio(c.errors, c.moves), c.moves > 0, moves=c.moves, errors=c.errors)
    if "efficiency" in record.scores:
        put("efficiency", min(1.0, max(0.0, float(record.scores["efficiency"]))), True)
    return out
