"""Interoperability with other dialogue-game frameworks: clembench's results layout (:mod:`.clembench`)."""

from __future__ import annotations

from .clembench import (
    DEFAULT_MODEL_NAME,
    FOREIGN_FILE,
    ClembenchFormatError,
    ForeignEpisode,
    ForeignEvent,
    ImportedEpisode,
    append_foreign_episodes,
    export_records,
    import_results,
    read_episode,
    read_foreign_episodes,
    to_interactions_rows,
)

__all__ = [
    "DEFAULT_MODEL_NAME", "FOREIGN_FILE", "ClembenchFormatError", "ForeignEpisode", "ForeignEvent",
    "ImportedEpisode", "append_foreign_episodes", "export_records", "import_results", "read_episode",
    "read_foreign_episodes", "to_interactions_rows",
]
