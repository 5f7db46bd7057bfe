"""Cheap policies against both negotiation seats: what a skeptical reviewer tries before trusting the score.

Every policy reads only its role's chat history (the view): the pool and its own values from the
instructions, the partner's relayed SAYs (and proposals, should a partner ever make one). None looks at the
instance. The generic policies (``games/policies.py``: copy the example, always ACCEPT, SAY yes, echo the
prompt's lines, ...) come from the move keywords; these need the game's vocabulary.

Attacks (``degenerate``: they skip the work of finding out who values what, or of using it)
    ``example_say_then_accept`` / ``example_propose_then_accept``: the instructions' first SAY (PROPOSE)
    example, then ACCEPT; ``take_everything``; ``even_split``; ``say_chatter`` (a friendly sentence that
    tells nothing, every turn); ``repeat_partner`` / ``mirror_partner`` (the partner's proposal back, or
    what it offered: v1's silent acceptance); ``greedy_then_accept``, ``tell_then_greedy`` and
    ``ask_then_greedy`` (the split its own values suggest, with nothing said, after telling its values, or
    after asking for the partner's and ignoring the answer); ``own_rank_guess`` (tells and asks, then gives
    the partner its own two least valuable types); ``tell_then_accept`` / ``ask_then_accept`` (leave the
    split to the partner); ``tell_then_enumerate`` / ``ask_then_enumerate`` (every whole-type split in
    turn, likeliest by its own values first); ``favourite_then_guess`` (gives the partner the type it says
    it likes most, guesses the rest); ``withhold_and_probe`` (keeps one value back so that the partner
    cannot accept, learns from its turning-downs which guesses are wrong, then asks and proposes a guess that
    was not turned down); ``claim_high_take_all`` (says every item is worth 10 to it, so that the partner
    accepts its taking everything, and asks); ``probe_then_ask`` (tells its values, proposes the likeliest
    guess to hear it turned down, then asks and proposes the next guess without reading the answer).
    Readers that skip part of the partner's answer: ``numbers_in_order`` (the first four numbers of the
    answer as the pool's types in order) and ``rank_match`` (the answer's numbers paired with its own types
    by rank: 60 while the partner stated its numbers, most valuable first), without the item words they go
    with; ``more_less_in_order`` / ``more_less_by_rank`` (the words *more* and *less* in order, as the
    pool's types or its own from the most valuable); ``first_named_to_partner`` (the two types the answer
    names first go to the partner); ``word_per_item`` (*more*/*less* bound to each item, ignoring whose value
    is the larger) and ``side_per_item`` (*me*/*you* bound to each item, ignoring *more*/*less*).
Honest programs (not bounded: they show how much language the role needs)
    ``pair_solver``: tells its values, asks, reads the labelled comparisons of easy ("books: worth more to
    me than to you") only, asks again while a type is missing, proposes each type to whoever values it more.
    ``clause_solver``: binds *more*/*less* and *me*/*you* to the items of each clause of the answer (a clause
    without a player keeps the last one). ``rule_solver``: reads the partner's sentences with the game's own
    reading rules (:func:`.talk.read`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from itertools import product

from ..policies import CheapPolicy, Policy, PolicyFactory, View, instruction_lines, move_lines, stateless
from .moves import BARE, KEYWORDS
from .pool import ITEM_WORD, ITEMS, MAX_VALUE, SINGULAR, Vector, format_split
from .prompts import ASK_VALUES
from .talk import read

__all__ = ["negotiation_policies", "own_values", "partner_offer", "pool_counts"]

_COUNT = re.compile(rf"(\d+)\s+({ITEM_WORD})\b", re.IGNORECASE)
_PAIR = re.compile(rf"\b({ITEM_WORD})\s*=\s*(\d+)", re.IGNORECASE)
_OFFER = re.compile(r"^(\w+) proposes: \1 takes (.+?) and you get (.+?)(?:,|\.|$)")
_SAYS = re.compile(r"^(\w+) says: (.*)$")
_ITEM_WORD = re.compile(rf"\b({ITEM_WORD})\b", re.IGNORECASE)
_CHATTER = ("SAY: Hello! I am sure we will find a good deal together.", "SAY: Let's work this out.",
            "SAY: I am happy to cooperate.", "SAY: Sounds good to me.", "SAY: Let's think about it.")
_ASK = "SAY: " + ASK_VALUES


# --------------------------------------------------------------------------------------- reading the view
def _index(word: str) -> int:
    w = word.lower()
    return SINGULAR.index(w) if w in SINGULAR else ITEMS.index(w)


def _pairs(text: str) -> dict[int, int]:
    return {_index(m.group(1)): int(m.group(2)) for m in _PAIR.finditer(text)}


def pool_counts(view: View) -> Vector:
    """The pool as the instructions state it ("4 books, 1 hat and 1 ball")."""
    for line in instruction_lines(view):
        if "pool" in line.lower():
            found = {_index(m.group(2)): int(m.group(1)) for m in _COUNT.finditer(line)}
            if len(found) == len(ITEMS):
                return tuple(found[i] for i in range(len(ITEMS)))
    return (1,) * len(ITEMS)


def own_values(view: View) -> Vector:
    """The role's own values per item, from the instructions' line that states them."""
    for line in instruction_lines(view):
        if line.lower().startswith("your values"):
            found = _pairs(line)
            if len(found) == len(ITEMS):
                return tuple(found[i] for i in range(len(ITEMS)))
    return (1,) * len(ITEMS)


def _received_lines(view: View) -> list[str]:
    return [line.strip() for m in view if m.get("role") == "user"
            for line in m.get("content", "").splitlines() if line.strip()]


def partner_offer(view: View) -> tuple[Vector, Vector] | None:
    """The partner's latest proposal as (what the partner takes, what it offers this role), if any."""
    for line in reversed(_received_lines(view)):
        m = _OFFER.match(line)
        if m:
            takes, gives = _pairs(m.group(2)), _pairs(m.group(3))
            if len(takes) == len(gives) == len(ITEMS):
                return tuple(takes[i] for i in range(len(ITEMS))), tuple(gives[i] for i in range(len(ITEMS)))
    return None


def _partner_said(view: View) -> list[str]:
    return [m.group(2) for line in _received_lines(view) if (m := _SAYS.match(line))]


def _replied(view: View) -> int:
    """Replies the role has written so far (valid or not)."""
    return sum(1 for m in view if m.get("role") == "assistant")


def _propose(take: Vector) -> str:
    return "PROPOSE: " + format_split(take)


def _guess_take(counts: Vector, values: Vector) -> Vector:
    """The split its own values suggest with nothing heard: a type it values above the middle of the public
    range goes to it, below to the partner, at the middle half and half."""
    mid = MAX_VALUE / 2
    return tuple(c if v > mid else 0 if v < mid else c // 2 for c, v in zip(counts, values))


def _guesses(counts: Vector, values: Vector) -> list[Vector]:
    """Every whole-type split, the likeliest by its own values first (types near the middle flipped first)."""
    mid = MAX_VALUE / 2

    def unlikeliness(mine: tuple[int, ...]) -> float:
        return sum(abs(v - mid) for m, v in zip(mine, values) if (v > mid) != bool(m))

    order = sorted(product((1, 0), repeat=len(ITEMS)), key=lambda mine: (unlikeliness(mine), mine))
    return [tuple(c * m for c, m in zip(counts, mine)) for mine in order]


# --------------------------------------------------------------------------------------------- policies
def _example_then_accept(keyword: str) -> PolicyFactory:
    """The first example line of ``keyword`` in the instructions (placeholders and all), then ACCEPT."""
    def policy(view: View) -> str:
        if _replied(view) == 0:
            examples = move_lines("\n".join(instruction_lines(view)), KEYWORDS, BARE)
            chosen = [e for e in examples if e.upper().startswith(keyword)]
            return chosen[0] if chosen else (examples[0] if examples else "ACCEPT")
        return "ACCEPT"
    return stateless(policy)


def _after(first: list[str], then: Policy) -> PolicyFactory:
    """Sends the fixed replies ``first``, then follows ``then``."""
    def policy(view: View) -> str:
        n = _replied(view)
        return first[n] if n < len(first) else then(view)
    return stateless(policy)


def _accept_or(fallback: Policy) -> Policy:
    return lambda view: "ACCEPT" if partner_offer(view) is not None else fallback(view)


def _repeat_partner(view: View) -> str:
    offer = partner_offer(view)
    return _propose(offer[0]) if offer else _CHATTER[_replied(view) % len(_CHATTER)]


def _mirror_partner(view: View) -> str:
    offer = partner_offer(view)
    return _propose(offer[1]) if offer else _CHATTER[_replied(view) % len(_CHATTER)]


def _chatter(rng: random.Random) -> Policy:
    return lambda _view: rng.choice(_CHATTER)


def _tell(values: Vector, ask: bool = False) -> str:
    return f"SAY: My values are {format_split(values)}.{' What are yours?' if ask else ''}"


def _greedy(view: View) -> str:
    return _propose(_guess_take(pool_counts(view), own_values(view)))


def _enumerate_after(talk: int) -> Policy:
    """After ``talk`` replies of talk, every whole-type split in turn, likeliest first."""
    def policy(view: View) -> str:
        guesses = _guesses(pool_counts(view), own_values(view))
        return _propose(guesses[(_replied(view) - talk) % len(guesses)])
    return policy


_LABELLED = re.compile(rf"\b({ITEM_WORD})\s*:\s*worth\s+(more|less)\s+to\s+(me|you)\b", re.IGNORECASE)


def _sign(word: str) -> int:
    return 1 if word.lower() == "more" else -1


def _partner_signs(view: View, reader: str) -> dict[int, int]:
    """Per type, +1 where the partner values it more than this role, -1 less, 0 the same, by what the partner
    said (``pairs``: the labelled comparisons "books: worth more to me than to you" only; ``rules``: the
    game's reading rules, numbers and comparisons)."""
    own = own_values(view)
    signs: dict[int, int] = {}
    for text in _partner_said(view):
        if reader == "pairs":
            signs.update({_index(m.group(1)): _sign(m.group(2)) * (1 if m.group(3).lower() == "me" else -1)
                          for m in _LABELLED.finditer(text)})
            continue
        reading = read(text)
        signs.update({i: sign for i, (sign, _) in reading.relative.items()})
        signs.update({i: (v > own[i]) - (v < own[i]) for i, v in reading.values.items()})
    return signs


def _split_by_signs(counts: Vector, signs: dict[int, int]) -> Vector:
    """Each type to whoever values it more (+1: the partner), half each on a tie."""
    return tuple(0 if signs.get(i, 0) > 0 else c if signs.get(i, 0) < 0 else c // 2 for i, c in enumerate(counts))


def _solver(reader: str) -> Policy:
    """Tell and ask, read who values each type more (see :func:`_partner_signs`), ask again while a type is
    missing, then propose each type to whoever values it more."""
    def policy(view: View) -> str:
        counts, values = pool_counts(view), own_values(view)
        if _replied(view) == 0:
            return _tell(values, ask=True)
        signs = _partner_signs(view, reader)
        if len(signs) < len(ITEMS):
            return _ASK
        return _propose(_split_by_signs(counts, signs))
    return policy


def _withhold_and_probe(view: View) -> str:
    """Tells every value but the last, so the partner cannot accept; proposes guesses to learn from the
    turning-downs which ones are wrong; then tells the last value, asks, and proposes the likeliest guess not
    turned down as "not the best"."""
    counts, values = pool_counts(view), own_values(view)
    n = _replied(view)
    told = ", ".join(f"{ITEMS[i]}={v}" for i, v in enumerate(values[:-1]))
    guesses = _guesses(counts, values)
    if n == 0:
        return f"SAY: My values are {told}."
    if n <= 3:
        return _propose(guesses[n - 1])
    if n == 4:
        return f"SAY: And {ITEMS[-1]}={values[-1]}. {_ASK[len('SAY: '):]}"
    replies = [m.get("content", "") for m in view if m.get("role") == "user"][1:]
    refuted = {guesses[i] for i in range(3) if i + 1 < len(replies) and "not the best" in replies[i + 1]}
    return _propose(next((g for g in guesses if g not in refuted), guesses[0]))


_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ANY_NUMBER = re.compile(rf"\b(\d+|nothing|{'|'.join(_NUMBER_WORDS)})\b", re.IGNORECASE)


def _numbers(text: str) -> list[int]:
    """Every number of ``text`` in order (digits, number words, "nothing"), without the words around it."""
    out = []
    for m in _ANY_NUMBER.finditer(text):
        word = m.group(1).lower()
        out.append(int(word) if word.isdigit() else 0 if word == "nothing" else _NUMBER_WORDS.index(word))
    return out


def _partner_numbers_unbound(view: View) -> list[int] | None:
    """The four numbers of the partner's latest SAY that holds at least four, in the order said."""
    for text in reversed(_partner_said(view)):
        found = _numbers(text)
        if len(found) >= len(ITEMS):
            return found[:len(ITEMS)]
    return None


def _split_for(counts: Vector, values: Vector, partner: Sequence[int]) -> Vector:
    return tuple(c if v > p else 0 if v < p else c // 2 for c, v, p in zip(counts, values, partner))


def _numbers_in_order(view: View) -> str:
    """Tells and asks; then reads the first four numbers of the partner's answer as the values of books, hats,
    balls and pens, in the pool's order, without the item words they go with."""
    counts, values = pool_counts(view), own_values(view)
    if _replied(view) == 0:
        return _tell(values, ask=True)
    heard = _partner_numbers_unbound(view)
    return _propose(_split_for(counts, values, heard)) if heard else _ASK


def _rank_match(view: View) -> str:
    """Tells and asks; then pairs the partner's four numbers with the types by rank (the highest number with
    its own most valuable type, ...), without the item words they go with."""
    counts, values = pool_counts(view), own_values(view)
    if _replied(view) == 0:
        return _tell(values, ask=True)
    heard = _partner_numbers_unbound(view)
    if heard is None:
        return _ASK
    partner = [0] * len(ITEMS)
    by_rank = sorted(range(len(ITEMS)), key=lambda i: (-values[i], i))
    for i, number in zip(by_rank, sorted(heard, reverse=True)):
        partner[i] = number
    return _propose(_split_for(counts, values, partner))


_MORE_LESS = re.compile(r"\b(more|less)\b", re.IGNORECASE)
_PEOPLE = re.compile(r"\b(i|me|my|you|your)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[^.;,!?]+")


def _answer(view: View) -> str | None:
    """The partner's latest SAY that names all four types (its comparisons), if any."""
    for text in reversed(_partner_said(view)):
        if len({_index(m.group(1)) for m in _ITEM_WORD.finditer(text)}) == len(ITEMS):
            return text
    return None


def _after_answer(decide: Callable[[Vector, Vector, str], dict[int, int]]) -> Policy:
    """Tells and asks; once the partner's answer names every type, proposes by ``decide`` (counts, own values,
    the answer) -> per type +1 where it takes the partner to value it more, -1 less."""
    def policy(view: View) -> str:
        counts, values = pool_counts(view), own_values(view)
        if _replied(view) == 0:
            return _tell(values, ask=True)
        text = _answer(view)
        if text is None:
            return _ASK
        return _propose(_split_by_signs(counts, decide(counts, values, text)))
    return policy


def _words_in_order(by_rank: bool) -> Callable[[Vector, Vector, str], dict[int, int]]:
    """The words *more* / *less* of the answer, in order, without the items or the player they go with, for
    the pool's types in order (or its own types from the most valuable): *more* taken as "the partner values
    it more"."""
    def decide(_counts: Vector, values: Vector, text: str) -> dict[int, int]:
        order = sorted(range(len(ITEMS)), key=lambda i: (-values[i], i)) if by_rank else range(len(ITEMS))
        return dict(zip(order, (_sign(m.group(1)) for m in _MORE_LESS.finditer(text))))
    return decide


def _first_named(_counts: Vector, _values: Vector, text: str) -> dict[int, int]:
    """The two types the answer names first go to the partner, the others to itself."""
    named = list(dict.fromkeys(_index(m.group(1)) for m in _ITEM_WORD.finditer(text)))
    return {i: 1 if k < len(ITEMS) // 2 else -1 for k, i in enumerate(named)}


def _per_clause(use_word: bool, use_side: bool) -> Callable[[Vector, Vector, str], dict[int, int]]:
    """Binds each clause of the answer to the types it names, and reads in it the word *more* / *less*
    (``use_word``; else *more*) and the player named first, *me* or *you* (``use_side``; else *me*; a clause
    without a player keeps the last one): the partner values the type more when the word is *more* and the
    player *me*, or *less* and *you*. With both it is the reading; with one it ignores half of what a
    comparison says."""
    def decide(_counts: Vector, _values: Vector, text: str) -> dict[int, int]:
        signs: dict[int, int] = {}
        side = 1
        for clause in _CLAUSE.findall(text):
            people = _PEOPLE.search(clause)
            if people is not None:
                side = -1 if people.group(1).lower().startswith("you") else 1
            word = _MORE_LESS.search(clause)
            sign = (_sign(word.group(1)) if use_word and word is not None else 1) * (side if use_side else 1)
            for m in _ITEM_WORD.finditer(clause):
                signs[_index(m.group(1))] = sign
        return signs
    return decide


def _own_rank_guess(counts: Vector, values: Vector, _text: str) -> dict[int, int]:
    """Ignores the answer: gives the partner its own two least valuable types."""
    order = sorted(range(len(ITEMS)), key=lambda i: (values[i], i))
    return {i: 1 if k < len(ITEMS) // 2 else -1 for k, i in enumerate(order)}


def _claim_high_take_all(view: View) -> str:
    """Says every item is worth the most a value can be, so that the partner accepts its taking everything;
    asks for the partner's values (grounding), then takes everything."""
    if _replied(view) == 0:
        return f"SAY: My values are {format_split((MAX_VALUE,) * len(ITEMS))}. {ASK_VALUES}"
    return _propose(pool_counts(view))


def _probe_then_ask(view: View) -> str:
    """Tells its values, proposes the likeliest guess (turned down, it learns one wrong split), asks for the
    partner's values, then proposes the next likeliest guess without reading the answer."""
    counts, values = pool_counts(view), own_values(view)
    guesses = _guesses(counts, values)
    step = _replied(view)
    if step == 0:
        return _tell(values)
    if step == 1:
        return _propose(guesses[0])
    if step == 2:
        return _ASK
    return _propose(guesses[1])


def _favourite_then_guess(view: View) -> str:
    """Tells its values; then gives the partner every type the partner says it likes most (read from a
    vague statement) and guesses the rest from its own values."""
    counts, values = pool_counts(view), own_values(view)
    if _replied(view) == 0:
        return _tell(values)
    take = list(_guess_take(counts, values))
    for text in _partner_said(view):
        if "most" in text.lower():
            for m in _ITEM_WORD.finditer(text):
                take[_index(m.group(1))] = 0
    return _propose(tuple(take))


def negotiation_policies() -> list[CheapPolicy]:
    """The game's own attacks and honest programs, the same for alice and bob."""
    def tell(view: View) -> str:
        return _tell(own_values(view))

    return [
        CheapPolicy("example_say_then_accept", "the first SAY example of the instructions, then ACCEPT",
                    _example_then_accept("SAY")),
        CheapPolicy("example_propose_then_accept", "the first PROPOSE example of the instructions, then "
                    "ACCEPT",
                    _example_then_accept("PROPOSE")),
        CheapPolicy("take_everything", "proposes to take every item, every turn",
                    stateless(lambda v: _propose(pool_counts(v)))),
        CheapPolicy("even_split", "proposes half of each item type (rounded down), every turn",
                    stateless(lambda v: _propose(tuple(c // 2 for c in pool_counts(v))))),
        CheapPolicy("say_chatter", "a friendly SAY that tells nothing, every turn", _chatter),
        CheapPolicy("repeat_partner", "proposes the partner's last proposal back, numbers unchanged (else "
                    "chatter)",
                    stateless(_repeat_partner)),
        CheapPolicy("mirror_partner", "proposes what the partner's last proposal offered it (else chatter)",
                    stateless(_mirror_partner)),
        CheapPolicy("greedy_then_accept", "the split its own values suggest, then ACCEPT (else again)",
                    stateless(_accept_or(_greedy))),
        CheapPolicy("tell_then_accept", "its exact values copied from the prompt, then ACCEPT (else the "
                    "mirror)",
                    stateless(lambda v: tell(v) if _replied(v) == 0 else _accept_or(_mirror_partner)(v))),
        CheapPolicy("tell_then_greedy", "its exact values, then the split its own values suggest",
                    stateless(lambda v: tell(v) if _replied(v) == 0 else _greedy(v))),
        CheapPolicy("ask_then_greedy", "tells and asks for the partner's values, ignores the answer, "
                    "proposes the split its own values suggest", _after_first_tell_ask(_greedy)),
        CheapPolicy("ask_then_accept", "asks for the partner's values, then ACCEPT (else the mirror)",
                    _after([_ASK], _accept_or(_mirror_partner))),
        CheapPolicy("tell_then_enumerate", "its values, then every whole-type split, likeliest first",
                    stateless(lambda v: tell(v) if _replied(v) == 0 else _enumerate_after(1)(v))),
        CheapPolicy("ask_then_enumerate", "tells and asks, then every whole-type split, likeliest first",
                    _after_first_tell_ask(_enumerate_after(1))),
        CheapPolicy("withhold_and_probe", "tells all values but one, proposes guesses to learn from the "
                    "turning-downs, then asks and proposes a guess not turned down", stateless(_withhold_and_probe)),
        CheapPolicy("favourite_then_guess", "its values; gives the partner what it says it likes most, "
                    "guesses the rest", stateless(_favourite_then_guess)),
        CheapPolicy("numbers_in_order", "tells and asks, takes the first four numbers of the answer as the "
                    "values of the pool's types in order, without their item words", stateless(_numbers_in_order)),
        CheapPolicy("claim_high_take_all", "says every item is worth 10 to it and asks, then takes everything",
                    stateless(_claim_high_take_all)),
        CheapPolicy("probe_then_ask", "its values, the likeliest guess (to hear it turned down), asks, then the "
                    "next guess without reading the answer", stateless(_probe_then_ask)),
        CheapPolicy("rank_match", "tells and asks, reads the answer's four numbers without their item words and "
                    "pairs them with the types by rank", stateless(_rank_match)),
        CheapPolicy("more_less_in_order", "tells and asks, reads the words more/less of the answer in order as "
                    "the pool's types in order", stateless(_after_answer(_words_in_order(by_rank=False)))),
        CheapPolicy("more_less_by_rank", "tells and asks, reads the words more/less of the answer in order as "
                    "its own types from the most valuable", stateless(_after_answer(_words_in_order(by_rank=True)))),
        CheapPolicy("first_named_to_partner", "tells and asks, gives the partner the two types its answer names "
                    "first", stateless(_after_answer(_first_named))),
        CheapPolicy("word_per_item", "tells and asks, binds more/less to each item but ignores who it is more "
                    "for (me or you)", stateless(_after_answer(_per_clause(use_word=True, use_side=False)))),
        CheapPolicy("side_per_item", "tells and asks, binds me/you to each item but ignores whether it is more or "
                    "less", stateless(_after_answer(_per_clause(use_word=False, use_side=True)))),
        CheapPolicy("own_rank_guess", "tells and asks, ignores the answer, gives the partner its own two least "
                    "valuable types", stateless(_after_answer(_own_rank_guess))),
        CheapPolicy("pair_solver", "tells and asks, reads the labelled comparisons (books: worth more to me than "
                    "to you) only, proposes each type to whoever values it more", stateless(_solver("pairs")),
                    degenerate=False),
        CheapPolicy("clause_solver", "tells and asks, binds more/less and me/you to the items of each clause",
                    stateless(_after_answer(_per_clause(use_word=True, use_side=True))), degenerate=False),
        CheapPolicy("rule_solver", "the same, reading the partner's sentences with the game's reading rules",
                    stateless(_solver("rules")), degenerate=False),
    ]


def _after_first_tell_ask(then: Policy) -> PolicyFactory:
    """Its exact values and a question for the partner's, then ``then``."""
    return stateless(lambda v: _tell(own_values(v), ask=True) if _replied(v) == 0 else then(v))
