"""Stable seeds and split assignment. Python's ``hash()`` is salted per process, so never use it for data."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar


def stable_seed(*parts: object) -> int:
    """A 31-bit seed derived from ``parts``: identical on every machine, Python version and run."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def split_of(key: str, *, validation: float = 0.15, test: float = 0.15, salt: str = "playschool") -> str:
    """Assign an item (a target word, a map layout, ...) to a split by hashing its key.

    The assignment depends on the key alone, so adding items to a pool never moves existing ones between
    splits, and test items stay held out from training.
    """
    u = stable_seed(salt, key) / 0x7FFFFFFF
    if u < test:
        return "test"
    if u < test + validation:
        return "validation"
    return "train"


T = TypeVar("T")


def cycle_pick(pool: Sequence[T], index: int, *, key: str) -> T:
    """The ``index``-th item of a fixed, keyed shuffle of ``pool``, cycling.

    Instances drawn this way use every item once before any item repeats (sampling without replacement),
    and the shuffle depends on the items and ``key`` only, not on the pool's order.
    """
    if not pool:
        raise ValueError(f"cannot pick from an empty pool ({key})")
    order = sorted(pool, key=lambda item: (stable_seed(key, item), str(item)))
    return order[index % len(order)]
