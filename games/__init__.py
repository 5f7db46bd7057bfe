"""Dialogue games with a teacher: the rules, programmatic teachers, instance generators and scorers.

Games are pure Python: they never call a model backend and do no I/O beyond reading their own data.
Use :func:`load_game` to get a game by id (``"taboo"`` or ``"taboo-v1"``) and :func:`check_game` to verify
that a game honours the contract.
"""

from .checks import CheckResult, GameCheckError, check_game, hostile_replies
from .episode import (
    LEARNER,
    RANDOM,
    TEACHER,
    Episode,
    FormatError,
    MoveError,
    PendingTurn,
    RuleError,
    sanitize,
)
from .game import Game
from .grammar import MoveLine, find_move
from .loading import DatasetMismatchError, instances_fingerprint, load_instances
from .records import (
    FEEDBACK_KINDS,
    GAME_FAULT,
    OUTCOMES,
    SPLITS,
    EpisodeRecord,
    Instance,
    RecordError,
    Turn,
    episode_key,
)
from .registry import (
    ENTRY_POINT_GROUP,
    GameInfo,
    UnknownGameError,
    game_names,
    list_games,
    load_game,
    register,
    unregister,
)
from .replay import Replay, replay
from .seeding import cycle_pick, split_of, stable_seed

__all__ = [
    "ENTRY_POINT_GROUP", "FEEDBACK_KINDS", "GAME_FAULT", "LEARNER", "OUTCOMES", "RANDOM", "SPLITS", "TEACHER",
    "check_game", "CheckResult", "cycle_pick", "DatasetMismatchError", "Episode", "episode_key", "EpisodeRecord",
    "find_move", "FormatError", "Game", "game_names", "GameCheckError", "GameInfo", "hostile_replies", "Instance",
    "instances_fingerprint", "list_games", "load_game", "load_instances", "MoveError", "MoveLine", "PendingTurn",
    "RecordError", "register", "Replay", "replay", "RuleError", "sanitize", "split_of", "stable_seed", "Turn",
    "UnknownGameError", "unregister",
]
