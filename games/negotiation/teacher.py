"""The programmatic negotiator: the teacher's policy in either seat, and the belief tracker behind the notes.

It sees only what its role legitimately has: the public rules (the pool, the range of values, the turn
limit), its own values, and the moves of both players. Its picture of the partner's values comes from the
partner's SAYs alone (read by :func:`.talk.read`): the partner value vectors in the public range that fit
everything the partner said. The same class tracks what a learner-played role was told, so the game can say
whether that role could know a split to be good when it proposed it (the notes and the score use this).

What a partner said narrows its values type by type: a number fixes it, a comparison with this
negotiator's value ("books matter more to me than to you") bounds it by the number this negotiator told for
that type (by its own value if it told none: the partner then compares with what it cannot know), a
difference in points fixes it again; comparisons among the partner's own types ("hats matter more to me
than books") rule out vectors.

Two seats: the **proposer** (the learner's seat; the teacher there is the reference player) makes the
proposals; the **responder** (the teacher partner) never states its own numbers: once the proposer has told
its values, it says for each type whether it is worth more or less to it than to the proposer, and it
accepts a proposal only when, by what it was told, the split is surely the best for both (the joint
optimum). The responder never proposes, so the best split is never handed to the learner: it has to find
it by talking.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache
from itertools import product

from . import prompts
from .moves import MAX_SAY_CHARS, Move
from .pool import ITEMS, MAX_VALUE, Vector, favourites, format_split, rest
from .talk import Comparison, Reading, holds, read

__all__ = ["MAX_CLARIFICATIONS", "Negotiator", "partner_pool", "sure_takes"]

#: Clarification questions a negotiator asks per episode at most, so that talk cannot stall the game.
MAX_CLARIFICATIONS = 2
#: The reference proposer stops asking and proposes its best guess when this few turns are left.
_LAST_TURNS = 2

Known = tuple[tuple[int, int], ...]
Hints = tuple[Comparison, ...]
#: Per item type, the range (low, high) a comparison left for the partner's value.
Bounds = tuple[tuple[int, int, int], ...]


def _ranges(known: Known, bounds: Bounds = ()) -> list[tuple[int, ...]]:
    numbers = dict(known)
    spans = {i: range(max(lo, 0), min(hi, MAX_VALUE) + 1) for i, lo, hi in bounds}
    full = tuple(range(MAX_VALUE + 1))
    return [(numbers[i],) if i in numbers else tuple(spans[i]) if i in spans and len(spans[i]) else full
            for i in range(len(ITEMS))]


@lru_cache(maxsize=4096)
def partner_pool(known: Known, hints: Hints, bounds: Bounds = ()) -> tuple[Vector, ...]:
    """The partner value vectors still possible by what the partner said: every value in the public range
    0..MAX_VALUE, its numbers (``known``, believed even outside the range), the ranges its comparisons with
    this negotiator's values left (``bounds``) and, where they agree with those, its comparisons among its
    own types (``hints``)."""
    fits = list(product(*_ranges(known, bounds)))
    agreeing = [v for v in fits if all(holds(h, v) for h in hints)]
    return tuple(agreeing or fits)


@lru_cache(maxsize=4096)
def projections(known: Known, hints: Hints, bounds: Bounds = ()) -> tuple[tuple[int, ...], ...]:
    """Per item type, the values the partner may still have for it (without comparisons among its types every
    combination of them is possible, so nothing needs enumerating)."""
    if not hints:
        return tuple(_ranges(known, bounds))
    pool = partner_pool(known, hints, bounds)
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
def sure_takes(counts: Vector, values: Vector, known: Known, hints: Hints, bounds: Bounds = ()) -> tuple[Vector, ...]:
    """Every bundle the negotiator with ``values`` can take that is the joint optimum for *every* partner
    vector still possible: the splits it can know to be the best. A split is the optimum for a partner
    vector when each type goes to whoever values it more (either way on a tie), so this is decided type by
    type over the values the partner may still have for it: what it needs to know is, per type, who values
    it more."""
    seen = projections(known, hints, bounds)
    options = (sorted(_allowed(c, mine, seen[i])) for i, (c, mine) in enumerate(zip(counts, values)))
    return tuple(product(*options))


def _fits(parts: Sequence[str]) -> bool:
    """Whether one SAY made of ``parts`` keeps to the length limit of a SAY (the teacher keeps the rules)."""
    return len(" ".join(parts)) <= MAX_SAY_CHARS


class Negotiator:
    """Beliefs and policy of one negotiator. Feed it every valid move with :meth:`observe`; ask :meth:`move`."""

    def __init__(self, counts: Sequence[int], values: Sequence[int], *, opening: str, proposer: bool,
                 phrasing: str = "pairs", talk_seed: int = 0) -> None:
        self.counts: Vector = tuple(counts)
        self.values: Vector = tuple(values)
        self.opening = opening
        self.phrasing = phrasing
        self.talk_seed = talk_seed
        self.proposer = proposer
        # What the partner said about its values: exact numbers and ranges left by its comparisons with mine
        # (per type, the latest wins), and comparisons among its own types.
        self.known: dict[int, int] = {}
        self.bounds: dict[int, tuple[int, int]] = {}
        self.hints: list[Comparison] = []
        self.partner_talked_values = False
        # The numbers I told the partner about my own values (latest wins): what its comparisons refer to.
        self.stated: dict[int, int] = {}
        # The partner's numbers my last comparison was made with (a responder compares anew when they change).
        self.compared: dict[int, int] = {}
        self.says = 0
        # The partner asked a question, which my next SAY answers.
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
        self.says += 1
        if reading.question:
            self.asked = True
            if self.to_clarify is not None or self.to_check is not None:
                self.clarifications += 1
        if reading.mentions:
            self.shared = True
        self.stated.update(reading.values)
        for i in reading.relative:
            if i in self.known:
                self.compared[i] = self.known[i]
        self.question_pending = False  # my SAY answers it (with my values, comparisons, or a request for yours)

    def _heard(self, reading: Reading) -> None:
        self.known.update(reading.values)
        for i in reading.values:
            self.bounds.pop(i, None)
        for i, (sign, points) in reading.relative.items():
            if not 0 <= i < len(self.counts):
                continue
            mine = self.stated.get(i, self.values[i])
            self.known.pop(i, None)
            if sign == 0 or points is not None:
                value = mine + sign * (points or 0)
                self.bounds[i] = (value, value)
            else:
                self.bounds[i] = (mine + 1, MAX_VALUE) if sign > 0 else (0, mine - 1)
        self.hints.extend(h for h in reading.hints if h not in self.hints)
        self.unclear = (self.unclear | set(reading.vague_items)) - set(self.known) - set(self.bounds)
        self.partner_talked_values = self.partner_talked_values or reading.mentions
        self.question_pending = self.question_pending or reading.question
        unclear = [i for i in reading.vague_items if i not in self.known]
        self.to_clarify = reading if unclear else None
        odd = [(i, v) for i, v in sorted(reading.values.items()) if v > MAX_VALUE]
        self.to_check = odd[0] if odd else None

    @property
    def knows_partner(self) -> bool:
        return len(self.known) == len(self.counts)

    def _state(self) -> tuple[Known, Hints, Bounds]:
        return (tuple(sorted(self.known.items())), tuple(self.hints),
                tuple((i, lo, hi) for i, (lo, hi) in sorted(self.bounds.items())))

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
        known, hints, bounds = self._state()
        if not hints:
            return tuple(sum(r) / len(r) for r in projections(known, hints, bounds))
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

    def _clarify(self) -> str | None:
        if self.clarifications >= MAX_CLARIFICATIONS:
            return None
        if self.to_check is not None:
            return prompts.check_range(*self.to_check)
        if self.to_clarify is not None:
            return prompts.clarification(self.to_clarify, prompts.ASK_COMPARE if self.proposer else prompts.ASK_VALUES)
        return None

    def _respond(self) -> str:
        verdict = ""
        if self.fresh and self.standing is not None and not self.standing[0]:
            verdict = self.judge(self.standing[1])
            if verdict == "good":
                return "ACCEPT"
        head: list[str] = []  # what it tells: comparisons, or its vague opening
        parts: list[str] = []  # why it turns a proposal down, what it asks
        if verdict:
            parts.append(prompts.REJECT_BAD if verdict == "bad" else prompts.REJECT_UNTOLD)
        clarify = self._clarify()
        if clarify is not None:
            parts.append(clarify)
        news = any(self.compared.get(i) != v for i, v in self.known.items())
        if self.known and (news or self.question_pending):
            rng = random.Random(f"{self.talk_seed}:{self.says}")
            said = prompts.comparisons(self.values, self.known, self.phrasing, rng)
            if _fits([said, *parts]):  # else they wait for the next SAY (the numbers stay news until compared)
                head.append(said)
        elif not self.known and self.opening == "vague" and not self.shared:
            head.append(prompts.vague_values(favourites(self.values)))
        missing = [i for i in range(len(self.counts)) if i not in self.known]
        if clarify is None and missing and (verdict == "untold" or news or self.question_pending or
                                            (not self.partner_talked_values and not self.asked)):
            ask = ([prompts.NEED_VALUES] if not self.known and not verdict else []) + [prompts.ask_values(missing)]
            if _fits([*head, *parts, *ask]):
                parts.extend(ask)
        return "SAY: " + " ".join([*head, *parts] or [prompts.YOUR_PROPOSAL])

    def _propose(self, turns_left: int) -> str:
        parts = []
        if self.question_pending or not self.shared:
            parts.append(prompts.exact_values(self.values))
        clarify = self._clarify()
        if clarify is not None:
            parts.append(clarify)
        elif self.ambiguous and turns_left > _LAST_TURNS:
            parts.append(prompts.ASK_COMPARE)
        if parts:
            return "SAY: " + " ".join(parts)
        take = self.choose()
        if self.standing == (True, take):
            return "SAY: " + prompts.PROPOSAL_STANDS
        return "PROPOSE: " + format_split(take)
