"""The programmatic negotiator: the teacher's policy for either role.

It sees only what its role legitimately has: the public rules (the pool, the value total, the turn limit,
the tolerance), its own values, and the moves of both players. Its picture of the partner's values comes
from the partner's SAYs alone (read by :func:`.talk.read`), so the same policy is the game's reference
player in the learner's seat.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import prompts
from .moves import Move
from .pool import Vector, favourites, format_split, rest, value_vectors
from .talk import Comparison, Reading, holds, read

__all__ = ["MAX_CLARIFICATIONS", "Negotiator"]

#: Clarification questions the teacher asks per episode at most, so that talk cannot stall the game.
MAX_CLARIFICATIONS = 2
_EPS = 1e-9


class Negotiator:
    """Beliefs and policy of one negotiator. Feed it every valid move with :meth:`observe`; ask :meth:`move`."""

    def __init__(self, counts: Sequence[int], total: int, values: Sequence[int], *, disclosure: str,
                 tolerance: float) -> None:
        self.counts: Vector = tuple(counts)
        self.total = total
        self.values: Vector = tuple(values)
        self.disclosure = disclosure
        self.tolerance = tolerance
        # What the partner said about its values: exact numbers (latest wins) and comparisons.
        self.known: dict[int, int] = {}
        self.hints: list[Comparison] = []
        self.partner_talked_values = False
        # The partner asked a question that the teacher answers with its exact values.
        self.question_pending = False
        # The partner's last move was a vague statement about values the teacher does not know exactly.
        self.to_clarify: Reading | None = None
        # Partner's item types talked about vaguely and not yet given a number: the open ambiguity.
        self.unclear: set[int] = set()
        # The partner's last move gave numbers that cannot be right: they do not add up to the total.
        self.to_check: int | None = None  # what the numbers add up to
        self.clarifications = 0
        self.asked = False
        self.shared = False
        # The standing proposal as (proposed by me, what I would take).
        self.standing: tuple[bool, Vector] | None = None

    # ------------------------------------------------------------------ beliefs
    def observe(self, mine: bool, move: Move) -> None:
        """Update the picture after a valid move, by this negotiator (``mine``) or by its partner."""
        if not mine:
            self.to_clarify, self.to_check = None, None
        if move.kind == "propose":
            self.standing = (mine, move.take if mine else rest(self.counts, move.take))
        elif move.kind == "say":
            reading = read(move.text)
            if mine:
                self._said(reading)
            else:
                self._heard(reading)
        if mine:
            self.to_clarify, self.to_check = None, None  # the teacher had its chance to ask about it

    def _said(self, reading: Reading) -> None:
        if reading.question:
            self.asked = True
            if self.to_clarify is not None or self.to_check is not None:
                self.clarifications += 1
        if reading.mentions:
            self.shared = True
        if len(reading.values) == len(self.counts):
            self.question_pending = False  # the exact values answer any question

    def _heard(self, reading: Reading) -> None:
        self.known.update(reading.values)
        self.hints.extend(reading.hints)
        self.unclear = (self.unclear | set(reading.vague_items)) - set(self.known)
        self.partner_talked_values = self.partner_talked_values or reading.mentions
        self.question_pending = self.question_pending or reading.question
        unclear = [i for i in reading.vague_items if i not in self.known]
        self.to_clarify = reading if unclear else None
        worth = sum(self.counts[i] * v for i, v in self.known.items() if i < len(self.counts))
        if reading.values and (worth > self.total or (self.knows_partner and worth != self.total)):
            self.to_check = worth

    @property
    def knows_partner(self) -> bool:
        return len(self.known) == len(self.counts)

    def estimate(self) -> tuple[float, ...]:
        """Expected per-item values of the partner: the mean over every value vector (the uniform prior)
        that agrees with what the partner said; comparisons are dropped if they contradict its numbers."""
        fits = [v for v in value_vectors(self.counts, self.total)
                if all(v[i] == x for i, x in self.known.items())]
        if not fits:
            # The partner's numbers do not add up to the total: believe the numbers, share out the rest.
            missing = [i for i in range(len(self.counts)) if i not in self.known]
            left = max(0, self.total - sum(self.counts[i] * x for i, x in self.known.items()))
            per = left / sum(self.counts[i] for i in missing) if missing else 0.0
            return tuple(float(self.known.get(i, per)) for i in range(len(self.counts)))
        agreeing = [v for v in fits if all(holds(h, v) for h in self.hints)]
        pool = agreeing or fits
        return tuple(sum(v[i] for v in pool) / len(pool) for i in range(len(self.counts)))

    def expected_joint(self, take: Sequence[int], partner: Sequence[float]) -> float:
        """Joint value of taking ``take``, with the partner's values as estimated."""
        return sum(t * v + (c - t) * p for t, c, v, p in zip(take, self.counts, self.values, partner))

    def best(self, partner: Sequence[float]) -> Vector:
        """The split with the highest expected joint value: each item to whoever (probably) values it more;
        an item both value the same is shared, the partner getting the odd one."""
        take = []
        for c, v, p in zip(self.counts, self.values, partner):
            take.append(c if v > p + _EPS else 0 if v < p - _EPS else c // 2)
        return tuple(take)

    def acceptable(self, take: Sequence[int], partner: Sequence[float]) -> bool:
        """Within the tolerance of the best joint value the teacher can infer."""
        best = self.expected_joint(self.best(partner), partner)
        return self.expected_joint(take, partner) >= (1.0 - self.tolerance) * best - _EPS

    # ------------------------------------------------------------------ policy
    def move(self) -> str:
        """The next reply, in the game's move syntax. See the game card for the order of the rules."""
        parts = []
        if self.question_pending:
            parts.append(prompts.exact_values(self.values))
        if self.clarifications < MAX_CLARIFICATIONS:
            if self.to_check is not None:
                parts.append(prompts.check_total(self.to_check, self.total))
            elif self.to_clarify is not None:
                parts.append(prompts.clarification(self.to_clarify))
        if parts:
            return "SAY: " + " ".join(parts)
        partner = self.estimate()
        offered = self.standing is not None and not self.standing[0]
        if offered and self.knows_partner and self.acceptable(self.standing[1], partner):  # type: ignore[index]
            return "ACCEPT"
        if not self.shared:
            text = (prompts.exact_values(self.values) if self.disclosure == "exact"
                    else prompts.vague_values(favourites(self.values)))
            return "SAY: " + text
        if not self.partner_talked_values and not self.asked:
            return "SAY: " + prompts.ASK_VALUES
        if offered and self.acceptable(self.standing[1], partner):  # type: ignore[index]
            return "ACCEPT"
        best = self.best(partner)
        if self.standing == (True, best):
            return "SAY: " + prompts.PROPOSAL_STANDS
        return "PROPOSE: " + format_split(best)
