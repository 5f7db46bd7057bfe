"""The run folder's episode records: append-only JSONL, durable, resumable, single-writer.

Guarantees, each tested:

* every record is written as one line and flushed as soon as its episode ends, so killing the process loses
  nothing that finished; a record is ``fsync``'d within ``fsync_interval`` seconds of being written (a timer
  syncs it when no later write does) and on close, so even a machine crash loses at most that window;
* a line cut short by a kill (no trailing newline) is cut off on reopening and its episode is played again;
  a malformed line anywhere else is an error that names the line, never silently dropped;
* one writer at a time: a second run on the same folder fails at once with a clear message (``flock``);
* a key already present is never written again, so a resumed run never duplicates an episode.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from playschool.games import EpisodeRecord, RecordError

RECORDS_FILE = "records.jsonl"
LOCK_FILE = ".lock"


class RunLockedError(RuntimeError):
    """Another process is writing to the same run folder."""


def iter_records(path: str | Path, *, allow_partial_tail: bool = True) -> Iterator[EpisodeRecord]:
    """Read the records of a JSONL file (or of ``records.jsonl`` in a run folder), in file order.

    Raises :class:`RecordError` naming the file and line for anything malformed.
    """
    p = Path(path)
    if p.is_dir():
        p = p / RECORDS_FILE
    if not p.is_file():
        raise FileNotFoundError(f"no episode records at {p}")
    with p.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                if allow_partial_tail:
                    return  # cut short by a killed writer: that episode did not finish
                raise RecordError(f"{p}:{lineno}: incomplete last line")
            if not raw.strip():
                continue
            try:
                yield EpisodeRecord.from_json(raw.decode("utf-8"))
            except (RecordError, UnicodeDecodeError) as exc:
                raise RecordError(f"{p}:{lineno}: {exc}") from exc


def _end_of_last_line(path: Path, block: int = 1 << 16) -> int:
    """Offset just past the last newline (0 if none), reading only the file's tail: run files get large."""
    with path.open("rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        while end > 0:
            start = max(0, end - block)
            fh.seek(start)
            chunk = fh.read(end - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                return start + cut + 1
            end = start
    return 0


class RecordStore:
    """Appends episode records to ``<run>/records.jsonl`` under an exclusive lock. Use as a context manager."""

    def __init__(self, run_dir: str | Path, *, fsync_interval: float = 1.0) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / RECORDS_FILE
        self.fsync_interval = fsync_interval
        self._keys: set[str] = set()
        self._lock_fh: IO[str] | None = None
        self._fh: IO[bytes] | None = None
        self._last_sync = 0.0
        self._dirty = False
        # fsync runs on the writer's thread or on the timer's; the lock keeps it and close() apart.
        self._sync_lock = threading.Lock()
        self._timer: threading.Timer | None = None

    # ----------------------------------------------------------- lifecycle
    def open(self) -> RecordStore:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        lock_fh = open(self.run_dir / LOCK_FILE, "a+")
        try:
            fcntl.flock(lock_fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_fh.close()
            msg = f"another run is writing to {self.run_dir}; wait for it to finish or use another --out"
            raise RunLockedError(msg) from None
        self._lock_fh = lock_fh
        if self.path.exists():
            self._recover()
        self._fh = open(self.path, "ab")
        self._last_sync = time.monotonic()
        return self

    def _recover(self) -> None:
        """Load the keys already written; cut off a partial last line left by a killed run."""
        for rec in iter_records(self.path):
            if rec.key in self._keys:
                raise RecordError(f"{self.path}: episode {rec.key} appears twice; the file was edited or merged "
                                  "by hand. Keep one copy of each episode and try again.")
            self._keys.add(rec.key)
        good_end = _end_of_last_line(self.path)
        if good_end < self.path.stat().st_size:
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)
                fh.flush()
                os.fsync(fh.fileno())

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._fh is not None:
            self._sync()
            with self._sync_lock:
                self._fh.close()
                self._fh = None
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self) -> RecordStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- data
    @property
    def keys(self) -> frozenset[str]:
        """Keys of the episodes already recorded (including those from before a resume)."""
        return frozenset(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def append(self, record: EpisodeRecord) -> None:
        if self._fh is None:
            raise RuntimeError("RecordStore is not open")
        if record.key in self._keys:
            raise RecordError(f"episode {record.key} is already recorded in {self.path}")
        self._fh.write(record.to_json().encode("ascii") + b"\n")
        # Flush to the OS now: a killed process then loses nothing that finished.
        self._fh.flush()
        self._keys.add(record.key)
        self._dirty = True
        waited = time.monotonic() - self._last_sync
        if waited >= self.fsync_interval:
            self._sync()
        elif self._timer is None or not self._timer.is_alive():
            # Nothing may be written for a long while after this record: sync it when its window closes anyway.
            self._timer = threading.Timer(self.fsync_interval - waited, self._sync)
            self._timer.daemon = True
            self._timer.start()

    @property
    def synced(self) -> bool:
        """Whether every record written so far has been fsync'd."""
        return not self._dirty

    def _sync(self) -> None:
        with self._sync_lock:
            if self._fh is not None and self._dirty:
                with contextlib.suppress(OSError, ValueError):  # ValueError: closed by close() meanwhile
                    os.fsync(self._fh.fileno())
                self._dirty = False
            self._last_sync = time.monotonic()
