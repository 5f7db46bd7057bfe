"""The ledger verifies as written and rejects every edit, reordering, insertion and truncation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playschool.budget import LedgerError, LedgerWriter, verify_ledger
from playschool.budget.ledger import entry_hash


def _write(path: Path, steps: tuple[int, ...] = (10, 20, 30), budget: int = 100, end: bool = True) -> Path:
    w = LedgerWriter(path, {"budget_tokens": budget, "model": {"id": "tiny", "revision": "r1"},
                            "datasets": {"train": "abc"}, "recipe": {"recipe": "sft"}})
    for i, t in enumerate(steps):
        w.step(t, f"fp{i}", micro_batches=2, rollout_tokens=i)
        if i == 0:
            w.evaluation({"main": 12.5}, label="ckpt-1")
    if end:
        w.close("completed")
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_a_written_ledger_verifies(tmp_path: Path) -> None:
    s = verify_ledger(_write(tmp_path / "l.jsonl"))
    assert (s.total_tokens, len(s.steps), s.rollout_tokens, s.complete) == (60, 3, 3, True)
    assert [e["cumulative"] for e in s.steps] == [10, 30, 60] and s.evals[0]["cumulative"] == 10
    assert verify_ledger(tmp_path / "l.jsonl", expect_head=s.head).head == s.head
    with pytest.raises(LedgerError, match="expected"):
        verify_ledger(tmp_path / "l.jsonl", expect_head="0" * 64)


def test_an_edited_field_is_named(tmp_path: Path) -> None:
    p = _write(tmp_path / "l.jsonl")
    lines = _lines(p)
    assert json.loads(lines[1])["type"] == "step"  # line 1 is the header, line 2 the first step
    lines[1] = lines[1].replace('"tokens":10', '"tokens":1')
    p.write_text("".join(lines))
    with pytest.raises(LedgerError, match="line 2: its hash does not match") as err:
        verify_ledger(p)
    assert err.value.line == 2


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    p = _write(tmp_path / "l.jsonl")
    lines = _lines(p)
    entry = json.loads(lines[1])
    entry["tokens"], entry["cumulative"] = 1, 1
    entry["hash"] = entry_hash(entry)
    lines[1] = json.dumps(entry) + "\n"
    p.write_text("".join(lines))
    with pytest.raises(LedgerError, match="line 3: its 'prev' does not link"):
        verify_ledger(p)


def test_reordered_steps_are_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path / "l.jsonl")
    lines = _lines(p)
    lines[3], lines[4] = lines[4], lines[3]
    p.write_text("".join(lines))
    with pytest.raises(LedgerError, match="line 4: its 'prev'"):
        verify_ledger(p)


def test_an_inserted_step_is_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path / "l.jsonl")
    lines = _lines(p)
    lines.insert(2, lines[1])
    p.write_text("".join(lines))
    with pytest.raises(LedgerError, match="line 3: its 'prev'"):
        verify_ledger(p)


def test_truncation_is_rejected_and_a_killed_run_is_incomplete(tmp_path: Path) -> None:
    p = _write(tmp_path / "l.jsonl")
    lines = _lines(p)
    p.write_text("".join(lines[:-2]))  # the last step and the end record cut off
    with pytest.raises(LedgerError, match="no end record after line 4 \\(step 2\\)"):
        verify_ledger(p)
    assert verify_ledger(p, allow_incomplete=True).total_tokens == 30
    p.write_text("".join(lines)[:-10])  # cut inside the last line
    with pytest.raises(LedgerError, match="line 6: the last line is cut off"):
        verify_ledger(p)


def test_steps_beyond_the_budget_and_bad_values_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="above the budget of 50"):
        verify_ledger(_write(tmp_path / "a.jsonl", budget=50))
    p = tmp_path / "b.jsonl"
    p.write_text("not json\n")
    with pytest.raises(LedgerError, match="line 1: not valid JSON"):
        verify_ledger(p)
    p.write_text("")
    with pytest.raises(LedgerError, match="empty"):
        verify_ledger(p)
    with pytest.raises(LedgerError, match="no such file"):
        verify_ledger(tmp_path / "missing.jsonl")


def test_a_ledger_is_never_overwritten(tmp_path: Path) -> None:
    p = _write(tmp_path / "l.jsonl")
    before = p.read_bytes()
    with pytest.raises(FileExistsError, match="never overwritten"):
        LedgerWriter(p, {"budget_tokens": 5})
    assert p.read_bytes() == before


def test_a_budget_stop_must_name_a_step_that_would_not_fit(tmp_path: Path) -> None:
    w = LedgerWriter(tmp_path / "l.jsonl", {"budget_tokens": 100})
    w.step(60, "fp", micro_batches=1)
    w.close("budget", refused_step_tokens=30)  # 60 + 30 fits in 100: not a budget stop
    with pytest.raises(LedgerError, match="would have fitted"):
        verify_ledger(tmp_path / "l.jsonl")
