"""CLU2 aggregation: normalisation, dimension and overall scores, bootstrap intervals, paired improvement,
coverage and the errors for bad items."""

from __future__ import annotations

import random

import pytest
from playschool.benchmark import ItemResult, improvement, scorecard
from playschool.benchmark.aggregate import Accumulator, DuplicateItemError, ItemError
from playschool.benchmark.registry import COLLABORATION, UNDERSTANDING, UnknownTaskError, get_task


def _items(task: str, scores: list[float], prefix: str = "q") -> list[ItemResult]:
    return [ItemResult(task, f"{prefix}{i}", s) for i, s in enumerate(scores)]


def test_normalisation_baseline_to_0_ceiling_to_100_and_not_clipped() -> None:
    # ref/knowledge: 4 options, baseline 0.25, ceiling 1.
    card = scorecard(_items("ref/knowledge", [1, 1, 0, 0]), n_boot=50)
    t = card["tasks"]["ref/knowledge"]
    assert t["raw"] == 0.5 and t["normalised"] == pytest.approx(100 * (0.5 - 0.25) / 0.75)
    worse = scorecard(_items("ref/knowledge", [0, 0, 0, 1, 0, 0, 0, 0]), n_boot=50)["tasks"]["ref/knowledge"]
    assert worse["normalised"] == pytest.approx(100 * (0.125 - 0.25) / 0.75)
    assert worse["normalised"] < 0  # worse than random: negative, not clipped
    assert get_task("game/taboo/guesser").normalise(100.0) == 100.0


def test_dimensions_are_weighted_means_and_overall_their_mean() -> None:
    items = (_items("ref/knowledge", [1, 0, 1, 1]) + _items("ref/arithmetic_gen", [1, 0, 0, 0])
             + _items("game/taboo/guesser", [100.0, 50.0]) + _items("collab/rule_compliance", [1.0, 0.5])
             + _items("collab/clarification_precision", [0.0, 0.0]))  # weight 0: reported, not counted
    card = scorecard(items, n_boot=200)
    t = card["tasks"]
    und = (t["ref/knowledge"]["normalised"] + t["ref/arithmetic_gen"]["normalised"]) / 2
    col = (t["game/taboo/guesser"]["normalised"] + t["collab/rule_compliance"]["normalised"]) / 2
    assert card["dimensions"][UNDERSTANDING]["score"] == pytest.approx(und, abs=1e-5)
    assert card["dimensions"][COLLABORATION]["score"] == pytest.approx(col, abs=1e-5)
    assert "collab/clarification_precision" not in card["dimensions"][COLLABORATION]["tasks"]
    assert card["overall"]["score"] == pytest.approx((und + col) / 2, abs=1e-5)
    assert card["coverage"]["complete"] is False and "ref/social" in card["coverage"]["tasks_not_evaluated"]


def test_intervals_contain_the_estimate_and_shrink_with_more_items() -> None:
    rng = random.Random(0)
    small = _items("ref/social", [float(rng.random() < 0.6) for _ in range(30)])
    large = _items("ref/social", [float(rng.random() < 0.6) for _ in range(3000)])
    widths = []
    for items in (small, large):
        card = scorecard(items + _items("game/wordle/guesser", [rng.uniform(0, 100) for _ in range(40)]),
                         n_boot=500, seed=3)
        for block in [*card["tasks"].values(), card["dimensions"][UNDERSTANDING], card["overall"]]:
            score = block.get("normalised", block.get("score"))
            if score is not None:
                lo, hi = block["ci"]
                assert lo <= score <= hi
        lo, hi = card["tasks"]["ref/social"]["ci"]
        widths.append(hi - lo)
    assert widths[1] < widths[0] / 3


def test_constant_scores_have_a_zero_width_interval_and_one_item_works() -> None:
    card = scorecard(_items("game/mapnav/follower", [100.0]), n_boot=20)
    assert card["tasks"]["game/mapnav/follower"]["ci"] == [100.0, 100.0]


def test_failures_count_missing_and_invalid_items_are_reported() -> None:
    items = [ItemResult("game/taboo/guesser", "a", 100.0),
             ItemResult("game/taboo/guesser", "b", 0.0, valid=False, details={"played": False}),
             ItemResult("game/taboo/guesser", "c", 0.0, valid=False, details={"missing": True, "played": False})]
    card = scorecard(items, n_boot=20)
    t = card["tasks"]["game/taboo/guesser"]
    assert (t["n"], t["scored"], t["missing"], t["invalid"]) == (3, 2, 1, 2)
    assert t["raw"] == pytest.approx(100 / 3)  # the failures pull the mean down: nothing is averaged away
    assert card["coverage"]["missing"] == 1 and not card["coverage"]["complete"]
    g = card["games"]["game/taboo/guesser"]
    assert (g["episodes"], g["played"], g["quality"]) == (3, pytest.approx(1 / 3), 100.0)


def test_clemscore_is_played_times_quality_averaged_over_games() -> None:
    items = [ItemResult("game/taboo/guesser", "1", 80.0, details={"played": True}),
             ItemResult("game/taboo/describer", "2", 0.0, valid=False, details={"played": False}),
             ItemResult("game/wordle/guesser", "3", 40.0, details={"played": True}),
             ItemResult("game/wordle/guesser", "4", 20.0, details={"played": True})]
    clem = scorecard(items, n_boot=10)["clemscore"]
    assert clem["games"]["taboo"] == {"played": 50.0, "quality": 80.0, "clemscore": 40.0}
    assert clem["games"]["wordle"]["clemscore"] == 30.0
    assert clem["score"] == 35.0


def test_order_and_streaming_do_not_change_the_scorecard() -> None:
    rng = random.Random(1)
    items = (_items("ref/knowledge", [float(rng.random() < 0.5) for _ in range(200)])
             + _items("game/repair/builder", [rng.choice([0.0, 50.0, 100.0]) for _ in range(50)]))
    shuffled = items[:]
    rng.shuffle(shuffled)
    a = scorecard(items, seed=7, n_boot=300)
    assert a == scorecard(shuffled, seed=7, n_boot=300) == scorecard(iter(shuffled), seed=7, n_boot=300)
    assert a != scorecard(items, seed=8, n_boot=300)


def test_bad_items_are_clear_errors() -> None:
    with pytest.raises(UnknownTaskError, match="ref/nope.*known tasks: .*ref/knowledge"):
        scorecard([ItemResult("ref/nope", "1", 1.0)])
    with pytest.raises(DuplicateItemError, match="'7' of task ref/social appears twice"):
        scorecard(_items("ref/social", [1.0]) + [ItemResult("ref/social", "7", 1.0), ItemResult("ref/social", "7",
                                                                                              0.0)])
    twice = [ItemResult("ref/social", "7", 1.0), ItemResult("ref/social", "7", 0.0)]
    with pytest.raises(DuplicateItemError, match=r"task\(s\) ref/social \(1 id"):  # a stream: ids not kept
        scorecard(iter(twice))
    with pytest.raises(ItemError, match="non-finite"):
        Accumulator().add(ItemResult("ref/social", "1", float("nan")))


def _paired(delta: float, n: int = 200, seed: int = 0) -> tuple[list[ItemResult], list[ItemResult]]:
    rng = random.Random(seed)
    base, run = [], []
    for i in range(n):
        p = rng.random()
        b = float(rng.random() < p)
        r = float(rng.random() < min(1.0, max(0.0, p + delta)))
        base.append(ItemResult("ref/knowledge", str(i), b))
        run.append(ItemResult("ref/knowledge", str(i), r))
        base.append(ItemResult("game/taboo/guesser", str(i), 100.0 * b))
        run.append(ItemResult("game/taboo/guesser", str(i), 100.0 * r))
    return run, base


def test_paired_improvement_sign_and_interval() -> None:
    run, base = _paired(0.3)
    imp = improvement(run, base, n_boot=500)
    for dim in (UNDERSTANDING, COLLABORATION):
        d = imp["dimensions"][dim]
        assert d["delta"] > 0 and 0 < d["ci"][0] <= d["delta"] <= d["ci"][1]
    assert imp["overall"]["delta"] > 0 and imp["overall"]["ci"][0] > 0
    worse = improvement(base, run, n_boot=500)
    assert worse["overall"]["delta"] == pytest.approx(-imp["overall"]["delta"])
    assert worse["overall"]["ci"][1] < 0
    same = improvement(base, base, n_boot=100)
    assert same["overall"] == {"delta": 0.0, "ci": [0.0, 0.0]}


def test_pairing_is_tighter_than_independent_intervals() -> None:
    run, base = _paired(0.05, n=400, seed=2)
    paired = improvement(run, base, n_boot=800)["tasks"]["ref/knowledge"]["ci"]
    a = scorecard(run, n_boot=800)["tasks"]["ref/knowledge"]["ci"]
    b = scorecard(base, n_boot=800)["tasks"]["ref/knowledge"]["ci"]
    assert paired[1] - paired[0] < ((a[1] - a[0]) ** 2 + (b[1] - b[0]) ** 2) ** 0.5


def test_unpaired_items_are_reported_not_dropped_silently() -> None:
    run = _items("ref/knowledge", [1, 1, 0]) + _items("ref/social", [1.0])
    base = _items("ref/knowledge", [0, 1]) + _items("ref/knowledge", [1], prefix="other")
    imp = improvement(run, base, n_boot=50)
    cov = imp["coverage"]
    assert (cov["shared_items"], cov["only_in_run"], cov["only_in_base"]) == (2, 2, 1)
    assert cov["unpaired"]["ref/knowledge"] == {"only_in_run": 1, "only_in_base": 1, "examples_run": ["q2"],
                                                "examples_base": ["other0"]}
    assert cov["tasks_without_shared_items"] == ["ref/social"]
    assert imp["tasks"]["ref/knowledge"]["n_shared"] == 2
