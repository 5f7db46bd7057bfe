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


def _write_with_choices(path: Path) -> Path:
    w = LedgerWriter(path, {"budget_tokens": 100, "recipe": {"recipe": "sft"}})
    for i, (tokens, arm) in enumerate([(10, "taboo:guesser:high"), (20, "wordle:guesser:plain"),
                                       (30, "taboo:guesser:high")]):
        w.step(tokens, f"fp{i}", micro_batches=1)
        w.choice({"step": i + 1, "policy": "learner-bandit", "arm": arm, "fallback": False, "progress": 0.5})
    w.close("completed")
    return path


def test_curriculum_choices_verify_and_are_summarised(tmp_path: Path) -> None:
    from playschool.budget.report import summary_lines

    s = verify_ledger(_write_with_choices(tmp_path / "l.jsonl"))
    assert [c["arm"] for c in s.choices] == ["taboo:guesser:high", "wordle:guesser:plain", "taboo:guesser:high"]
    assert [(c["after_step"], c["cumulative"]) for c in s.choices] == [(1, 10), (2, 30), (3, 60)]
    assert s.total_tokens == 60 and len(s.steps) == 3  # choices are not part of the totals
    lines = summary_lines(s)
    assert "choice         taboo:guesser:high: 2 (66.7%)" in lines
    assert any(line.startswith("curriculum     3 choices by learner-bandit") for line in lines)
    assert not verify_ledger(_write(tmp_path / "plain.jsonl")).choices
    w = LedgerWriter(tmp_path / "bad.jsonl", {"budget_tokens": 100})
    with pytest.raises(ValueError, match="'arm' string"):
        w.choice({"step": 1})
    with pytest.raises(ValueError, match="may not set"):
        w.choice({"arm": "a", "cumulative": 5})


def test_a_tampered_choice_is_caught_by_the_chain(tmp_path: Path) -> None:
    p = _write_with_choices(tmp_path / "l.jsonl")
    lines = _lines(p)
    assert json.loads(lines[2])["type"] == "choice"
    edited = lines[2].replace("taboo:guesser:high", "taboo:guesser:low")
    p.write_text("".join(lines[:2] + [edited] + lines[3:]))
    with pytest.raises(LedgerError, match="line 3: its hash does not match"):
        verify_ledger(p)
    entry = json.loads(edited)  # an edit with its hash recomputed breaks the next link
    entry["hash"] = entry_hash(entry)
    p.write_text("".join(lines[:2] + [json.dumps(entry) + "\n"] + lines[3:]))
    with pytest.raises(LedgerError, match="line 4: its 'prev' does not link"):
        verify_ledger(p)
    p.write_text("".join(lines[:2] + lines[3:]))  # a choice removed
    with pytest.raises(LedgerError, match="line 3: its 'prev'"):
        verify_ledger(p)
    w = LedgerWriter(tmp_path / "noarm.jsonl", {"budget_tokens": 100})  # a chained line that lacks its arm
    w._write({"type": "choice", "after_step": 0, "cumulative": 0, "arm": 7})
    w.close("completed")
    with pytest.raises(LedgerError, match="line 2: a curriculum choice without an 'arm' string"):
        verify_ledger(tmp_path / "noarm.jsonl")
