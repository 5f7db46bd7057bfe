"""Judging a critic's verdict, and the scores of a wordle record, recomputed from its params and move texts.

The episode judges each verdict with :func:`judge` as it happens (for the critic's reward and the move's
notes), and the scorer replays the record's accepted moves through the same function, so a score can never
disagree with what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..records import EpisodeRecord
from .moves import Verdict, named_letters, parse_guess, parse_verdict
from .rules import Constraints, Entry, consistent, feedback

__all__ = ["Review", "Replayed", "critic_scores", "grounded", "judge", "replay_record"]


def grounded(reason: str, broken: set[str]) -> bool:
    """Whether a DISAGREE's ``reason`` points at a real broken constraint: the first letter it names is one
    whose constraint the proposal breaks (``broken``). The first, so that hedging over several letters, or
    listing the alphabet, points at nothing in particular."""
    named = named_letters(reason)
    return bool(named) and named[0] in broken


@dataclass(frozen=True)
class Review:
    """One verdict on one proposal: whether the proposal ``fits`` the feedback before it, whether the critic
    agreed, and, for a DISAGREE, whether its reason is ``grounded``."""

    fits: bool
    agree: bool
    grounded: bool = False

    @property
    def right(self) -> bool:
        """Agreeing with a word that fits; disagreeing with one that does not, for a reason that names what
        it breaks."""
        return self.agree if self.fits else (not self.agree and self.grounded)


def judge(proposal: str, history: Sequence[Entry], verdict: Verdict) -> Review:
    """The ground truth for ``verdict`` on ``proposal`` given the feedback so far."""
    broken = Constraints(history).broken_letters(proposal)
    reason_ok = not verdict.agree and grounded(verdict.reason, broken)
    return Review(fits=not broken, agree=verdict.agree, grounded=reason_ok)


def critic_scores(reviews: Sequence[Review]) -> dict[str, float]:
    """The critic's scores over its verdicts (empty without any).

    ``main`` is chance-corrected: Youden's J, the rate of right verdicts on fitting proposals plus the rate on
    breaking ones, minus 1 (balanced accuracy rescaled so that chance is 0), times 100 and floored at 0.
    Always agreeing, always disagreeing and coin flips all have J = 0 in expectation, whatever the mix of
    proposals. A kind of proposal the episode never showed counts at the chance rate 1/2.
    """
    if not reviews:
        return {}
    fits = [r.right for r in reviews if r.fits]
    breaks = [r.right for r in reviews if not r.fits]
    disagreed = [r.grounded for r in reviews if not r.fits and not r.agree]
    fit_rate = sum(fits) / len(fits) if fits else 0.5
    catch_rate = sum(breaks) / len(breaks) if breaks else 0.5
    youden = fit_rate + catch_rate - 1.0
    out = {"main": 100.0 * max(0.0, youden), "critic_youden": youden,
           "critic_accuracy": sum(r.right for r in reviews) / len(reviews)}
    if fits:
        out["critic_fit_rate"] = fit_rate
    if breaks:
        out["critic_catch_rate"] = catch_rate
    if disagreed:
        out["critic_grounded_reasons"] = sum(disagreed) / len(disagreed)
    return out


@dataclass
class Replayed:
    """What happened in a record, recomputed from its params and accepted move texts."""

    scored: list[tuple[str, bool]] = field(default_factory=list)  # (word, consistent with earlier feedback)
    reviews: list[Review] = field(default_factory=list)
    disagreements: int = 0  # rounds whose proposal the critic disagreed with
    changed_after_disagree: int = 0


def replay_record(record: EpisodeRecord) -> Replayed:
    """Walk the record's accepted moves through the game's flow: in the critic experiment every guess after
    the first is proposed, reviewed, then made final."""
    params = record.instance.get("params", {})
    target = str(params.get("target", "")).lower()
    with_critic = bool(params.get("critic", False))
    out = Replayed()
    history: list[Entry] = []
    proposal: str | None = None
    verdict: Verdict | None = None
    for t in record.turns:
        if t.kind != "move" or not (t.parse or {}).get("ok"):
            continue  # only accepted moves change the state; errors are counted by the base scorer
        if t.speaker == "critic":
            if proposal is not None:
                verdict = parse_verdict(t.text)
                out.reviews.append(judge(proposal, history, verdict))
            continue
        word = parse_guess(t.text).word
        if with_critic and history and proposal is None:
            proposal = word
            continue
        if verdict is not None and not verdict.agree:
            out.disagreements += 1
            out.changed_after_disagree += int(word != proposal)
        out.scored.append((word, consistent(word, history)))
        if len(target) == len(word):
            history.append((word, feedback(word, target)))
        proposal, verdict = None, None
    return out
