"""Registers a Gymnasium env id per game: ``playschool/<game>-v<N>`` (e.g. ``playschool/taboo-v2``).

The id's version is the game's own version, so ``gymnasium.make("playschool/taboo-v2")`` plays exactly taboo v2
(and fails clearly once the installed taboo is another version), while ``gymnasium.make("playschool/taboo")``
plays the installed one. Game packs (entry points, ``PLAYSCHOOL_GAMES``, ``register()``) get ids too.
"""

from __future__ import annotations

import warnings

import gymnasium

from playschool.games import game_names, load_game

#: The Gymnasium namespace of every Playpen env id.
NAMESPACE = "playschool"
#: Where ``gymnasium.make`` finds the env class.
ENTRY_POINT = "playschool.envs.gym_env:PlaypenEnv"


def env_id(game: str) -> str:
    """The Gymnasium id of ``game`` (a name or a versioned id): ``playschool/<name>-v<version>``."""
    return f"{NAMESPACE}/{load_game(game).versioned_id}"


def register_envs() -> list[str]:
    """Register an env id for every registered game that has none yet; returns every Playpen env id.

    Idempotent: calling it again (e.g. after a game pack was added with ``playschool.games.register``) adds only
    the new games. A game that cannot be loaded (a broken game pack) is skipped with a warning, so it cannot
    take the other games' envs down with it.
    """
    ids = []
    for name in game_names():
        try:
            versioned = load_game(name).versioned_id
        except Exception as exc:  # a third-party game pack failing to import must not break the others
            warnings.warn(f"playschool.envs: game {name!r} could not be loaded, so it has no env: "
                          f"{type(exc).__name__}: {exc}", stacklevel=2)
            continue
        gid = f"{NAMESPACE}/{versioned}"
        if gid not in gymnasium.registry:
            gymnasium.register(id=gid, entry_point=ENTRY_POINT, kwargs={"game": versioned})
        ids.append(gid)
    return ids


__all__ = ["ENTRY_POINT", "NAMESPACE", "env_id", "register_envs"]
