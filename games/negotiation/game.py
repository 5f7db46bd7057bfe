"""Negotiation: the game card (:class:`Negotiation`), the episode (:class:`NegotiationEpisode`)."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from ..episode import Episode, RuleError
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord
from . import prompts, scoring
from .attacks import negotiation_policies
from .generator import LEVELS, MAX_TURNS, config_key, make_params
from .moves import BARE, KEYWORDS, MAX_SAY_CHARS, Move, parse_move
from .pool import (
    ITEMS,
    MAX_VALUE,
    Vector,
    format_split,
    gain,
    is_best,
    joint_value,
    max_joint,
    rest,
    value_of,
)
from .talk import holds, read

__all__ = ["Negotiation", "NegotiationEpisode", "PROPOSAL_REWARDS"]

#: The reward of a proposal by what it was (``scoring.classify``); a grounded one earns its gain (1 at the
#: optimum). A guess halves the main score, a contradiction zeroes it.
PROPOSAL_REWARDS = {"lucky": 0.0, "guess": -0.25, "contradicts": -0.5}


class Negotiation(Game):
    """Negotiation: the learner proposes a split of books, hats, balls and pens with the highest JOINT value.

    After Lewis et al. (2017), "Deal or no deal?", made cooperative: both players gain the same score, the sum
    of what each gets by its own private values, so the task is to find out who values what and give every
    item to whoever values it more. The learner is the one who proposes; its partner compares, asks and
    judges. The partner never says its own numbers: once the learner has told its values, it says for each
    type whether it is worth more or less to it than to the learner ("Books matter more to me than to you,
    hats less; you value balls more than I do."), which is all the best split needs. So the learner has to
    tell its values, understand comparisons item by item (which type, which direction, from whose side), and
    work out the split.

    Roles
        ``alice`` and ``bob``; Alice moves first, then they alternate. The learner may play either seat; the
        learner's seat is the **proposer** (SAY or PROPOSE), the other seat the **responder** (SAY or ACCEPT),
        played by the programmatic teacher. In teacher self-play the teacher takes both seats the same way.

    Experiments
        Values are drawn type by type: the two players' values of a type are ``gap`` points apart in the
        public range 0-10, and a fair coin says who has the higher one, so one's own values do not tell who
        values a type more (only values at the ends of the range give it away). Every configuration needs
        talk, from either seat: with nothing heard no split is surely the best, nor (medium, hard) after the
        responder's first, vague statement.
        In every level the responder compares the types in a random order, each from a random side: "more to
        me than to you" and "less to you than to me" say the same, so neither the order, nor the words *more*
        and *less*, nor *me* and *you* alone tell who values a type more; only the three read together do.
        ``easy``: 1-2 items per type, 4-7 items, gaps 1-2; the responder opens by asking for the proposer's
        values and compares in labelled sentences ("Books: worth more to me than to you. Hats: worth less
        to you than to me. ...").
        ``medium``: 1-3 per type, 5-9 items, gaps 1-2; the responder opens by saying which type it values
        most ("Balls are worth the most to me.") and asking; it compares in running text, where a clause
        from the same side as the one before it in the sentence keeps its frame ("I value books more than
        you do, hats less, and pens more. A ball is worth more to you than to me.").
        ``hard``: 2-4 per type, 9-14 items, gap 1 (the players' values of every type are one point apart);
        opens as in medium; compares as in medium with the difference in points, in words ("A book is worth
        one point more to me than to you, a hat one point less; you value pens one point more than I do.").

    Instances
        ``params = {"items": ["books", "hats", "balls", "pens"], "counts": [4 ints], "values": {"alice": [4 ints],
        "bob": [4 ints]}, "max_value": 10, "max_turns": 16, "opening": "ask"|"vague", "phrasing":
        "pairs"|"sentences"|"differences", "max_joint": int, "talk_seed": int}`` (``talk_seed``: the responder's
        random order and sides, drawn after the configuration). A configuration (pool and both value vectors,
        either way round) belongs to one split by ``split_of``, so no test configuration occurs in train or
        validation; ``instance_key`` is the configuration, so no split holds one twice (the other seat of a
        configuration is the same item). Everything is drawn with the instance rng: another instance seed gives
        other instances with the same levels. Test split: 40 per level.

    Action format (one move line per reply, by the Playpen's move grammar: chatter around it is ignored,
    Markdown decoration forgiven, keywords in any case)
        ``SAY: <text>`` (one line, 1-300 characters), ``PROPOSE: books=<n> hats=<n> balls=<n> pens=<n>`` (the
        items the mover takes, the partner gets the rest; every type exactly once, ``=`` or ``:``, separated
        by spaces, commas or "and"), ``ACCEPT`` alone on its line. The instructions' examples show the forms
        with ``<n>`` placeholders only, never the role's own values or a split.
        Format errors (a ``correction``, then a repair): no move line, two move lines, an empty or too long
        SAY, a proposal with a missing, repeated or unknown item type or any other text. Rule errors (a
        ``correction``): a count above the pool ("There are only 2 hats in the pool, so you cannot take 3.
        ..."), a negative count, ACCEPT by the proposer or with no proposal, PROPOSE by the responder. Invalid
        replies use up no turn; the third invalid reply of a kind in a row aborts the episode.

    Flow
        Each valid move uses one of the 16 turns and is relayed to the partner: a SAY as ``observation``
        ("Bob says: ..."), or as ``clarification`` when it contains a question (a sentence ending in ``?``);
        a proposal as ``observation`` with what the receiver's share is worth to it. An ``environment`` line
        follows ("(13 turns left.) Your move."). ACCEPT takes the standing proposal and ends the game.

    Teacher (it uses only its own values, the public rules and the moves; the same code tracks what a
    learner's seat was told)
        It reads a partner's SAY with a fixed rule set (``talk.py``): ``item=<n>``, "books are worth 3", "3
        for books", "a book two and a hat nothing", "hats and balls are worthless" give numbers; a clause that
        compares the speaker's value of a type with the listener's gives its direction ("books matter more to
        me than to you", "you value hats less than I do", "books: worth less to you than to me", "..., pens
        more" keeping the frame of the clause before it in the sentence; the player after *than* is the one
        compared with; a number in it is the difference); a statement that names an item type without a
        number or such a comparison ("I like hats", "books matter more to me than balls") is **vague**, and
        read as a comparison among the speaker's types where the words allow; sentences ending in ``?`` are
        questions; talk about the split itself ("I take the books") is ignored. The partner vectors still
        possible are those in the public range that fit the partner's numbers, its comparisons with this
        player's values (made with the number this player told for the type: "more to me than to you" after
        "books=4" leaves 5-10) and (where they agree) its comparisons among its own types. A split is **sure**
        for a player when it is the joint optimum for every partner vector still possible, i.e. when what it
        was told settles who values each type more; with none sure, the player's situation is **ambiguous**.
        Responder, each turn: ACCEPT a new proposal if it is sure by what it was told; else one SAY made of:
        its comparisons with every number the partner gave, whenever new numbers came or it was asked a
        question ("Here is how my values compare with yours. ..."); with no number of the partner's yet, in
        medium and hard its opening "Balls are worth the most to me." (once) and, whenever it asks, "I can
        tell you how my values compare with yours once I know yours."; why a new proposal is turned down: "I
        cannot agree to any split before I know what each item is worth to you." until the partner has given
        a number for every type (so the verdict never tells a guesser which types it got right), then "...
        that split is not the best for both of us."; a clarification request (at most 2 per episode) when the
        partner's last SAY was vague about a type whose number it does not know ("Do you mean hats are worth
        more to you than books, balls and pens? What is each ...?") or gave a number above 10; else a request
        for the numbers it lacks when it turned a proposal down for want of them, was asked, or compared
        some, or once when it has heard nothing about them. Its SAY keeps to the 300 characters: comparisons
        that do not fit beside a turning-down or a clarification request wait for its next SAY. With nothing
        to say: "I leave the split to you: propose one when you know enough." It never states its own numbers
        and never proposes: the best split is never handed to the learner.
        Proposer (the reference player in the learner's seat): states its exact values first; answers
        questions; asks for clarification as above, and how the partner's values compare with its own while
        its situation is ambiguous (until 2 turns are left); then proposes a sure split. Teacher against
        teacher: the proposer tells its values, the responder compares, and they agree on the joint optimum
        in 4 (alice proposing) or 5 (bob proposing) turns.

    Episode end
        ``success`` on an agreement (any split); ``lose`` after 16 valid moves without one (or at
        ``max_moves`` = 48 replies in all); ``aborted`` after too many invalid replies.

    Scores (from the record's params and move texts only; the moves are fed to the trackers again)
        Each proposal of the learner is, by what it had been told when it made it: **grounded** (sure),
        **lucky** (the optimum, but not sure: it could not know), a **guess** (wrong, made while ambiguous) or
        a **contradiction** (wrong although what it had been told settled the best split).
        ``main`` = 100 x ``joint_gain`` of the deal x 0.5^guesses, if the accepted proposal was grounded and
        no proposal contradicted what the partner said; else 0 (no deal, a lucky deal, a contradiction). A
        grounded deal is the optimum, so ``main`` is 100, 50, 25, ... for a learner that found out, and 0 for
        one that did not. ``joint_gain`` = (J - J_min) / (J* - J_min): where the deal's joint value lies
        between the worst and the best split (0 without agreement); ``joint_value_ratio`` = J / J*;
        ``pareto_optimal``; ``agreement``; ``grounded`` (deals only); ``turns`` (valid moves, 0-16);
        ``proposals``, ``guesses``, ``contradictions`` (the learner's).

    Rewards (every move, from the mover's view)
        PROPOSE: its gain (1 at the optimum) if grounded, 0 if lucky, -0.25 for a guess, -0.5 for a
        contradiction. ACCEPT: the deal's gain. SAY: +0.1 when it tells the partner at least one of the
        mover's own values correctly for the first time, -0.1 instead when it states a value or an explicit
        comparison that is false of the mover's values (a comparison with the partner: of the mover's value
        against the number the partner told for the type, else the partner's value); +0.1 more for a
        question while the mover's situation is ambiguous. Format error -1, rule error -0.5.

    Notes for CLU2 (each move's ``parse`` field; both seats get them, only the learner's count)
        ``act``: ``propose``, ``accept``, ``clarify`` (a SAY with a question: it asks for what it needs to know),
        ``say``, or ``reject`` (the responder's SAY right after a proposal it did not accept).
        ``ambiguous`` (every valid move; a question is always allowed): ground truth is the tracker's: by what
        the partner has said so far, no split is surely the best, so asking is the right move and proposing would
        be a guess. It is true at the start (own values never settle the split here), stays true after a vague
        statement ("Balls are worth the most to me") and after the learner told its values, until the partner's
        comparisons (or numbers) say who values each type more.
        ``consistent``: on a SAY that states values or an explicit comparison (among the mover's types, or with
        the partner's value as in Rewards), whether it is true of the mover's values (so also whether it agrees
        with what the mover said before); on a PROPOSE (ACCEPT) made when what the mover had been told settled
        the best split, whether the split is that split (a contradiction is ``False``).
        ``repaired``: on the move that answers the partner's clarification request or turning-down, whether it
        fixes what was named: it gives numbers for every type the request named (a vague type, or, after "I
        cannot agree to any split before I know ...", every type the partner did not know; answering the
        proposer, comparisons do too, since the proposer asks for those); it gives a number within 0-10 for the
        type whose number was out of range; after "that split is not the best", the next proposal (questions in
        between are allowed) is the optimum. Format and rule corrections are not counted as repairs (recovering
        the format is not fixing a named misunderstanding). Game-specific: ``proposal``
        (grounded/lucky/guess/contradicts), ``take``, ``joint_ratio``.

    Feedback kinds
        ``instruction`` (rules, pool, own values, reply format), ``observation`` (the partner's statements
        and proposals), ``clarification`` (the partner's questions: clarification requests and requests for
        values), ``correction`` (format and rule errors, with a repair), ``environment`` (turns left, the deal
        and its joint value, no deal at the turn limit, the abort message).

    Cheap policies and honest programs (``attacks.py``; all bounded by the default: <= 25 and <= a third of
    the reference)
        Beyond the generic ones (copy the example, always ACCEPT, SAY yes/no/shortest/echo, ...): the
        instructions' example then ACCEPT, take everything, an even split, chatter, repeat or mirror the
        partner's proposal, the split its own values suggest (with or without telling its values or asking for
        the partner's and ignoring the answer), its own two least valuable types to the partner, every
        whole-type split in turn, giving the partner the type it says it likes most, holding one value back so
        that turning-downs sort the guesses, one guess turned down before asking, claiming every item is worth
        10 (the partner then accepts its taking everything: a deal every time, worth something only where
        taking everything is the optimum); and the readers that skip part of a comparison: the answer's
        numbers in the pool's order or paired with its own types by rank (``rank_match``), the words *more*
        and *less* in order (as the pool's types, or its own by rank), the two types the answer names first
        given to the partner, *more*/*less* bound to each item without *me*/*you* (``word_per_item``), and
        *me*/*you* without *more*/*less* (``side_per_item``). Ignoring the answer wins when its own values
        happen to tell the optimum (about 1 in 10, against 1 in 16 for a blind pick); every partial reader
        does no better, since the order and the side of each comparison are random: each scores about 10 or
        less, also at 40 instances per level and on other instance seeds. Honest programs (unbounded):
        ``pair_solver`` tells, asks and reads the labelled comparisons only (it solves easy and nothing
        else); ``clause_solver`` binds *more*/*less* and *me*/*you* to the items of each clause (a clause
        without a player keeping the last one) and ``rule_solver`` reads with the game's own reading rules:
        both solve everything. The role's language is thus: tell one's values, and read each comparison as
        item, direction and side together.

    Version history
        v1: first version.
        v2: (1) The learner's seat proposes and the teacher partner never does: in v1 the teacher proposed the
        optimum it had inferred, so accepting it scored 88 on average without a word said, and 100 after copying
        the example line. Finding the split is now the learner's work; the partner judges a proposal only once it
        has every number of the learner's, so its turning-downs never sort a guesser's candidates. (2) ``main``
        pays what the learner achieved, not luck or the partner's work: a deal counts only if the learner could
        know its proposal was the best (grounded), a proposal that contradicts what the partner said zeroes it,
        and every guess halves it (v1 paid 100 x J/J* for any deal, and any deal the teacher would accept was
        near the optimum). (3) Values are drawn type by type with a fair coin for who values a type more, no
        longer with equal totals (with 3 types and equal totals one's own values told the optimum 73-88% of the
        time, so a silent greedy proposal scored 91); a fourth item type (pens) makes a blind or own-value guess
        right about 1 time in 10 instead of 1 in 5. (4) The instructions' examples use ``<n>`` placeholders: v1's
        example SAY carried the learner's exact private values and its example proposal the learner's favourite
        items, so copying them was a valid, informative move. (5) The responder never states its own numbers:
        once the proposer has told its values, it compares its values with them type by type, in three phrasings
        (labelled sentences, running text with ellipsis, differences in points in words), each type in a random
        order and from a random side ("more to me than to you" or "less to you than to me"), so reading the
        partner is part of the task (see (8)). (6) ``ambiguous`` means the learner cannot yet know the best split
        (v1: the partner had been vague); ``consistent`` also checks proposals against what the partner said;
        ``repaired`` on answers to clarification requests and turning-downs. (7) The one move grammar (a SAY is
        one line), a format-valid random player, ``instance_key`` (the configuration either way round), test
        split 40 per level (v1: 20). Tolerance 0: only the joint optimum counts as the best split (v1 accepted 5%
        less). (8) Why comparisons: earlier drafts of v2 had the responder state its exact values when asked
        (pairs, digits, words). In the pool's fixed order the first four numbers of the answer were the values of
        books, hats, balls and pens without a word read (73); most valuable type first, pairing the numbers with
        one's own types by rank still scored 60, because the partner's value of a type lies 1-2 points from one's
        own, so both rankings mostly agree. Drawing values further apart cannot fix that without letting one's
        own values tell the split (a gap of 2-6 points: ranks right 27%, the own-value guess 31%). The best split
        only needs who values each type more, which a comparison with the learner's own numbers says and a bare
        list of numbers to rank does not; the responder accordingly asks for the learner's values first (a
        comparison needs them), and a proposal is grounded when what the learner was told settles who values each
        type more. ``rank_match`` now scores about 2, and every reader that skips the item, the direction or the
        side about 10.
    """

    name = "negotiation"
    version = 2
    roles = ("alice", "bob")
    learner_roles = ("alice", "bob")
    experiments = tuple(LEVELS)
    max_moves = MAX_TURNS * 3
    split_sizes: ClassVar[dict[str, int]] = {"train": 100, "validation": 20, "test": 40}
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "joint_value_ratio": (0.0, 1.0),
        "joint_gain": (0.0, 1.0),
        "pareto_optimal": (0.0, 1.0),
        "agreement": (0.0, 1.0),
        "grounded": (0.0, 1.0),
        "turns": (0.0, float(MAX_TURNS)),
        "proposals": (0.0, float(MAX_TURNS)),
        "guesses": (0.0, float(MAX_TURNS)),
        "contradictions": (0.0, float(MAX_TURNS)),
    }
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"alice": KEYWORDS, "bob": KEYWORDS}
    bare_keywords: ClassVar[tuple[str, ...]] = BARE

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        return make_params(rng, split=split, experiment=experiment, index=index)

    def instance_key(self, params: dict[str, Any]) -> str:
        """The pool and both value vectors, either way round (the other seat of a configuration is the same
        item); the turn limit, opening and phrasing follow from the level, and the talk seed only varies the
        responder's wording."""
        values = params["values"]
        return config_key(params["counts"], values["alice"], values["bob"])

    def episode_class(self) -> type[Episode]:
        return NegotiationEpisode

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return negotiation_policies()

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        return scoring.game_scores(record)


class NegotiationEpisode(Episode):
    """One negotiation. The learner's seat is the proposer, the other seat the responder. State: the standing
    proposal, the turn count and one :class:`Negotiator` per seat (the teacher's policy; for a seat played by
    someone else it only tracks what that seat was told, for the notes)."""

    game: Negotiation

    def start(self) -> None:
        p = self.params
        self.counts: Vector = tuple(int(c) for c in p["counts"])
        self.max_turns = int(p.get("max_turns", MAX_TURNS))
        self.values: dict[str, Vector] = {r: tuple(int(v) for v in p["values"][r]) for r in self.game.roles}
        self.best_joint = max_joint(self.counts, self.values["alice"], self.values["bob"])
        self.proposer = self.learner_role
        self.standing: tuple[str, Vector] | None = None  # (proposer, what the proposer takes)
        self.kinds: list[str] = []  # what each of the proposer's proposals was (scoring.classify)
        self.turn = 0
        # Own values each role has told its partner correctly (numbers), for the SAY reward.
        self.told: dict[str, set[int]] = {r: set() for r in self.game.roles}
        # What a role was asked to fix by its partner's last clarification or rejection (for ``repaired``).
        self.requests: dict[str, tuple[str, tuple[int, ...]]] = {}
        self.negotiators = scoring.trackers(p, self.proposer)
        for role in self.game.roles:
            self.tell(role, prompts.instructions(role, role == self.proposer, self.counts, self.values[role],
                                                 self.max_turns, MAX_SAY_CHARS), "instruction")
        self.expect("alice")

    # ---------------------------------------------------------------- moves
    def parse(self, role: str, text: str) -> Move:
        return parse_move(text)

    def apply(self, role: str, move: Move) -> float:
        partner = prompts.other(role)
        mine = self.negotiators[role]
        ambiguous = mine.ambiguous
        request = self.requests.pop(role, None)
        if move.kind == "propose":
            reward = self._propose(role, move.take)
        elif move.kind == "accept":
            reward = self._accept(role)
        else:
            reward = self._say(role, move.text, ambiguous)
        self.note(ambiguous=ambiguous)
        mine.observe(True, move)
        self.negotiators[partner].observe(False, move)
        if request is not None:
            self._note_repair(role, move, request)
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

    def _best(self, proposer: str, take: Vector) -> bool:
        return is_best(self.counts, take, self.values[proposer], self.values[prompts.other(proposer)])

    def _gain(self, proposer: str, take: Vector) -> float:
        return gain(self.counts, take, self.values[proposer], self.values[prompts.other(proposer)])

    def _ratio(self, proposer: str, take: Vector) -> float:
        joint = joint_value(self.counts, take, self.values[proposer], self.values[prompts.other(proposer)])
        return joint / self.best_joint if self.best_joint else 1.0

    def _propose(self, role: str, take: Vector) -> float:
        partner = prompts.other(role)
        if role != self.proposer:
            raise RuleError(prompts.RESPONDER_PROPOSES.format(them=prompts.NAMES[partner],
                                                              their=prompts.NAMES[partner] + "'s"))
        for i, (t, c) in enumerate(zip(take, self.counts)):
            if t < 0:
                raise RuleError(prompts.negative(i, t))
            if t > c:
                raise RuleError(prompts.too_many(i, t, c))
        sure = self.negotiators[role].sure()
        kind = scoring.classify(self._best(role, take), sure, take)
        self.standing = (role, take)
        self.kinds.append(kind)
        notes: dict[str, Any] = {"act": "propose", "take": list(take), "proposal": kind,
                                 "joint_ratio": round(self._ratio(role, take), 6)}
        if sure:  # what it was told settles the best split: does the proposal agree with it?
            notes["consistent"] = take in sure
        self.note(**notes)
        relayed = prompts.relay_proposal(role, take, self.counts, self.values[partner])
        self.tell(partner, relayed, "observation", speaker=role)
        return self._gain(role, take) if kind == "grounded" else PROPOSAL_REWARDS[kind]

    def _accept(self, role: str) -> float:
        partner = prompts.other(role)
        if role == self.proposer:
            raise RuleError(prompts.PROPOSER_ACCEPTS.format(them=prompts.NAMES[partner]))
        if self.standing is None:
            raise RuleError(prompts.NO_PROPOSAL.format(them=prompts.NAMES[partner]))
        proposer, take = self.standing
        if proposer == role:  # cannot happen while only the proposer proposes; kept for safety
            raise RuleError(prompts.OWN_PROPOSAL.format(them=prompts.NAMES[partner]))
        ratio = self._ratio(proposer, take)
        notes: dict[str, Any] = {"act": "accept", "joint_ratio": round(ratio, 6)}
        sure = self.negotiators[role].sure()
        if sure:
            notes["consistent"] = rest(self.counts, take) in sure
        self.note(**notes)
        joint = round(ratio * self.best_joint)
        credit = prompts.credit(prompts.NAMES[role], self.kinds[-1] == "lucky", self.kinds.count("guess"),
                                self.kinds.count("contradicts"))
        for r in self.game.roles:
            share = take if r == proposer else rest(self.counts, take)
            text = prompts.deal(role, proposer, take, self.counts, value_of(share, self.values[r]), joint,
                                self.best_joint)
            self.tell(r, f"{text} {credit}" if credit and r == proposer else text, "environment")
        self.finish("success", f"agreement at {ratio:.0%} of the joint optimum")
        return self._gain(proposer, take)

    def _say(self, role: str, text: str, ambiguous: bool) -> float:
        reading = read(text)
        own = self.values[role]
        claims = [h for h in reading.hints if h.claim]
        false = any(own[i] != v for i, v in reading.values.items() if i < len(own)) or \
            any(not holds(h, own) for h in claims) or not self._true_comparisons(role, reading.relative)
        new = {i for i, v in reading.values.items() if i < len(own) and own[i] == v} - self.told[role]
        self.told[role] |= new
        reward = -0.1 if false else (0.1 if new else 0.0)
        if reading.question and ambiguous:
            reward += 0.1
        mine = self.negotiators[role]
        rejecting = mine.fresh and self.standing is not None and self.standing[0] != role
        act = "reject" if rejecting else "clarify" if reading.question else "say"
        notes: dict[str, Any] = {"act": act}
        if reading.values or claims or reading.relative:
            notes["consistent"] = not false
        self.note(**notes)
        self._ask_to_fix(role, reading.question, rejecting)
        kind = "clarification" if reading.question else "observation"
        self.tell(prompts.other(role), prompts.relay_say(role, text), kind, speaker=role)
        return reward

    def _true_comparisons(self, role: str, relative: dict[int, tuple[int, int | None]]) -> bool:
        """Whether ``role``'s comparisons with its partner's values are true: of the number the partner told
        for the type (what the comparison is made with), or of the partner's value if it told none."""
        own, theirs = self.values[role], self.values[prompts.other(role)]
        told = self.negotiators[role].known
        for i, (sign, points) in relative.items():
            if not 0 <= i < len(own):
                continue
            diff = own[i] - told.get(i, theirs[i])
            if (diff > 0) - (diff < 0) != sign or (points is not None and abs(diff) != points):
                return False
        return True

    # ----------------------------------------------------------- repairs
    def _ask_to_fix(self, role: str, question: bool, rejecting: bool) -> None:
        """Record what ``role``'s SAY asks its partner to fix: a split it turned down that is surely not the
        best (``split``), a number outside the range of values (``range``), or the partner's values it asked
        about because they were vague or it could not judge a proposal without them (``items``)."""
        mine = self.negotiators[role]
        partner = prompts.other(role)
        turned_down = rest(self.counts, self.standing[1]) if rejecting and self.standing is not None else None
        if turned_down is not None and mine.judge(turned_down) == "bad":
            self.requests[partner] = ("split", ())
        elif question and mine.to_check is not None:
            self.requests[partner] = ("range", (mine.to_check[0],))
        elif question and (mine.to_clarify is not None or rejecting):
            named = set(mine.unclear) if mine.to_clarify is not None else set()
            if rejecting:
                named |= {i for i in range(len(ITEMS)) if i not in mine.known}
            self.requests[partner] = ("items", tuple(sorted(named)))

    def _note_repair(self, role: str, move: Move, request: tuple[str, tuple[int, ...]]) -> None:
        """Note ``repaired`` on the move that answers a partner's clarification or rejection."""
        what, items = request
        heard = self.negotiators[prompts.other(role)]
        if what == "split":
            if move.kind != "propose":
                self.requests[role] = request  # asking first is fine; the next proposal is the repair
                return
            self.note(repaired=self._best(role, move.take))
        elif what == "range":
            said = read(move.text).values if move.kind == "say" else {}
            self.note(repaired=all(0 <= said.get(i, -1) <= MAX_VALUE for i in items))
        else:  # numbers for the responder (it compares with them), numbers or comparisons for the proposer
            self.note(repaired=all(i in heard.known or (heard.proposer and i in heard.bounds) for i in items))

    # -------------------------------------------------------------- players
    def teacher_move(self, role: str) -> str:
        return self.negotiators[role].move(self.max_turns - self.turn)

    def random_move(self, role: str, rng: random.Random) -> str:
        """A random legal move of the seat: the proposer SAYs a random sentence of the game's vocabulary or
        PROPOSEs a random split of the pool; the responder SAYs one or ACCEPTs a standing proposal."""
        if role != self.proposer:
            if self.standing is not None and rng.random() < 0.5:
                return "ACCEPT"
            return "SAY: " + _random_sentence(rng)
        if rng.random() < 0.5:
            return "PROPOSE: " + format_split(tuple(rng.randint(0, c) for c in self.counts))
        return "SAY: " + _random_sentence(rng)


def _random_sentence(rng: random.Random) -> str:
    """A random SAY body from the game's vocabulary: random values, a random liking, a random comparison
    with the partner's values, or a question."""
    kind = rng.randrange(5)
    if kind == 0:
        return f"My values are {format_split(tuple(rng.randint(0, MAX_VALUE) for _ in ITEMS))}."
    if kind == 1:
        return f"I really like the {rng.choice(ITEMS)}."
    if kind == 2:
        return rng.choice((prompts.ASK_VALUES, prompts.ASK_COMPARE))
    if kind == 3:
        return (f"{rng.choice(ITEMS).capitalize()} are worth {rng.choice(('more', 'less'))} to "
                f"{rng.choice(('me than to you', 'you than to me'))}.")
    return rng.choice(("Let's find a good split.", "Hello!", "What do you think?", "I agree."))
