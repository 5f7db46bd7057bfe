"""The transcript browser's index: episodes from run folders, records files and the interactions dataset.

A source is a run folder (``records.jsonl`` in it or in sub-folders, e.g. a ``playschool eval`` output with
``interactional/`` and ``base/interactional/``), a records JSONL file, or a folder of the interactions dataset
as ``datasets_scripts/build_interactions.py`` writes it (``data/interactions/<split>.parquet``).

The index keeps one short summary per episode and where to read it back (a file offset, or a parquet row), not
the episodes themselves, and stops at ``max_records`` (20,000 by default: a few MB of summaries). Files are the
host's, but their lines are still untrusted: a malformed line is skipped and counted, never fatal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playschool.games import RANDOM, TEACHER, EpisodeRecord, RecordError

from .chat import ChatMessage, main_kind, to_messages

#: Most episodes indexed over all sources.
MAX_RECORDS = 20_000
#: Folder levels searched below a source for records files, and most files taken from one source.
MAX_DEPTH = 4
MAX_FILES = 256
#: Problems kept for the report (the count covers all of them).
MAX_PROBLEMS = 50
RECORDS_FILE = "records.jsonl"
#: Where the interactions dataset keeps its SFT rows, relative to its folder.
DATASET_GLOB = "data/interactions/*.parquet"
#: The columns of :meth:`TranscriptIndex.render`'s turn table, in order.
TURN_COLUMNS: tuple[str, ...] = ("turn", "speaker", "to", "kind", "reward", "parse")


class TranscriptError(ValueError):
    """An unknown transcript key, or a file that changed since it was indexed."""


@dataclass(frozen=True)
class TranscriptRow:
    """One indexed episode: what the browser's table shows and filters on. ``model`` is who played the learner's
    seat (the run's learner spec, ``teacher`` or ``random``); ``score`` the main score (0-100)."""

    key: str
    game: str
    role: str
    model: str
    outcome: str
    score: float | None
    turns: int
    instance_id: str
    source: str


@dataclass(frozen=True)
class _Where:
    path: Path
    offset: int  # byte offset of a JSONL line, or the row number in a parquet file
    length: int  # byte length of the JSONL line; -1 for a parquet row


class TranscriptIndex:
    """Summaries of episodes from several sources, filtered for the browser and rendered one at a time."""

    def __init__(self) -> None:
        self.rows: list[TranscriptRow] = []
        self._where: dict[str, _Where] = {}
        self._by_key: dict[str, TranscriptRow] = {}
        #: Lines or rows that could not be read, and the first few reasons.
        self.skipped = 0
        self.problems: list[str] = []
        #: Whether ``max_records`` cut the index short.
        self.truncated = False
        self._max = MAX_RECORDS

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def load(cls, sources: Sequence[Path | str], *, max_records: int = MAX_RECORDS,
             max_depth: int = MAX_DEPTH) -> TranscriptIndex:
        """Index every source (see the module docstring). A missing source or an unreadable line is reported in
        ``problems`` and ``skipped``; loading goes on."""
        index = cls()
        index._max = max_records
        seen: set[Path] = set()
        for source in sources:
            path = Path(source)
            if not path.exists():
                index._problem(f"{path}: no such file or folder")
                continue
            for kind, file in _files(path, max_depth, index):
                if file.resolve() in seen:
                    continue
                seen.add(file.resolve())
                if index.truncated:
                    break
                if kind == "jsonl":
                    index._add_jsonl(file, len(seen))
                else:
                    index._add_parquet(file, len(seen))
        return index

    # --------------------------------------------------------------------- queries
    def filter(self, game: str | None = None, role: str | None = None, model: str | None = None,
               outcome: str | None = None) -> list[TranscriptRow]:
        """The rows matching every given filter (``None`` or ``""``: any). ``game`` matches a versioned id
        (``taboo-v2``) or a name (``taboo``)."""
        out = []
        for row in self.rows:
            if game and game != row.game and row.game.partition("-v")[0] != game:
                continue
            if (role and row.role != role) or (model and row.model != model) or (outcome and row.outcome != outcome):
                continue
            out.append(row)
        return out

    def choices(self) -> dict[str, list[str]]:
        """The values each filter can take, sorted: ``game``, ``role``, ``model``, ``outcome``."""
        return {f: sorted({getattr(r, f) for r in self.rows}) for f in ("game", "role", "model", "outcome")}

    def get(self, key: str) -> TranscriptRow:
        row = self._by_key.get(str(key))
        if row is None:
            raise TranscriptError(f"no transcript {key!r} in the index")
        return row

    def summary(self) -> str:
        """One line for the page: how many episodes, from where, and what was skipped."""
        files = len({w.path for w in self._where.values()})
        text = f"{len(self.rows)} episodes from {files} file(s)"
        if self.truncated:
            text += f" (stopped at {self._max})"
        if self.skipped:
            text += f"; {self.skipped} unreadable line(s) or row(s) skipped"
        return text

    def render(self, key: str) -> tuple[list[ChatMessage], list[dict[str, Any]]]:
        """The episode as its learner saw it, and one table row per turn (:data:`TURN_COLUMNS`)."""
        row = self.get(key)
        where = self._where[row.key]
        if where.length < 0:
            return _render_dataset_row(_read_parquet_row(where.path, where.offset))
        record = self._read_record(where)
        if _summary_key(record) != (row.game, row.instance_id, row.role):
            raise TranscriptError(f"{where.path} changed since it was indexed; reload the transcripts")
        table = [{"turn": t.index, "speaker": t.speaker, "to": t.to, "kind": t.kind, "reward": t.reward,
                  "parse": _parse_text(t.parse)} for t in record.turns]
        return to_messages(record.turns, record.learner_role), table

    # --------------------------------------------------------------------- loading
    def _problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def _skip(self, text: str) -> None:
        self.skipped += 1
        self._problem(text)

    def _full(self) -> bool:
        if len(self.rows) >= self._max:
            if not self.truncated:
                self.truncated = True
                self._problem(f"stopped at {self._max} episodes; later ones are not shown")
            return True
        return False

    def _add(self, row: TranscriptRow, where: _Where) -> None:
        self.rows.append(row)
        self._where[row.key] = where
        self._by_key[row.key] = row

    def _add_jsonl(self, path: Path, file_no: int) -> None:
        models = _ManifestModel(path.parent)
        try:
            fh = path.open("rb")
        except OSError as exc:
            self._problem(f"{path}: {exc}")
            return
        with fh:
            offset = 0
            for lineno, raw in enumerate(fh, start=1):
                start, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                if self._full():
                    return
                if not raw.endswith(b"\n"):
                    self._skip(f"{path}:{lineno}: incomplete last line (a run still writing, or killed)")
                    continue
                try:
                    record = EpisodeRecord.from_json(raw.decode("utf-8"))
                except (RecordError, UnicodeDecodeError) as exc:
                    self._skip(f"{path}:{lineno}: {exc}"[:300])
                    continue
                key = f"{file_no}:{record.key}"
                if key in self._where:  # the same episode twice in one file (merged by hand): keep both
                    key = f"{key}#{lineno}"
                row = TranscriptRow(key=key, game=record.game, role=record.learner_role, model=models.of(record),
                                    outcome=record.outcome, score=record.scores.get("main"),
                                    turns=len(record.turns), instance_id=record.instance_id, source=str(path))
                self._add(row, _Where(path, start, len(raw)))

    def _add_parquet(self, path: Path, file_no: int) -> None:
        try:
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            table = pq.read_table(path, columns=["id", "meta", "messages"])
            lengths = pc.list_value_length(table.column("messages")).to_pylist()
            metas = table.column("meta").to_pylist()
            ids = table.column("id").to_pylist()
        except ImportError:
            self._problem(f"{path}: reading the interactions dataset needs pyarrow (pip install 'playschool[space]')")
            return
        except Exception as exc:  # pyarrow raises many kinds for a broken or foreign file
            self._problem(f"{path}: not an interactions dataset file ({type(exc).__name__}: {exc})"[:300])
            return
        models = _card_models(path)
        for i, (rid, meta, n) in enumerate(zip(ids, metas, lengths)):
            if self._full():
                return
            if not isinstance(meta, dict) or not rid:
                self._skip(f"{path}: row {i} has no id or meta")
                continue
            played_by = str(meta.get("played_by") or "")
            model = (played_by if played_by in (TEACHER, RANDOM)
                     else models.get(str(meta.get("manifest_id") or "")) or f"run {meta.get('run', '?')}")
            row = TranscriptRow(key=f"{file_no}:{rid}", game=str(meta.get("game", "")), role=str(meta.get("role", "")),
                                model=model, outcome=str(meta.get("outcome", "")),
                                score=_float(meta.get("main")), turns=int(n or 0),
                                instance_id=str(meta.get("instance_id", "")), source=str(path))
            self._add(row, _Where(path, i, -1))

    def _read_record(self, where: _Where) -> EpisodeRecord:
        try:
            with where.path.open("rb") as fh:
                fh.seek(where.offset)
                raw = fh.read(where.length)
            return EpisodeRecord.from_json(raw.decode("utf-8"))
        except (OSError, RecordError, UnicodeDecodeError) as exc:
            raise TranscriptError(f"{where.path} changed since it was indexed; reload the transcripts "
                                  f"({type(exc).__name__})") from exc


# ------------------------------------------------------------------------------------------------ helpers
def _files(path: Path, max_depth: int, index: TranscriptIndex) -> Iterator[tuple[str, Path]]:
    """The records files and dataset files of one source, in a stable order."""
    if path.is_file():
        yield ("parquet" if path.suffix == ".parquet" else "jsonl"), path
        return
    dataset = sorted(path.glob(DATASET_GLOB))
    if dataset:
        for f in dataset:
            yield "parquet", f
        return
    found = 0
    root_depth = len(path.parts)
    for folder, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if len(Path(folder).parts) - root_depth >= max_depth:
            dirs[:] = []  # deep enough: a transcripts source is a run folder, not a disk
        if RECORDS_FILE in names:
            found += 1
            if found > MAX_FILES:
                index._problem(f"{path}: more than {MAX_FILES} records files; the rest are not indexed")
                return
            yield "jsonl", Path(folder) / RECORDS_FILE
    if not found:
        index._problem(f"{path}: no {RECORDS_FILE} found (searched {max_depth} levels deep)")


def _summary_key(record: EpisodeRecord) -> tuple[str, str, str]:
    return record.game, record.instance_id, record.learner_role


class _ManifestModel:
    """Who played the learner's seat in the records of one run folder: its manifest's learner spec."""

    def __init__(self, folder: Path) -> None:
        self.learner = ""
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            self.learner = str(manifest.get("learner") or "") if isinstance(manifest, dict) else ""
        except (OSError, ValueError):
            pass  # no manifest (a bare records file): the folder's name stands in
        self.fallback = f"run {folder.name}"

    def of(self, record: EpisodeRecord) -> str:
        seat = record.roles.get(record.learner_role, "")
        if seat in (TEACHER, RANDOM):  # the game's own player sat there, whatever the run was called
            return seat
        return self.learner or self.fallback


def _card_models(path: Path) -> dict[str, str]:
    """manifest id -> learner spec, from the "Sources" table of the dataset's card (README.md)."""
    # DIR/data/interactions/<split>.parquet: the card is two levels up; never look further (another README).
    card = next((p / "README.md" for p in list(path.parents)[:3] if (p / "README.md").is_file()), None)
    if card is None:
        return {}
    out: dict[str, str] = {}
    try:
        lines = card.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    for line in lines[:5000]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # | run | `manifest` | learner | teacher | episodes |
        if len(cells) == 5 and cells[1].startswith("`") and cells[1].endswith("`") and len(cells[1]) > 2:
            out[cells[1].strip("`")] = cells[2]
    return out


def _read_parquet_row(path: Path, row: int) -> dict[str, Any]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        for group in range(pf.num_row_groups):
            n = pf.metadata.row_group(group).num_rows
            if row < n:
                rows = pf.read_row_group(group, columns=["id", "messages", "meta"]).slice(row, 1).to_pylist()
                return dict(rows[0])
            row -= n
    except Exception as exc:  # pyarrow's errors for a replaced or broken file
        raise TranscriptError(f"{path} changed since it was indexed; reload the transcripts") from exc
    raise TranscriptError(f"{path} changed since it was indexed; reload the transcripts")


def _render_dataset_row(row: dict[str, Any]) -> tuple[list[ChatMessage], list[dict[str, Any]]]:
    """A dataset row's messages (already as the role saw them, merged) with their kinds, rewards and errors."""
    meta = row.get("meta") or {}
    role = str(meta.get("role", ""))
    kinds, rewards, errors = meta.get("kinds") or [], meta.get("rewards") or [], meta.get("errors") or []
    messages: list[ChatMessage] = []
    table: list[dict[str, Any]] = []
    for i, msg in enumerate(row.get("messages") or []):
        k = [str(x) for x in (kinds[i] if i < len(kinds) and kinds[i] else ["observation"])]
        reward = _float(rewards[i]) if i < len(rewards) else None
        error = str(errors[i]) if i < len(errors) and errors[i] else None
        text = str(msg.get("content", ""))
        if msg.get("role") == "assistant":
            messages.append(ChatMessage("user", text, "move", role, reward, error))
            table.append({"turn": i, "speaker": role, "to": "game", "kind": "move", "reward": reward,
                          "parse": f"{error} error" if error else "ok"})
        else:
            messages.append(ChatMessage("assistant", text, main_kind(k), "game"))
            table.append({"turn": i, "speaker": "game", "to": role, "kind": "+".join(k), "reward": None,
                          "parse": ""})
    return messages, table


def _parse_text(parse: dict[str, Any] | None) -> str:
    """A turn's parse result in a few words: ``ok (act=guess)`` or ``format error: <message>``."""
    if not parse:
        return ""
    if parse.get("ok") is False:
        message = str(parse.get("message", "")).strip()
        text = f"{parse.get('error', '?')} error" + (f": {message}" if message else "")
        return text if len(text) <= 160 else text[:157] + "..."
    notes = ", ".join(f"{k}={v}" for k, v in sorted(parse.items()) if k != "ok")
    return "ok" + (f" ({notes})" if notes else "")


def _float(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


__all__ = ["MAX_RECORDS", "TURN_COLUMNS", "TranscriptError", "TranscriptIndex", "TranscriptRow"]
