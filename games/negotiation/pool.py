"""The item pool and the arithmetic of splits: values, joint value, the joint optimum, Pareto optimality.

Pure functions on small integer tuples, shared by the episode, the teacher, the generator and the scorer, so
a score can never disagree with what the game computed live.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import product

__all__ = [
    "ITEMS", "ITEM_WORD", "MAX_VALUE", "SINGULAR", "TAKE_FORM", "Vector", "all_takes", "best_take", "favourites",
    "format_split", "gain", "is_best", "is_pareto", "joint_value", "max_joint", "min_joint", "rest", "value_of",
]

#: The item types, in the order of every vector (counts, values, takes).
ITEMS: tuple[str, ...] = ("books", "hats", "balls", "pens")
SINGULAR: tuple[str, ...] = ("book", "hat", "ball", "pen")
#: A regex alternation of every item name, singular or plural (``books?|hats?|...``).
ITEM_WORD = "|".join(f"{s}s?" for s in SINGULAR)
#: The proposal form with placeholders (``books=<n> hats=<n> ...``): what examples show instead of numbers.
TAKE_FORM = " ".join(f"{name}=<n>" for name in ITEMS)
#: Values are whole points from 0 to this (a public rule: both players know the range, not each other's
#: values).
MAX_VALUE = 10

Vector = tuple[int, ...]


def value_of(take: Sequence[int], values: Sequence[int]) -> int:
    """What a bundle (items per type) is worth under ``values``."""
    return sum(t * v for t, v in zip(take, values))


def rest(counts: Sequence[int], take: Sequence[int]) -> Vector:
    """What the partner gets when one player takes ``take``."""
    return tuple(c - t for c, t in zip(counts, take))


def joint_value(counts: Sequence[int], take: Sequence[int], mine: Sequence[int], theirs: Sequence[int]) -> int:
    """Joint value of the split where the player with values ``mine`` takes ``take``: both players' points."""
    return value_of(take, mine) + value_of(rest(counts, take), theirs)


def max_joint(counts: Sequence[int], a: Sequence[int], b: Sequence[int]) -> int:
    """The joint optimum: every item goes to whoever values it more."""
    return sum(c * max(x, y) for c, x, y in zip(counts, a, b))


def min_joint(counts: Sequence[int], a: Sequence[int], b: Sequence[int]) -> int:
    """The worst split: every item goes to whoever values it less."""
    return sum(c * min(x, y) for c, x, y in zip(counts, a, b))


def best_take(counts: Sequence[int], mine: Sequence[int], theirs: Sequence[int]) -> Vector:
    """The joint optimum as what the player with ``mine`` takes (a type valued the same by both: half of it,
    the partner getting the odd one; any share of it is as good)."""
    return tuple(c if m > t else 0 if m < t else c // 2 for c, m, t in zip(counts, mine, theirs))


def is_best(counts: Sequence[int], take: Sequence[int], mine: Sequence[int], theirs: Sequence[int]) -> bool:
    """Whether taking ``take`` reaches the joint optimum."""
    return joint_value(counts, take, mine, theirs) == max_joint(counts, mine, theirs)


def gain(counts: Sequence[int], take: Sequence[int], mine: Sequence[int], theirs: Sequence[int]) -> float:
    """How much of the room between the worst and the best split a split achieves: (J - J_min) / (J* - J_min),
    in [0, 1]. Where every split is worth the same (J* = J_min) any split is the best: 1."""
    best, worst = max_joint(counts, mine, theirs), min_joint(counts, mine, theirs)
    if best == worst:
        return 1.0
    return (joint_value(counts, take, mine, theirs) - worst) / (best - worst)


@lru_cache(maxsize=256)
def all_takes(counts: Vector) -> tuple[Vector, ...]:
    """Every bundle one player can take (the pool is small: at most 5^4 bundles)."""
    return tuple(tuple(t) for t in product(*(range(c + 1) for c in counts)))


def is_pareto(counts: Sequence[int], take: Sequence[int], mine: Sequence[int], theirs: Sequence[int]) -> bool:
    """No other split gives both players at least as much and one of them more."""
    me, them = value_of(take, mine), value_of(rest(counts, take), theirs)
    for other in all_takes(tuple(counts)):
        m, t = value_of(other, mine), value_of(rest(counts, other), theirs)
        if m >= me and t >= them and (m > me or t > them):
            return False
    return True


def favourites(values: Sequence[int]) -> tuple[int, ...]:
    """Indices of the item types with the highest per-item value."""
    top = max(values)
    return tuple(i for i, v in enumerate(values) if v == top)


def format_split(take: Sequence[int]) -> str:
    """``books=1 hats=0 balls=2 pens=1``: the proposal syntax, also used in every message about a split."""
    return " ".join(f"{name}={n}" for name, n in zip(ITEMS, take))
