"""Submissions: an uploaded ``playschool eval`` output, checked as data and re-scored by the arena.

An upload is a claim. :func:`parse_upload` reads it as data only (strict UTF-8 JSON: no NaN or Infinity, no
duplicate keys, bounded nesting; nothing is imported, executed or unpickled) and checks its shape.
:func:`rescore` then computes every number itself:

* interactional plane: each episode record of the arena's plan is **replayed** against its game (a record that
  disagrees with its replay scores 0); planned episodes without a record count as failures; records outside
  the plan are ignored; interactional items written in ``results.json`` are never used;
* reference plane: the items of ``results.json`` for reference tasks only (self-reported: only the worker,
  which reruns the model, verifies them);
* the base model likewise, from the base records (and the base's reference items when present); without base
  records there is no improvement.

Numbers in the submitted scorecard are read only to tell the visitor where the claim and the re-scoring differ.
:func:`handle_upload` is the whole path of the Space's submit button: rate limit, checks, duplicate detection,
re-scoring, storage, and an audit row for every attempt.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from playschool.benchmark import CLU2_VERSION, ItemResult
from playschool.benchmark.interactional import SPLIT
from playschool.benchmark.registry import (
    TASKS,
    RegistryMismatchError,
    Task,
    check_registry,
)
from playschool.benchmark.results import REQUIRED_KEYS, SCHEMA
from playschool.games import LEARNER, TEACHER, EpisodeRecord, UnknownGameError, load_game

from .archive import BASE_RECORDS, RECORDS, RESULTS, ArchiveError, read_upload
from .config import ArenaConfig
from .strict_json import SubmissionError, binary_problem, loads_strict

#: Longest model name shown on the leaderboard.
MAX_MODEL_NAME = 100
_REGISTRY: dict[str, Task] = {t.id: t for t in TASKS}
REFERENCE_TASKS = frozenset(t.id for t in TASKS if t.plane == "reference")
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Submission:
    """An upload read and checked as data (see :func:`parse_upload`); nothing in it is trusted yet."""

    results: dict[str, Any]
    items: tuple[ItemResult, ...]
    base_items: tuple[ItemResult, ...] | None
    records: tuple[EpisodeRecord, ...]
    base_records: tuple[EpisodeRecord, ...] | None
    extra_tasks: dict[str, Task]
    filename: str = ""
    size: int = 0

    @cached_property
    def digest(self) -> str:
        """:func:`content_hash` of this submission (computed once)."""
        return content_hash(self)

    @property
    def learner(self) -> str:
        """The learner spec the results' manifest names (empty when it names none)."""
        learner = self.results.get("manifest", {}).get("learner")
        return learner if isinstance(learner, str) else ""


# --------------------------------------------------------------------------------------------- results.json
def _task_of(task_id: str, extra: Mapping[str, Task]) -> Task | None:
    """A registry task, or a game-pack task the results define (interactional only: reference tasks are the
    registry's)."""
    task = _REGISTRY.get(task_id)
    if task is None:
        task = extra.get(task_id)
        if task is not None and (task.plane != "interactional" or not task_id.startswith("game/")):
            return None
    return task


def _items(raw: Any, extra: Mapping[str, Task], where: str) -> tuple[ItemResult, ...]:
    if not isinstance(raw, list):
        raise SubmissionError(f"{where}: 'items' must be a list")
    out: list[ItemResult] = []
    seen: set[tuple[str, str]] = set()
    for n, d in enumerate(raw):
        at = f"{where}, item {n}"
        if not isinstance(d, dict):
            raise SubmissionError(f"{at} must be an object")
        task_id, item_id, score = d.get("task"), d.get("item_id"), d.get("score")
        if not isinstance(task_id, str) or not isinstance(item_id, str):
            raise SubmissionError(f"{at} needs a 'task' and an 'item_id' (strings)")
        if "score" not in d:
            raise SubmissionError(f"{at} ({task_id}) has no 'score'")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise SubmissionError(f"{at} ({task_id}): 'score' must be a number, got {type(score).__name__}")
        if not isinstance(d.get("valid", True), bool) or not isinstance(d.get("details", {}), dict):
            raise SubmissionError(f"{at} ({task_id}): 'valid' must be true/false and 'details' an object")
        task = _task_of(task_id, extra)
        if task is None:
            raise SubmissionError(f"{at}: unknown CLU2 task {task_id[:80]!r} (CLU2 {CLU2_VERSION})")
        try:
            value = float(score)
        except OverflowError as exc:
            raise SubmissionError(f"{at} ({task_id}): score is out of range") from exc
        top = max(task.ceiling, task.random_baseline)
        if not math.isfinite(value) or not min(0.0, task.random_baseline) <= value <= top:
            raise SubmissionError(f"{at} ({task_id}): score {score!r} is outside the task's range [0, {top:g}]")
        if (task_id, item_id) in seen:
            raise SubmissionError(f"{at}: item {item_id[:80]!r} of task {task_id} appears twice")
        seen.add((task_id, item_id))
        out.append(ItemResult(task_id, item_id, value, valid=bool(d.get("valid", True)),
                              details=dict(d.get("details", {}))))
    return tuple(out)


def _check_results(data: Any, where: str) -> tuple[tuple[ItemResult, ...], tuple[ItemResult, ...] | None,
                                                   dict[str, Task]]:
    """The items (and base items) of a parsed results.json, after checking its schema."""
    if not isinstance(data, dict):
        raise SubmissionError(f"{where} must hold one JSON object (a CLU2 results file)")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise SubmissionError(f"{where} is not a CLU2 results file: it lacks {', '.join(missing)}")
    if type(data["schema"]) is not int or data["schema"] != SCHEMA:
        raise SubmissionError(f"{where}: results schema {json.dumps(data['schema'])[:40]} is not supported "
                              f"(expected the number {SCHEMA})")
    version, fingerprint = data["clu2_version"], data["registry_fingerprint"]
    if not isinstance(version, str) or not isinstance(fingerprint, str):
        raise SubmissionError(f"{where}: 'clu2_version' and 'registry_fingerprint' must be strings")
    try:
        check_registry(version[:40], fingerprint[:80], what=where)
    except RegistryMismatchError as exc:
        raise SubmissionError(str(exc)) from exc
    for key in ("manifest", "scorecard"):
        if not isinstance(data[key], dict):
            raise SubmissionError(f"{where}: '{key}' must be an object")
    for key in ("base", "improvement", "extra_tasks"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise SubmissionError(f"{where}: '{key}' must be an object or null")
    try:
        extra = {str(k): Task.from_dict(v) for k, v in (data.get("extra_tasks") or {}).items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise SubmissionError(f"{where}: 'extra_tasks' is malformed ({str(exc)[:200]})") from exc
    items = _items(data["items"], extra, where)
    base = data.get("base")
    base_items = _items(base.get("items", []), extra, f"{where} (base)") if base is not None else None
    return items, base_items, extra


# ---------------------------------------------------------------------------------------------- records
def _record_problem(rec: EpisodeRecord) -> str | None:
    """Why a record cannot come from a CLU2 evaluation of a model, or ``None``: a game or version this arena
    does not have, another split, or a role assignment other than the learner against the game's teacher."""
    try:
        game = load_game(rec.game)
    except UnknownGameError as exc:
        return str(exc)
    if game.versioned_id != rec.game:
        return f"game {rec.game!r} is not a versioned game id (e.g. {game.versioned_id})"
    if rec.split != SPLIT or not rec.instance_id.startswith(f"{SPLIT}/"):
        return f"CLU2 is scored on the {SPLIT} split; this episode is of {rec.split!r} ({rec.instance_id[:80]})"
    expected = {r: (LEARNER if r == rec.learner_role else TEACHER) for r in rec.roles}
    if rec.learner_role not in rec.roles or rec.roles != expected:
        return (f"roles {rec.roles} are not CLU2's: the learner plays {rec.learner_role!r}, the game's teacher "
                "every other role")
    return None


def parse_records(data: bytes, where: str, *, max_records: int | None = None) -> tuple[EpisodeRecord, ...]:
    """The episode records of a ``records.jsonl`` (one JSON object a line), each checked as data. Raises
    :class:`SubmissionError` naming ``where`` and the line."""
    problem = binary_problem(data)
    if problem:
        raise SubmissionError(f"{where} {problem}")
    lines = data.split(b"\n")
    count = sum(1 for line in lines if line.strip())
    if count == 0:
        raise SubmissionError(f"{where} holds no episode records")
    if max_records is not None and count > max_records:
        raise SubmissionError(f"{where} holds {count} records, more than the {max_records} allowed")
    out: list[EpisodeRecord] = []
    first: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        at = f"{where} line {lineno}"
        value = loads_strict(raw, at)
        try:
            rec = EpisodeRecord.from_dict(value)
        except Exception as exc:  # RecordError, or OverflowError on an absurd number: not a record either way
            raise SubmissionError(f"{at} is not an episode record: {str(exc)[:300]}") from exc
        problem = _record_problem(rec)
        if problem:
            raise SubmissionError(f"{at}: {problem}")
        if rec.key in first:
            raise SubmissionError(f"{at}: episode {rec.key[:120]} is recorded twice (first on line {first[rec.key]})")
        first[rec.key] = lineno
        out.append(rec)
    return tuple(out)


def _parse_parts(parts: Mapping[str, bytes], sources: Mapping[str, str], *, max_records: int | None,
                 filename: str, size: int) -> Submission:
    if RESULTS not in parts:
        raise SubmissionError("the upload has no results.json: upload the output folder of `playschool eval` "
                              "(zipped), or its results.json with records.jsonl")
    if RECORDS not in parts:
        raise SubmissionError("the upload has no episode records (interactional/records.jsonl, or records.jsonl "
                              "uploaded loose): interactional scores come only from replaying them")
    where = sources.get(RESULTS, RESULTS)
    data = loads_strict(parts[RESULTS], where)
    items, base_items, extra = _check_results(data, where)
    records = parse_records(parts[RECORDS], sources.get(RECORDS, RECORDS), max_records=max_records)
    base_records = None
    if BASE_RECORDS in parts:
        base_records = parse_records(parts[BASE_RECORDS], sources.get(BASE_RECORDS, BASE_RECORDS),
                                     max_records=max_records)
    return Submission(results=data, items=items, base_items=base_items, records=records, base_records=base_records,
                      extra_tasks=extra, filename=filename, size=size)


def parse_upload(paths: Sequence[Path], config: ArenaConfig) -> Submission:
    """Read and check an upload (one ``.zip`` of an eval output folder, or loose ``results.json`` +
    ``records.jsonl`` [+ ``base_records.jsonl``]) as data. Raises :class:`SubmissionError`."""
    try:
        upload = read_upload(paths, config)
    except ArchiveError as exc:
        raise SubmissionError(str(exc)) from exc
    return _parse_parts(upload.parts, upload.sources, max_records=config.max_records, filename=upload.filename,
                        size=upload.size)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def content_hash(sub: Submission) -> str:
    """sha256 of what a submission says, not of how it was packed: the canonical JSON of results.json and of
    each record (records in key order). The same evaluation zipped again, or uploaded loose, is a duplicate."""
    h = hashlib.sha256()
    parts: list[tuple[str, Iterable[bytes]]] = [("results", [_canonical(sub.results)]),
                                                ("records", sorted(_canonical(r.to_dict()) for r in sub.records))]
    if sub.base_records is not None:
        parts.append(("base_records", sorted(_canonical(r.to_dict()) for r in sub.base_records)))
    for label, chunks in parts:
        h.update(f"\n[{label}]\n".encode())
        for chunk in chunks:
            h.update(b"%d:" % len(chunk) + chunk)
    return h.hexdigest()


def read_results_dir(path: Path) -> Submission:
    """A ``playschool eval`` output folder on disk as a :class:`Submission` (the worker's own output: checked
    as data like an upload, without the upload size limits)."""
    root = Path(path)
    parts: dict[str, bytes] = {}
    sources: dict[str, str] = {}
    for part in (RESULTS, RECORDS, BASE_RECORDS):
        p = root / part
        if p.is_file():
            parts[part] = p.read_bytes()
            sources[part] = str(p)
    return _parse_parts(parts, sources, max_records=None, filename=str(root),
                        size=sum(len(b) for b in parts.values()))


