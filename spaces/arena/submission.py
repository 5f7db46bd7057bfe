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
import logging
import math
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playschool.benchmark import CLU2_VERSION, ItemResult, build_results, registry_fingerprint, scorecard
from playschool.benchmark.interactional import SPLIT, items_from_records, missing_items, plan
from playschool.benchmark.registry import (
    COLLABORATION,
    DIMENSION_LABELS,
    TASKS,
    UNDERSTANDING,
    RegistryMismatchError,
    Task,
    check_registry,
)
from playschool.benchmark.results import SCHEMA
from playschool.games import LEARNER, TEACHER, EpisodeRecord, UnknownGameError, load_game

from .archive import BASE_RECORDS, RECORDS, RESULTS, ArchiveError, read_upload
from .config import ArenaConfig
from .entry import Entry, Interval

if TYPE_CHECKING:
    from .db import ArenaDB

log = logging.getLogger(__name__)

#: Deepest nesting of arrays/objects accepted in a JSON document (an eval output nests about 6 deep).
MAX_DEPTH = 64
#: Most digits of an integer in a submitted JSON document (seeds have 10; Python refuses to convert past 4300).
MAX_INT_DIGITS = 40
#: Longest model name shown on the leaderboard.
MAX_MODEL_NAME = 100
_REGISTRY: dict[str, Task] = {t.id: t for t in TASKS}
_REFERENCE = frozenset(t.id for t in TASKS if t.plane == "reference")
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
_TOLERANCE = 1e-6


class SubmissionError(ValueError):
    """An upload the arena refuses; the message is for the visitor and names the file and line where it
    applies."""


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


# ------------------------------------------------------------------------------------------- strict JSON
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of the range of a number")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer has {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS} are accepted)")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:  # parsers disagree on which of two equal keys wins: refuse rather than guess
            raise ValueError(f"key {key[:60]!r} appears twice in one object")
        out[key] = value
    return out


def _check_depth(value: Any, where: str) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SubmissionError(f"{where} nests arrays/objects more than {MAX_DEPTH} deep")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _binary_problem(data: bytes) -> str | None:
    if data.startswith(_PICKLE_MAGIC):
        return "is a Python pickle, not JSON (the arena never unpickles anything)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "is UTF-16 text; save it as UTF-8"
    if data.startswith((b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
        return "is an archive, not JSON text"
    if b"\x00" in data:
        return "is binary, not JSON text"
    return None


def loads_strict(data: bytes, where: str) -> Any:
    """Parse one JSON document from ``data`` as data only: strict UTF-8, finite numbers only, no duplicate keys,
    at most :data:`MAX_DEPTH` deep. Raises :class:`SubmissionError` naming ``where``."""
    problem = _binary_problem(data)
    if problem:
        raise SubmissionError(f"{where} {problem}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{where} is not UTF-8 text (bad byte at offset {exc.start})") from exc
    if not text.strip():
        raise SubmissionError(f"{where} is empty")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_bounded_int, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                              "was the file cut short?") from exc
    except RecursionError as exc:
        raise SubmissionError(f"{where} nests arrays/objects more than {MAX_DEPTH} deep") from exc
    except ValueError as exc:  # a hook's refusal
        raise SubmissionError(f"{where} is not acceptable JSON: {str(exc)[:200]}") from exc
    _check_depth(value, where)
    return value


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
    missing = [k for k in ("schema", "clu2_version", "registry_fingerprint", "manifest", "items", "scorecard")
               if k not in data]
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
    problem = _binary_problem(data)
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


# ---------------------------------------------------------------------------------------------- re-scoring
@dataclass(frozen=True)
class Rescored:
    """The arena's verdict on a submission: the :class:`Entry` (every number recomputed) and how the upload's
    claims compare. ``tampered``: some claim contradicts the evidence (a record that its replay refutes, an
    item that differs from the replay's, a scorecard that does not follow from its own items).
    ``differences``: readable lines ("collaborative language use: your file claimed 90.0, replay gives 12.5"),
    also where a claim differs for an honest reason (the evaluation played another plan)."""

    entry: Entry
    tampered: bool
    differences: tuple[str, ...]
    claimed: dict[str, float | None]
    problems: tuple[str, ...] = ()

    @property
    def rescored(self) -> bool:
        """Whether the numbers shown differ from the ones the upload claimed."""
        return self.tampered or bool(self.differences)


@lru_cache(maxsize=4)
def _plan(games: tuple[str, ...] | None, n: int | None, seed: int) -> tuple[Any, ...]:
    """The arena's planned episodes (generating instances takes a moment; every submission reuses them)."""
    return tuple(plan(games, n=n, seed=seed))


def _check_instances(records: Sequence[EpisodeRecord], planned: Sequence[Any], what: str) -> None:
    """Refuse records of planned episodes played on other instances (another ``--instance-seed``): replay
    would score them 0 as disagreeing with the plan, but they are a settings mismatch, not a false claim."""
    seeds = {t.key: t.instance.seed for t in planned}
    for n, rec in enumerate(records):
        if rec.key in seeds and rec.seed != seeds[rec.key]:
            raise SubmissionError(f"{what}, record {n + 1} ({rec.key[:120]}): the episode was played on another "
                                  "instance than the arena's test instance; evaluate with the arena's "
                                  "instances (playschool eval's default --instance-seed)")


def _interactional(records: Sequence[EpisodeRecord], planned: Sequence[Any]) -> list[ItemResult]:
    instances = {t.key: t.instance for t in planned}
    mine = [r for r in records if r.key in instances]
    return items_from_records(mine, plan=instances) + missing_items(planned, [r.key for r in mine])


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value) else None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _claims(results: Mapping[str, Any]) -> dict[str, float | None]:
    card, imp = results.get("scorecard"), results.get("improvement")
    return {"understanding": _num(_get(card, "dimensions", UNDERSTANDING, "score")),
            "collab": _num(_get(card, "dimensions", COLLABORATION, "score")),
            "overall": _num(_get(card, "overall", "score")),
            "delta_collab": _num(_get(imp, "dimensions", COLLABORATION, "delta"))}


_LABELS = {"understanding": DIMENSION_LABELS[UNDERSTANDING], "collab": DIMENSION_LABELS[COLLABORATION],
           "overall": "CLU2 overall", "delta_collab": "improvement in collaborative language use"}


def _fmt(x: float | None) -> str:
    return "none" if x is None else f"{x:.1f}"


def _item_disagreements(sub: Submission, items: Sequence[ItemResult], planned_keys: set[str]) -> list[str]:
    """Interactional items of results.json, for episodes of the plan, that the replay does not confirm."""
    recomputed = {i.key: i for i in items}
    recorded = {r.key for r in sub.records}
    out: list[str] = []
    for claimed in sub.items:
        if claimed.task in _REFERENCE:
            continue
        episode = str(claimed.details.get("episode") or claimed.item_id)
        if episode not in planned_keys:
            if episode not in recorded and not claimed.details.get("missing"):
                out.append(f"{claimed.task} {claimed.item_id[:80]}: claimed without an episode record")
            continue
        mine = recomputed.get(claimed.key)
        if mine is None:
            out.append(f"{claimed.task} {claimed.item_id[:80]}: claimed {claimed.score:g}, the replay has no such item")
        elif abs(mine.score - claimed.score) > _TOLERANCE or mine.valid != claimed.valid:
            out.append(f"{claimed.task} {claimed.item_id[:80]}: claimed {claimed.score:g}, replay gives {mine.score:g}")
    return out


def _scorecard_inconsistent(sub: Submission, claimed: Mapping[str, float | None]) -> str | None:
    """Whether the submitted scorecard's headline numbers follow from the submitted items (a scorecard edited
    by hand does not). Point scores do not depend on the bootstrap, so one replicate is enough."""
    try:
        own = scorecard(list(sub.items), seed=0, n_boot=1, tasks=sub.extra_tasks)
    except Exception:  # items that cannot be aggregated were already refused; anything else: no verdict
        return None
    mine = {"understanding": _num(_get(own, "dimensions", UNDERSTANDING, "score")),
            "collab": _num(_get(own, "dimensions", COLLABORATION, "score")),
            "overall": _num(_get(own, "overall", "score"))}
    for key, value in mine.items():
        if not _close(value, claimed.get(key)):
            return (f"the scorecard in results.json does not follow from its own items ({_LABELS[key]}: it says "
                    f"{_fmt(claimed.get(key))}, its items give {_fmt(value)})")
    return None


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= _TOLERANCE)


def rescore(sub: Submission, config: ArenaConfig, *, model: str, reference_verified: bool,
            source: str) -> Rescored:
    """Re-score a submission on the arena's plan (see the module docstring) into an :class:`Entry`, and compare
    with what it claimed."""
    planned = _plan(config.games, config.n, config.instance_seed)
    planned_keys = {t.key for t in planned}
    _check_instances(sub.records, planned, "records.jsonl")
    if sub.base_records is not None:
        _check_instances(sub.base_records, planned, "base_records.jsonl")
    reference = [i for i in sub.items if i.task in _REFERENCE]
    items = _interactional(sub.records, planned)
    base_items = base_info = None
    base_name: str | None = None
    if sub.base_records is not None:
        base_name = _get(sub.results, "base", "learner")
        base_name = base_name[:200] if isinstance(base_name, str) and base_name else "base"
        base_items = _interactional(sub.base_records, planned)
        base_items += [i for i in (sub.base_items or ()) if i.task in _REFERENCE]
        base_info = {"learner": base_name}
    manifest = {"arena": {"games": list(config.games) if config.games else None, "n": config.n,
                          "instance_seed": config.instance_seed}, "submitted": sub.results.get("manifest", {})}
    results = build_results([*reference, *items], manifest, seed=config.seed, n_boot=config.n_boot,
                            base_items=base_items, base_info=base_info)
    card, imp = results.scorecard, results.improvement
    mains = [i for i in items if i.task.startswith("game/")]
    entry = Entry(
        model=model, clu2_version=CLU2_VERSION, registry_fingerprint=registry_fingerprint(),
        understanding=Interval.of(card["dimensions"][UNDERSTANDING]),
        collab=Interval.of(card["dimensions"][COLLABORATION]), overall=Interval.of(card["overall"]),
        delta_collab=Interval.of(imp["dimensions"][COLLABORATION]) if imp else None, base_model=base_name,
        games={tid: t["normalised"] for tid, t in card["tasks"].items() if tid.startswith("game/")},
        reference_verified=reference_verified, n_episodes=len(planned),
        invalid_records=sum(1 for i in mains if i.details.get("invalid_record")),
        missing_episodes=sum(1 for i in mains if i.details.get("missing")), source=source,
        content_hash=sub.digest)
    claimed = _claims(sub.results)
    problems = _item_disagreements(sub, items, planned_keys)
    # An invalid record is a false claim unless the evaluation's own item already said so (its replay failed
    # there too: a fault to report, not a tampered file).
    owned = {i.key for i in sub.items if i.details.get("invalid_record")}
    invalid = [f"{i.item_id[:120]}: {'; '.join(map(str, i.details['invalid_record']))[:300]}"
               for i in mains if i.details.get("invalid_record") and i.key not in owned]
    inconsistent = _scorecard_inconsistent(sub, claimed)
    evidence = [*(f"record {x} disagrees with its replay" for x in invalid[:5]), *problems[:5],
                *([inconsistent] if inconsistent else [])]
    recomputed = {"understanding": entry.understanding.score, "collab": entry.collab.score,
                  "overall": entry.overall.score,
                  "delta_collab": entry.delta_collab.score if entry.delta_collab else None}
    differences = tuple(f"{_LABELS[k]}: your file claimed {_fmt(claimed[k])}, the arena's re-scoring gives "
                        f"{_fmt(recomputed[k])}" for k in recomputed
                        if claimed[k] is not None and not _close(claimed[k], recomputed[k]))
    return Rescored(entry=entry, tampered=bool(invalid or problems or inconsistent), differences=differences,
                    claimed=claimed, problems=tuple(evidence))


def verify(sub: Submission, config: ArenaConfig, *, model: str, reference_verified: bool, source: str) -> Entry:
    """The leaderboard entry of a submission, every number recomputed (see :func:`rescore`)."""
    return rescore(sub, config, model=model, reference_verified=reference_verified, source=source).entry


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


def verify_results_dir(path: Path, config: ArenaConfig, *, reference_verified: bool, model: str | None = None,
                       source: str = "worker") -> Entry:
    """The entry of an eval output folder (the worker's): ``model`` defaults to the manifest's learner."""
    sub = read_results_dir(path)
    return verify(sub, config, model=model or sub.learner or str(path), reference_verified=reference_verified,
                  source=source)


# ------------------------------------------------------------------------------------------------- upload
@dataclass(frozen=True)
class UploadOutcome:
    """What happened to an upload. ``rescored``: the entry's numbers differ from the upload's claims (shown
    with ``differences``); ``tampered``: some claim was contradicted by the replay."""

    accepted: bool
    message: str
    entry_id: int | None = None
    submission_id: int | None = None
    rescored: bool = False
    tampered: bool = False
    differences: tuple[str, ...] = ()


def _model_name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= MAX_MODEL_NAME or not name.isprintable():
        return f"the model name must be 1 to {MAX_MODEL_NAME} printable characters"
    return None


def _accepted_message(res: Rescored, sub: Submission) -> str:
    e = res.entry
    lines = [f"Re-scored by replaying {len(sub.records)} episode record(s) on the arena's {e.n_episodes} planned "
             f"episodes: collaborative language use {_fmt(e.collab.score)}, understanding & reasoning "
             f"{_fmt(e.understanding.score)} (self-reported), overall {_fmt(e.overall.score)}."]
    if e.delta_collab is not None:
        lines.append(f"Improvement in collaborative language use over {e.base_model}: {_fmt(e.delta_collab.score)}.")
    if e.missing_episodes or e.invalid_records:
        lines.append(f"{e.missing_episodes} planned episode(s) had no record and {e.invalid_records} record(s) "
                     "disagreed with their replay; they count as failures.")
    if res.differences:
        lines.append("Re-scored: " + "; ".join(res.differences) + ".")
    if res.tampered:
        lines.append("Claims the replay contradicts: " + "; ".join(res.problems[:5]) + ".")
    return " ".join(lines)


def handle_upload(db: ArenaDB, config: ArenaConfig, paths: Sequence[Path], *, visitor: str,
                  model_name: str) -> UploadOutcome:
    """Check, re-score and (when valid) store an upload; every attempt leaves one audit row, and a rejection
    leaves nothing else. Never raises for bad input or a failure while scoring: those are rejections."""
    from .db import DuplicateSubmissionError

    detail = ""
    try:
        outcome, detail, sub_id = _handle(db, config, paths, visitor, model_name.strip() if model_name else "",
                                          DuplicateSubmissionError)
    except Exception as exc:  # a fault of ours while scoring: the visitor gets a plain message, the audit the detail
        log.exception("submission from %s failed", visitor)
        detail = f"internal error: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"[:4000]
        outcome = UploadOutcome(False, "Your upload could not be scored because of an error on the arena's side; "
                                       "nothing was stored. Please try again later or report it.")
        sub_id = None
    db.audit(visitor=visitor, action="submit", outcome="accepted" if outcome.accepted else "rejected",
             detail=detail or outcome.message[:2000], submission_id=sub_id)
    return outcome


def _handle(db: ArenaDB, config: ArenaConfig, paths: Sequence[Path], visitor: str, model_name: str,
            duplicate_error: type[Exception]) -> tuple[UploadOutcome, str, int | None]:
    def reject(message: str) -> tuple[UploadOutcome, str, int | None]:
        return UploadOutcome(False, message), f"rejected: {message}"[:2000], None

    if not db.allow(visitor, "submit", config.submissions_per_hour):
        return reject(f"Too many submissions: at most {config.submissions_per_hour} per hour per visitor. Try "
                      "again later.")
    problem = _model_name_problem(model_name)
    if problem:
        return reject(problem[0].upper() + problem[1:] + ".")
    try:
        sub = parse_upload(paths, config)
    except SubmissionError as exc:
        return reject(str(exc))
    digest = sub.digest
    if db.is_duplicate(digest):
        return reject("This evaluation was already submitted (same results and records).")
    try:
        res = rescore(sub, config, model=model_name, reference_verified=False, source="upload")
    except SubmissionError as exc:
        return reject(str(exc))
    try:
        sub_id, entry_id = db.record_accepted(content_hash=digest, visitor=visitor, filename=sub.filename[:300],
                                              size=sub.size, entry=res.entry)
    except duplicate_error:  # the same content arrived twice at once; the other copy was stored
        return reject("This evaluation was already submitted (same results and records).")
    outcome = UploadOutcome(True, _accepted_message(res, sub), entry_id=entry_id, submission_id=sub_id,
                            rescored=res.rescored, tampered=res.tampered, differences=res.differences)
    detail = f"accepted entry {entry_id}; tampered={res.tampered}; " + " | ".join(res.problems)
    return outcome, detail[:4000], sub_id


__all__ = ["MAX_DEPTH", "Rescored", "Submission", "SubmissionError", "UploadOutcome", "content_hash",
           "handle_upload", "loads_strict", "parse_records", "parse_upload", "read_results_dir", "rescore",
           "verify", "verify_results_dir"]
