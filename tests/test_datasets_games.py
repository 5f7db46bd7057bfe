"""playschool/playpen-games: byte-stable builds, the generator pin, the card, and load_instances from every source."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "datasets_scripts")]

import build_games  # noqa: E402
import dataset_io  # noqa: E402
from playschool.games import SPLITS, game_names, load_game, register, unregister  # noqa: E402
from playschool.games.loading import (  # noqa: E402
    DatasetMismatchError,
    instances_fingerprint,
    load_instances,
    versions_in_card,
)
from playschool.games.registry import BUILTIN  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
#: The dataset version a build writes now (the newest entry of versions.json).
LATEST = dataset_io.history_until("playpen-games", None)[-1]["version"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every registered game, built once (pins are checked by their own test, so a new game fails only there)."""
    return build_games.build(tmp_path_factory.mktemp("games") / "playpen-games", check_fingerprints=False)


def _front_matter(folder: Path) -> dict[str, Any]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_building_twice_gives_byte_identical_files(built: Path, tmp_path: Path) -> None:
    again = build_games.build(tmp_path / "again", check_fingerprints=False)
    files = dataset_io.dataset_files(built)
    assert files == dataset_io.dataset_files(again)
    for rel in files:
        assert (built / rel).read_bytes() == (again / rel).read_bytes(), rel
    assert dataset_io.verify_folder(built) == dataset_io.read_checksums(again)


def test_load_dataset_gives_every_config_its_splits_rows_and_features(built: Path, tmp_path: Path) -> None:
    from datasets import load_dataset

    for i, name in enumerate(game_names()):
        game = load_game(name)
        # the alias config reads the same files; loading one alias is enough (each load costs ~0.3 s)
        for config in (game.versioned_id, game.name) if i == 0 else (game.versioned_id,):
            ds = load_dataset(str(built), config, cache_dir=str(tmp_path / "cache"))
            assert list(ds) == list(SPLITS)
            for split in SPLITS:
                assert ds[split].num_rows == len(game.generate(split)), (config, split)
                assert ds[split].features == build_games.features()


def test_card_declares_configs_license_categories_size_and_history(built: Path) -> None:
    meta = _front_matter(built)
    assert meta["license"] == "apache-2.0" and meta["task_categories"] and meta["size_categories"]
    configs = {c["config_name"]: c["data_files"] for c in meta["configs"]}
    for name in game_names():
        vid = load_game(name).versioned_id
        assert configs[vid] == configs[name] == [
            {"split": s, "path": f"data/{vid}/{s}.parquet"} for s in SPLITS]
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    assert all(sp["num_bytes"] > 0 for i in infos.values() for sp in i["splits"])
    card = (built / "README.md").read_text(encoding="utf-8")
    assert "## Version history" in card and "| v1.0.0 |" in card and f"| {LATEST} |" in card
    assert [h["version"] for h in meta["version_history"]] == versions_in_card(card) == ["v1.0.0", "v2.0.0"]
    listed = set(dataset_io.read_checksums(built))
    assert listed == set(dataset_io.dataset_files(built)) - {"checksums.sha256"}


# -------------------------------------------------------------------------------------- generator pins
@pytest.mark.parametrize("name", sorted(BUILTIN))  # game packs are pinned where their datasets are built
def test_generator_matches_its_pinned_fingerprint(name: str) -> None:
    vid = load_game(name).versioned_id
    pinned = build_games.read_fingerprints()
    if vid not in pinned:
        # A new game or version is pinned when its dataset is first built for release (the build refuses it
        # until then), so adding a game stays "its folder plus one registry line".
        pytest.skip(build_games.fingerprint_problem(vid, instances_fingerprint(name), pinned))
    problem = build_games.fingerprint_problem(vid, instances_fingerprint(name), pinned)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_a_changed_generator_without_version_bump_is_caught(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    game = load_game("wordle")
    original = type(game).make_params

    def changed(self: Any, rng: Any, **kw: Any) -> dict[str, Any]:
        return {**original(self, rng, **kw), "max_guesses": 7}

    monkeypatch.setattr(type(game), "make_params", changed)
    wordle = game.versioned_id
    problem = build_games.fingerprint_problem(wordle, instances_fingerprint("wordle"),
                                              build_games.read_fingerprints())
    assert problem and f"the generator of {wordle} changed without a version bump" in problem
    assert "--refresh-fingerprints" in problem
    with pytest.raises(dataset_io.BuildError, match="changed without a version bump"):
        build_games.build(tmp_path / "out", ["wordle"])
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_a_new_game_without_a_pin_gets_told_how_to_add_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    register("higherlower", "toygame:HigherLower")
    try:
        assert build_games.main(["--out", str(tmp_path / "out"), "--games", "higherlower"]) == 1
        err = capsys.readouterr().err
        assert "higherlower-v1 has no pinned fingerprint" in err
        assert "--refresh-fingerprints --games higherlower" in err
        pins = tmp_path / "fingerprints.json"
        pins.write_text(build_games.FINGERPRINTS_FILE.read_text())
        monkeypatch.setattr(build_games, "FINGERPRINTS_FILE", pins)
        before = build_games.read_fingerprints()
        assert build_games.main(["--refresh-fingerprints", "--games", "higherlower"]) == 0
        after = build_games.read_fingerprints()
        assert after == {**before, "higherlower-v1": instances_fingerprint("higherlower")}
        assert build_games.main(["--out", str(tmp_path / "out"), "--games", "higherlower"]) == 0
    finally:
        unregister("higherlower")


# ---------------------------------------------------------------------------------------------- atomic
def test_a_failed_build_leaves_nothing_and_keeps_the_old_build(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ds"
    build_games.build(target, ["wordle"])
    before = (target / "checksums.sha256").read_bytes()

    def boom(folder: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(dataset_io, "write_checksums", boom)
    with pytest.raises(OSError, match="disk full"):
        build_games.build(target, ["wordle"])
    assert (target / "checksums.sha256").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no temporary folder left


def test_refuses_to_replace_a_folder_that_is_not_a_build(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(dataset_io.BuildError, match="not a dataset build"):
        build_games.build(tmp_path, ["wordle"])
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------------------------------------- loader
def test_load_instances_gives_the_same_instances_from_every_source(built: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    real = datasets.load_dataset
    calls = []

    def hub(repo: str, config: str, *, split: str, revision: str | None) -> Any:
        calls.append((repo, config, split, revision))
        return real(str(built), config, split=split, cache_dir=str(tmp_path / "cache"))

    monkeypatch.setattr(datasets, "load_dataset", hub)
    for name in game_names():
        game = load_game(name)
        for split in SPLITS:
            expected = game.generate(split)
            assert load_instances(name, split) == expected
            assert load_instances(game.versioned_id, split, source=built, revision=LATEST) == expected
        assert load_instances(name, "test", source="hub", revision=LATEST) == game.generate("test")
    assert calls[0] == ("playschool/playpen-games", load_game(game_names()[0]).versioned_id, "test", LATEST)


def test_loader_rejects_changed_files_other_versions_and_unknown_configs(built: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    with pytest.raises(DatasetMismatchError, match=f"holds version {LATEST}, not v9.9.9"):
        load_instances("wordle", "test", source=copy, revision="v9.9.9")
    wordle = load_game("wordle").versioned_id
    with pytest.raises(DatasetMismatchError, match=f"configs there: .*{wordle}"):
        load_instances("wordle-v99", "test", source=copy)
    path = copy / "data" / wordle / "test.parquet"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DatasetMismatchError, match="does not match its sha256"):
        load_instances("wordle", "test", source=copy)
    with pytest.raises(ValueError, match="revision applies"):
        load_instances("wordle", "test", revision="v1.0.0")
    with pytest.raises(ValueError, match="unknown split"):
        load_instances("wordle", "dev")
