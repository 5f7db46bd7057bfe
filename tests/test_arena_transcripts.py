"""The arena's transcript index: run folders written by the Runner (nested too), records files with malformed
lines, the interactions dataset, filters, rendering, and the bounds."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "datasets_scripts"), str(ROOT / "tests" / "fixtures")]

from dataset_runs import make_runs  # noqa: E402
from playschool.arena.chat import to_messages  # noqa: E402
from playschool.arena.transcripts import TURN_COLUMNS, TranscriptError, TranscriptIndex  # noqa: E402

from playschool.store import iter_records  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """rand1 and rand2 (noisy scripted players), ref (the reference player) on wordle, selfplay (a toy game)."""
    return make_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def eval_like(runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shaped like a ``playschool eval`` output: records one and two levels down."""
    out = tmp_path_factory.mktemp("eval") / "out"
    shutil.copytree(runs[0], out / "interactional")
    shutil.copytree(runs[2], out / "base" / "interactional")
    return out


def _count(path: Path) -> int:
    return sum(1 for _ in iter_records(path))


# ------------------------------------------------------------------------------------------------ run folders
def test_run_folders_are_indexed_with_who_played(runs: list[Path]) -> None:
    index = TranscriptIndex.load(runs)
    assert len(index) == sum(_count(r) for r in runs) and index.skipped == 0 and not index.problems
    choices = index.choices()
    assert choices["model"] == ["bisect", "random1", "random2", "teacher"]  # from each run's manifest
    assert set(choices["game"]) >= {"wordle-v2"} and "guesser" in choices["role"]
    assert set(choices["outcome"]) <= {"success", "lose", "aborted", "error"}
    row = index.filter(model="teacher")[0]
    assert row.source.endswith("ref/records.jsonl") and row.outcome == "success" and row.score and row.score > 0
    assert row.turns > 0 and row.instance_id and row.key


def test_filters_combine(runs: list[Path]) -> None:
    index = TranscriptIndex.load(runs)
    wordle = index.filter(game="wordle")
    assert wordle and wordle == index.filter(game="wordle-v2") and all(r.game == "wordle-v2" for r in wordle)
    assert index.filter(game="wordle-v9") == [] and index.filter(game="chess") == []
    both = index.filter(game="wordle", model="random1", outcome="aborted")
    assert all((r.model, r.outcome) == ("random1", "aborted") for r in both)
    assert index.filter(None, None, None, None) == index.rows == index.filter("", "", "", "")
    critic = index.filter(role="critic")
    assert critic and all(r.role == "critic" for r in critic) and len(critic) < len(wordle)


def test_render_shows_what_the_learner_saw_and_every_turn(runs: list[Path]) -> None:
    index = TranscriptIndex.load([runs[0]])
    records = list(iter_records(runs[0]))
    for row, record in zip(index.rows, records):
        messages, table = index.render(row.key)
        assert messages == to_messages(record.turns, record.learner_role)
        assert [m.text for m in messages if m.role == "user"] == [
            t.text for t in record.turns if t.kind == "move" and t.speaker == record.learner_role]
        assert len(table) == len(record.turns) and all(tuple(r) == TURN_COLUMNS for r in table)
        for r, t in zip(table, record.turns):
            assert (r["turn"], r["speaker"], r["kind"], r["reward"]) == (t.index, t.speaker, t.kind, t.reward)
    parses = [r["parse"] for row in index.rows for r in index.render(row.key)[1]]
    assert any(p.startswith("format error") for p in parses) and any(p.startswith("ok") for p in parses)


def test_nested_records_are_found_within_the_depth_bound(eval_like: Path) -> None:
    index = TranscriptIndex.load([eval_like])
    assert {r.model for r in index.rows} == {"random1", "teacher"}
    assert len(index) == _count(eval_like / "interactional") + _count(eval_like / "base" / "interactional")
    shallow = TranscriptIndex.load([eval_like], max_depth=1)
    assert {r.model for r in shallow.rows} == {"random1"}  # base/interactional is two levels down
    # The same file reached twice (a folder and the file itself) is indexed once.
    twice = TranscriptIndex.load([eval_like, eval_like / "interactional" / "records.jsonl"])
    assert len(twice) == len(index)


# ------------------------------------------------------------------------------------------------ bad input
def test_malformed_lines_are_skipped_counted_and_reported(runs: list[Path], tmp_path: Path) -> None:
    good = (runs[0] / "records.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(good[0])
    bad = ["not json at all\n", '{"game": "wordle-v2"}\n', "[1, 2, 3]\n", json.dumps({**record, "outcome": "won"}) + "\n",
           "\xff\xfe garbage \n"]
    lines = [good[0], *bad[:3], *good[1:], bad[3], bad[4], "\n", good[0][:40]]  # ends in a cut-off line
    path = tmp_path / "records.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    index = TranscriptIndex.load([path])
    assert len(index) == len(good)  # every good line, even after bad ones
    assert index.skipped == 6
    assert any(":2:" in p for p in index.problems) and any("incomplete" in p for p in index.problems)
    assert "6 unreadable" in index.summary()
    for row in index.rows:  # offsets still point at the right lines
        assert index.render(row.key)[1]


def test_unknown_keys_missing_sources_and_changed_files_are_clear_errors(runs: list[Path], tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    shutil.copy(runs[2] / "records.jsonl", path)
    index = TranscriptIndex.load([path, tmp_path / "nowhere", tmp_path])
    assert any("nowhere" in p for p in index.problems) and len(index) == _count(path)
    with pytest.raises(TranscriptError) as err:
        index.render("0:no|such|key")
    assert isinstance(err.value, ValueError)
    path.write_text("", encoding="utf-8")  # the file was replaced after indexing
    with pytest.raises(TranscriptError, match="changed"):
        index.render(index.rows[-1].key)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(TranscriptIndex.load([empty])) == 0 and TranscriptIndex.load([empty]).problems


def test_the_index_is_bounded(runs: list[Path]) -> None:
    index = TranscriptIndex.load(runs, max_records=3)
    assert len(index) == 3 and index.truncated and "stopped at 3" in index.summary()


# ------------------------------------------------------------------------------------------------ dataset
def test_the_interactions_dataset_is_browsed_like_a_run(runs: list[Path], tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("datasets")
    import build_interactions

    built = build_interactions.build(tmp_path / "ds", runs)
    index = TranscriptIndex.load([built])
    assert len(index) > 0 and index.skipped == 0, index.problems
    assert {r.model for r in index.rows} == {"bisect", "random1", "random2", "teacher"}  # from the card
    assert all(r.source.endswith(".parquet") for r in index.rows)
    kinds, parses = set(), set()
    for row in index.filter(game="wordle"):
        messages, table = index.render(row.key)
        assert len(messages) == len(table) == row.turns and messages[0].kind == "instruction"
        assert all(m.kind == "move" for m in messages if m.role == "user")
        kinds |= {m.kind for m in messages}
        parses |= {r["parse"] for r in table if r["kind"] == "move"}
    assert {"correction", "environment", "move"} <= kinds  # the noisy players' broken moves drew corrections
    assert {"ok", "format error"} <= parses
    # A parquet file of something else is reported, not fatal.
    import pyarrow as pa
    import pyarrow.parquet as pq

    other = tmp_path / "other" / "data" / "interactions"
    other.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1, 2]}), other / "train.parquet")
    odd = TranscriptIndex.load([other.parent.parent, built])
    assert len(odd) == len(index) and any("not an interactions dataset" in p for p in odd.problems)
