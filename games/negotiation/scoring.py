"""Scoring negotiation records: what the learner (the proposer) achieved, from the record's params and move
texts only.

The moves are read again (:func:`.moves.parse_move`) and fed to one belief tracker per seat (the teacher's
:class:`.teacher.Negotiator`, which reads SAYs by the documented rules of :mod:`.talk`), so the scorer knows,
as the live game did, whether the proposer could know a proposal to be the best when it made it. The card
(the :class:`~.game.Negotiation` docstring) explains each rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..episode import MoveError
from ..records import EpisodeRecord
from .moves import parse_move
from .pool import Vector, gain, is_best, is_pareto, joint_value, max_joint
from .teacher import Negotiator

__all__ = ["GUESS_FACTOR", "Tally", "classify", "game_scores", "quality", "tally", "trackers"]

#: Every wrong proposal made before the proposer could know the best split (a guess: it proposed instead of
#: asking) multiplies the score by this.
GUESS_FACTOR = 0.5


def trackers(params: Mapping[str, Any], proposer: str) -> dict[str, Negotiator]:
    """One fresh belief tracker per seat, as the episode builds them."""
    counts = tuple(int(c) for c in params["counts"])
    return {r: Negotiator(counts, tuple(int(v) for v in params["values"][r]),
                          opening=str(params.get("opening", "ask")), proposer=r == proposer,
                          phrasing=str(params.get("phrasing", "pairs")), talk_seed=int(params.get("talk_seed", 0)))
            for r in ("alice", "bob")}


def classify(best: bool, sure: tuple[Vector, ...], take: Vector) -> str:
    """What a proposal was, by what its maker had been told: ``grounded`` (it could know the split to be the
    best), ``lucky`` (the best, but it could not know), ``guess`` (wrong, made before it could know) or
    ``contradicts`` (wrong although what it had been told already settled the best split)."""
    if take in sure:
        return "grounded"
    if best:
        return "lucky"
    return "contradicts" if sure else "guess"


def quality(split_gain: float, grounded: bool, guesses: int, contradictions: int) -> float:
    """The learner's share of full credit (0-1) for a deal: the deal's gain (where it lies between the worst
    and the best split) if the accepted proposal was grounded; nothing for a lucky one (the learner could not
    know it was the best) or after a proposal that contradicts what the partner had said; halved for every
    wrong guess on the way."""
    if not grounded or contradictions:
        return 0.0
    return split_gain * GUESS_FACTOR ** guesses


@dataclass
class Tally:
    """What the moves of one record amount to."""

    deal: tuple[str, Vector] | None = None  # (proposer, what it takes)
    grounded: bool = False  # the accepted proposal was grounded
    proposals: int = 0  # the learner's valid proposals, and of them:
    guesses: int = 0
    contradictions: int = 0
    turns: int = 0


def tally(record: EpisodeRecord) -> Tally:
    """Feed the record's valid moves to the trackers; collect the deal and what each proposal was."""
    params = record.instance.get("params", {})
    out = Tally()
    try:
        seats = trackers(params, record.learner_role)
        counts = tuple(int(c) for c in params["counts"])
        values = {r: tuple(int(v) for v in params["values"][r]) for r in ("alice", "bob")}
    except (KeyError, TypeError, ValueError):  # a hand-edited record is no crash
        return out
    standing: tuple[str, Vector, str] | None = None
    for t in record.turns:
        if t.kind != "move" or not (t.parse or {}).get("ok") or t.speaker not in seats:
            continue
        try:
            move = parse_move(t.text)
        except MoveError:  # cannot happen for a move that parsed live
            continue
        out.turns += 1
        partner = "bob" if t.speaker == "alice" else "alice"
        if move.kind == "propose":
            best = is_best(counts, move.take, values[t.speaker], values[partner])
            kind = classify(best, seats[t.speaker].sure(), move.take)
            standing = (t.speaker, move.take, kind)
            if t.speaker == record.learner_role:
                out.proposals += 1
                out.guesses += kind == "guess"
                out.contradictions += kind == "contradicts"
        elif move.kind == "accept" and standing is not None:
            out.deal, out.grounded = (standing[0], standing[1]), standing[2] == "grounded"
        seats[t.speaker].observe(True, move)
        seats[partner].observe(False, move)
    return out


def game_scores(record: EpisodeRecord) -> dict[str, float]:
    """The negotiation scores of ``record`` (see the card, Scores)."""
    params = record.instance.get("params", {})
    out = tally(record)
    scores = {"joint_value_ratio": 0.0, "joint_gain": 0.0, "pareto_optimal": 0.0, "agreement": 0.0,
              "turns": float(out.turns), "proposals": float(out.proposals), "guesses": float(out.guesses),
              "contradictions": float(out.contradictions)}
    main = 0.0
    if out.deal is not None:
        proposer, take = out.deal
        other = "bob" if proposer == "alice" else "alice"
        counts = tuple(int(c) for c in params["counts"])
        mine, theirs = (tuple(int(v) for v in params["values"][r]) for r in (proposer, other))
        best = max_joint(counts, mine, theirs)
        split_gain = gain(counts, take, mine, theirs)
        ratio = joint_value(counts, take, mine, theirs) / best if best else 1.0
        scores.update(agreement=1.0, joint_value_ratio=ratio, joint_gain=split_gain,
                      pareto_optimal=float(is_pareto(counts, take, mine, theirs)), grounded=float(out.grounded))
        main = 100.0 * quality(split_gain, out.grounded, out.guesses, out.contradictions)
    scores["main"] = main
    return scores
