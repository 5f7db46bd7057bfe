"""Reinforcement-learning environments over the Playpen games (Gymnasium and PettingZoo).

* :class:`PlaypenEnv` — a Gymnasium env per game and learner role: the learner's moves are text actions, the
  other roles are played by the game's teacher (default), its random player or a model. Importing this package
  registers every game as ``playschool/<game>-v<N>``, so ``gymnasium.make("playschool/taboo-v2")`` works.
* :class:`PlaypenAECEnv` — a PettingZoo AEC env per game: every role is an agent (self-play, or two models).
* :class:`PlaypenVectorEnv` — many episodes stepped per call, with a model partner's turns batched across them.

Observations are chat histories with the feedback kinds of the newest message (:mod:`playschool.envs.text`);
rewards are the game's per-move rewards; the episode's scores and record arrive in ``info`` at the end. Needs
the ``[envs]`` extra (gymnasium, pettingzoo).
"""

try:  # the [envs] extra: say how to get it rather than failing deep inside a submodule
    import gymnasium  # noqa: F401
    import pettingzoo  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(f"playschool.envs needs gymnasium and pettingzoo: pip install 'playschool[envs]' ({exc})") from exc

from .aec import PlaypenAECEnv
from .driver import EpisodeDriver, check_action
from .gym_env import PlaypenEnv
from .instances import RESET_OPTIONS
from .partners import PartnerError, PartnerLike, resolve_partner
from .registration import NAMESPACE, env_id, register_envs
from .text import UnicodeText, action_space, observation_space
from .vector import PlaypenVectorEnv

register_envs()

__all__ = [
    "NAMESPACE", "RESET_OPTIONS", "EpisodeDriver", "PartnerError", "PartnerLike", "PlaypenAECEnv", "PlaypenEnv",
    "PlaypenVectorEnv", "UnicodeText", "action_space", "check_action", "env_id", "observation_space",
    "register_envs", "resolve_partner",
]
