"""playschool: the open kit for the PlaySchool-LM challenge.

The Playpen (this package) plays dialogue games between a learner model and a teacher, batched and resumable;
``playschool.games`` holds the games, ``playschool.benchmark`` the CLU2 evaluation and
``playschool.baselines`` the training recipes.
"""

from ._version import __version__
from .backends.base import AsyncBackend, Backend, Decoding, Reply
from .manifest import build_manifest, package_version
from .players import CallablePlayer, HumanPlayer, ScriptedPlayer, load_agent
from .runner import EpisodeTask, Runner, RunSummary, plan_episodes
from .spec import ModelSpec, SpecError, load_player, parse_spec
from .store import RecordStore, RunLockedError, iter_records

__all__ = [
    "AsyncBackend", "Backend", "CallablePlayer", "Decoding", "EpisodeTask", "HumanPlayer", "ModelSpec",
    "RecordStore", "Reply", "RunLockedError", "RunSummary", "Runner", "ScriptedPlayer", "SpecError",
    "__version__", "build_manifest", "iter_records", "load_agent", "load_player", "package_version",
    "parse_spec", "plan_episodes",
]
