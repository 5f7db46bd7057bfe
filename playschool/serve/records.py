"""Where the server writes the record of every episode that ends: run folders, one per repetition.

A run folder (:class:`~playschool.store.RecordStore`) holds each episode key (game, instance, learner role) once:
that is what makes a run resumable and ``playschool score DIR`` meaningful. A server, though, legitimately
serves the same instance many times (RL rollouts repeat instances). So the first episode of a key goes to
``DIR/records.jsonl``, its second to ``DIR/repeats/2/records.jsonl``, its third to ``DIR/repeats/3/`` and so on:
nothing is lost, and every folder is a valid run folder that the project's tools read as they are.

``DIR`` itself stays locked while the server runs (a second server or a run on it fails at once); the
repetition folders are opened when written to, a few at a time, so a long RL run cannot exhaust file handles.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from pathlib import Path

from playschool.games import EpisodeRecord
from playschool.store import RECORDS_FILE, RecordStore, iter_records

#: Sub-folder of the records folder that holds the repetitions.
REPEATS_DIR = "repeats"
#: Repetition folders kept open at once.
OPEN_REPEATS = 4


class RecordLog:
    """Appends served episodes' records under ``root`` (see the module docstring). Use as a context manager."""

    def __init__(self, root: str | Path, *, fsync_interval: float = 1.0) -> None:
        self.root = Path(root)
        self.fsync_interval = fsync_interval
        self._first: RecordStore | None = None
        self._repeats: OrderedDict[int, RecordStore] = OrderedDict()
        self._count: Counter[str] = Counter()  # key -> episodes recorded so far
        self._written = 0
        # Records come from the event loop and from worker threads (sessions with a model partner).
        self._lock = threading.Lock()

    @property
    def written(self) -> int:
        """Records written since :meth:`open`."""
        return self._written

    def folder(self, repetition: int) -> Path:
        """The run folder that holds the ``repetition``-th episode (1-based) of each key."""
        return self.root if repetition == 1 else self.root / REPEATS_DIR / str(repetition)

    def open(self) -> RecordLog:
        self._first = RecordStore(self.root, fsync_interval=self.fsync_interval).open()
        self._count.update(self._first.keys)
        repeats = self.root / REPEATS_DIR
        if repeats.is_dir():
            for sub in sorted((p for p in repeats.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
                if (sub / RECORDS_FILE).is_file():
                    self._count.update(rec.key for rec in iter_records(sub))
        return self

    def close(self) -> None:
        with self._lock:
            for store in self._repeats.values():
                store.close()
            self._repeats.clear()
            if self._first is not None:
                self._first.close()
                self._first = None

    def __enter__(self) -> RecordLog:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, record: EpisodeRecord) -> Path:
        """Write ``record`` (flushed at once, fsync'd within ``fsync_interval``); returns its folder."""
        with self._lock:
            if self._first is None:
                raise RuntimeError("RecordLog is not open")
            repetition = self._count[record.key] + 1
            self._store(repetition).append(record)
            self._count[record.key] = repetition
            self._written += 1
            return self.folder(repetition)

    def _store(self, repetition: int) -> RecordStore:
        if repetition == 1:
            assert self._first is not None
            return self._first
        store = self._repeats.get(repetition)
        if store is None:
            if len(self._repeats) >= OPEN_REPEATS:
                self._repeats.popitem(last=False)[1].close()
            store = RecordStore(self.folder(repetition), fsync_interval=self.fsync_interval).open()
            self._repeats[repetition] = store
        self._repeats.move_to_end(repetition)
        return store


__all__ = ["OPEN_REPEATS", "REPEATS_DIR", "RecordLog"]
