"""The item pool and the arithmetic of splits: values, joint value, the joint optimum, Pareto optimality.

Pure functions on small integer tuples, shared by the episode, the teacher, the generator and the scorer, so
a score can never disagree with what the game computed live.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import product

__all__ = [
    "ITEMS", "SINGULAR", "Vector", "all_takes", "favourites", "format_split", "is_pareto", "joint_value",
    "max_joint", "overlap", "rest", "value_of", "value_vectors",
]

#: The item types, in the order of every vector (counts, values, takes).
ITEMS: tuple[str, ...] = ("books", "hats", "balls")
SINGULAR: tuple[str, ...] = ("book", "hat", "ball")

Vector = tuple[int, ...]


@lru_cache(maxsize=512)
def value_vectors(counts: Vector, total: int) -> tuple[Vector, ...]:
    """Every per-item value vector (non-negative integers) under which the whole pool is worth ``total``.

    This is the public rule both players know, so it is also the teacher's prior over its partner's values.
    """
    out: list[Vector] = []

    def extend(prefix: Vector, left: int) -> None:
        i = len(prefix)
        if i == len(counts) - 1:
            if left % counts[i] == 0:
                out.append((*prefix, left // counts[i]))
            return
        for v in range(left // counts[i] + 1):
            extend((*prefix, v), left - v * counts[i])

    extend((), total)
    return tuple(out)


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


def all_takes(counts: Sequence[int]) -> list[Vector]:
    """Every bundle one player can take (the pool is small: at most 7^3 bundles)."""
    return [tuple(t) for t in product(*(range(c + 1) for c in counts))]


def is_pareto(counts: Sequence[int], take: Sequence[int], mine: Sequence[int], theirs: Sequence[int]) -> bool:
    """No other split gives both players at least as much and one of them more."""
    me, them = value_of(take, mine), value_of(rest(counts, take), theirs)
    for other in all_takes(counts):
        m, t = value_of(other, mine), value_of(rest(counts, other), theirs)
        if m >= me and t >= them and (m > me or t > them):
            return False
    return True


def overlap(counts: Sequence[int], a: Sequence[int], b: Sequence[int], total: int) -> float:
    """How much the players want the same items: the pool's value counted at the lower of the two values,
    as a share of ``total`` (0 = they care about different items, 1 = identical values)."""
    return sum(c * min(x, y) for c, x, y in zip(counts, a, b)) / total


def favourites(values: Sequence[int]) -> tuple[int, ...]:
    """Indices of the item types with the highest per-item value."""
    top = max(values)
    return tuple(i for i, v in enumerate(values) if v == top)


def format_split(take: Sequence[int]) -> str:
    """``books=1 hats=0 balls=2``: the proposal syntax, also used in every message about a split."""
    return " ".join(f"{name}={n}" for name, n in zip(ITEMS, take))
