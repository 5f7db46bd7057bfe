"""The cluster bootstrap: an episode is the unit of resampling, its items (game main score, sub-metrics) travel
together, jointly across tasks; checked against scipy.stats.bootstrap and against the independent resampling it
replaced."""

from __future__ import annotations

import random

import numpy as np
import pytest
from playschool.benchmark import ItemResult, improvement, scorecard
from playschool.benchmark.bootstrap import Clusters, episode_stratum, replicate_means
from playschool.benchmark.registry import COLLABORATION, get_task
from scipy import stats

GAME = "game/mapnav/follower"
SUB = "collab/rule_compliance"


def _episode(i: int, main: float, sub: float | None, game: str = "mapnav-v2", role: str = "follower") -> list[
        ItemResult]:
    key = f"{game}|test/x/{i:04d}|{role}"
    items = [ItemResult(f"game/{game.rsplit('-v', 1)[0]}/{role}", key, main, details={"episode": key})]
    if sub is not None:
        items.append(ItemResult(SUB, key, sub, details={"episode": key}))
    return items


def test_one_task_of_independent_items_matches_scipy() -> None:
    rng = random.Random(1)
    scores = [float(rng.random() < 0.7) for _ in range(200)]
    items = [ItemResult("ref/knowledge", f"q{i}", s) for i, s in enumerate(scores)]
    ours = scorecard(items, n_boot=4000, seed=5)["tasks"]["ref/knowledge"]["raw_ci"]
    ref = stats.bootstrap((np.asarray(scores),), np.mean, n_resamples=4000, method="percentile",
                          random_state=np.random.default_rng(0)).confidence_interval
    # Two Monte Carlo estimates of the same percentiles: equal up to resampling noise (~0.01 here).
    assert ours[0] == pytest.approx(ref.low, abs=0.02) and ours[1] == pytest.approx(ref.high, abs=0.02)


def test_items_of_an_episode_are_resampled_together_as_scipy_paired_does() -> None:
    # One stratum (one game task), two tasks per episode, strongly correlated: the collaborative dimension is
    # the equal-weight mean of the two normalised task means. scipy's paired bootstrap resamples episode indices
    # jointly across both arrays, which is exactly the cluster bootstrap.
    rng = random.Random(2)
    mains, subs = [], []
    for _ in range(150):
        good = rng.random() < 0.5
        mains.append(100.0 if good else 0.0)
        subs.append(1.0 if good else float(rng.random() < 0.2))
    items = [it for i, (m, s) in enumerate(zip(mains, subs)) for it in _episode(i, m, s)]
    card = scorecard(items, n_boot=4000, seed=7)
    game, sub = get_task(GAME), get_task(SUB)
    total = game.weight + sub.weight

    def dimension(m: np.ndarray, s: np.ndarray, axis: int = -1) -> np.ndarray:
        return (game.weight * game.normalise(np.mean(m, axis=axis))
                + sub.weight * sub.normalise(np.mean(s, axis=axis))) / total

    ref = stats.bootstrap((np.asarray(mains), np.asarray(subs)), dimension, paired=True, vectorized=True,
                          n_resamples=4000, method="percentile", random_state=np.random.default_rng(0))
    lo, hi = card["dimensions"][COLLABORATION]["ci"]
    assert lo == pytest.approx(ref.confidence_interval.low, abs=1.5)
    assert hi == pytest.approx(ref.confidence_interval.high, abs=1.5)
    # Resampling the two tasks independently (the method this replaced) gives a visibly narrower interval.
    independent = stats.bootstrap((np.asarray(mains), np.asarray(subs)), dimension, paired=False,
                                  vectorized=True, n_resamples=4000, method="percentile",
                                  random_state=np.random.default_rng(0)).confidence_interval
    assert (hi - lo) > 1.2 * (independent.high - independent.low)


def test_sub_metric_items_follow_their_episode_across_strata() -> None:
    # The sub-metric pools two games; an episode of either brings its sub-metric item along.
    clusters = Clusters()
    for i in range(3):
        clusters.add("game/mapnav/follower", (100.0,), f"mapnav-v2|test/a/{i}|follower")
        clusters.add(SUB, (1.0,), f"mapnav-v2|test/a/{i}|follower")
        clusters.add("game/repair/builder", (0.0,), f"repair-v2|test/a/{i}|builder")
        clusters.add(SUB, (0.0,), f"repair-v2|test/a/{i}|builder")
    strata = clusters.strata()
    assert set(strata) == {"game/mapnav/follower", "game/repair/builder"}
    means = replicate_means(strata, 1, 200, seed=0)
    # Each stratum keeps its size (3 episodes), so the pooled sub-metric is always exactly 1/2: the draw can
    # only pick episodes within a game, never trade one game's episodes for the other's.
    assert np.allclose(means[SUB], 0.5)
    assert episode_stratum("mapnav-v2|test/a/0001|follower") == "game/mapnav/follower"


def test_paired_improvement_resamples_shared_episodes() -> None:
    rng = random.Random(3)
    run, base = [], []
    for i in range(120):
        skill = rng.random()
        b_main, b_sub = (100.0 if skill > 0.6 else 0.0), float(skill > 0.5)
        r_main, r_sub = (100.0 if skill > 0.4 else 0.0), float(skill > 0.3)
        base += _episode(i, b_main, b_sub)
        run += _episode(i, r_main, r_sub)
    imp = improvement(run, base, n_boot=1000, seed=1)
    d = imp["dimensions"][COLLABORATION]
    assert 0 < d["ci"][0] <= d["delta"] <= d["ci"][1]
    assert imp["coverage"]["shared_items"] == 240


def test_excluded_items_are_reported_not_scored() -> None:
    items = _episode(0, 100.0, 1.0) + _episode(1, 0.0, 0.0)
    key = "mapnav-v2|test/x/0002|follower"
    items.append(ItemResult(GAME, key, 0.0, valid=False, details={"episode": key, "excluded": "game error"}))
    card = scorecard(items, n_boot=50)
    assert card["tasks"][GAME]["n"] == 2 and card["tasks"][GAME]["raw"] == 50.0
    cov = card["coverage"]
    assert cov["excluded"] == 1 and cov["excluded_reasons"] == {"game error": 1} and cov["complete"] is False
    assert cov["excluded_examples"] == [key]
