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
    after asking for the partner's and ignoring the answer); ``tell_then_accept`` / ``ask_then_accept``
    (leave the split to the partner); ``tell_then_enumerate`` / ``ask_then_enumerate`` (every whole-type
    split in turn, likeliest by its own values first); ``favourite_then_guess`` (gives the partner the type
    it says it likes most, guesses the rest); ``withhold_and_probe`` (keeps one value back so that the
    partner cannot accept, learns from its turning-downs which guesses are wrong, then asks and proposes a
    guess that was not turned down).
Honest programs (not bounded: they show how much language the role needs)
    ``pair_solver``: tells its values, asks for the partner's, reads ``item=<n>`` pairs only, asks again
    while any number is missing, proposes each type to whoever values it more. ``rule_solver``: the same,
    reading the partner's sentences with the game's own reading rules (:func:`.talk.read`).
"""

from __future__ import annotations

import random
import re
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


def _partner_numbers(view: View, reader: str) -> dict[int, int]:
    known: dict[int, int] = {}
    for text in _partner_said(view):
        known.update(_pairs(text) if reader == "pairs" else read(text).values)
    return known


def _solver(reader: str) -> Policy:
    """Tell and ask, read the partner's numbers (``pairs``: item=n only; ``rules``: the game's reading rules),
    ask again while any is missing, then propose each type to whoever values it more."""
    def policy(view: View) -> str:
        counts, values = pool_counts(view), own_values(view)
        if _replied(view) == 0:
            return _tell(values, ask=True)
        known = _partner_numbers(view, reader)
        if len(known) < len(ITEMS):
            return _ASK
        return _propose(tuple(c if v > known[i] else 0 if v < known[i] else c // 2
                              for i, (c, v) in enumerate(zip(counts, values))))
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
        CheapPolicy("pair_solver", "tells and asks, reads item=n numbers only, proposes each type to whoever "
                    "values it more", stateless(_solver("pairs")), degenerate=False),
        CheapPolicy("rule_solver", "the same, reading the partner's sentences with the game's reading rules",
                    stateless(_solver("rules")), degenerate=False),
    ]


def _after_first_tell_ask(then: Policy) -> PolicyFactory:
    """Its exact values and a question for the partner's, then ``then``."""
    return stateless(lambda v: _tell(own_values(v), ask=True) if _replied(v) == 0 else then(v))
