"""The CLU2 task registry: every task with its plane, dimension, metric, random baseline, ceiling and weight.

The registry is versioned. Any change to a task (added, removed, a baseline re-calibrated, a game version
bumped) changes :func:`registry_fingerprint`, and the change must come with a new :data:`CLU2_VERSION`: every
result carries both, and reading a result whose fingerprint differs from the installed registry under the same
version is an error (:class:`RegistryMismatchError`), so two numbers that say "CLU2 0.1.0" always mean the same
tasks.

Held-out games from game packs (entry point group ``playschool.games``) are not listed here (organisers keep
them closed); :func:`get_task` makes their ``game/<name>/<role>`` tasks on the fly from the installed game
(:func:`pack_task`), and results store those definitions so they can be read where the pack is not installed.
They are outside the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: Bump on any change to TASKS (tests fail when the fingerprint changes without a bump of the frozen value).
CLU2_VERSION = "0.2.0"

Plane = Literal["reference", "interactional"]
Dimension = Literal["understanding_reasoning", "collaborative_language_use"]
PLANES: tuple[str, ...] = ("reference", "interactional")
UNDERSTANDING: Dimension = "understanding_reasoning"
COLLABORATION: Dimension = "collaborative_language_use"
DIMENSIONS: tuple[str, ...] = (UNDERSTANDING, COLLABORATION)
DIMENSION_LABELS: dict[str, str] = {UNDERSTANDING: "understanding & reasoning", COLLABORATION: "collaborative language use"}


class UnknownTaskError(KeyError):
    """A task id that the registry (and the installed game packs) does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; a user should read plain text
        return str(self.args[0])


class RegistryMismatchError(ValueError):
    """A result was made under another registry (other CLU2 version, or same version with other tasks)."""


@dataclass(frozen=True)
class Task:
    """One CLU2 task. ``metric`` names what an item's score is; the task's raw score is the mean item score.

    ``source`` says where items come from: for reference tasks ``{"config", "lm_eval_task", "output_type"}``;
    for interactional ones ``{"game", "role", "metric"}`` (``role`` and ``game`` are ``"*"`` for collaborative
    sub-metrics, which pool every game that records the situation they measure).
    """

    id: str
    plane: Plane
    dimension: Dimension
    metric: str
    random_baseline: float
    ceiling: float
    weight: float = 1.0
    source: dict[str, Any] = field(default_factory=dict, hash=False)

    def normalise(self, raw: float) -> float:
        """100 x (raw - baseline) / (ceiling - baseline). Not clipped: worse than random is negative."""
        return 100.0 * (raw - self.random_baseline) / (self.ceiling - self.random_baseline)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:
        try:
            return cls(id=str(data["id"]), plane=data["plane"], dimension=data["dimension"],
                       metric=str(data["metric"]), random_baseline=float(data["random_baseline"]),
                       ceiling=float(data["ceiling"]), weight=float(data.get("weight", 1.0)),
                       source=dict(data.get("source", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed task definition {dict(data)!r}: {exc!r}") from exc


# ------------------------------------------------------------------------------------------- reference
def _ref(name: str, config: str, output_type: str, baseline: float) -> Task:
    return Task(id=f"ref/{name}", plane="reference", dimension=UNDERSTANDING,
                metric="exact_match" if output_type == "generate_until" else "acc",
                random_baseline=baseline, ceiling=1.0,
                source={"config": config, "lm_eval_task": f"clu2_{name}", "output_type": output_type})


# Configs are those of the CLU2 dataset (datasets_scripts/clu2_sources.json, one per source). Baselines: 1 / the
# number of choices for multiple choice (ARC has a few 3- and 5-option items; 4 is the norm), 0 for generation
# (guessing an exact answer string has no meaningful chance level). The circa config (4 pragmatic readings) is
# in the dataset but not scored yet: adding it is a new task and a CLU2 version bump.
REFERENCE_TASKS: tuple[Task, ...] = (
    _ref("knowledge", "mmlu", "multiple_choice", 1 / 4),              # MMLU, 4 options
    _ref("reasoning", "arc_challenge", "multiple_choice", 1 / 4),     # ARC-Challenge, 4 options
    _ref("pragmatics", "implicatures", "multiple_choice", 1 / 2),     # BIG-bench implicatures: yes / no
    _ref("theory_of_mind", "mindgames", "multiple_choice", 1 / 2),    # MindGames: yes / no
    _ref("social", "social_iqa", "multiple_choice", 1 / 3),           # Social IQa, 3 options
    _ref("arithmetic_gen", "gsm8k", "generate_until", 0.0),           # GSM8K-style, exact match of the number
)

# ----------------------------------------------------------------------------------------- interactional
# Random baselines of the game tasks: the mean main score of the *random player* (each game's random legal moves
# in the right format, so 0 on the normalised scale means chance, not "cannot type") over the whole test split,
# frozen from `python -m playschool.benchmark.calibration` (instance seed 0). The ceiling is the top of the
# main score scale, 100, not the reference player's mean (e.g. wordle guesser ~35): the reference is a
# calibration, not the best possible.
_GAME_BASELINES: dict[tuple[str, str], float] = {
    # wordle mostly tests reasoning (deduction over letter feedback); it stays in the collaborative dimension
    # because it is played in dialogue with a teacher (critic role), keeping the two planes cleanly apart.
    ("drawing-v2", "drawer"): 6.921582, ("drawing-v2", "instructor"): 6.241381,
    ("guesswhat-v2", "answerer"): 0.0, ("guesswhat-v2", "questioner"): 1.496901,
    ("mapnav-v2", "follower"): 1.728395, ("mapnav-v2", "instructor"): 0.0,
    ("negotiation-v2", "alice"): 0.0, ("negotiation-v2", "bob"): 0.0,
    ("privateshared-v2", "agent"): 0.0, ("privateshared-v2", "customer"): 3.100869,
    ("reference-v2", "listener"): 11.111111, ("reference-v2", "speaker"): 1.586372,
    ("repair-v2", "builder"): 0.0, ("repair-v2", "instructor"): 0.0,
    ("taboo-v2", "describer"): 3.205467, ("taboo-v2", "guesser"): 12.731481,
    ("wordle-v2", "critic"): 3.75, ("wordle-v2", "guesser"): 0.0,
}


def game_task_id(game: str, role: str) -> str:
    """``game/<name>/<role>`` for a game id with or without version (``taboo-v1`` -> ``game/taboo/...``)."""
    name = game.rsplit("-v", 1)[0] if game.rsplit("-v", 1)[-1].isdigit() else game
    return f"game/{name}/{role}"


def _game(game: str, role: str, baseline: float) -> Task:
    return Task(id=game_task_id(game, role), plane="interactional", dimension=COLLABORATION, metric="main",
                random_baseline=baseline, ceiling=100.0, source={"game": game, "role": role, "metric": "main"})


GAME_TASKS: tuple[Task, ...] = tuple(_game(g, r, b) for (g, r), b in sorted(_GAME_BASELINES.items()))

#: Learner roles of the built-in games (``game/<name>/<role>``), the denominator of a sub-metric's weight.
ALL_ROLES: tuple[str, ...] = tuple(game_task_id(g, r) for g, r in sorted(_GAME_BASELINES))
LEARNER_ROLES = len(ALL_ROLES)
#: Sub-metric weight per feeding role, as a share of a game task's weight (1): collaborative behaviours count
#: twice as much as format-keeping and a game's own efficiency.
BEHAVIOUR_FACTOR, FORMAT_FACTOR = 2.0, 1.0
#: Per sub-metric: (its factor, the learner roles whose episodes produce its items). A role feeds a note-based
#: metric when its moves carry the note (the game card defines when), as found by the calibration (reference and
#: random play of the test split); every role can break the format.
_FEEDING: dict[str, tuple[float, tuple[str, ...]]] = {
    "clarification_f1": (BEHAVIOUR_FACTOR, (
        "game/drawing/drawer", "game/guesswhat/answerer", "game/mapnav/follower", "game/negotiation/alice",
        "game/negotiation/bob", "game/privateshared/agent", "game/reference/listener", "game/repair/builder",
        "game/taboo/guesser",
    )),
    "repair": (BEHAVIOUR_FACTOR, (
        "game/guesswhat/answerer", "game/mapnav/follower", "game/mapnav/instructor", "game/negotiation/alice",
        "game/negotiation/bob", "game/privateshared/customer", "game/repair/builder", "game/repair/instructor",
        "game/taboo/describer", "game/wordle/guesser",
    )),
    "coherence": (BEHAVIOUR_FACTOR, (
        "game/drawing/drawer", "game/drawing/instructor", "game/guesswhat/answerer",
        "game/guesswhat/questioner", "game/mapnav/follower", "game/mapnav/instructor",
        "game/negotiation/alice", "game/negotiation/bob", "game/privateshared/agent",
        "game/privateshared/customer", "game/reference/listener", "game/reference/speaker",
        "game/repair/builder", "game/taboo/guesser", "game/wordle/guesser",
    )),
    "probe_accuracy": (BEHAVIOUR_FACTOR, (
        "game/privateshared/agent", "game/privateshared/customer",
    )),
    "efficiency": (FORMAT_FACTOR, (
        "game/mapnav/follower", "game/mapnav/instructor",
    )),
    "format_recovery": (FORMAT_FACTOR, ALL_ROLES),
    "rule_compliance": (FORMAT_FACTOR, ALL_ROLES),
}


def submetric_weight(metric: str) -> float:
    """factor x (learner roles that feed it) / (all learner roles): a sub-metric that one game feeds weighs a
    fraction of that game's tasks, one that every role feeds weighs ``factor`` game tasks."""
    factor, roles = _FEEDING[metric]
    return round(factor * len(roles) / LEARNER_ROLES, 6)


def _collab(metric: str, baseline: float, weight: float | None = None) -> Task:
    return Task(id=f"collab/{metric}", plane="interactional", dimension=COLLABORATION, metric=metric,
                random_baseline=baseline, ceiling=1.0, weight=submetric_weight(metric) if weight is None else weight,
                source={"game": "*", "role": "*", "metric": metric})


# Collaborative sub-metrics pooled over every game that records the situation (benchmark/collab.py and
# docs/clu2.md have the definitions). Baselines: the random player's means on the whole test split (frozen with
# the game baselines), except the format metrics (format recovery, rule compliance): a format-valid random player
# satisfies them by construction (rule compliance 0.999, and it never needs to recover), so their floor is 0,
# nothing well-formed. Clarification precision and recall have weight 0: they are reported with intervals, but
# only their per-episode F1 counts, so a learner is not scored twice for the same decisions.
COLLAB_TASKS: tuple[Task, ...] = (
    _collab("clarification_f1", 0.11804),
    _collab("clarification_precision", 0.366882, weight=0.0),
    _collab("clarification_recall", 0.145921, weight=0.0),
    _collab("repair", 0.244596),
    _collab("format_recovery", 0.0),
    _collab("coherence", 0.378661),
    _collab("probe_accuracy", 0.54024),
    _collab("rule_compliance", 0.0),
    _collab("efficiency", 0.42109),
)

TASKS: tuple[Task, ...] = REFERENCE_TASKS + GAME_TASKS + COLLAB_TASKS
_BY_ID: dict[str, Task] = {t.id: t for t in TASKS}
assert len(_BY_ID) == len(TASKS), "duplicate task id in the registry"

#: The registry fingerprint of each CLU2 version. A test checks the installed registry against the entry of
#: CLU2_VERSION: changing a task without bumping the version (and adding an entry here) fails it.
RELEASED_FINGERPRINTS: dict[str, str] = {
    "0.1.0": "fa1fe52fd32c5bef096f4d48b1f0d1075d97295f75996bf88430729073e524a3",
    # 0.2.0: every game at v2 (no cheap policy is paid); baselines of the format-valid random player (chance);
    # sub-metrics repair (true repair), format_recovery (was repair_rate) and coherence; clarification items only
    # where the situation arose; sub-metric weights by the learner roles that feed them.
    "0.2.0": "b7367e68bf8389808881f1a74d2782b724a156d57a40809c3af74a0459e366ea",
}


def registry_fingerprint(tasks: tuple[Task, ...] = TASKS) -> str:
    """sha256 of the canonical task list (sorted by id, every field): equal registries, equal fingerprints."""
    canon = json.dumps([t.to_dict() for t in sorted(tasks, key=lambda t: t.id)], sort_keys=True,
                       separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def pack_task(game_id: str, role: str) -> Task:
    """The main-score task of a game from a game pack. Its baseline is the game's own
    ``clu2_random_baseline[role]`` when it declares one (a dict attribute), else 0."""
    from playschool.games import load_game

    game = load_game(game_id)
    if role not in game.learner_roles:
        raise UnknownTaskError(f"{game.versioned_id} has no learner role {role!r} "
                               f"(learner roles: {', '.join(game.learner_roles)})")
    baseline = float(getattr(game, "clu2_random_baseline", {}).get(role, 0.0))
    return Task(id=game_task_id(game.versioned_id, role), plane="interactional", dimension=COLLABORATION,
                metric="main", random_baseline=baseline, ceiling=100.0,
                source={"game": game.versioned_id, "role": role, "metric": "main", "pack": True})


def get_task(task_id: str, extra: Mapping[str, Task] | None = None) -> Task:
    """The task with this id: from the registry, then ``extra`` (task definitions stored with a result), then
    the installed game packs. Raises :class:`UnknownTaskError` listing the known ids."""
    task = _BY_ID.get(task_id) or (extra or {}).get(task_id)
    if task is not None:
        return task
    parts = task_id.split("/")
    if len(parts) == 3 and parts[0] == "game":
        from playschool.games import UnknownGameError

        try:
            return pack_task(parts[1], parts[2])
        except UnknownGameError:
            pass
    raise UnknownTaskError(f"unknown CLU2 task {task_id!r} (CLU2 {CLU2_VERSION}); known tasks: "
                           f"{', '.join(sorted(_BY_ID))} and game/<name>/<role> for installed game packs")


def tasks_for(plane: str | None = None, dimension: str | None = None) -> tuple[Task, ...]:
    """The registry's tasks, optionally of one plane and/or dimension (pack tasks are not included)."""
    if plane is not None and plane not in PLANES:
        raise ValueError(f"unknown plane {plane!r}; expected one of {PLANES}")
    if dimension is not None and dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {DIMENSIONS}")
    return tuple(t for t in TASKS if (plane is None or t.plane == plane)
                 and (dimension is None or t.dimension == dimension))


def check_registry(version: str, fingerprint: str, *, what: str = "this result") -> None:
    """Raise :class:`RegistryMismatchError` unless a result's version and fingerprint match the installed ones."""
    if version != CLU2_VERSION:
        raise RegistryMismatchError(f"{what} was made with CLU2 {version}, but CLU2 {CLU2_VERSION} is installed; "
                                    f"install the playschool release with CLU2 {version} to read it, or re-run "
                                    "the evaluation")
    if fingerprint != registry_fingerprint():
        raise RegistryMismatchError(f"{what} says CLU2 {version} but was made with other tasks than the installed "
                                    f"CLU2 {version} (registry fingerprint {fingerprint[:12]} != "
                                    f"{registry_fingerprint()[:12]}): whoever changed the task registry must bump "
                                    "CLU2_VERSION in benchmark/registry.py")
