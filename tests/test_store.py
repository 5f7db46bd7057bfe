"""The record store: durable appends, resume after a kill, one writer, clear errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agents import bisect_reply
from playschool.games import RecordError
from playschool.games.checks import play
from toygame import HigherLower

from playschool import RecordStore, RunLockedError, iter_records


def _records(n: int):
    game = HigherLower()
    return [play(game.new_episode(i, "guesser"), {"guesser": bisect_reply}).record()
            for i in game.generate("train", n=n)]


def test_append_and_reopen(tmp_path: Path) -> None:
    recs = _records(3)
    with RecordStore(tmp_path) as store:
        for r in recs:
            store.append(r)
        with pytest.raises(RecordError, match="already recorded"):
            store.append(recs[0])
    with RecordStore(tmp_path) as store:
        assert store.keys == {r.key for r in recs}
    assert list(iter_records(tmp_path)) == recs


def test_partial_last_line_from_a_kill_is_cut_and_replayed(tmp_path: Path) -> None:
    recs = _records(3)
    with RecordStore(tmp_path) as store:
        store.append(recs[0])
    path = tmp_path / "records.jsonl"
    with path.open("ab") as fh:  # what a SIGKILL in the middle of a write leaves
        fh.write(recs[1].to_json().encode()[:50])
    assert [r.key for r in iter_records(tmp_path)] == [recs[0].key]
    with RecordStore(tmp_path) as store:
        assert recs[1].key not in store
        store.append(recs[1])
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines)


def test_malformed_line_in_the_middle_is_an_error_naming_the_line(tmp_path: Path) -> None:
    recs = _records(2)
    path = tmp_path / "records.jsonl"
    path.write_text(recs[0].to_json() + "\n{broken\n" + recs[1].to_json() + "\n")
    with pytest.raises(RecordError, match=r"records.jsonl:2"):
        list(iter_records(tmp_path))
    with pytest.raises(RecordError, match=r"records.jsonl:2"):
        RecordStore(tmp_path).open()
    assert path.read_text().count("\n") == 3  # nothing was thrown away


def test_duplicated_episode_is_an_error(tmp_path: Path) -> None:
    rec = _records(1)[0]
    (tmp_path / "records.jsonl").write_text((rec.to_json() + "\n") * 2)
    with pytest.raises(RecordError, match="appears twice"):
        RecordStore(tmp_path).open()


def test_second_writer_is_refused(tmp_path: Path) -> None:
    with RecordStore(tmp_path), pytest.raises(RunLockedError, match="another run"):
        RecordStore(tmp_path).open()
    with RecordStore(tmp_path) as store:  # the lock is released on close
        assert len(store) == 0


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no episode records"):
        list(iter_records(tmp_path / "nowhere"))


def test_every_append_is_flushed_at_once(tmp_path: Path) -> None:
    rec = _records(1)[0]
    with RecordStore(tmp_path, fsync_interval=3600) as store:
        store.append(rec)
        # visible to another reader before close: a killed process would not lose it
        assert [r.key for r in iter_records(tmp_path)] == [rec.key]


def test_a_record_is_fsynced_within_the_interval_even_when_nothing_follows(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    recs = _records(2)
    with RecordStore(tmp_path, fsync_interval=0.2) as store:
        store.append(recs[0])
        assert not store.synced  # written and flushed, not yet synced: the window is open
        deadline = time.monotonic() + 5
        while not store.synced and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.synced and calls, "an idle store must still fsync within its interval"
        store.append(recs[1])
    assert [r.key for r in iter_records(tmp_path)] == [r.key for r in recs[:2]]


def test_the_manifest_is_written_durably(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from playschool.manifest import build_manifest, write_or_check_manifest

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    write_or_check_manifest(tmp_path, build_manifest({"x": 1}), resume=False)
    assert len(synced) >= 2  # the file before the rename, the folder after it
    assert not list(tmp_path.glob("*.tmp"))


def test_the_last_line_is_found_from_the_tail_whatever_the_block(tmp_path: Path) -> None:
    from playschool.store import _end_of_last_line

    path = tmp_path / "f"
    path.write_bytes(b"a\nbb\n" + b"x" * 300)  # a partial line longer than the block
    assert _end_of_last_line(path, block=7) == 5
    path.write_bytes(b"no newline at all")
    assert _end_of_last_line(path, block=4) == 0
    path.write_bytes(b"")
    assert _end_of_last_line(path) == 0
