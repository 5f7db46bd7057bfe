"""results.json: round trip, clear errors for bad files, and shard merging into the unsharded result."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from playschool.benchmark import ItemResult
from playschool.benchmark.interactional import run_interactional_plane
from playschool.benchmark.registry import CLU2_VERSION
from playschool.benchmark.results import (
    ResultsError,
    build_results,
    merge_results,
    parse_shard,
    read_results,
    shard_items,
    shard_of,
    write_results,
)

from playschool.manifest import build_manifest

REF_TASKS = ("ref/knowledge", "ref/reasoning", "ref/pragmatics", "ref/theory_of_mind", "ref/social",
             "ref/arithmetic_gen")


def reference_items(p: float, seed: int = 0) -> list[ItemResult]:
    """Fixed reference-plane results (a test double for the lm-eval plane): 20 items per task."""
    rng = random.Random(seed)
    return [ItemResult(t, f"{t.split('/')[1]}-{i:03d}", float(rng.random() < p), details={"pred": "A"})
            for t in REF_TASKS for i in range(20)]


@pytest.fixture(scope="module")
def episode_items(tmp_path_factory: pytest.TempPathFactory) -> list[ItemResult]:
    out = tmp_path_factory.mktemp("plane")
    return run_interactional_plane("random", out_dir=out, games=["reference", "mapnav", "privateshared"], n=2)


def _manifest(shard: str | None = None) -> dict:
    return build_manifest({"clu2_version": CLU2_VERSION, "learner": "test", "bootstrap": {"seed": 0, "n_boot": 200},
                           "shard": shard})


def _results(items: list[ItemResult], shard: tuple[int, int] | None = None, base: list[ItemResult] | None = None):
    return build_results(items, _manifest(f"{shard[0]}/{shard[1]}" if shard else None), shard=shard, n_boot=200,
                         base_items=base, base_info={"learner": "base"} if base is not None else None)


def test_round_trip(tmp_path: Path, episode_items: list[ItemResult]) -> None:
    res = _results(reference_items(0.7) + episode_items, base=reference_items(0.4, seed=1))
    path = write_results(res, tmp_path)
    back = read_results(tmp_path)
    assert back.items == res.items and back.scorecard == res.scorecard and back.improvement == res.improvement
    assert back.manifest == json.loads(json.dumps(res.manifest)) and back.shard is None
    assert back.base_items == sorted(reference_items(0.4, seed=1), key=lambda i: i.key)
    assert json.loads(path.read_text())["clu2_version"] == CLU2_VERSION


def _write_raw(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "results.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_bad_files_are_clear_errors_naming_the_file(tmp_path: Path) -> None:
    good = _results(reference_items(0.5)).to_dict()
    cases = [
        ("{not json", "results.json is not valid JSON"),
        ([1, 2], "one JSON object"),
        ({"items": []}, "not a CLU2 results file: it lacks"),
        ({**good, "clu2_version": "0.0.1"}, "made with CLU2 0.0.1"),
        ({**good, "registry_fingerprint": "0" * 64}, "bump CLU2_VERSION"),
        ({**good, "items": [{"task": "ref/knowledge"}]}, "item 0 is malformed"),
        ({**good, "items": [{"task": "ref/zzz", "item_id": "1", "score": 1}]}, "unknown CLU2 task 'ref/zzz'"),
        ({**good, "items": good["items"][:1] * 2}, "appears twice"),
        ({**good, "schema": 99}, "schema 99"),
    ]
    for data, message in cases:
        path = _write_raw(tmp_path, data)
        with pytest.raises(ResultsError, match=message) as err:
            read_results(path)
        assert str(path) in str(err.value) or "CLU2 0.0.1" in str(err.value)
    with pytest.raises(ResultsError, match="no CLU2 results"):
        read_results(tmp_path / "nowhere")


def test_shards_merge_into_exactly_the_unsharded_result(tmp_path: Path, episode_items: list[ItemResult]) -> None:
    items = reference_items(0.7) + episode_items
    base = reference_items(0.4, seed=1) + [ItemResult(i.task, i.item_id, 0.0, valid=False, details=i.details)
                                           for i in episode_items]
    whole = _results(items, base=base)
    dirs = []
    for k in range(3):
        part = _results(shard_items(items, (k, 3)), shard=(k, 3), base=shard_items(base, (k, 3)))
        dirs.append(tmp_path / f"s{k}")
        write_results(part, dirs[-1])
    merged = merge_results(dirs)
    assert merged.scorecard == whole.scorecard
    assert merged.items == whole.items and merged.base_items == whole.base_items
    assert merged.improvement == whole.improvement
    assert merged.manifest["manifest_id"] == whole.manifest["manifest_id"]  # same settings, same run id
    assert len(merged.manifest["merged_from"]) == 3 and merged.shard is None
    # An episode's items never straddle shards.
    for k in range(3):
        episodes = {i.details["episode"] for i in read_results(dirs[k]).items if "episode" in i.details}
        assert all(shard_of(e, 3) == k for e in episodes)


def test_merge_errors(tmp_path: Path) -> None:
    items = reference_items(0.6)

    def shard(k: int, n: int, its: list[ItemResult] | None = None, learner: str = "test") -> Path:
        res = _results(shard_items(its or items, (k, n)), shard=(k, n))
        res.manifest["learner"] = learner
        d = tmp_path / f"{learner}-{k}-{n}-{len(its or items)}"
        write_results(res, d)
        return d

    with pytest.raises(ResultsError, match=r"shard\(s\) 1/2 missing"):
        merge_results([shard(0, 2)])
    assert len(merge_results([shard(0, 2)], allow_partial=True).items) == len(shard_items(items, (0, 2)))
    with pytest.raises(ResultsError, match="given twice"):
        merge_results([shard(0, 2), shard(0, 2)])
    with pytest.raises(ResultsError, match="different splits"):
        merge_results([shard(0, 2), shard(1, 3)])
    with pytest.raises(ResultsError, match="settings differ in: learner"):
        merge_results([shard(0, 2), shard(1, 2, learner="other")])
    # An item that hashes to shard 0 placed in shard 1's file as well.
    res1 = _results(shard_items(items, (1, 2)) + [shard_items(items, (0, 2))[0]], shard=(1, 2))
    write_results(res1, tmp_path / "overlap")
    with pytest.raises(ResultsError, match="is in both"):
        merge_results([shard(0, 2), tmp_path / "overlap"])
    whole = tmp_path / "whole"
    write_results(_results(items), whole)
    with pytest.raises(ResultsError, match="whole run, not a shard"):
        merge_results([whole])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text("{")
    with pytest.raises(ResultsError, match=f"{bad}.*not valid JSON"):
        merge_results([shard(0, 2), bad])


def test_parse_shard() -> None:
    assert parse_shard("0/4") == (0, 4) and parse_shard("3/4") == (3, 4)
    for bad in ("4/4", "-1/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError, match="0 <= I < N"):
            parse_shard(bad)
