"""Multi-turn rollouts for online RL: whole Playpen episodes against the teacher, as token sequences for TRL.

One *group* is one (game, role, instance) the curriculum chose, played ``G`` times with sampling; every group of a
step is played in one :class:`~playschool.runner.Runner` pass, so every pending learner turn of every episode goes
into the same batched ``generate`` call (the teacher moves in between, inside the game, for free).

An episode becomes one sequence the way its learner saw it: the learner's view (``learner_view``, with the
feedback ablation of the run) rendered by the chat template. ``prompt_ids`` is everything before the learner's
first reply; ``completion_ids`` is the rest up to the end of its last reply; ``env_mask`` marks the learner's own
tokens (its replies and the end-of-turn token after each) with 1 and everything else — teacher and environment
messages, template markup — with 0, so only what the learner wrote carries loss.

The sequence is the *re-tokenized* conversation, which is exactly what the learner conditioned on at its last turn
(the runner renders the whole conversation through the chat template at every turn); the ids it sampled may
tokenize a reply differently, so sampling log-probabilities are not returned and the trainer computes its own.

The reward is the game's one scorer (``Game.score``, what evaluation and the metric module use): the episode's
main score / 100, plus, optionally, ``turn_weight`` x the sum of the learner's per-move rewards (dense shaping:
-1 for an unparseable move, -0.5 for an illegal one, the game's own rewards for good moves).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from playschool.games import EpisodeRecord, Game, Instance, load_game

from playschool.backends.base import Backend, Decoding
from playschool.runner import EpisodeTask, Runner, RunSummary
from playschool.views import learner_view


@dataclass(frozen=True)
class RolloutTask(EpisodeTask):
    """An episode task played several times in one step: ``sample`` makes each copy's key (hence its sampling
    seeds) its own, so the ``G`` episodes of a group are distinct samples."""

    sample: int = 0
    step: int = 0

    @property
    def key(self) -> str:
        return f"{super().key}#step{self.step}#sample{self.sample}"


@dataclass(frozen=True)
class EpisodeSequence:
    """One episode as TRL takes it."""

    prompt_ids: list[int]
    completion_ids: list[int]
    env_mask: list[int]
    truncated: bool


@dataclass
class RolloutBatch:
    """What one step's rollout produced, in the order of the tasks."""

    records: list[EpisodeRecord]
    sequences: list[EpisodeSequence]
    rewards: list[float]
    rollout_tokens: int  #: tokens the learner generated (not budgeted; logged in the ledger)
    seconds: float
    failed: dict[str, str] = field(default_factory=dict)

    def trl_output(self) -> dict[str, Any]:
        """The dict a TRL ``rollout_func`` returns (extra keys reach the reward function)."""
        return {"prompt_ids": [s.prompt_ids for s in self.sequences],
                "completion_ids": [s.completion_ids for s in self.sequences],
                "logprobs": None,
                "env_mask": [s.env_mask for s in self.sequences],
                "playpen_reward": list(self.rewards),
                "playpen_main": [float(r.scores.get("main", 0.0)) for r in self.records]}

    @property
    def fed_tokens(self) -> int:
        """Non-padding tokens the trainer will feed for these sequences (once per pass over them)."""
        return sum(len(s.prompt_ids) + len(s.completion_ids) for s in self.sequences)


def episode_sequence(tokenizer: Any, record: EpisodeRecord, role: str, *, feedback: str = "all",
                     max_length: int | None = None) -> EpisodeSequence:
    """The learner's side of ``record`` as ``prompt_ids``/``completion_ids``/``env_mask`` (see the module doc).

    A learner that never moved (its first turn overflowed the context, say) gets its opening prompt and a single
    masked end-of-sequence token: it contributes nothing to the loss. ``max_length`` cuts the completion so that
    prompt and completion fit (``truncated`` says so); the reward still comes from the whole episode.
    """
    from playschool.baselines.common import tokenize_with_learner_mask

    messages = learner_view(record.turns, role, feedback=feedback).messages
    last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
    eos = tokenizer.eos_token_id
    if last is None:
        opening = tokenizer.apply_chat_template(messages or [{"role": "user", "content": ""}], tokenize=False,
                                                add_generation_prompt=True)
        ids = list(tokenizer(opening, add_special_tokens=False)["input_ids"])
        return EpisodeSequence(ids, [eos], [0], False)
    row = tokenize_with_learner_mask(tokenizer, messages[: last + 1])
    ids, mask = row["input_ids"], row["assistant_masks"]
    first = mask.index(1)
    prompt, completion, env = ids[:first], ids[first:], mask[first:]
    truncated = False
    if max_length is not None and len(prompt) + len(completion) > max_length:
        keep = max(1, max_length - len(prompt))
        completion, env, truncated = completion[:keep], env[:keep], True
    return EpisodeSequence(list(prompt), list(completion), list(env), truncated)


def episode_reward(record: EpisodeRecord, *, turn_weight: float = 0.0) -> float:
    """The RL reward of an episode: main score / 100 (+ ``turn_weight`` x the learner's summed move rewards)."""
    reward = float(record.scores.get("main", 0.0)) / 100.0
    if turn_weight:
        reward += turn_weight * float(record.scores.get("reward", 0.0))
    return reward


class InstancePicker:
    """Draws train-split instances of a (game, experiment) without replacement until the pool is used up, then
    reshuffles: a seeded, reproducible stream per arm. Only the *train* split is ever drawn."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._pools: dict[tuple[str, str], list[Instance]] = {}
        self._games: dict[str, Game] = {}
        self._rounds: dict[tuple[str, str], int] = {}

    def game(self, name: str) -> Game:
        if name not in self._games:
            self._games[name] = load_game(name)
        return self._games[name]

    def draw(self, game_name: str, experiment: str, role: str) -> Instance:
        game = self.game(game_name)
        key = (game_name, experiment)
        pool = self._pools.get(key)
        if not pool:
            pool = [i for i in game.generate("train") if i.experiment == experiment and game.supports(i, role)]
            if not pool:
                raise ValueError(f"{game.versioned_id} has no train instance of {experiment!r} for role {role!r}")
            rnd = self._rounds.get(key, 0)
            self._rounds[key] = rnd + 1
            random.Random(f"{self.seed}/{game_name}/{experiment}/{rnd}").shuffle(pool)
            self._pools[key] = pool
        return pool.pop()


def play_groups(backend: Backend, groups: Sequence[tuple[Game, Instance, str]], *, group_size: int, step: int,
                decoding: Decoding, feedback: str = "all", concurrency: int | None = None,
                on_record: Callable[[EpisodeRecord], None] | None = None) -> tuple[list[EpisodeRecord], RunSummary]:
    """Play ``group_size`` sampled episodes of each (game, instance, learner role), all in one runner pass.

    Returns the records in task order (group by group) and the runner's summary. ``concurrency`` bounds the
    episodes in flight (default: all of them, so every pending turn of the step shares one ``generate`` call;
    ``1`` plays them one at a time, the baseline of ``tests/perf/bench_rollout.py``).
    """
    tasks = [RolloutTask(game, inst, role, sample=k, step=step)
             for game, inst, role in groups for k in range(group_size)]
    runner = Runner({"learner": backend}, decoding=decoding, concurrency=concurrency or max(1, len(tasks)),
                    feedback=feedback, on_record=on_record)
    summary = runner.run(tasks)
    by_key = {}
    for task, record in _match(tasks, summary.records):
        by_key[task.key] = record
    missing = [t.key for t in tasks if t.key not in by_key]
    if missing:
        reasons = "; ".join(f"{k}: {summary.failed.get(k, '?')}" for k in missing[:3])
        raise RuntimeError(f"{len(missing)} rollout episode(s) failed (infrastructure, not the learner): {reasons}")
    return [by_key[t.key] for t in tasks], summary



def _match(tasks: Sequence[RolloutTask], records: Sequence[EpisodeRecord]) -> list[tuple[RolloutTask, EpisodeRecord]]:
    """Pair records with their tasks. Records carry (game, instance, role) but not the sample index; copies of
    one task finish in any order, and any pairing among identical tasks is as good as another, so the copies are
    handed out in finishing order."""
    queues: dict[tuple[str, str, str], list[RolloutTask]] = {}
    for t in tasks:
        queues.setdefault((t.game.versioned_id, t.instance.id, t.learner_role), []).append(t)
    out = []
    for r in records:
        queue = queues.get((r.game, r.instance_id, r.learner_role))
        if queue:
            out.append((queue.pop(0), r))
    return out


def rollout(backend: Backend, tokenizer: Any, groups: Sequence[tuple[Game, Instance, str]], *, group_size: int,
            step: int, decoding: Decoding, feedback: str = "all", turn_weight: float = 0.0,
            max_length: int | None = None) -> RolloutBatch:
    """Play the groups and turn every episode into a TRL sequence with its reward."""
    started = time.perf_counter()
    records, summary = play_groups(backend, groups, group_size=group_size, step=step, decoding=decoding,
                                   feedback=feedback)
    sequences = [episode_sequence(tokenizer, r, r.learner_role, feedback=feedback, max_length=max_length)
                 for r in records]
    rewards = [episode_reward(r, turn_weight=turn_weight) for r in records]
    generated = sum((t.tokens or {}).get("completion", 0) for r in records for t in r.turns
                    if t.kind == "move" and t.speaker == r.learner_role)
    return RolloutBatch(records, sequences, rewards, generated, time.perf_counter() - started, dict(summary.failed))


__all__ = ["EpisodeSequence", "InstancePicker", "RolloutBatch", "RolloutTask", "episode_reward", "episode_sequence", "play_groups",
           "rollout"]
