"""playschool/clu2: reference tasks from an offline mirror (or a mocked Hub), the interactional manifest, the registry."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "datasets_scripts")]

import build_clu2  # noqa: E402
import dataset_io  # noqa: E402
from playschool.games import game_names, load_game  # noqa: E402

MIRROR = ROOT / "tests" / "fixtures" / "clu2_sources"
SPECS = build_clu2.load_sources()

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clu2.build(tmp_path_factory.mktemp("clu2") / "clu2", source_dir=MIRROR)


def _rows(folder: Path, config: str, split: str = "test") -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(folder / "data" / config / f"{split}.parquet").to_pylist()


def test_sources_cover_the_required_skills() -> None:
    categories = " ".join(s["category"] for s in SPECS)
    for skill in ("knowledge", "reasoning", "implicature", "indirect", "theory of mind", "social", "generative"):
        assert skill in categories
    for spec in SPECS:
        assert spec["hub_id"].count("/") == 1 and spec["revision"] and spec["license"] and "test" in spec["splits"]


def test_every_config_loads_with_its_splits_rows_and_features(built: Path, tmp_path: Path) -> None:
    from datasets import load_dataset

    for spec in SPECS:
        ds = load_dataset(str(built), spec["id"], cache_dir=str(tmp_path))
        assert set(ds) == set(spec["splits"])
        assert ds["test"].num_rows >= 20
        assert ds["test"].features == build_clu2.task_features()
    inter = load_dataset(str(built), "interactional", split="test", cache_dir=str(tmp_path))
    assert inter.features == build_clu2.manifest_features()
    assert inter.num_rows == len(build_clu2.manifest_rows(game_names()))
    tasks = load_dataset(str(built), "tasks", split="test", cache_dir=str(tmp_path))
    assert tasks.features == build_clu2.registry_features()
    assert tasks.num_rows == len(SPECS) + len(game_names())


def test_rows_follow_the_common_schema(built: Path) -> None:
    for spec in SPECS:
        for row in _rows(built, spec["id"]):
            assert row["task"] == spec["id"] and row["source"] == spec["hub_id"] and row["license"] == spec["license"]
            assert row["source_revision"] == spec["revision"] and row["source_split"] == spec["splits"]["test"]
            if row["answer_index"] >= 0:
                assert row["choices"][row["answer_index"]] == row["answer"]
            else:
                assert row["choices"] == [] and row["answer"]
    arc = {r["id"]: r for r in _rows(built, "arc_challenge")}
    assert arc["arc_challenge/test/PS_ARC_003"]["answer"] == "light"  # numeric labels "1".."4"
    gsm = _rows(built, "gsm8k")[0]
    assert gsm["answer"] == "9" and gsm["answer_index"] == -1  # the number after '####'
    social = _rows(built, "social_iqa")[0]
    assert social["answer"] == "guilty" and social["question"].endswith("How would Kai feel afterwards?")
    assert len(_rows(built, "circa")) == 20  # two items with the 'other' label dropped
    assert [r["answer"] for r in _rows(built, "mindgames")[:2]] == ["yes", "no"]
    assert len(_rows(built, "mmlu", "validation")) == 5


def test_manifest_lists_every_test_instance_and_role(built: Path) -> None:
    rows = _rows(built, "interactional")
    for name in game_names():
        game = load_game(name)
        expected = {(i.id, r) for i in game.generate("test") for r in game.learner_roles if game.supports(i, r)}
        assert {(r["instance_id"], r["learner_role"]) for r in rows if r["game"] == game.versioned_id} == expected


def test_registry_json_and_config_agree(built: Path) -> None:
    registry = json.loads((built / "tasks.json").read_text())
    assert "owns the registry" in registry["note"]
    assert registry["tasks"] == _rows(built, "tasks")
    by_id = {t["id"]: t for t in registry["tasks"]}
    assert by_id["mmlu"]["random_baseline"] == 25.0 and by_id["implicatures"]["random_baseline"] == 50.0
    assert by_id["gsm8k"]["metric"] == "exact_match" and by_id["gsm8k"]["random_baseline"] == 0.0
    game = load_game(game_names()[0]).versioned_id
    assert by_id[game]["plane"] == "interactional" and by_id[game]["random_baseline"] is None


def test_building_twice_gives_byte_identical_files(built: Path, tmp_path: Path) -> None:
    again = build_clu2.build(tmp_path / "again", source_dir=MIRROR)
    for rel in dataset_io.dataset_files(built):
        assert (again / rel).read_bytes() == (built / rel).read_bytes(), rel


def test_a_missing_source_split_fails_clearly_and_leaves_nothing(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    (mirror / "openai" / "gsm8k" / "main" / "test.jsonl").unlink()
    out = tmp_path / "out"
    assert build_clu2.main(["--out", str(out), "--source-dir", str(mirror)]) == 1
    err = capsys.readouterr().err
    assert "clu2 task 'gsm8k': source split 'test' not found" in err and "<hub_id>/<config>/<split>.jsonl" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mirror"]


def test_a_source_row_that_does_not_map_names_the_row(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    path = mirror / "cais" / "mmlu" / "all" / "test.jsonl"
    lines = path.read_text().splitlines()
    lines[3] = json.dumps({"question": "What?", "choices": ["a", "b"]})
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(dataset_io.BuildError, match=r"'mmlu', source split 'test', row 3: .*KeyError.*answer"):
        build_clu2.build(tmp_path / "out", source_dir=mirror, tasks=["mmlu"], games=[])
    assert not (tmp_path / "out").exists()


def test_hub_sources_must_be_pinned(tmp_path: Path) -> None:
    with pytest.raises(dataset_io.BuildError, match="not pinned to a commit sha"):
        build_clu2.build(tmp_path / "out")


def test_hub_path_reads_each_source_by_id_config_split_and_revision(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    calls = []

    def fake_load(hub_id: str, config: str | None, *, split: str, revision: str) -> Any:
        calls.append((hub_id, config, split, revision))
        spec = next(s for s in SPECS if s["hub_id"] == hub_id)
        path = MIRROR / hub_id / spec["config"] / f"{split}.jsonl"
        return datasets.Dataset.from_list([json.loads(line) for line in path.read_text().splitlines()])

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    out = build_clu2.build(tmp_path / "out", tasks=["mmlu", "circa"], games=[], allow_unpinned=True)
    assert calls == [("cais/mmlu", "all", "test", "main"), ("cais/mmlu", "all", "validation", "main"),
                     ("google-research-datasets/circa", None, "train", "main")]
    assert _rows(out, "mmlu") == _rows(build_clu2.build(tmp_path / "offline", source_dir=MIRROR, tasks=["mmlu"],
                                                        games=[]), "mmlu")
    assert "Built from the Hub sources" in (out / "README.md").read_text()
