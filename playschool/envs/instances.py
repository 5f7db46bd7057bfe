"""Which instance an environment plays on reset: drawn with the env's seeded generator, or named in ``options``.

Every environment of a game and split shares one generated pool per process (generation is deterministic and
takes up to a few seconds for the larger games), so making many envs is cheap.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from playschool.games import SPLITS, Game, Instance, RecordError

#: Keys ``reset(options=...)`` understands.
RESET_OPTIONS: tuple[str, ...] = ("instance_id", "instance")


def instance_pool(game: Game, split: str, instance_seed: int) -> tuple[Instance, ...]:
    """Every instance of ``split`` the game's generator makes under ``instance_seed`` (a tuple: shared, so
    nobody may change it)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if not isinstance(instance_seed, int) or isinstance(instance_seed, bool):
        raise TypeError(f"instance_seed must be an int, got {type(instance_seed).__name__}")
    return _generated(game, split, instance_seed)


# Keyed by the game object, not its id: a game registered again under the same name (tests, notebooks) is a new
# object with its own pool.
@lru_cache(maxsize=64)
def _generated(game: Game, split: str, instance_seed: int) -> tuple[Instance, ...]:
    return tuple(game.generate(split, seed=instance_seed))


def choose_instance(game: Game, pool: tuple[Instance, ...], rng: np.random.Generator,
                    options: Mapping[str, Any] | None, playable: Callable[[Instance], bool]) -> Instance:
    """The instance to play: ``options["instance"]`` (an :class:`Instance` or its dict), else the pool's
    ``options["instance_id"]``, else one drawn with ``rng`` from the pool's playable instances.

    A named instance that is not playable (its variant lacks the role), not of this game, or not in the pool is a
    :class:`ValueError`. Unknown option keys are warned about (PettingZoo's API test passes arbitrary options, so
    they cannot be an error) and otherwise ignored.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(RESET_OPTIONS))
    if unknown:
        warnings.warn(f"reset() ignores option(s) {unknown}; it understands {list(RESET_OPTIONS)}", stacklevel=3)
    chosen: Instance | None = None
    if options.get("instance") is not None:
        given = options["instance"]
        try:
            chosen = given if isinstance(given, Instance) else Instance.from_dict(given)
        except (RecordError, TypeError, AttributeError) as exc:
            raise ValueError(f"options['instance'] must be an Instance or its dict: {exc}") from exc
        if chosen.game != game.versioned_id:
            raise ValueError(f"options['instance'] is an instance of {chosen.game}, not {game.versioned_id}")
    elif options.get("instance_id") is not None:
        wanted = options["instance_id"]
        chosen = next((i for i in pool if i.id == wanted), None)
        if chosen is None:
            raise ValueError(f"{game.versioned_id} has no instance {wanted!r} in this split "
                             f"(ids look like {pool[0].id!r})" if pool else f"no instance {wanted!r}: empty pool")
    if chosen is not None:
        if not playable(chosen):
            raise ValueError(f"{game.versioned_id} instance {chosen.id} cannot be played with this role set-up")
        return chosen
    candidates = [i for i in pool if playable(i)]
    if not candidates:
        raise ValueError(f"{game.versioned_id}: no instance of this split can be played with this role set-up")
    return candidates[int(rng.integers(len(candidates)))]


__all__ = ["RESET_OPTIONS", "choose_instance", "instance_pool"]
