"""A PettingZoo AEC environment per game: every role a learner may play is an agent.

Whoever steps the agents plays them: one model for every agent is self-play, two models are two models talking
(each sees only its own role's conversation). Roles only the game's teacher can play stay with the teacher.

Example (two different models)::

    env = PlaypenAECEnv("reference")
    env.reset(seed=0)
    models = {"speaker": model_a, "listener": model_b}
    for agent in env.agent_iter():
        obs, reward, terminated, truncated, info = env.last()
        env.step(None if terminated or truncated else models[agent].chat(obs["messages"]))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv

from playschool.feedback import check_feedback
from playschool.games import LEARNER, TEACHER, Game, Instance, load_game
from playschool.games.episode import MAX_REPLY_CHARS

from .driver import EpisodeDriver
from .instances import choose_instance, instance_pool
from .text import action_space, observation_space


class PlaypenAECEnv(AECEnv[str, dict[str, Any], str | None]):
    """Agents are the game's learner roles (``possible_agents``); ``agents`` are those the current instance lets
    an outside player take (a variant may lack a role: Wordle's plain variant has no critic).

    ``agent_selection`` is the role whose move is due. ``observe(agent)`` is that role's conversation and the
    feedback kinds of its newest message (the same observation as :class:`~playschool.envs.PlaypenEnv`'s);
    ``step(text)`` plays the selected agent's move, and the teacher answers for teacher-only roles.

    Rewards: each move's reward goes to the agent that made it (the ``reward`` of its turn in the record); the
    episode's score is not added to any reward. When the episode ends every agent is terminated (``truncations``
    stay ``False``: games bound their own moves) and every agent's info holds ``outcome``, ``scores`` and the
    ``record`` (a dict). In the record, every agent's role is assigned ``learner`` and ``learner_role`` is the
    first agent, so the record reads as self-play.

    Args are as for :class:`~playschool.envs.PlaypenEnv` (``game``, ``split``, ``instance_seed``, ``feedback``,
    ``max_chars``, ``sample_max_chars``).
    """

    metadata: dict[str, Any] = {"render_modes": [], "name": "playschool_aec", "is_parallelizable": False}

    def __init__(self, game: str = "taboo", *, split: str = "train", instance_seed: int = 0,
                 feedback: str = "all", max_chars: int = MAX_REPLY_CHARS, sample_max_chars: int | None = None,
                 render_mode: str | None = None) -> None:
        super().__init__()
        if render_mode is not None:
            raise ValueError(f"PlaypenAECEnv renders nothing (render_mode must be None, got {render_mode!r})")
        self.render_mode = render_mode
        self.game: Game = load_game(game)
        self.metadata = {**type(self).metadata, "name": f"playschool_{self.game.name}_v{self.game.version}"}
        self.split = split
        self.pool = instance_pool(self.game, split, instance_seed)
        self.instance_seed = instance_seed
        self.feedback = check_feedback(feedback)
        self.possible_agents: list[str] = [r for r in self.game.roles if r in self.game.learner_roles]
        # One space object per agent, returned every time: PettingZoo seeds spaces through these very objects.
        self.observation_spaces: dict[str, spaces.Space[Any]] = {a: observation_space() for a in self.possible_agents}
        self.action_spaces: dict[str, spaces.Space[Any]] = {
            a: action_space(max_chars, sample_max_chars=sample_max_chars) for a in self.possible_agents}
        self._np_random: np.random.Generator | None = None
        self._driver: EpisodeDriver | None = None
        self.agents: list[str] = []
        self.rewards: dict[str, float] = {}
        self._cumulative_rewards: dict[str, float] = {}
        self.terminations: dict[str, bool] = {}
        self.truncations: dict[str, bool] = {}
        self.infos: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ spaces
    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    @property
    def instance(self) -> Instance | None:
        """The instance being played (``None`` before the first reset)."""
        return None if self._driver is None else self._driver.episode.instance

    # ------------------------------------------------------------------ API
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None or self._np_random is None:
            self._np_random, _ = seeding.np_random(seed)
        rng = self._np_random
        instance = choose_instance(self.game, self.pool, rng, options, lambda i: bool(self._agents_for(i)))
        agents = self._agents_for(instance)
        roles = {r: (LEARNER if r in agents else TEACHER) for r in self.game.roles}
        self._driver = EpisodeDriver(self.game, instance, agents[0], roles, feedback=self.feedback)
        self.agents = list(agents)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self._skip_agent_selection = None
        self._after_move()

    def observe(self, agent: str) -> dict[str, Any]:
        if self._driver is None:
            raise RuntimeError("call reset() before observe()")
        return self._driver.observe(agent)

    def step(self, action: str | None) -> None:
        if self._driver is None:
            raise RuntimeError("call reset() before step()")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        start = len(self._driver.episode.turns)
        self._driver.act(agent, action)
        # Every move since (the agent's own, then any the teacher made) rewards its mover.
        self.rewards = {a: 0.0 for a in self.agents}
        for turn in self._driver.episode.turns[start:]:
            if turn.kind == "move" and turn.speaker in self.rewards:
                self.rewards[turn.speaker] += float(turn.reward or 0.0)
        self._after_move()
        self._accumulate_rewards()

    def close(self) -> None:
        self._driver = None

    # ------------------------------------------------------------------ internals
    def _agents_for(self, instance: Instance) -> list[str]:
        return [a for a in self.possible_agents if self.game.supports(instance, a)]

    def _after_move(self) -> None:
        driver = self._driver
        assert driver is not None
        self.infos = {a: driver.info(a) for a in self.agents}
        if driver.done:
            self.terminations = {a: True for a in self.agents}
            self.agent_selection = self.agents[0]
            self._deads_step_first()
        else:
            due = driver.due
            if due not in self.agents:  # only agents are assigned "learner"; anything else is a game bug
                raise RuntimeError(f"{self.game.versioned_id}: {due!r} is due but is not an agent")
            self.agent_selection = due


__all__ = ["PlaypenAECEnv"]
