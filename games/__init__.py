"""Dialogue games with a teacher: the rules, programmatic teachers, instance generators and scorers.

Games are pure Python: they never call a model backend and do no I/O beyond reading their own data.
Use :func:`load_game` to get a game by id (``"taboo"`` or ``"taboo-v1"``) and :func:`check_game` to verify
that a game honours the contract.
"""

from .checks import CheckResult, GameCheckError, check_game, hostile_replies
from .episode import LEARNER, TEACHER, Episode, FormatError, MoveError, PendingTurn, RuleError, sanitize
from .game import Game
from .records import (
    FEEDBACK_KINDS,
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
from .seeding import cycle_pick, split_of, stable_seed

__all__ = [
    "ENTRY_POINT_GROUP", "FEEDBACK_KINDS", "LEARNER", "OUTCOMES", "SPLITS", "TEACHER",
    "CheckResult", "Episode", "EpisodeRecord", "FormatError", "Game", "GameCheckError", "GameInfo", "Instance",
    "MoveError", "PendingTurn", "RecordError", "RuleError", "Turn", "UnknownGameError",
    "check_game", "cycle_pick", "episode_key", "game_names", "hostile_replies", "list_games", "load_game", "register", "sanitize",
    "split_of", "stable_seed", "unregister",
]
