"""Instances of the reference game: a scene per difficulty level and the teacher speaker's planned words.

What a teacher will say as the speaker of a learner listener is planned here, with the instance's rng, and
stored in the params: the first description and the planned answers to clarification questions (a question
about one attribute gets that attribute instead), and so whether the first description is ambiguous.
Playing an instance twice with the same moves therefore says the same words.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..seeding import cycle_pick, split_of
from .scene import DIMS, Obj, fits, load_vocabulary, minimal_unique

__all__ = ["LEVELS", "MAX_CLARIFICATIONS", "Level", "make_params", "target_pool"]

#: Questions a listener may ask per episode; a fourth is a rule error (the teacher listener then picks).
MAX_CLARIFICATIONS = 3
#: Scene draws before giving up; every level accepts well over one draw in ten, so this never binds.
_MAX_ATTEMPTS = 500
#: Dimensions of a target that select it for a split (its position is drawn freely per scene).
_TARGET_DIMS = ("colour", "shape", "size", "pattern")


@dataclass(frozen=True)
class Level:
    """One experiment.

    ``objects``: scene size range; ``near_duplicates``: distractors equal to the target but for one
    dimension (each on another dimension); ``unique_size``: the number of dimensions the target's shortest
    unique description needs; ``modes``: the teacher speaker's plan, cycled by instance index (``unique``:
    one unambiguous description; ``ambiguous``: an ambiguous description, then one answer that singles the
    target out; ``ambiguous2``: two answers needed). The teacher's first description names 1 to
    ``unique_size + 1`` dimensions whatever the mode (a unique one names ``unique_size`` or one more), so
    how many attributes it names does not tell a listener whether it is ambiguous.
    """

    objects: tuple[int, int]
    near_duplicates: int
    unique_size: int
    modes: tuple[str, ...]

    @property
    def first_max(self) -> int:
        return self.unique_size + 1


LEVELS: dict[str, Level] = {
    # Every level has near-duplicates: the attributes that single the target out are the ones they differ in,
    # drawn at random, so no fixed choice of attributes (always colour, say) describes targets well. Half of
    # the medium and hard instances start ambiguous, one or two answers needed: a listener's habit (always
    # ask once, always ask twice, never ask) is right on a quarter to a half of them only.
    "easy": Level((4, 4), 1, 1, ("unique",)),
    "medium": Level((5, 6), 2, 2, ("unique", "ambiguous", "unique", "ambiguous2")),
    "hard": Level((7, 8), 3, 3, ("unique", "ambiguous", "unique", "ambiguous2")),
}


def _key(combo: Sequence[str]) -> str:
    return " ".join(combo)  # "red circle large striped"


@cache
def target_pool(split: str) -> tuple[str, ...]:
    """Target attribute combinations (colour, shape, size, pattern) of ``split``.

    A combination belongs to one split by hashing it (``split_of``), so a test target is a combination no
    train or validation instance has as its target.
    """
    values = load_vocabulary().values
    combos = (_key(c) for c in itertools.product(*(values[d] for d in _TARGET_DIMS)))
    return tuple(c for c in combos if split_of(f"reference/{c}") == split)


def _random_object(rng: random.Random) -> dict[str, str]:
    values = load_vocabulary().values
    return {d: rng.choice(values[d]) for d in DIMS}


def _near_duplicate(rng: random.Random, target: Obj, dim: str) -> dict[str, str]:
    other = [v for v in load_vocabulary().values[dim] if v != target[dim]]
    return {**target, dim: rng.choice(other)}


def _signature(obj: Obj) -> tuple[str, ...]:
    return tuple(obj[d] for d in DIMS)


def _plans(objects: Sequence[Obj], target: int, mode: str, first_max: int) -> list[list[tuple[str, ...]]]:
    """Every way the teacher speaker may say its words in ``mode``: a list of stages (dimension tuples).

    Stage 0 is the first description, each later stage the answer to one clarification question. All
    stages but the last leave 2+ candidates (and each answer strictly fewer); all of them together leave
    only the target.
    """
    obj, n = objects[target], len(objects)

    def count(dims: tuple[str, ...]) -> int:
        return len(fits(objects, obj, dims))

    if mode == "unique":
        fewest = len(minimal_unique(objects, target)[0])
        return [[dims] for k in (fewest, fewest + 1) for dims in itertools.combinations(DIMS, k)
                if count(dims) == 1]
    plans: list[list[tuple[str, ...]]] = []
    for k in range(1, first_max + 1):
        for first in itertools.combinations(DIMS, k):
            before = count(first)
            if not 2 <= before < n:  # ambiguous, but not empty talk that fits every object
                continue
            rest = [d for d in DIMS if d not in first]
            if mode == "ambiguous":
                plans += [[first, (d,)] for d in rest if count((*first, d)) == 1]
                continue
            for d1, d2 in itertools.permutations(rest, 2):
                middle = count((*first, d1))
                if 2 <= middle < before and count((*first, d1, d2)) == 1:
                    plans.append([first, (d1,), (d2,)])
    return plans


def _scene(rng: random.Random, level: Level, combo: str) -> tuple[list[dict[str, str]], int]:
    values = load_vocabulary().values
    target = dict(zip(_TARGET_DIMS, combo.split(" ")))
    target.update(column=rng.choice(values["column"]), row=rng.choice(values["row"]))
    objects = [target] + [_near_duplicate(rng, target, d) for d in rng.sample(DIMS, level.near_duplicates)]
    size = rng.randint(*level.objects)
    seen = {_signature(o) for o in objects}
    while len(objects) < size:
        obj = _random_object(rng)
        if _signature(obj) not in seen:  # no two objects alike: some description always singles one out
            seen.add(_signature(obj))
            objects.append(obj)
    order = list(range(len(objects)))
    rng.shuffle(order)
    return [objects[i] for i in order], order.index(0)


def make_params(rng: random.Random, *, split: str, experiment: str, index: int, game_id: str) -> dict[str, Any]:
    """The params of one instance: scene, target (1-based, as the listener numbers it) and the plan."""
    level = LEVELS[experiment]
    pool = target_pool(split)
    if not pool:
        raise ValueError(f"reference: no target combination falls into split {split!r}")
    combo = cycle_pick(pool, index, key=f"{game_id}/{split}/{experiment}")
    mode = level.modes[index % len(level.modes)]
    for _ in range(_MAX_ATTEMPTS):
        objects, target = _scene(rng, level, combo)
        shortest = minimal_unique(objects, target)
        if not shortest or len(shortest[0]) != level.unique_size:
            continue
        plans = _plans(objects, target, mode, level.first_max)
        if not plans:
            continue
        # First the number of attributes of the first description, then a plan of that size: the size is
        # spread evenly over what the scene allows, whether or not the description is ambiguous.
        size = rng.choice(sorted({len(p[0]) for p in plans}))
        plan = rng.choice([p for p in plans if len(p[0]) == size])
        return {
            "objects": objects,
            "target": target + 1,
            "mode": mode,
            "ambiguous": mode != "unique",
            "questions_needed": len(plan) - 1,
            "descriptions": [{d: objects[target][d] for d in stage} for stage in plan],
            "max_clarifications": MAX_CLARIFICATIONS,
        }
    raise RuntimeError(f"reference: no {experiment} scene for {combo!r} in {_MAX_ATTEMPTS} draws")
