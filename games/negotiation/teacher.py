"""The programmatic negotiator: the teacher's policy in either seat, and the belief tracker behind the notes.

It sees only what its role legitimately has: the public rules (the pool, the range of values, the turn
limit), its own values, and the moves of both players. Its picture of the partner's values comes from the
partner's SAYs alone (read by :func:`.talk.read`): the partner value vectors in the public range that fit
everything the partner said. The same class tracks what a learner-played role was told, so the game can say
whether that role could know a split to be good when it proposed it (the notes and the score use this).

Two seats: the **proposer** (the learner's seat; the teacher there is the reference player) makes the
proposals; the **responder** (the teacher partner) tells and asks about values and accepts a proposal only
when, by what it was told, the split is surely the best for both (the joint optimum). The responder
never proposes, so the best split is never handed to the learner: it has to find it by talking.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import product

from . import prompts
from .moves import Move
from .pool import ITEMS, MAX_VALUE, Vector, favourites, format_split, rest
from .talk import Comparison, Reading, holds, read

__all__ = ["MAX_CLARIFICATIONS", "Negotiator", "partner_pool", "sure_takes"]

#: Clarification questions a negotiator asks per episode at most, so that talk cannot stall the game.
MAX_CLARIFICATIONS = 2
#: The reference proposer stops asking and proposes its best guess when this few turns are left.
_LAST_TURNS = 2

Known = tuple[tuple[int, int], ...]
Hints = tuple[Comparison, ...]


def _ranges(known: Known) -> list[tuple[int, ...]]:
    numbers = dict(known)
    return [(numbers[i],) if i in numbers else tuple(range(MAX_VALUE + 1)) for i in range(len(ITEMS))]


@lru_cache(maxsize=4096)
def partner_pool(known: Known, hints: Hints) -> tuple[Vector, ...]:
    """The partner value vectors still possible by what the partner said: every value in the public range
    0..MAX_VALUE, its numbers (``known``, believed even outside the range) and, where they agree with the
    numbers, its comparisons (``hints``)."""
    fits = list(product(*_ranges(known)))
    agreeing = [v for v in fits if all(holds(h, v) for h in hints)]
    return tuple(agreeing or fits)


@lru_cache(maxsize=4096)
def projections(known: Known, hints: Hints) -> tuple[tuple[int, ...], ...]:
    """Per item type, the values the partner may still have for it (without comparisons every combination of
    them is possible, so nothing needs enumerating)."""
    if not hints:
        return tuple(_ranges(known))
    pool = partner_pool(known, hints)
    return tuple(tuple(sorted({v[i] for v in pool})) for i in range(len(ITEMS)))


def _allowed(count: int, mine: int, theirs: Sequence[int]) -> set[int]:
    """The shares of one type that are the optimum for every partner value in ``theirs``."""
    allowed = set(range(count + 1))
    if any(v < mine for v in theirs):
        allowed &= {count}
    if any(v > mine for v in theirs):
        allowed &= {0}
    return allowed


@lru_cache(maxsize=4096)
def sure_takes(counts: Vector, values: Vector, known: Known, hints: Hints) -> tuple[Vector, ...]:
    """Every bundle the negotiator with ``values`` can take that is the joint optimum for *every* partner
    vector still possible: the splits it can know to be the best. A split is the optimum for a partner
    vector when each type goes to whoever values it more (either way on a tie), so this is decided type by
    type over the values the partner may still have for it."""
    seen = projections(known, hints)
    options = (sorted(_allowed(c, mine, seen[i])) for i, (c, mine) in enumerate(zip(counts, values)))
    return tuple(product(*options))



class Negotiator:
    """Beliefs and policy of one negotiator. Feed it every valid move with :meth:`observe`; ask :meth:`move`."""

    def __init__(self, counts: Sequence[int], values: Sequence[int], *, disclosure: str, proposer: bool,
                 phrasing: str = "pairs") -> None:
        self.counts: Vector = tuple(counts)
        self.values: Vector = tuple(values)
        self.disclosure = disclosure
        self.phrasing = phrasing
        self.proposer = proposer
        # What the partner said about its values: exact numbers (latest wins) and comparisons.
        self.known: dict[int, int] = {}
        self.hints: list[Comparison] = []
        self.partner_talked_values = False
        # The partner asked a question, which is answered with the exact values.
        self.question_pending = False
        # The partner's last move was a vague statement about values not known exactly.
        self.to_clarify: Reading | None = None
        # Partner's item types talked about vaguely and not yet given a number.
        self.unclear: set[int] = set()
        # The partner's last move gave a number outside the public range: (item, number).
        self.to_check: tuple[int, int] | None = None
        self.clarifications = 0
        self.asked = False
        self.shared = False
        # The standing proposal as (proposed by me, what I would take), and whether the partner made it since
        # my last move (a responder answers it: accepts or says why not).
        self.standing: tuple[bool, Vector] | None = None
        self.fresh = False

    # ------------------------------------------------------------------ beliefs
    def observe(self, mine: bool, move: Move) -> None:
        """Update the picture after a valid move, by this negotiator (``mine``) or by its partner."""
        if not mine:
            self.to_clarify, self.to_check = None, None
        if move.kind == "propose":
            self.standing = (mine, move.take if mine else rest(self.counts, move.take))
            self.fresh = not mine
        elif move.kind == "say":
            reading = read(move.text)
            if mine:
                self._said(reading)
            else:
                self._heard(reading)
        if mine:
            self.to_clarify, self.to_check = None, None  # it had its chance to ask about them
            self.fresh = False

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
        self.hints.extend(h for h in reading.hints if h not in self.hints)
        self.unclear = (self.unclear | set(reading.vague_items)) - set(self.known)
        self.partner_talked_values = self.partner_talked_values or reading.mentions
        self.question_pending = self.question_pending or reading.question
        unclear = [i for i in reading.vague_items if i not in self.known]
        self.to_clarify = reading if unclear else None
        odd = [(i, v) for i, v in sorted(reading.values.items()) if v > MAX_VALUE]
        self.to_check = odd[0] if odd else None

    @property
    def knows_partner(self) -> bool:
        return len(self.known) == len(self.counts)

    def _state(self) -> tuple[Known, Hints]:
        return tuple(sorted(self.known.items())), tuple(self.hints)

    def pool(self) -> tuple[Vector, ...]:
        """The partner value vectors still possible by what the partner said."""
        return partner_pool(*self._state())

    def sure(self) -> tuple[Vector, ...]:
        """The bundles this negotiator can know to be the joint optimum."""
        return sure_takes(self.counts, self.values, *self._state())

    @property
    def ambiguous(self) -> bool:
        """Whether what the partner said leaves the best split open: no split is the optimum for every partner
        vector still possible, so a question is the right move, and a proposal would be a guess."""
        return not self.sure()

    def estimate(self) -> tuple[float, ...]:
        """Expected per-item values of the partner: the mean over the partner vectors still possible."""
        known, hints = self._state()
        if not hints:
            return tuple(sum(r) / len(r) for r in projections(known, hints))
        pool = self.pool()
        return tuple(sum(v[i] for v in pool) / len(pool) for i in range(len(self.counts)))

    def judge(self, take: Sequence[int]) -> str:
        """A responder's verdict on taking ``take``: ``untold`` until the partner has given a number for every
        type, then ``good`` (the joint optimum by those numbers) or ``bad``. Judging only on full numbers
        keeps the verdict from telling a guesser which types it got right while it withholds one value."""
        if not self.knows_partner:
            return "untold"
        return "good" if tuple(take) in self.sure() else "bad"

    def choose(self) -> Vector:
        """The split to propose: one that is surely the best, else (nothing is sure) the best by the expected
        partner values."""
        sure = self.sure()
        if sure:
            return sure[0]
        partner = self.estimate()
        pairs = zip(self.counts, self.values, partner)
        return tuple(c if m > p else 0 if m < p else c // 2 for c, m, p in pairs)

    # ------------------------------------------------------------------ policy
    def move(self, turns_left: int) -> str:
        """The next reply, in the game's move syntax. See the game card for the order of the rules."""
        return self._propose(turns_left) if self.proposer else self._respond()

    def _statement(self) -> str:
        exact = self.question_pending or self.disclosure == "exact" or self.proposer
        return (prompts.exact_values(self.values, self.phrasing) if exact
                else prompts.vague_values(favourites(self.values)))

    def _clarify(self) -> str | None:
        if self.clarifications >= MAX_CLARIFICATIONS:
            return None
        if self.to_check is not None:
            return prompts.check_range(*self.to_check)
        if self.to_clarify is not None:
            return prompts.clarification(self.to_clarify)
        return None

    def _respond(self) -> str:
        verdict = ""
        if self.fresh and self.standing is not None and not self.standing[0]:
            verdict = self.judge(self.standing[1])
            if verdict == "good":
                return "ACCEPT"
        parts = []
        if self.question_pending or not self.shared:
            parts.append(self._statement())
        if verdict:
            parts.append(prompts.REJECT_BAD if verdict == "bad" else prompts.REJECT_UNTOLD)
        clarify = self._clarify()
        if clarify is not None:
            parts.append(clarify)
        elif verdict == "untold" or (not self.partner_talked_values and not self.asked):
            parts.append(prompts.ASK_VALUES)
        return "SAY: " + " ".join(parts or [prompts.YOUR_PROPOSAL])

    def _propose(self, turns_left: int) -> str:
        parts = []
        if self.question_pending or not self.shared:
            parts.append(self._statement())
        clarify = self._clarify()
        if clarify is not None:
            parts.append(clarify)
        elif self.ambiguous and turns_left > _LAST_TURNS:
            parts.append(prompts.ASK_VALUES)
        if parts:
            return "SAY: " + " ".join(parts)
        take = self.choose()
        if self.standing == (True, take):
            return "SAY: " + prompts.PROPOSAL_STANDS
        return "PROPOSE: " + format_split(take)
