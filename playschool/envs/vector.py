"""Many episodes of one game and learner role, stepped together: one call moves every live episode.

Why not Gymnasium's ``VectorEnv``: its API batches observations into arrays and infos into dicts of arrays, and
resets finished sub-envs automatically. Conversations do not batch into arrays (a tuple of variable-length chats
gains nothing), the record of a finished episode is easiest to use as it is, and an LLM rollout wants a batch of
whole episodes, not a stream. So this class returns plain lists, one entry per episode, and a finished episode
stays finished until the next :meth:`PlaypenVectorEnv.reset`. (``gymnasium.make_vec("playschool/<game>-vN",
vectorization_mode="sync")`` still works for code that wants Gymnasium's form.)

What it adds over a loop of :class:`~playschool.envs.PlaypenEnv`: a model partner is asked once per round for
every episode waiting on it (one batched ``generate`` call across episodes), and the results are exactly those of
the single envs stepped one by one with the same seeds (sampling seeds depend on the episode and move only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from playschool.backends.base import Decoding
from playschool.games.episode import MAX_REPLY_CHARS

from .driver import check_action, drive_partners
from .gym_env import PlaypenEnv
from .partners import PartnerLike, resolve_partner

#: ``step``'s return: observations, rewards, terminated, truncated, infos (one entry per episode each).
StepBatch = tuple[list[dict[str, Any]], list[float], list[bool], list[bool], list[dict[str, Any]]]


class PlaypenVectorEnv:
    """``num_envs`` episodes of ``game`` with the learner in ``role``; the other arguments are
    :class:`~playschool.envs.PlaypenEnv`'s (a model partner is loaded once and shared by every episode).

    ``reset(seed=s)`` seeds episode ``i`` with ``s + i`` (or takes one seed per episode); ``step(actions)`` takes
    one action per episode. The action of a finished episode is ignored (pass ``None``): it reports its final
    observation and info again, with reward 0 and ``terminated`` True, until the next reset.
    """

    def __init__(self, game: str, num_envs: int, role: str | None = None, *, split: str = "train",
                 partner: PartnerLike = "teacher", instance_seed: int = 0, feedback: str = "all",
                 max_chars: int = MAX_REPLY_CHARS, sample_max_chars: int | None = None,
                 decoding: Decoding | None = None) -> None:
        if not isinstance(num_envs, int) or isinstance(num_envs, bool) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        self.num_envs = num_envs
        self.decoding = decoding or Decoding()
        value, backend = resolve_partner(partner)
        self.envs = [PlaypenEnv(game, role, split=split, partner=backend or value, instance_seed=instance_seed,
                                feedback=feedback, max_chars=max_chars, sample_max_chars=sample_max_chars,
                                decoding=self.decoding) for _ in range(num_envs)]
        self._backend = backend
        self.role = self.envs[0].role
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        self._started = False

    @property
    def done(self) -> list[bool]:
        """Whether each episode is over."""
        return [e.driver is not None and e.driver.done for e in self.envs]

    def reset(self, *, seed: int | Sequence[int | None] | None = None,
              options: Mapping[str, Any] | Sequence[Mapping[str, Any] | None] | None = None,
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Start a new episode in every slot; returns the observations and infos.

        ``options``: one dict for every episode, or a sequence with one per episode (see
        :meth:`PlaypenEnv.reset <playschool.envs.PlaypenEnv.reset>`).
        """
        seeds = self._seeds(seed)
        opts = self._options(options)
        drivers = [env.start(seed=s, options=None if o is None else dict(o))
                   for env, s, o in zip(self.envs, seeds, opts)]
        drive_partners(drivers, self._backend, self.decoding)
        self._started = True
        return [d.observe(self.role) for d in drivers], [d.info(self.role) for d in drivers]

    def step(self, actions: Sequence[str | None]) -> StepBatch:
        """Play one move in every live episode, then let the partners answer (batched across episodes)."""
        if not self._started:
            raise RuntimeError("call reset() before step()")
        if isinstance(actions, str) or len(actions) != self.num_envs:
            raise ValueError(f"step() takes a sequence of {self.num_envs} actions, one per episode")
        done = self.done
        for was_done, action in zip(done, actions):  # check all first: a bad one leaves every episode untouched
            if not was_done:
                check_action(action)
        rewards = [0.0] * self.num_envs
        drivers = [env.driver for env in self.envs if env.driver is not None]
        for i, (driver, action) in enumerate(zip(drivers, actions)):
            if not done[i]:
                rewards[i] = driver.act(self.role, action)
        drive_partners(drivers, self._backend, self.decoding)
        return ([d.observe(self.role) for d in drivers], rewards, [d.done for d in drivers],
                [False] * self.num_envs, [d.info(self.role) for d in drivers])

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def _seeds(self, seed: int | Sequence[int | None] | None) -> list[int | None]:
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, int) and not isinstance(seed, bool):
            return [seed + i for i in range(self.num_envs)]
        if isinstance(seed, Sequence) and len(seed) == self.num_envs and all(
                s is None or (isinstance(s, int) and not isinstance(s, bool)) for s in seed):
            return list(seed)
        raise ValueError(f"seed must be an int (episode i gets seed + i), None, or {self.num_envs} ints/None, "
                         f"got {seed!r}")

    def _options(self, options: Mapping[str, Any] | Sequence[Mapping[str, Any] | None] | None,
                 ) -> list[Mapping[str, Any] | None]:
        if options is None or isinstance(options, Mapping):
            return [options] * self.num_envs
        if isinstance(options, Sequence) and not isinstance(options, str) and len(options) == self.num_envs and all(
                o is None or isinstance(o, Mapping) for o in options):
            return list(options)
        raise ValueError(f"options must be a dict for every episode or a sequence of {self.num_envs} dicts/None, "
                         f"got {options!r}")


__all__ = ["PlaypenVectorEnv", "StepBatch"]
