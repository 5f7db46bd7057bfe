"""playschool/playpen-interactions: learner views, perspectives, the preference rule, byte-stable builds, errors."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "datasets_scripts"), str(ROOT / "tests" / "fixtures")]

import build_interactions as bi  # noqa: E402
import dataset_io  # noqa: E402
from dataset_runs import make_runs  # noqa: E402
from playschool.games import LEARNER, TEACHER, load_game  # noqa: E402
from playschool.games.checks import play  # noqa: E402
from toygame import HigherLower  # noqa: E402

from playschool.store import iter_records  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def built(runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bi.build(tmp_path_factory.mktemp("interactions") / "ds", runs)


# ------------------------------------------------------------------------------------- learner's view
def _recorder(replies: list[str]) -> tuple[Callable[[Any], str], list[tuple[list[dict[str, str]], str]]]:
    seen: list[tuple[list[dict[str, str]], str]] = []

    def player(messages: Any) -> str:
        reply = replies[len(seen) % len(replies)]
        seen.append((list(messages), reply))
        return reply

    return player, seen


def _assert_view_matches(episode: Any, role: str, seen: list[tuple[list[dict[str, str]], str]]) -> None:
    view = bi.learner_view(episode.record().turns, role)
    # The live history the game kept for the role (ground truth, including messages after its last move).
    assert view.messages == episode._histories[role]
    assistant_at = [i for i, m in enumerate(view.messages) if m["role"] == "assistant"]
    assert len(assistant_at) == len(seen)
    for pos, (conversation, reply) in zip(assistant_at, seen):
        assert view.messages[:pos] == conversation  # exactly what the player was shown at that turn
        assert view.messages[pos] == {"role": "assistant", "content": reply}
    assert len(view.kinds) == len(view.messages) == len(view.moves)
    assert all(k == ["move"] for k, m in zip(view.kinds, view.messages) if m["role"] == "assistant")


@pytest.mark.parametrize("role", ["guesser", "critic"])
def test_learner_view_is_the_history_the_game_showed(role: str) -> None:
    game = load_game("wordle")
    replies = {"guesser": ["GUESS: crane", "no idea", "GUESS: qqqqq", "GUESS: slate\nEXPLANATION: vowels", ""],
               "critic": ["AGREE", "maybe", "DISAGREE: E was absent"]}[role]
    merged = []
    for inst in game.generate("train", n=2):
        if not game.supports(inst, role):
            continue
        player, seen = _recorder(replies)
        episode = play(game.new_episode(inst, role), {role: player})
        _assert_view_matches(episode, role, seen)
        merged += [k for k in bi.learner_view(episode.record().turns, role).kinds if len(k) > 1]
    assert merged, "wordle's critic variant merges consecutive messages; the test must cover merging"


def test_learner_view_in_self_play_covers_both_roles() -> None:
    game = HigherLower()
    inst = game.generate("train", n=1)[0]
    guesser, seen_g = _recorder(["GUESS: 5", "GUESS: 3", "GUESS: 8", "GUESS: 1", "GUESS: 10"] * 3)
    keeper, seen_k = _recorder(["HIGHER", "LOWER", "CORRECT"])
    episode = play(game.new_episode(inst, "guesser", {"guesser": LEARNER, "keeper": LEARNER}),
                   {"guesser": guesser, "keeper": keeper})
    _assert_view_matches(episode, "guesser", seen_g)
    _assert_view_matches(episode, "keeper", seen_k)


# ------------------------------------------------------------------------------------------- the rows
def _rows(folder: Path, config: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return [r for p in sorted((folder / "data" / config).glob("*.parquet")) for r in pq.read_table(p).to_pylist()]


def test_one_row_per_learner_perspective(built: Path, runs: list[Path]) -> None:
    rows = _rows(built, "interactions")
    by_run: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_run.setdefault(r["meta"]["run"], []).append(r)
    train_records = {run.name: [x for x in iter_records(run) if x.split == "train"] for run in runs}
    assert len(by_run["selfplay"]) == 2 * len(train_records["selfplay"])  # guesser and keeper views
    assert {r["meta"]["role"] for r in by_run["selfplay"]} == {"guesser", "keeper"}
    assert all(r["meta"]["self_play"] for r in by_run["selfplay"])
    assert len(by_run["ref"]) == len(train_records["ref"])
    assert {r["meta"]["played_by"] for r in by_run["ref"]} == {TEACHER}
    assert {r["meta"]["played_by"] for r in by_run["rand1"]} == {LEARNER}
    for r in rows:
        meta = r["meta"]
        assert meta["split"] == "train"  # test-split episodes are held out by default
        assert len(meta["kinds"]) == len(meta["rewards"]) == len(meta["errors"]) == len(r["messages"])
        assert json.loads(meta["scores"])["main"] == meta["main"]
        assert r["messages"][0]["role"] == "user"
    record = train_records["rand1"][0]
    row = next(r for r in by_run["rand1"] if r["meta"]["instance_id"] == record.instance_id
               and r["meta"]["role"] == record.learner_role)
    assert row["messages"] == bi.learner_view(record.turns, record.learner_role).messages
    assert row["meta"]["outcome"] == record.outcome and row["meta"]["manifest_id"] == record.manifest_id


def test_test_split_only_on_request(runs: list[Path], tmp_path: Path) -> None:
    out = bi.build(tmp_path / "with-test", runs, include_test=True)
    assert "test" in {r["meta"]["split"] for r in _rows(out, "interactions")}
    assert "test-split episode(s) were left out" not in (out / "README.md").read_text()


def _row(rid: str, main: float, replies: list[str], rewards: list[float], instance: str = "train/a/0000",
         roles: str = '{"critic":"teacher","guesser":"learner"}') -> dict[str, Any]:
    messages: list[dict[str, str]] = []
    aligned: list[float | None] = []
    for i, (reply, reward) in enumerate(zip(replies, rewards)):
        messages += [{"role": "user", "content": f"turn {i}"}, {"role": "assistant", "content": reply}]
        aligned += [None, reward]
    meta = {"game": "wordle-v1", "instance_id": instance, "split": "train", "experiment": "plain",
            "role": "guesser", "roles": roles, "main": main, "rewards": aligned}
    return {"id": rid, "messages": messages, "meta": meta}


def test_preference_rule() -> None:
    rows = [
        _row("a", 50.0, ["GUESS: crane", "GUESS: slate"], [0.2, 1.2]),
        _row("b", 0.0, ["GUESS: crane", "GUESS: pious"], [0.2, 0.0]),
        _row("c", 0.0, ["GUESS: xxxxx"], [-0.5]),  # ties with d on main: the move's reward decides
        _row("d", 0.0, ["hello"], [-1.0]),
        _row("e", 0.0, ["GUESS: xxxxx"], [-0.5], instance="train/a/0001"),  # another instance: no pair with c
        _row("f", 0.0, ["GUESS: house"], [-0.5], instance="train/a/0001"),  # equal value to e: no pair
        _row("g", 90.0, ["GUESS: crane"], [0.2], roles='{"critic":"partner","guesser":"learner"}'),  # other partner
    ]
    pairs = {(p["prompt"][-1]["content"], p["chosen"][0]["content"], p["rejected"][0]["content"]):
             p for p in bi.preference_rows(rows)}
    assert set(pairs) == {
        ("turn 1", "GUESS: slate", "GUESS: pious"),      # same prefix, episode a scored higher
        ("turn 0", "GUESS: crane", "GUESS: xxxxx"),      # crane's episodes average 25 > 0
        ("turn 0", "GUESS: crane", "hello"),
        ("turn 0", "GUESS: xxxxx", "hello"),             # main tied at 0: reward -0.5 beats -1
    }
    pair = pairs["turn 0", "GUESS: crane", "GUESS: xxxxx"]
    assert pair["meta"]["chosen_main"] == 25.0 and pair["meta"]["chosen_from"] == ["a", "b"]
    assert pair["meta"]["turn"] == 0 and pairs["turn 1", "GUESS: slate", "GUESS: pious"]["meta"]["turn"] == 1
    assert len(pairs["turn 1", "GUESS: slate", "GUESS: pious"]["prompt"]) == 3


def test_preferences_from_runs_put_the_reference_player_first(built: Path) -> None:
    prefs = _rows(built, "preferences")
    assert prefs
    interactions = {r["id"]: r for r in _rows(built, "interactions")}
    for p in prefs:
        assert p["prompt"][-1]["role"] == "user" and [m["role"] for m in p["chosen"] + p["rejected"]] == [
            "assistant", "assistant"]
        assert (p["meta"]["chosen_main"], p["meta"]["chosen_reward"]) > (p["meta"]["rejected_main"],
                                                                         p["meta"]["rejected_reward"])
        for rid in p["meta"]["chosen_from"] + p["meta"]["rejected_from"]:
            assert interactions[rid]["messages"][: len(p["prompt"])] == p["prompt"]
    first = [p for p in prefs if p["meta"]["turn"] == 0 and p["meta"]["chosen_main"] > 0]
    assert first and all(interactions[p["meta"]["chosen_from"][0]]["meta"]["run"] == "ref" for p in first)


# ------------------------------------------------------------------------------------ builds and errors
def test_build_is_byte_identical_whatever_the_order_of_runs(built: Path, runs: list[Path], tmp_path: Path) -> None:
    again = bi.build(tmp_path / "again", list(reversed(runs)))
    assert (again / "checksums.sha256").read_bytes() == (built / "checksums.sha256").read_bytes()
    for rel in dataset_io.dataset_files(built):
        assert (again / rel).read_bytes() == (built / rel).read_bytes(), rel


def test_load_dataset_configs(built: Path, tmp_path: Path) -> None:
    from datasets import load_dataset

    inter = load_dataset(str(built), "interactions", cache_dir=str(tmp_path))
    prefs = load_dataset(str(built), "preferences", cache_dir=str(tmp_path))
    assert list(inter) == ["train"] and list(prefs) == ["train"]
    assert inter["train"].num_rows == len(_rows(built, "interactions"))
    assert prefs["train"].num_rows == len(_rows(built, "preferences"))
    assert inter["train"].features == bi.interaction_features()
    assert prefs["train"].features == bi.preference_features()
    default = load_dataset(str(built), cache_dir=str(tmp_path))  # `interactions` is the default config
    assert default["train"].num_rows == inter["train"].num_rows


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_broken_records_file_fails_clearly_and_leaves_nothing(runs: list[Path], tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(runs[0], broken)
    lines = (broken / "records.jsonl").read_text().splitlines(keepends=True)
    lines[1] = '{"game": "wordle-v1", "oops"\n'
    (broken / "records.jsonl").write_text("".join(lines))
    out = tmp_path / "out"
    assert bi.main(["--runs", str(runs[1]), str(broken), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "broken records file" in err and "records.jsonl:2" in err
    assert not out.exists() and _leftovers(tmp_path) == []

    (broken / "records.jsonl").write_text("".join(lines[:1]) + lines[2][:40])  # a run killed mid-write
    assert bi.main(["--runs", str(broken), "--out", str(out)]) == 1
    assert "incomplete last line" in capsys.readouterr().err and not out.exists()


def test_missing_run_and_duplicate_run_are_errors(runs: list[Path], tmp_path: Path) -> None:
    with pytest.raises(dataset_io.BuildError, match="no episode records"):
        bi.build(tmp_path / "out", [tmp_path / "nowhere"])
    with pytest.raises(dataset_io.BuildError, match="pass each run once"):
        bi.build(tmp_path / "out", [runs[0], runs[0]])
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []
