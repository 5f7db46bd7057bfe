"""A curriculum the learner controls: which (game, role, experiment) it practises next.

The challenge promises the learner some control over its training. A curriculum is asked, before each unit of
practice (an optimizer step of SFT, a group of GRPO rollouts), which *arm* to practise, and is told afterwards how
the learner did on it (higher is better: the game's main score 0-100, or minus the training loss for SFT and
DPO)::

    cur = make_curriculum("learner-bandit", arms_for(["taboo", "wordle"]), seed=0, on_choice=ledger_line)
    arm = cur.choose(step)          # Arm("taboo", "guesser", "high")
    ...                             # practise it
    cur.update(arm, score)

Policies (:data:`CURRICULA`, or ``module:attr`` for your own):

* ``learner-bandit`` (default) — a learning-progress bandit driven by the learner's own recent scores
  (:class:`LearningProgressBandit`): practise where the score is *changing* the most, in either direction, so
  that what is being learned and what is being forgotten both attract practice, and what is flat (mastered or
  out of reach) does not.
* ``learner-choice`` — the model itself picks from a numbered menu showing its recent mean score and number of
  tries per arm (:class:`LearnerChoice`); a reply that names no arm falls back to the bandit, logged as such.
* ``uniform`` — a seeded uniform draw; ``fixed`` — the arms in the given order, round robin (the baselines).

Every choice is reported to ``on_choice`` as a JSON-serialisable dict (``step``, ``policy``, ``arm``,
``fallback`` and the policy's reasons); the recipes write it into the budget ledger (``choice`` lines).
All randomness comes from a ``random.Random(seed)`` of the curriculum's own: same seed, same scores, same choices.
"""

from __future__ import annotations

import inspect
import math
import random
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

CURRICULA = ("learner-bandit", "learner-choice", "uniform", "fixed")

#: A reply of the model is truncated to this many characters in the log.
REPLY_LOG_CHARS = 200
#: Only this much of a reply is searched for the arm number (a huge reply costs nothing more).
REPLY_SCAN_CHARS = 10_000

Ask = Callable[[list[dict[str, str]]], str]
OnChoice = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Arm:
    """What the learner can choose to practise: a learner role of a game on one of its experiments."""

    game: str  #: registry name without version (``taboo``)
    role: str  #: a learner role of that game
    experiment: str  #: one of the game's experiments (difficulty levels / variants)

    @property
    def key(self) -> str:
        return f"{self.game}:{self.role}:{self.experiment}"


def game_name(game_id: str) -> str:
    """``"taboo-v2"`` -> ``"taboo"`` (as the registry reads ids); a name without version stays as it is."""
    return game_id.partition("-v")[0]


def arm_of(game_id: str, role: str, instance_id: str) -> Arm:
    """The arm an episode belongs to: its game (versioned or not), learner role, and the experiment named in the
    middle of its instance id (``split/experiment/index``; an id of another shape is its own experiment)."""
    parts = str(instance_id).split("/")
    experiment = parts[1] if len(parts) == 3 else str(instance_id)
    return Arm(game_name(str(game_id)), str(role), experiment)


def arm_from_key(key: str) -> Arm:
    """The arm of a key (``"taboo:guesser:high"``), the inverse of :attr:`Arm.key`."""
    game, role, experiment = str(key).split(":", 2)
    return Arm(game, role, experiment)


def arms_for(games: Sequence[str], roles: Sequence[str] | None = None) -> list[Arm]:
    """Every (game, learner role, experiment) of ``games`` (ids or names), in the games' own order.

    ``roles`` restricts the learner roles as :func:`playschool.runner.plan_episodes` does: a role a game lacks is
    skipped for that game, a role no game has is an error. A role a variant does not support (wordle's critic
    has no ``plain`` experiment) is no arm: support is read from the experiment's first train instance.
    """
    from playschool.games import load_game

    arms: list[Arm] = []
    seen_roles: set[str] = set()
    for gid in games:
        game = load_game(gid)
        wanted = [r for r in game.learner_roles if roles is None or r in roles]
        seen_roles.update(wanted)
        firsts = {inst.experiment: inst for inst in game.generate("train", n=1, seed=0)}
        for role in wanted:
            for experiment in game.experiments:
                inst = firsts.get(experiment)
                if inst is None or game.supports(inst, role):
                    arms.append(Arm(game.name, role, experiment))
    if roles is not None and (missing := set(roles) - seen_roles):
        raise ValueError(f"no selected game has learner role(s) {sorted(missing)}")
    return arms


class Curriculum(Protocol):
    """Chooses what the learner practises next and hears how it went."""

    name: str

    def choose(self, step: int) -> Arm:
        """The arm to practise at ``step``."""
        ...

    def update(self, arm: Arm, score: float) -> None:
        """The learner's score on ``arm`` (higher is better; 0-100 for games)."""
        ...


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


class _Policy:
    """Shared book-keeping: per-arm windows of recent scores, tries, and the ``on_choice`` report."""

    name = "policy"

    def __init__(self, arms: Sequence[Arm], *, seed: int = 0, window: int = 10,
                 on_choice: OnChoice | None = None) -> None:
        arms = list(arms)
        if not arms:
            raise ValueError("a curriculum needs at least one arm")
        if len({a.key for a in arms}) != len(arms):
            raise ValueError("the arms of a curriculum must be distinct")
        if int(window) < 2:
            raise ValueError(f"window must be at least 2 scores, got {window!r}")
        self.arms = arms
        self.seed = seed
        self.window = int(window)
        self.rng = random.Random(seed)
        self.on_choice = on_choice
        self.scores: dict[Arm, deque[float]] = {a: deque(maxlen=self.window) for a in arms}
        self.tries: dict[Arm, int] = dict.fromkeys(arms, 0)  #: times chosen
        self.choices = 0

    def update(self, arm: Arm, score: float) -> None:
        if arm not in self.scores:
            raise ValueError(f"{arm.key if isinstance(arm, Arm) else arm!r} is not an arm of this curriculum")
        score = float(score)
        if math.isfinite(score):  # a NaN loss teaches nothing and would poison every mean after it
            self.scores[arm].append(score)

    def mean(self, arm: Arm) -> float | None:
        s = self.scores[arm]
        return _mean(s) if s else None

    def progress(self, arm: Arm) -> float | None:
        """|mean of the recent half - mean of the older half| of the arm's window; None below two scores."""
        s = list(self.scores[arm])
        if len(s) < 2:
            return None
        half = len(s) // 2
        return abs(_mean(s[len(s) - half:]) - _mean(s[: len(s) - half]))

    def _pick(self, step: int) -> tuple[Arm, dict[str, Any]]:
        raise NotImplementedError

    def choose(self, step: int) -> Arm:
        arm, info = self._pick(step)
        self.tries[arm] += 1
        self.choices += 1
        if self.on_choice is not None:
            self.on_choice({"step": int(step), "policy": self.name, "arm": arm.key, "fallback": False, **info})
        return arm


class LearningProgressBandit(_Policy):
    """Absolute learning progress over arms, chosen epsilon-greedily (or by a softmax).

    Per arm, a window of the ``window`` most recent scores; progress = |mean of the recent half - mean of the
    older half|, so a rising score (learning) and a falling one (forgetting) both attract practice and a flat one
    (mastered, or out of reach) does not. Every arm is first tried ``warmup`` times (the least-tried first, ties
    drawn at random) so that each has a progress estimate. Then, with probability ``epsilon``, a uniform draw
    (progress is estimated from few, noisy scores, and an arm that looks flat may start moving); otherwise the
    arm of the highest progress (ties drawn at random). With ``temperature`` set, a softmax over progress /
    temperature replaces the greedy pick (``epsilon`` still mixes in uniform draws).

    Defaults: ``window=10`` (two halves of 5: progress over ~10 tries, short enough to notice forgetting within a
    few dozen steps, long enough that a single noisy score moves a half-mean by a fifth), ``epsilon=0.2`` (one
    step in five explores: with up to ~30 arms of a full game set each arm is still revisited every ~150 steps),
    ``warmup=2`` (two scores are the least that give a progress), ``temperature=None`` (greedy: it needs no
    sense of the score's scale; a softmax temperature is in score units, e.g. 5 for 0-100 game scores, 0.05 for
    losses). Choices count as tries when made, scores arrive later (a trainer reads ahead), so warm-up and the
    menu never wait on a score.
    """

    name = "learner-bandit"

    def __init__(self, arms: Sequence[Arm], *, seed: int = 0, window: int = 10, epsilon: float = 0.2,
                 temperature: float | None = None, warmup: int = 2, on_choice: OnChoice | None = None) -> None:
        super().__init__(arms, seed=seed, window=window, on_choice=on_choice)
        if not 0.0 <= float(epsilon) <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon!r}")
        if temperature is not None and not float(temperature) > 0:
            raise ValueError(f"temperature must be positive, got {temperature!r}")
        self.epsilon = float(epsilon)
        self.temperature = None if temperature is None else float(temperature)
        self.warmup = max(1, int(warmup))

    def _pick(self, step: int) -> tuple[Arm, dict[str, Any]]:
        fewest = min(self.tries.values())
        if fewest < self.warmup:
            arm = self.rng.choice([a for a in self.arms if self.tries[a] == fewest])
            return arm, {"reason": "warm-up", "progress": self._rounded(arm)}
        progress = {a: self.progress(a) or 0.0 for a in self.arms}
        if self.rng.random() < self.epsilon:
            arm, reason = self.rng.choice(self.arms), "explore"
        elif self.temperature is not None:
            top = max(progress.values())
            weights = [math.exp((progress[a] - top) / self.temperature) for a in self.arms]
            arm, reason = self.rng.choices(self.arms, weights=weights)[0], "softmax"
        else:
            top = max(progress.values())
            arm, reason = self.rng.choice([a for a in self.arms if progress[a] == top]), "progress"
        return arm, {"reason": reason, "progress": self._rounded(arm)}

    def _rounded(self, arm: Arm) -> float | None:
        p = self.progress(arm)
        return None if p is None or not math.isfinite(p) else round(p, 6)  # the ledger's JSON has no inf


class Uniform(_Policy):
    """A seeded uniform draw over the arms (a baseline)."""

    name = "uniform"

    def _pick(self, step: int) -> tuple[Arm, dict[str, Any]]:
        return self.rng.choice(self.arms), {"reason": "uniform"}


class Fixed(_Policy):
    """The arms in the given order, one per choice, round robin (a baseline)."""

    name = "fixed"

    def _pick(self, step: int) -> tuple[Arm, dict[str, Any]]:
        index = self.choices % len(self.arms)
        return self.arms[index], {"reason": "round-robin", "index": index}


SYSTEM_PROMPT = ("You are a learner choosing what to practise next. Each option is a role in a dialogue game at "
                 "one difficulty. Pick the option you expect to learn the most from. Reply with the option's "
                 "number only.")


def parse_choice(reply: Any, n: int) -> int | None:
    """The 0-based arm index of a reply that names option 1..``n`` by its first integer, else None.

    Never raises: a non-string, empty or huge reply, a number out of range or one too long to be an option is
    None (only the first :data:`REPLY_SCAN_CHARS` characters are searched).
    """
    if not isinstance(reply, str):
        return None
    m = re.search(r"-?\d+", reply[:REPLY_SCAN_CHARS])  # "-1" is minus one (out of range), not option 1
    if m is None or len(m.group()) > 7:  # a huge digit string is no option (and int() of it may refuse)
        return None
    k = int(m.group())
    return k - 1 if 1 <= k <= n else None


class LearnerChoice(_Policy):
    """The model picks its next arm from a menu; a reply that names no arm falls back to the bandit.

    ``ask(messages)`` gets a chat (a system and a user message) listing the numbered arms with the learner's
    recent mean score (the bandit's window) and tries per arm, and returns the model's reply. The first integer
    of the reply names the arm (:func:`parse_choice`); an empty, garbled or out-of-range reply, or an exception
    from ``ask``, falls back to the bandit's choice, reported with ``fallback: true`` and the reply (or the
    error) cut to :data:`REPLY_LOG_CHARS` characters. The bandit hears every score and counts every try either
    way, so a fallback is as informed as a bandit run.
    """

    name = "learner-choice"

    def __init__(self, arms: Sequence[Arm], *, ask: Ask | None, seed: int = 0, window: int = 10,
                 on_choice: OnChoice | None = None, **bandit: Any) -> None:
        if ask is None or not callable(ask):
            raise ValueError("the learner-choice curriculum needs ask(messages) -> reply: a function that puts the "
                             "menu to the learner model (a recipe passes one that generates with the model)")
        super().__init__(arms, seed=seed, window=window, on_choice=on_choice)
        self.ask = ask
        self.bandit = LearningProgressBandit(arms, seed=seed, window=window, **bandit)

    def menu(self) -> list[dict[str, str]]:
        lines = []
        for i, a in enumerate(self.arms, start=1):
            mean = self.mean(a)
            score = "no score yet" if mean is None else f"recent mean score {mean:.2f}"
            lines.append(f"{i}. {a.game}, role {a.role}, {a.experiment}: {score}, tried {self.tries[a]} times")
        user = ("Options:\n" + "\n".join(lines) +
                f"\n\nWhich option do you practise next? Reply with one number from 1 to {len(self.arms)}.")
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def update(self, arm: Arm, score: float) -> None:
        super().update(arm, score)
        self.bandit.update(arm, score)

    def _pick(self, step: int) -> tuple[Arm, dict[str, Any]]:  # pragma: no cover - choose() is overridden
        raise NotImplementedError

    def choose(self, step: int) -> Arm:
        reply: Any = None
        error = ""
        try:
            reply = self.ask(self.menu())
        except Exception as exc:  # the model's side failing must not stop training: the bandit decides
            error = f"{type(exc).__name__}: {exc}"
        index = None if error else parse_choice(reply, len(self.arms))
        if index is not None:
            arm = self.arms[index]
            self.bandit.tries[arm] += 1
            self.bandit.choices += 1
            info: dict[str, Any] = {"reason": "learner", "reply": str(reply)[:REPLY_LOG_CHARS]}
        else:
            heard: list[dict[str, Any]] = []
            self.bandit.on_choice = heard.append
            try:
                arm = self.bandit.choose(step)
            finally:
                self.bandit.on_choice = None
            logged = error or (reply if isinstance(reply, str) else repr(reply))
            info = {"reason": "ask failed" if error else "unparseable reply", "reply": logged[:REPLY_LOG_CHARS],
                    "bandit_reason": heard[0]["reason"], "progress": heard[0]["progress"]}
        self.tries[arm] += 1
        self.choices += 1
        if self.on_choice is not None:
            self.on_choice({"step": int(step), "policy": self.name, "arm": arm.key, "fallback": index is None,
                            **info})
        return arm


class _UserPolicy:
    """A ``module:attr`` policy, checked and reported like the built-in ones."""

    def __init__(self, inner: Any, arms: Sequence[Arm], spec: str, on_choice: OnChoice | None) -> None:
        self.inner = inner
        self.arms = list(arms)
        self.by_key = {a.key: a for a in self.arms}
        self.spec = spec
        self.name = str(getattr(inner, "name", "") or spec)
        self.on_choice = on_choice

    def choose(self, step: int) -> Arm:
        got = self.inner.choose(step)
        arm = got if isinstance(got, Arm) else self.by_key.get(got) if isinstance(got, str) else None
        if arm is None or arm.key not in self.by_key:
            raise ValueError(f"curriculum {self.spec} chose {got!r}, which is not one of its arms")
        if self.on_choice is not None:
            self.on_choice({"step": int(step), "policy": self.name, "arm": arm.key, "fallback": False,
                            "reason": "user policy"})
        return arm

    def update(self, arm: Arm, score: float) -> None:
        self.inner.update(arm, score)


def _is_curriculum(obj: Any) -> bool:
    return not inspect.isclass(obj) and callable(getattr(obj, "choose", None)) and \
        callable(getattr(obj, "update", None))


def _load_user(spec: str, arms: list[Arm], seed: int, ask: Ask | None, on_choice: OnChoice | None) -> Curriculum:
    from playschool.imports import resolve

    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"a curriculum is one of {', '.join(CURRICULA)} or 'module:attr', got {spec!r}")
    obj = resolve(spec, "curriculum")
    if not _is_curriculum(obj):
        if not callable(obj):
            raise TypeError(f"{spec} is not a curriculum: expected an object with choose(step) and "
                            "update(arm, score), or a class/factory taking (arms, seed=...)")
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        kwargs: dict[str, Any] = {"seed": seed}
        if "ask" in params:
            kwargs["ask"] = ask
        obj = obj(list(arms), **kwargs)
        if not _is_curriculum(obj):
            raise TypeError(f"{spec}(arms, seed=...) returned {type(obj).__name__}, which has no choose(step) and "
                            "update(arm, score)")
    return _UserPolicy(obj, arms, spec, on_choice)


def make_curriculum(spec: str, arms: Sequence[Arm], *, seed: int = 0, ask: Ask | None = None,
                    on_choice: OnChoice | None = None) -> Curriculum:
    """The curriculum named by ``spec`` (one of :data:`CURRICULA`, or ``module:attr`` for a user policy) over
    ``arms``. ``ask`` is needed by ``learner-choice`` only; ``on_choice`` hears every choice."""
    arms = list(arms)
    if not arms:
        raise ValueError("a curriculum needs at least one arm (no training data matched any game/role?)")
    spec = str(spec).strip()
    if spec == "learner-bandit":
        return LearningProgressBandit(arms, seed=seed, on_choice=on_choice)
    if spec == "learner-choice":
        return LearnerChoice(arms, ask=ask, seed=seed, on_choice=on_choice)
    if spec == "uniform":
        return Uniform(arms, seed=seed, on_choice=on_choice)
    if spec == "fixed":
        return Fixed(arms, seed=seed, on_choice=on_choice)
    if ":" in spec:
        return _load_user(spec, arms, seed, ask, on_choice)
    raise ValueError(f"unknown curriculum {spec!r}: use one of {', '.join(CURRICULA)} or 'module:attr'")


__all__ = ["CURRICULA", "Arm", "Curriculum", "Fixed", "LearnerChoice", "LearningProgressBandit", "Uniform",
           "arm_from_key", "arm_of", "arms_for", "game_name", "make_curriculum", "parse_choice"]
