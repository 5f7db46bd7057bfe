"""Negotiation instances: the levels, what makes a configuration admissible, and the seeded generator.

A configuration is the pool and the two value vectors. It belongs to one split by hashing it (either way
round: the same game seen from the other seat is the same configuration), so no test configuration ever
occurs in train or validation; everything in it is drawn with the instance's ``rng``, so another instance
seed gives other test instances with the same mix of levels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ..seeding import split_of
from . import prompts
from .pool import ITEMS, MAX_VALUE, Vector, favourites, max_joint
from .talk import read
from .teacher import sure_takes

__all__ = ["LEVELS", "MAX_TURNS", "Level", "admissible", "config_key", "draw_values", "make_params"]

#: Valid moves (both players together) before the game ends without agreement.
MAX_TURNS = 16
#: Rejection-sampling bound of the generator; the shipped levels need a few draws at most.
_MAX_DRAWS = 10_000


@dataclass(frozen=True)
class Level:
    """How one experiment draws instances."""

    count_range: tuple[int, int]  # items per type
    item_range: tuple[int, int]  # items in the pool
    gaps: tuple[int, ...]  # how far apart the two players' values of one type are (one of these, drawn)
    opening: str  # what the responder says before it knows the proposer's values: "ask" or "vague" (+ ask)
    phrasing: str  # how the responder compares its values with the proposer's (prompts.PHRASINGS)


LEVELS: dict[str, Level] = {
    "easy": Level((1, 2), (4, 7), (1, 2), "ask", "pairs"),
    "medium": Level((1, 3), (5, 9), (1, 2), "vague", "sentences"),
    "hard": Level((2, 4), (9, 14), (1,), "vague", "differences"),
}


def draw_values(rng: random.Random, level: Level) -> tuple[Vector, Vector]:
    """Both players' values, type by type: two values ``gap`` apart in the public range, and a fair coin
    for which player has the higher one. Who values a type more is thus a coin flip whatever one's own
    value (only values at the ends of the range give it away), so one's own values cannot tell the best
    split: it has to be found out by talking."""
    a: list[int] = []
    b: list[int] = []
    for _ in ITEMS:
        gap = rng.choice(level.gaps)
        low = rng.randint(0, MAX_VALUE - gap)
        pair = (low + gap, low) if rng.random() < 0.5 else (low, low + gap)
        a.append(pair[0])
        b.append(pair[1])
    return tuple(a), tuple(b)


def _needs_talk(level: Level, counts: Vector, mine: Vector, theirs: Vector) -> bool:
    """Whether the player with ``mine`` must hear from its partner to know the best split: nothing is sure
    with nothing heard, nor (vague openings) after the partner's first, vague statement, so that the
    partner's comparisons are needed."""
    if sure_takes(counts, mine, (), ()):
        return False
    if level.opening == "vague":
        hints = read(prompts.vague_values(favourites(theirs))).hints
        if sure_takes(counts, mine, (), hints):
            return False
    return True


def admissible(level: Level, counts: Vector, a: Vector, b: Vector) -> bool:
    """Whether a drawn configuration fits ``level``: whichever seat the learner takes, it has to find out
    what its partner values."""
    return _needs_talk(level, counts, a, b) and _needs_talk(level, counts, b, a)


def config_key(counts: Vector | list[int], a: Vector | list[int], b: Vector | list[int]) -> str:
    """The configuration as one string, either way round (the instance key and the split's hash key)."""
    return f"{list(counts)}|{sorted([list(a), list(b)])}"


def make_params(rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
    """One instance of ``experiment`` for ``split``, drawn with ``rng`` by rejection sampling."""
    level = LEVELS[experiment]
    lo, hi = level.count_range
    for _ in range(_MAX_DRAWS):
        counts = tuple(rng.randint(lo, hi) for _ in ITEMS)
        if not level.item_range[0] <= sum(counts) <= level.item_range[1]:
            continue
        a, b = draw_values(rng, level)
        if split_of(config_key(counts, a, b), salt="negotiation") != split:
            continue  # cheap test first: most draws belong to another split
        if not admissible(level, counts, a, b):
            continue
        return {
            "items": list(ITEMS), "counts": list(counts), "values": {"alice": list(a), "bob": list(b)},
            "max_value": MAX_VALUE, "max_turns": MAX_TURNS, "opening": level.opening,
            "phrasing": level.phrasing, "max_joint": max_joint(counts, a, b),
            # The responder's choices of word order and side in its comparisons (drawn last, so that the
            # configurations are those drawn before it had one).
            "talk_seed": rng.randrange(2**31),
        }
    raise RuntimeError(f"negotiation: no {experiment} instance found for {split} (index {index})")
