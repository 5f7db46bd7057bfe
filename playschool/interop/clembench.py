"""clembench interop: import clembench results into our records and datasets, export our records to clembench.

clembench (clemcore) keeps one folder per episode with ``instance.json``, ``interactions.json`` and
``scores.json`` (see :mod:`.clembench_format` for the layout). :func:`export_records` writes our records in
that layout, so clembench's transcripts and evaluation (``clem eval``) read them; :func:`import_results`
reads any such tree back: our own exports as the very records they came from, episodes of other games as
:class:`ForeignEpisode`; :func:`to_interactions_rows` turns either into rows of the interactions dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .clembench_export import DEFAULT_MODEL_NAME, export_records
from .clembench_format import ClembenchFormatError, ForeignEpisode, ForeignEvent
from .clembench_import import ImportedEpisode, import_results, read_episode
from .clembench_rows import to_interactions_rows

#: Foreign episodes in a run folder, one JSON object a line, next to our ``records.jsonl``.
FOREIGN_FILE = "clembench_episodes.jsonl"



def read_foreign_episodes(path: str | Path) -> list[ForeignEpisode]:
    """The foreign episodes of a JSONL file (or of :data:`FOREIGN_FILE` in a run folder); errors name the line."""
    p = Path(path)
    if p.is_dir():
        p = p / FOREIGN_FILE
    out = []
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{p}:{lineno}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ClembenchFormatError(f"{where}: not valid JSON: {exc}") from exc
            out.append(ForeignEpisode.from_dict(data, where))
    return out


def append_foreign_episodes(path: str | Path, episodes: Iterable[ForeignEpisode]) -> int:
    """Append the episodes not yet in the JSONL file ``path`` (by id); returns how many were added."""
    p = Path(path)
    known = {e.id for e in read_foreign_episodes(p)} if p.is_file() else set()
    added = 0
    with p.open("a", encoding="utf-8") as fh:
        for episode in episodes:
            if episode.id in known:
                continue
            # ensure_ascii keeps each line pure ASCII, as records.jsonl is.
            fh.write(json.dumps(episode.to_dict(), sort_keys=True, ensure_ascii=True, separators=(",", ":")) + "\n")
            known.add(episode.id)
            added += 1
    return added


__all__ = [
    "DEFAULT_MODEL_NAME", "FOREIGN_FILE", "ClembenchFormatError", "ForeignEpisode", "ForeignEvent",
    "ImportedEpisode", "append_foreign_episodes", "export_records", "import_results", "read_episode",
    "read_foreign_episodes", "to_interactions_rows",
]
