"""Held-out play for recipes: a model's mean main score and success rate per (game, role) with 95% intervals,
and a callback that writes such scores into the budget ledger as learning-curve points.

Intervals are percentile bootstraps over episodes (2000 resamples, seeded): one episode is one instance played
in one role, the unit the games' splits are drawn in.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from playschool.games import EpisodeRecord

from playschool.backends.base import Decoding


def parse_roles(items: Sequence[str]) -> list[tuple[str, str]]:
    """``["reference:listener", ...]`` -> ``[("reference", "listener"), ...]``, checked against the registry."""
    from playschool.games import load_game

    out = []
    for item in items:
        game, sep, role = item.partition(":")
        if not sep:
            raise ValueError(f"{item!r}: expected GAME:ROLE, e.g. reference:listener")
        if role not in load_game(game).learner_roles:
            raise ValueError(f"{game} has no learner role {role!r}")
        out.append((game, role))
    return out


def plan(roles: Sequence[tuple[str, str]], split: str, n: int | None = None) -> list[Any]:
    """The episodes of ``split`` for each (game, role)."""
    from playschool.runner import plan_episodes

    tasks = []
    for game, role in roles:
        tasks += plan_episodes([game], split, roles=[role], n=n)
    return tasks


@dataclass(frozen=True)
class RoleScore:
    game: str
    role: str
    n: int
    main: float
    main_lo: float
    main_hi: float
    success: float  #: percent
    success_lo: float
    success_hi: float

    def row(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _interval(values: Sequence[float], rng: random.Random, n_boot: int = 2000) -> tuple[float, float]:
    if not values:
        return (0.0, 0.0)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(n_boot))
    return means[int(0.025 * n_boot)], means[int(0.975 * n_boot) - 1]


def role_scores(records: Sequence[EpisodeRecord], roles: Sequence[tuple[str, str]], *, seed: int = 0) -> list[RoleScore]:
    """Per (game, role): mean main and % success with bootstrap 95% intervals (game errors left out)."""
    rng = random.Random(seed)
    out = []
    for game, role in roles:
        recs = [r for r in records if r.game.rsplit("-v", 1)[0] == game.rsplit("-v", 1)[0]
                and r.learner_role == role and r.outcome != "error"]
        mains = [float(r.scores.get("main", 0.0)) for r in recs]
        wins = [100.0 if r.outcome == "success" else 0.0 for r in recs]
        m_lo, m_hi = _interval(mains, rng)
        s_lo, s_hi = _interval(wins, rng)
        n = len(recs)
        out.append(RoleScore(game, role, n, sum(mains) / n if n else 0.0, m_lo, m_hi,
                             sum(wins) / n if n else 0.0, s_lo, s_hi))
    return out


def play(player: Any, roles: Sequence[tuple[str, str]], split: str, *, n: int | None = None,
         max_new_tokens: int = 96, progress: bool = False, label: str = "held-out") -> list[EpisodeRecord]:
    """Greedy play of ``split`` by ``player`` (a backend, or the reference/random player) in every role."""
    from playschool.runner import Runner

    runner = Runner({"learner": player}, decoding=Decoding(max_new_tokens=max_new_tokens), concurrency=128,
                    progress=progress, progress_label=label)
    return runner.run(plan(roles, split, n)).records


def model_records(model: Any, tokenizer: Any, roles: Sequence[tuple[str, str]], split: str, *, n: int | None = None,
                  max_new_tokens: int = 96) -> list[EpisodeRecord]:
    """Greedy play of an in-memory model, as it is (the caller puts it in ``eval()`` mode)."""
    from playschool.backends.hf import HFBackend

    backend = HFBackend.from_model(model, tokenizer, max_batch_size=64)
    return play(backend, roles, split, n=n, max_new_tokens=max_new_tokens)


def model_scores(model: Any, tokenizer: Any, roles: Sequence[tuple[str, str]], split: str, *, n: int | None = None,
                 max_new_tokens: int = 96) -> list[RoleScore]:
    """Scores of an in-memory model, played as it is (the caller puts it in ``eval()`` mode)."""
    return role_scores(model_records(model, tokenizer, roles, split, n=n, max_new_tokens=max_new_tokens), roles)


def cheap_best(roles: Sequence[tuple[str, str]]) -> dict[str, tuple[str, float]]:
    """The best degenerate cheap policy of each role, ``"game:role" -> (policy, mean main)`` (the validity
    suite's measured table, 10 test instances per experiment): what a trained model must beat to show a skill."""
    from playschool.games import load_game
    from playschool.games.policies import score_policies

    out = {}
    for game, role in roles:
        rows = [r for r in score_policies(load_game(game)).roles[role] if r.degenerate]
        best = max(rows, key=lambda r: r.main, default=None)
        out[f"{game}:{role}"] = (best.name, best.main) if best else ("-", 0.0)
    return out


def move_profile(records: Sequence[EpisodeRecord], roles: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """How varied a player's moves are, per (game, role): moves made, distinct move texts, the most frequent one and
    its share. A policy that collapsed onto one move (``SELECT: 1`` whatever the description) shows a share near 1;
    read it next to the validity suite's cheap policies, which such a collapse would not beat."""
    from collections import Counter

    out = {}
    for game, role in roles:
        moves = Counter(t.text.strip() for r in records if r.game.rsplit("-v", 1)[0] == game and r.learner_role == role
                        for t in r.turns if t.kind == "move" and t.speaker == role)
        total = sum(moves.values())
        top, count = moves.most_common(1)[0] if moves else ("", 0)
        out[f"{game}:{role}"] = {"moves": total, "distinct": len(moves), "top_move": top[:80],
                                 "top_share": round(count / total, 4) if total else 0.0}
    return out


def _curve_callback_class() -> type:
    from transformers import TrainerCallback

    class CurveCallback(TrainerCallback):
        """At the start and every ``every`` optimizer steps, play held-out instances with the current weights and
        add the scores to the budget ledger (``eval`` lines: learning-curve points at the tokens spent so far).
        Evaluation runs without gradients: it costs time, not budget."""

        def __init__(self, budget: Any, tokenizer: Any, roles: Sequence[tuple[str, str]], *, split: str = "test",
                     n: int | None = None, every: int = 0) -> None:
            self.budget, self.tokenizer, self.roles = budget, tokenizer, list(roles)
            self.split, self.n, self.every = split, n, every
            self.points: list[dict[str, float]] = []

        last_step = -1

        def _point(self, model: Any, label: str, step: int) -> None:
            self.last_step = step
            was_training = model.training
            model.eval()
            scores = model_scores(model, self.tokenizer, self.roles, self.split, n=self.n)
            if was_training:
                model.train()
            point = {f"{s.game}:{s.role}": s.main for s in scores}
            point["mean"] = sum(s.main for s in scores) / max(1, len(scores))
            self.points.append(point)
            self.budget.record_eval(point, label=label)

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                self._point(kwargs["model"], "start", 0)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.every and state.global_step % self.every == 0 and state.is_world_process_zero:
                self._point(kwargs["model"], f"step {state.global_step}", state.global_step)

        def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            # Every run ends an epoch before it ends training (a budget stop, max_steps, the data), and the
            # ledger is still open here: the final point goes in before the end record.
            last = control.should_training_stop or state.global_step >= state.max_steps
            if last and state.is_world_process_zero and state.global_step != self.last_step:
                self._point(kwargs["model"], f"epoch end, step {state.global_step}", state.global_step)

    return CurveCallback


def curve_callback(budget: Any, tokenizer: Any, roles: Sequence[tuple[str, str]], **kwargs: Any) -> Any:
    """A :class:`transformers.TrainerCallback` writing learning-curve points into ``budget``'s ledger; list it
    *after* the budget callback (which opens the ledger when training begins)."""
    return _curve_callback_class()(budget, tokenizer, roles, **kwargs)


__all__ = ["RoleScore", "cheap_best", "curve_callback", "model_records", "model_scores", "move_profile", "parse_roles", "play", "plan", "role_scores"]
