"""Durable file writes shared by the run folder's writers (manifest, results, reports, transcripts)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, text: str, *, durable: bool = True) -> Path:
    """Write ``text`` to ``path`` so that a reader (or a crash) sees the old file or the new one, never a part.

    The text goes to a temporary file beside ``path``, which is fsync'd, then renamed over ``path``; the folder
    is fsync'd so the rename survives a machine crash. ``durable=False`` skips both fsyncs (pages that can be
    rebuilt, such as transcripts, where a crash costs nothing and an fsync per file would be slow).
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    if durable:
        fsync_dir(path.parent)
    return path
