"""A Gymnasium environment per game and learner role: the learner's moves are the actions, text in, text out.

Example (after ``import playschool.envs`` every game is registered as ``playschool/<game>-v<N>``)::

    import gymnasium as gym
    import playschool.envs

    env = gym.make("playschool/taboo-v2", role="describer")
    obs, info = env.reset(seed=0)
    while True:
        reply = my_model.chat(obs["messages"])          # any chat model: messages are chat-template ready
        obs, reward, terminated, truncated, info = env.step(reply)
        if terminated or truncated:
            break
    print(info["outcome"], info["scores"]["main"])     # info["record"] is the episode record
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium

from playschool.backends.base import Backend, Decoding
from playschool.feedback import check_feedback
from playschool.games import LEARNER, Game, Instance, load_game
from playschool.games.episode import MAX_REPLY_CHARS

from .driver import EpisodeDriver, drive_partners
from .instances import choose_instance, instance_pool
from .partners import PartnerLike, resolve_partner
from .text import UnicodeText, action_space, observation_space


class PlaypenEnv(gymnasium.Env[dict[str, Any], str]):
    """One game, one learner role; every other role is played by ``partner``.

    Args:
        game: a game id (``"taboo"`` for the installed version, ``"taboo-v2"`` for exactly that one).
        role: the learner's role (default: the game's first learner role).
        split: the instances played (``train``, ``validation``, ``test``).
        partner: who plays the other roles: ``"teacher"`` (the game's programmatic teacher, default),
            ``"random"`` (its random legal moves), any model spec (``"hf:PATH"``, ``"openai:MODEL@URL"``, ...)
            or a backend object with ``generate(conversations, decoding)``.
        instance_seed: the generator's instance seed (0: the published split; another: a private draw).
        feedback: what the learner is shown of the teacher's feedback (``all``, ``environment``, ``none``; see
            :mod:`playschool.feedback`).
        max_chars: the longest action the action space holds (longer text is still accepted and cut by the game).
        sample_max_chars: the longest action ``action_space.sample()`` draws (default ``max_chars``).
        decoding: decoding parameters for a model partner.

    Spaces: an action is one move as text (:class:`~playschool.envs.text.UnicodeText`); an observation is the
    learner's conversation so far plus the feedback kinds of its newest message (see :mod:`playschool.envs.text`).

    ``reset(seed=..., options=...)`` draws an instance of the split with the env's seeded generator (same seed, same
    instance, same observation); ``options={"instance_id": "train/easy/0003"}`` or ``{"instance": Instance}``
    names one. ``step(text)`` plays the learner's move, lets the other roles answer until the learner is due or
    the episode is over, and returns:

    * ``reward``: the reward the game gave this move (the ``reward`` of its turn in the record: a format error
      is -1, a rule error -0.5, a valid move what the game's rules give). The episode's score is *not* added
      to the last reward; it is in ``info["scores"]`` at the end, and the rewards of an episode sum to
      ``info["scores"]["reward"]``.
    * ``terminated``: the episode is over (``success``, ``lose``, ``aborted`` or the game's own ``error``).
    * ``truncated``: always ``False``: every game bounds its moves itself, and a move limit is a loss by its
      rules, so it terminates the episode.
    * ``info``: see :meth:`EpisodeDriver.info <playschool.envs.driver.EpisodeDriver.info>` (feedback kinds,
      the verdict on the move, and at the end outcome, scores and the record). It is for the training code,
      not the policy: under a ``feedback`` ablation it still holds the game's correction texts.

    Any text is a valid action (empty, huge, binary-looking: at worst the episode ends ``aborted``); a non-string
    raises :class:`TypeError` and leaves the episode as it was. A model partner whose backend fails raises
    :class:`~playschool.envs.partners.PartnerError`; reset before stepping again.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, game: str = "taboo", role: str | None = None, *, split: str = "train",
                 partner: PartnerLike = "teacher", instance_seed: int = 0, feedback: str = "all",
                 max_chars: int = MAX_REPLY_CHARS, sample_max_chars: int | None = None,
                 decoding: Decoding | None = None, render_mode: str | None = None) -> None:
        if render_mode is not None:
            raise ValueError(f"PlaypenEnv renders nothing (render_mode must be None, got {render_mode!r}); "
                             "the episode record in info['record'] is its transcript")
        self.game: Game = load_game(game)
        self.role = role or self.game.learner_roles[0]
        if self.role not in self.game.learner_roles:
            raise ValueError(f"{self.game.versioned_id}: a learner cannot play {self.role!r}; learner roles are "
                             f"{', '.join(self.game.learner_roles)}")
        self.split = split
        self.pool = instance_pool(self.game, split, instance_seed)
        self.instance_seed = instance_seed
        self.feedback = check_feedback(feedback)
        self.decoding = decoding or Decoding()
        self._partner_value, self._backend = resolve_partner(partner)
        self.action_space: UnicodeText = action_space(max_chars, sample_max_chars=sample_max_chars)
        self.observation_space = observation_space()
        self.render_mode = render_mode
        self._driver: EpisodeDriver | None = None

    @property
    def roles(self) -> dict[str, str]:
        """Who plays each role: ``learner`` in :attr:`role`, the partner everywhere else."""
        return {r: (LEARNER if r == self.role else self._partner_value) for r in self.game.roles}

    @property
    def instance(self) -> Instance | None:
        """The instance being played (``None`` before the first reset)."""
        return None if self._driver is None else self._driver.episode.instance

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        driver = self.start(seed=seed, options=options)
        drive_partners([driver], self._backend, self.decoding)  # a model partner may open the game
        return driver.observe(self.role), driver.info(self.role)

    def step(self, action: str) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        driver = self._driver
        if driver is None:
            raise RuntimeError("call reset() before step()")
        if driver.done:
            raise RuntimeError(f"the episode is over ({driver.episode.outcome}); call reset() to play another")
        reward = driver.act(self.role, action)
        drive_partners([driver], self._backend, self.decoding)
        return driver.observe(self.role), reward, driver.done, False, driver.info(self.role)

    # ------------------------------------------------------------- for the vector env
    @property
    def driver(self) -> EpisodeDriver | None:
        """The live episode (``None`` before the first reset)."""
        return self._driver

    @property
    def partner_backend(self) -> Backend | None:
        """The model partner's backend (``None`` when the game plays the other roles)."""
        return self._backend

    def start(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> EpisodeDriver:
        """Reset to a new episode without letting a model partner move yet (the vector env batches those moves
        across its episodes); :meth:`reset` is this plus the partner's opening moves."""
        super().reset(seed=seed)
        instance = choose_instance(self.game, self.pool, self.np_random, options,
                                   lambda i: self.game.supports(i, self.role))
        self._driver = EpisodeDriver(self.game, instance, self.role, self.roles, feedback=self.feedback,
                                     decoding=self.decoding)
        return self._driver


__all__ = ["PlaypenEnv"]
