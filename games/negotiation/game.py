"""Negotiation: the game card (:class:`Negotiation`), the instance generator, the scorer and the episode."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

from ..episode import Episode, MoveError, RuleError
from ..game import Game
from ..records import EpisodeRecord
from ..seeding import split_of
from . import prompts
from .moves import MAX_SAY_CHARS, Move, parse_move
from .pool import (
    ITEMS,
    Vector,
    favourites,
    is_pareto,
    joint_value,
    max_joint,
    overlap,
    rest,
    value_of,
    value_vectors,
)
from .talk import holds, read
from .teacher import Negotiator

__all__ = ["LEVELS", "Level", "Negotiation", "NegotiationEpisode"]

#: Valid moves (both players together) before the game ends without agreement.
MAX_TURNS = 16
#: The teacher accepts a split whose (expected) joint value is at least (1 - TOLERANCE) x the best it infers.
TOLERANCE = 0.05
#: Rejection-sampling bound of the generator; the shipped levels need a few dozen draws on average.
_MAX_DRAWS = 100_000


@dataclass(frozen=True)
class Level:
    """How one experiment draws instances."""

    count_range: tuple[int, int]  # items per type
    item_range: tuple[int, int]  # items in the pool
    total: int  # the pool's worth to each player
    overlap_range: tuple[float, float]  # [lo, hi) of pool.overlap
    same_favourite: bool | None  # both have the same single top item type / disjoint top types / either
    disclosure: str  # how the teacher first talks about its values: "exact" or "vague"
    needs_talk: bool  # neither player's best guess from its own values alone is a joint optimum


LEVELS: dict[str, Level] = {
    "easy": Level((1, 3), (4, 7), 10, (0.0, 0.3), False, "exact", False),
    "medium": Level((1, 4), (5, 8), 10, (0.3, 0.6), None, "vague", True),
    "hard": Level((2, 6), (9, 14), 20, (0.5, 0.85), True, "vague", True),
}


def _guess_is_optimal(counts: Vector, total: int, mine: Vector, theirs: Vector) -> bool:
    """Whether the split a player would propose knowing only its own values (the teacher's policy with
    nothing heard) is already a joint optimum."""
    alone = Negotiator(counts, total, mine, disclosure="exact", tolerance=TOLERANCE)
    take = alone.best(alone.estimate())
    return joint_value(counts, take, mine, theirs) == max_joint(counts, mine, theirs)


def _admissible(level: Level, counts: Vector, a: Vector, b: Vector) -> bool:
    if any(x == 0 and y == 0 for x, y in zip(a, b)):
        return False  # an item nobody wants makes no difference to anything
    if sum(x > 0 for x in a) < 2 or sum(y > 0 for y in b) < 2:
        return False  # a player who wants one type only makes the split obvious
    lo, hi = level.overlap_range
    if not lo <= overlap(counts, a, b, level.total) < hi:
        return False
    fa, fb = favourites(a), favourites(b)
    if level.same_favourite is True and not (len(fa) == 1 and fa == fb):
        return False
    if level.same_favourite is False and set(fa) & set(fb):
        return False
    # Where talk is needed, neither player's guess from its own values alone may already be optimal.
    return not level.needs_talk or not (_guess_is_optimal(counts, level.total, a, b)
                                        or _guess_is_optimal(counts, level.total, b, a))


class Negotiation(Game):
    """Negotiation: split a pool of books, hats and balls so that the JOINT value for both players is highest.

    After Lewis et al. (2017), "Deal or no deal?", made cooperative: both players gain the same score, the
    sum of what each gets by its own private values, so the task is to find out who values what and give
    every item to whoever values it more.

    Roles
        ``alice`` and ``bob``, two negotiators with the same moves; Alice moves first, then they alternate.
        The learner may play either; the programmatic teacher plays the other.

    Experiments
        ``easy``: aligned interests (the players mostly want different items: value overlap < 0.3,
        different favourite types), 1-3 items per type, 4-7 items; the teacher states its exact values
        at once.
        ``medium``: partly shared interests (overlap 0.3-0.6), 1-4 per type, 5-8 items; the teacher first
        only says which type it values most and gives numbers when asked.
        ``hard``: conflicting interests (overlap 0.5-0.85, both players value the same type most), larger
        pools (2-6 per type, 9-14 items, values add up to 20); the teacher is first vague as in medium.
        In medium and hard, talk is needed: neither player's best split from its own values alone (the
        teacher's proposal with nothing heard) is a joint optimum.
        The overlap is the pool's value counted at the lower of the two players' values, over the total.

    Instances
        ``params = {"items": ["books", "hats", "balls"], "counts": [3 ints], "values": {"alice": [3 ints],
        "bob": [3 ints]}, "total": 10 or 20, "max_turns": 16, "disclosure": "exact"|"vague",
        "tolerance": 0.05, "max_joint": int}``. Values are whole points per item; under each player's
        values the pool is worth ``total``; every type is worth something to someone; each player values
        at least two types. Instances are drawn by rejection sampling with the instance rng; a
        configuration (pool and the two value vectors, either way round) belongs to one split by
        ``split_of``, so no test configuration occurs in train or validation.

    Action format (one move per reply; keywords case-insensitive, the colon optional)
        ``SAY: <text>`` (1-300 characters, may span lines), e.g. ``SAY: My values are books=2 hats=1
        balls=3. What are yours?``; ``PROPOSE: books=<n> hats=<n> balls=<n>`` (the items the mover takes,
        the partner gets the rest; every type exactly once, ``=`` or ``:``, separated by spaces, commas or
        "and"), e.g. ``PROPOSE: books=1 hats=0 balls=2``; ``ACCEPT`` alone (a final ``.`` or ``!`` is
        forgiven).
        Format errors (a ``correction``, then a repair): no move keyword at the start, two moves in one
        reply, text after ACCEPT, an empty or too long SAY, a proposal with a missing, repeated or unknown
        item type or any other text. Rule errors (a ``correction``): a count above the pool ("There are
        only 2 hats in the pool, so you cannot take 3. ..."), a negative count, ACCEPT when there is no
        proposal, ACCEPT of one's own proposal. Invalid replies use up no turn; the third invalid reply of
        a kind in a row aborts the episode.

    Flow
        Each valid move uses one of the ``max_turns`` (16) turns and is relayed to the partner: a SAY as
        ``observation`` ("Bob says: ..."), or as ``clarification`` when it contains a question (a sentence
        ending in ``?``); a proposal as ``observation`` with what the receiver's share is worth to it.
        An ``environment`` line follows ("(13 turns left.) Your move."). A proposal stands until either
        player proposes again; ACCEPT takes the partner's standing proposal and ends the game.

    Teacher (the same policy in either role; it uses only its own values, the public rules and the moves)
        It reads a partner's SAY with a fixed rule set (``talk.py``): ``item=<n>``, "books are worth 3",
        "3 for books", "hats and balls are worthless" give numbers; a statement that names an item type
        without a number ("I like hats", "books matter more to me than balls", "books and hats are worth
        2") is **vague**, and read as a comparison where the words allow; sentences ending in ``?`` are
        questions; talk about the split itself ("I take the books") is ignored. Its estimate of the
        partner's values is the mean over all value vectors that fit the total and what the partner said
        (comparisons dropped if they contradict the numbers). Each turn, in this order:
        1. if the partner asked a question, answer it with its exact values ("My values per item: books=2
        hats=1 balls=3."), and/or ask a **clarification** (at most 2 per episode) -- both in one SAY --
        when the partner's last SAY was vague about an item whose value it does not know ("Do you mean
        hats are worth more to you than books and balls? What is each book, hat and ball worth to you, in
        points?") or gave numbers that cannot be right ("By those numbers the whole pool would be worth 5
        points to you, not 10. Did I get that right? What is each ...?");
        2. ACCEPT the partner's standing proposal if it knows all the partner's values and the proposal's
        joint value is within ``tolerance`` (5%) of the best;
        3. if it has not yet talked about its values: state them (exact in easy; in medium/hard only
        "Balls are worth the most to me.", numbers when asked);
        4. if the partner has said nothing about its values, ask for them, once;
        5. ACCEPT a standing proposal within the tolerance of the best expected joint value;
        6. PROPOSE the split with the highest expected joint value (each type to whoever probably values
        it more; a type both value the same is shared), or, if its standing proposal is still that split,
        say that it stands.
        Teacher against teacher: both learn every value and agree on a joint optimum.

    Episode end
        ``success`` on an agreement (any split); ``lose`` after 16 valid moves without one (or at
        ``max_moves`` = 48 replies in all); ``aborted`` after too many invalid replies.

    Rewards (every move, from the mover's view; the joint value is the same for both)
        PROPOSE: the change of the standing proposal's joint value, as a share of the joint optimum (no
        standing proposal counts as 0): improving the table pays, a worse counter-proposal costs.
        ACCEPT: +1 when the deal is at the joint optimum, else 0.5 x its joint value ratio.
        SAY: +0.1 when it tells the partner at least one of the mover's own values correctly for the first
        time, -0.1 instead when it states a value or an explicit comparison that is false of the mover's
        values; +0.1 more for a question while something the partner said about its values is still
        vague. Format error -1, rule error -0.5.

    Notes on moves (``parse``)
        ``act``: ``propose``/``accept``/``say``, or ``clarify`` for a SAY with a question; ``ambiguous``:
        the partner has talked vaguely about an item type and not yet given its number, so a question is
        in order; ``consistent`` (SAYs that state values or comparisons): true of the mover's values.
        Proposals and acceptances note ``joint_ratio``; proposals also ``take``.

    Scores (from the record's params and move texts only)
        ``main`` = 100 x ``joint_value_ratio``; ``joint_value_ratio``: joint value of the agreed split over
        the joint optimum, 0 without agreement; ``pareto_optimal``: 1 if the agreed split is Pareto-optimal
        (no split gives both at least as much and one of them more), 0 otherwise or without agreement;
        ``agreement`` (0/1); ``turns``: valid moves made (0-16).

    Feedback kinds
        ``instruction`` (rules, pool, own values, reply format), ``observation`` (the partner's statements
        and proposals), ``clarification`` (the partner's questions: the teacher's clarification requests
        and requests for values), ``correction`` (format and rule errors, with a repair), ``environment``
        (turns left, the deal and its joint value, no deal at the turn limit, the abort message).

    Version history
        v1: first version.
    """

    name = "negotiation"
    version = 1
    roles = ("alice", "bob")
    learner_roles = ("alice", "bob")
    experiments = tuple(LEVELS)
    max_moves = MAX_TURNS * 3
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "joint_value_ratio": (0.0, 1.0),
        "pareto_optimal": (0.0, 1.0),
        "agreement": (0.0, 1.0),
        "turns": (0.0, float(MAX_TURNS)),
    }

    # ------------------------------------------------------------ instances
    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        level = LEVELS[experiment]
        lo, hi = level.count_range
        for _ in range(_MAX_DRAWS):
            counts = tuple(rng.randint(lo, hi) for _ in ITEMS)
            if not level.item_range[0] <= sum(counts) <= level.item_range[1]:
                continue
            vectors = value_vectors(counts, level.total)
            if not vectors:
                continue  # e.g. 3 of each type cannot be worth 10 in whole points
            a, b = rng.choice(vectors), rng.choice(vectors)
            if not _admissible(level, counts, a, b):
                continue
            # The key ignores who is who: the same game seen from the other seat is the same configuration.
            key = f"{list(counts)}|{sorted([list(a), list(b)])}|{level.total}"
            if split_of(key, salt="negotiation") != split:
                continue
            return {
                "items": list(ITEMS), "counts": list(counts), "values": {"alice": list(a), "bob": list(b)},
                "total": level.total, "max_turns": MAX_TURNS, "disclosure": level.disclosure,
                "tolerance": TOLERANCE, "max_joint": max_joint(counts, a, b),
            }
        raise RuntimeError(f"negotiation: no {experiment} instance found for {split} (index {index})")

    def episode_class(self) -> type[Episode]:
        return NegotiationEpisode

    # --------------------------------------------------------------- scoring
    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        params = record.instance.get("params", {})
        counts = tuple(int(c) for c in params.get("counts", ()))
        values = {r: tuple(int(v) for v in params.get("values", {}).get(r, ())) for r in self.roles}
        standing: tuple[str, Vector] | None = None
        agreed: tuple[str, Vector] | None = None
        turns = 0
        for t in record.turns:
            if t.kind != "move" or not (t.parse or {}).get("ok"):
                continue
            turns += 1
            try:
                move = parse_move(t.text)
            except MoveError:  # cannot happen for a move that parsed live; a hand-edited record is no crash
                continue
            if move.kind == "propose":
                standing = (t.speaker, move.take)
            elif move.kind == "accept" and standing is not None:
                agreed = standing
        scores = {"joint_value_ratio": 0.0, "pareto_optimal": 0.0, "agreement": 0.0, "turns": float(turns)}
        if agreed is not None and counts and all(len(v) == len(counts) for v in values.values()):
            proposer, take = agreed
            mine, theirs = values[proposer], values[prompts.other(proposer)]
            best = max_joint(counts, mine, theirs)
            scores["agreement"] = 1.0
            scores["joint_value_ratio"] = joint_value(counts, take, mine, theirs) / best if best else 1.0
            scores["pareto_optimal"] = float(is_pareto(counts, take, mine, theirs))
        scores["main"] = 100.0 * scores["joint_value_ratio"]
        return scores


class NegotiationEpisode(Episode):
    """One negotiation. State: the standing proposal, the turn count and one :class:`Negotiator` per role
    (the teacher's policy; for a learner-played role it only tracks what that role was told, for the notes)."""

    game: Negotiation

    def start(self) -> None:
        p = self.params
        self.counts: Vector = tuple(int(c) for c in p["counts"])
        self.total = int(p["total"])
        self.max_turns = int(p.get("max_turns", MAX_TURNS))
        self.values: dict[str, Vector] = {r: tuple(int(v) for v in p["values"][r]) for r in self.game.roles}
        self.best_joint = max_joint(self.counts, self.values["alice"], self.values["bob"])
        self.standing: tuple[str, Vector] | None = None  # (proposer, what the proposer takes)
        self.turn = 0
        # Own values each role has told its partner correctly (numbers), for the SAY reward.
        self.told: dict[str, set[int]] = {r: set() for r in self.game.roles}
        self.negotiators = {
            r: Negotiator(self.counts, self.total, self.values[r], disclosure=str(p.get("disclosure", "exact")),
                          tolerance=float(p.get("tolerance", TOLERANCE)))
            for r in self.game.roles
        }
        for role in self.game.roles:
            self.tell(role, prompts.instructions(role, self.counts, self.values[role], self.total,
                                                 self.max_turns, MAX_SAY_CHARS), "instruction")
        self.expect("alice")

    # ---------------------------------------------------------------- moves
    def parse(self, role: str, text: str) -> Move:
        return parse_move(text)

    def apply(self, role: str, move: Move) -> float:
        partner = prompts.other(role)
        ambiguous = bool(self.negotiators[role].unclear)
        if move.kind == "propose":
            reward = self._propose(role, move.take)
        elif move.kind == "accept":
            reward = self._accept(role)
        else:
            reward = self._say(role, move.text, ambiguous)
        self.note(ambiguous=ambiguous)
        self.negotiators[role].observe(True, move)
        self.negotiators[partner].observe(False, move)
        self.turn += 1
        if not self.done:
            if self.turn >= self.max_turns:
                for r in self.game.roles:
                    self.tell(r, prompts.no_deal(self.max_turns), "environment")
                self.finish("lose", f"no agreement in {self.max_turns} turns")
            else:
                self.tell(partner, prompts.turns_left(self.max_turns - self.turn), "environment")
                self.expect(partner)
        return round(reward, 6)

    def _ratio(self, proposer: str, take: Vector) -> float:
        joint = joint_value(self.counts, take, self.values[proposer], self.values[prompts.other(proposer)])
        return joint / self.best_joint if self.best_joint else 1.0

    def _propose(self, role: str, take: Vector) -> float:
        for i, (t, c) in enumerate(zip(take, self.counts)):
            if t < 0:
                raise RuleError(prompts.negative(i, t))
            if t > c:
                raise RuleError(prompts.too_many(i, t, c))
        before = self._ratio(*self.standing) if self.standing is not None else 0.0
        self.standing = (role, take)
        after = self._ratio(role, take)
        self.note(act="propose", take=list(take), joint_ratio=round(after, 6))
        partner = prompts.other(role)
        self.tell(partner, prompts.relay_proposal(role, take, self.counts, self.values[partner]), "observation",
                  speaker=role)
        return after - before

    def _accept(self, role: str) -> float:
        if self.standing is None:
            raise RuleError(prompts.NO_PROPOSAL)
        proposer, take = self.standing
        if proposer == role:
            raise RuleError(prompts.OWN_PROPOSAL.format(them=prompts.NAMES[prompts.other(role)]))
        ratio = self._ratio(proposer, take)
        joint = round(ratio * self.best_joint)
        self.note(act="accept", joint_ratio=round(ratio, 6))
        for r in self.game.roles:
            share = take if r == proposer else rest(self.counts, take)
            self.tell(r, prompts.deal(role, proposer, take, self.counts, value_of(share, self.values[r]), joint,
                                      self.best_joint), "environment")
        self.finish("success", f"agreement at {ratio:.0%} of the joint optimum")
        return 1.0 if ratio >= 1.0 else 0.5 * ratio

    def _say(self, role: str, text: str, ambiguous: bool) -> float:
        reading = read(text)
        own = self.values[role]
        claims = [h for h in reading.hints if h.claim]
        false = any(own[i] != v for i, v in reading.values.items() if i < len(own)) or \
            any(not holds(h, own) for h in claims)
        new = {i for i, v in reading.values.items() if i < len(own) and own[i] == v} - self.told[role]
        self.told[role] |= new
        reward = -0.1 if false else (0.1 if new else 0.0)
        if reading.question and ambiguous:
            reward += 0.1
        notes: dict[str, Any] = {"act": "clarify" if reading.question else "say"}
        if reading.values or claims:
            notes["consistent"] = not false
        self.note(**notes)
        kind = "clarification" if reading.question else "observation"
        self.tell(prompts.other(role), prompts.relay_say(role, text), kind, speaker=role)
        return reward

    # -------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        return self.negotiators[role].move()
