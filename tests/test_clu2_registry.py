"""The CLU2 task registry: ids, baselines, the frozen fingerprint per version, and game-pack tasks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from playschool.benchmark import registry as reg
from playschool.benchmark.registry import (
    CLU2_VERSION,
    RELEASED_FINGERPRINTS,
    TASKS,
    RegistryMismatchError,
    UnknownTaskError,
    check_registry,
    get_task,
    registry_fingerprint,
    tasks_for,
)
from playschool.games import register, unregister
from playschool.games.registry import BUILTIN, load_game


def test_the_registry_matches_the_fingerprint_released_with_this_version() -> None:
    # Changing any task (a baseline, a game version, a weight) fails here until CLU2_VERSION is bumped and the
    # new fingerprint is added to RELEASED_FINGERPRINTS: results then say which task set they were scored on.
    assert registry_fingerprint() == RELEASED_FINGERPRINTS[CLU2_VERSION]


def test_reference_tasks_follow_the_shared_interface() -> None:
    ref = {t.id: t for t in tasks_for("reference")}
    assert set(ref) == {"ref/knowledge", "ref/reasoning", "ref/pragmatics", "ref/theory_of_mind", "ref/social",
                        "ref/arithmetic_gen"}
    for t in ref.values():
        assert t.dimension == "understanding_reasoning" and t.ceiling == 1.0
        assert set(t.source) == {"config", "lm_eval_task", "output_type"}
    assert ref["ref/arithmetic_gen"].source["output_type"] == "generate_until"
    assert ref["ref/arithmetic_gen"].random_baseline == 0.0
    assert ref["ref/knowledge"].random_baseline == 0.25 and ref["ref/pragmatics"].random_baseline == 0.5


def test_one_game_task_per_builtin_game_and_learner_role_at_the_installed_version() -> None:
    games = {t.source["game"]: t for t in tasks_for("interactional") if t.id.startswith("game/")}
    expected = {(load_game(name).versioned_id, role) for name in BUILTIN for role in load_game(name).learner_roles}
    got = {(t.source["game"], t.source["role"]) for t in tasks_for("interactional") if t.id.startswith("game/")}
    assert got == expected  # a new game, role or game version must show up in the registry (and bump CLU2)
    assert all(t.metric == "main" and t.ceiling == 100.0 and t.dimension == "collaborative_language_use"
               for t in games.values())


def test_collab_tasks_exist_with_baselines_below_their_ceilings() -> None:
    from playschool.benchmark.collab import SUBMETRICS

    collab = {t.id for t in TASKS if t.id.startswith("collab/")}
    assert collab == {f"collab/{m}" for m in SUBMETRICS}
    assert all(t.random_baseline < t.ceiling for t in TASKS)
    assert len({t.id for t in TASKS}) == len(TASKS)


def test_a_one_game_sub_metric_weighs_less_than_that_game() -> None:
    weights = {t.id: t.weight for t in TASKS if t.plane == "interactional"}
    games = [w for tid, w in weights.items() if tid.startswith("game/")]
    assert set(games) == {1.0} and len(games) == reg.LEARNER_ROLES
    # probe accuracy and efficiency come from one game (two roles) each: a fraction of one game task.
    assert weights["collab/probe_accuracy"] < 1.0 and weights["collab/efficiency"] < 1.0
    # no sub-metric weighs more than the factor times one game task, and all together less than the games
    assert max(w for tid, w in weights.items() if tid.startswith("collab/")) <= reg.BEHAVIOUR_FACTOR
    assert sum(w for tid, w in weights.items() if tid.startswith("collab/")) < sum(games) / 2


@pytest.mark.slow
def test_the_frozen_baselines_and_feeding_roles_are_what_calibration_measures() -> None:
    # The random player (random legal moves, the chance floor) on the whole test split, and the roles that feed
    # each note-based sub-metric: a change to any game's random player, scoring or notes shows up here.
    from playschool.benchmark.calibration import NOTE_METRICS, calibrate

    measured = calibrate()
    frozen = {t.id: t.random_baseline for t in TASKS if t.plane == "interactional"}
    for tid, raw in measured["baselines"].items():
        if tid in ("collab/rule_compliance", "collab/format_recovery"):
            assert frozen[tid] == 0.0  # the format metrics' floor is "nothing well-formed", by definition
        else:
            assert frozen[tid] == pytest.approx(raw, abs=1e-6), tid
    assert {t for t in frozen if t.startswith("game/")} <= set(measured["baselines"])
    for metric in NOTE_METRICS:
        assert tuple(measured["feeding"][metric]) == reg._FEEDING[metric][1], metric


def test_unknown_ids_are_errors_that_list_the_known_ones() -> None:
    with pytest.raises(UnknownTaskError, match=r"unknown CLU2 task 'ref/mmlu'.*ref/knowledge"):
        get_task("ref/mmlu")
    with pytest.raises(UnknownTaskError):
        get_task("game/nosuchgame/player")
    with pytest.raises(ValueError, match="unknown plane"):
        tasks_for("other")


def test_versions_and_fingerprints_are_checked() -> None:
    check_registry(CLU2_VERSION, registry_fingerprint())
    with pytest.raises(RegistryMismatchError, match="CLU2 9.9.9.*install the playschool release"):
        check_registry("9.9.9", registry_fingerprint())
    changed = tuple(replace(t, random_baseline=0.3) if t.id == "ref/knowledge" else t for t in TASKS)
    assert registry_fingerprint(changed) != registry_fingerprint()
    with pytest.raises(RegistryMismatchError, match="bump CLU2_VERSION"):
        check_registry(CLU2_VERSION, registry_fingerprint(changed))


@pytest.fixture
def pack_game() -> Iterator[str]:
    register("higherlower", "toygame:HigherLower")
    yield "higherlower"
    unregister("higherlower")


def test_game_pack_tasks_are_made_from_the_installed_game(pack_game: str) -> None:
    task = get_task("game/higherlower/keeper")
    assert task.source == {"game": "higherlower-v1", "role": "keeper", "metric": "main", "pack": True}
    assert (task.random_baseline, task.ceiling, task.dimension) == (0.0, 100.0, "collaborative_language_use")
    assert task not in TASKS and registry_fingerprint() == RELEASED_FINGERPRINTS[CLU2_VERSION]
    with pytest.raises(UnknownTaskError, match="no learner role 'judge'"):
        get_task("game/higherlower/judge")
    # Definitions stored with a result resolve where the pack is not installed.
    assert get_task("game/elsewhere/x", {"game/elsewhere/x": task}) is task


def test_game_task_ids_drop_the_version() -> None:
    assert reg.game_task_id("taboo-v1", "guesser") == "game/taboo/guesser"
    assert reg.game_task_id("my-game", "a") == "game/my-game/a"
