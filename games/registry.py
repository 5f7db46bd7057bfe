"""The game registry: built-in games (one line each below) plus third-party game packs.

A game pack is any installed distribution that declares an entry point in the group ``playschool.games``::

    [project.entry-points."playschool.games"]
    mygame = "mypack.mygame:MyGame"

Organisers keep held-out games closed this way: the pack is installed only where the evaluation runs.
Without packaging, ``PLAYSCHOOL_GAMES="name=module:Class,..."`` adds games from importable modules (a folder
of held-out games on ``PYTHONPATH``), and :func:`register` does the same from Python.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.metadata import entry_points

from .game import Game

ENTRY_POINT_GROUP = "playschool.games"
ENV_VAR = "PLAYSCHOOL_GAMES"

#: Built-in games: name -> "module:Class". Adding a game adds one line here.
BUILTIN: dict[str, str] = {
    "taboo": "playschool.games.taboo:Taboo",
    "wordle": "playschool.games.wordle:Wordle",
    "reference": "playschool.games.reference:Reference",
    "repair": "playschool.games.repair:Repair",
    "negotiation": "playschool.games.negotiation:Negotiation",
    "mapnav": "playschool.games.mapnav:MapNav",
    "privateshared": "playschool.games.privateshared:PrivateShared",
    "guesswhat": "playschool.games.guesswhat:GuessWhat",
    "drawing": "playschool.games.drawing:Drawing",
}


class UnknownGameError(KeyError):
    """No registered game matches the requested id (or the version differs)."""

    def __str__(self) -> str:  # KeyError quotes its message; a user should read plain text
        return str(self.args[0])


@dataclass(frozen=True)
class GameInfo:
    """What ``playschool list`` shows about a registered game."""

    versioned_id: str
    name: str
    version: int
    roles: tuple[str, ...]
    learner_roles: tuple[str, ...]
    experiments: tuple[str, ...]
    summary: str
    source: str


def _load(target: str) -> type[Game]:
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Game)):
        raise TypeError(f"{target} is not a playschool Game subclass")
    return cls


@lru_cache(maxsize=1)
def _targets() -> dict[str, tuple[str, str]]:
    """name -> (module:Class, source) for built-ins and installed game packs."""
    found = {name: (target, "builtin") for name, target in BUILTIN.items()}
    extra = [(ep.name, ep.value, ep.dist.name if ep.dist else "entry point")
             for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for item in filter(None, (s.strip() for s in os.environ.get(ENV_VAR, "").split(","))):
        name, eq, target = item.partition("=")
        if not eq or ":" not in target:
            raise RuntimeError(f"{ENV_VAR} entries are name=module:Class, got {item!r}")
        extra.append((name.strip(), target.strip(), ENV_VAR))
    extra += [(name, target, "register()") for name, target in _REGISTERED.items()]
    for name, target, source in extra:
        if name in found:
            raise RuntimeError(f"{source} registers {name!r} ({target}), which is already a registered game")
        found[name] = (target, source)
    return found


_REGISTERED: dict[str, str] = {}


def register(name: str, target: str) -> None:
    """Register a game class (``"module:Class"``) under ``name`` for this process."""
    if ":" not in target:
        raise ValueError(f"target must be 'module:Class', got {target!r}")
    _REGISTERED[name] = target
    _targets.cache_clear()
    load_game.cache_clear()


def unregister(name: str) -> None:
    """Undo :func:`register` (tests use it to clean up)."""
    _REGISTERED.pop(name, None)
    _targets.cache_clear()
    load_game.cache_clear()


def game_names() -> list[str]:
    return sorted(_targets())


@cache
def load_game(game_id: str) -> Game:
    """The game for ``taboo`` (current version) or ``taboo-v1`` (that exact version)."""
    name, _, version = game_id.partition("-v")
    targets = _targets()
    if name not in targets:
        raise UnknownGameError(f"unknown game {game_id!r}; registered games: {', '.join(sorted(targets))}")
    game = _load(targets[name][0])()
    if version and (not version.isdigit() or int(version) != game.version):
        raise UnknownGameError(f"{game_id!r} is not available: the installed {name} is {game.versioned_id}. "
                               "Install the playschool release that has that version to reproduce old results.")
    return game


def list_games() -> list[GameInfo]:
    infos = []
    for name, (_, source) in sorted(_targets().items()):
        g = load_game(name)
        infos.append(GameInfo(g.versioned_id, g.name, g.version, g.roles, g.learner_roles, g.experiments,
                              g.summary, source))
    return infos
