"""``results.json``: one evaluation's per-item results, scorecard and run manifest; sharding and shard merging.

Schema (``schema`` 1), one JSON object::

    schema                 1
    clu2_version           CLU2 version of the registry the items were scored with
    registry_fingerprint   sha256 of that registry's task list (see registry.py)
    shard                  [index, count] for one shard of a run, null for a whole run
    manifest               the run manifest (playschool.manifest.build_manifest): settings, versions, hardware
    extra_tasks            definitions of tasks not in the registry (held-out game packs), by id
    items                  every ItemResult (task, item_id, score, valid, details), sorted by (task, item_id)
    scorecard              aggregate.scorecard(items) with the manifest's bootstrap seed and n_boot
    base                   null, or {"learner", "manifest", "items", "scorecard"} of the base model
    improvement            null, or aggregate.improvement(items, base items)

Reading checks everything and names the file in every error: JSON syntax, schema, CLU2 version and registry
fingerprint against the installed ones, unknown task ids, duplicated items.

Sharding: ``--shard I/N`` (``0 <= I < N``) keeps the items whose stable hash falls in shard I: an episode's
key for interactional items (all items of one episode stay together), ``task|item_id`` for reference items.
:func:`merge_results` combines the N shards into exactly the result an unsharded run writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.fileio import write_atomic

from .aggregate import Accumulator, DuplicateItemError, improvement, scorecard
from .items import ItemResult
from .registry import (
    CLU2_VERSION,
    RegistryMismatchError,
    Task,
    check_registry,
    get_task,
    registry_fingerprint,
)

RESULTS_FILE = "results.json"
#: The top-level keys every results.json has (read_results and the arena's upload checker both require them).
REQUIRED_KEYS = ("schema", "clu2_version", "registry_fingerprint", "manifest", "items", "scorecard")
SCHEMA = 1
#: Manifest keys that describe where/when a run happened, not what it computed (ignored when merging).
_ENVIRONMENT_KEYS = frozenset({"manifest_id", "git_sha", "hardware", "created", "command", "merged_from", "shard"})

Shard = tuple[int, int]


class ResultsError(ValueError):
    """A results file that cannot be read or merged; the message names the file and the problem."""


# ----------------------------------------------------------------------------------------------- shards
def parse_shard(text: str) -> Shard:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``."""
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = -1
    if not sep or n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard takes I/N with 0 <= I < N (e.g. 0/4 ... 3/4), got {text!r}")
    return i, n


def shard_of(key: str, count: int) -> int:
    """The shard (0..count-1) a key belongs to: a stable hash, the same on every machine and Python."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % count


def in_shard(key: str, shard: Shard | None) -> bool:
    return shard is None or shard_of(key, shard[1]) == shard[0]


def item_shard_key(item: ItemResult) -> str:
    """What decides an item's shard: its episode for interactional items, else the task and item id."""
    episode = item.details.get("episode")
    return str(episode) if episode else f"{item.task}|{item.item_id}"


def shard_items(items: Iterable[ItemResult], shard: Shard | None) -> list[ItemResult]:
    return [i for i in items if in_shard(item_shard_key(i), shard)]


# ---------------------------------------------------------------------------------------------- results
@dataclass
class Results:
    """An evaluation's results; :func:`build_results` makes one, :func:`write_results`/:func:`read_results`
    store and load it."""

    manifest: dict[str, Any]
    items: list[ItemResult]
    scorecard: dict[str, Any]
    shard: Shard | None = None
    extra_tasks: dict[str, Task] = field(default_factory=dict)
    base: dict[str, Any] | None = None
    improvement: dict[str, Any] | None = None
    clu2_version: str = CLU2_VERSION
    registry_fingerprint: str = field(default_factory=registry_fingerprint)

    @property
    def base_items(self) -> list[ItemResult]:
        return [ItemResult.from_dict(d) for d in (self.base or {}).get("items", [])]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "clu2_version": self.clu2_version, "registry_fingerprint": self.registry_fingerprint,
            "shard": list(self.shard) if self.shard else None, "manifest": self.manifest,
            "extra_tasks": {k: t.to_dict() for k, t in sorted(self.extra_tasks.items())},
            "items": [i.to_dict() for i in self.items], "scorecard": self.scorecard,
            "base": self.base, "improvement": self.improvement,
        }


def _extra_tasks(items: Iterable[ItemResult], known: Mapping[str, Task] | None = None) -> dict[str, Task]:
    """Definitions of the non-registry tasks the items use (game packs), to store with the result."""
    from .registry import TASKS

    registry = {t.id for t in TASKS}
    out: dict[str, Task] = {}
    for tid in sorted({i.task for i in items} - registry):
        out[tid] = get_task(tid, known)
    return out


def build_results(items: Iterable[ItemResult], manifest: dict[str, Any], *, shard: Shard | None = None,
                  seed: int = 0, n_boot: int = 1000, base_items: Iterable[ItemResult] | None = None,
                  base_info: Mapping[str, Any] | None = None,
                  extra_tasks: Mapping[str, Task] | None = None) -> Results:
    """Score ``items`` (and the improvement over ``base_items`` when given) into a :class:`Results`."""
    items = sorted(items, key=lambda i: i.key)
    base_list = sorted(base_items, key=lambda i: i.key) if base_items is not None else None
    extra = _extra_tasks([*items, *(base_list or [])], extra_tasks)
    card = scorecard(items, seed=seed, n_boot=n_boot, tasks=extra)
    base = imp = None
    if base_list is not None:
        base = {**dict(base_info or {}), "items": [i.to_dict() for i in base_list],
                "scorecard": scorecard(base_list, seed=seed, n_boot=n_boot, tasks=extra)}
        imp = improvement(items, base_list, seed=seed, n_boot=n_boot, tasks=extra)
    return Results(manifest=manifest, items=items, scorecard=card, shard=shard, extra_tasks=extra, base=base,
                   improvement=imp)


def write_results(results: Results, out_dir: str | Path) -> Path:
    """Write ``<out_dir>/results.json`` atomically; returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RESULTS_FILE
    return write_atomic(path, json.dumps(results.to_dict(), indent=1, sort_keys=True, default=str) + "\n")


def _items(raw: Any, where: str) -> list[ItemResult]:
    if not isinstance(raw, list):
        raise ResultsError(f"{where}: 'items' must be a list")
    out = []
    for n, d in enumerate(raw):
        try:
            out.append(ItemResult.from_dict(d))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ResultsError(f"{where}: item {n} is malformed ({exc!r})") from exc
    return out


def read_results(path: str | Path) -> Results:
    """Read and check a ``results.json`` (or the one in a folder). Raises :class:`ResultsError` naming the file
    for malformed content, unknown task ids and duplicated items, and for results of another CLU2 version or
    registry."""
    p = Path(path)
    if p.is_dir():
        p = p / RESULTS_FILE
    if not p.is_file():
        raise ResultsError(f"no CLU2 results at {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{p} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{p}: a results file holds one JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise ResultsError(f"{p} is not a CLU2 results file: it lacks {missing}")
    if data["schema"] != SCHEMA:
        raise ResultsError(f"{p}: results schema {data['schema']!r} is not supported (expected {SCHEMA})")
    try:
        check_registry(str(data["clu2_version"]), str(data["registry_fingerprint"]), what=str(p))
    except RegistryMismatchError as exc:
        raise ResultsError(str(exc)) from exc
    try:
        extra = {k: Task.from_dict(v) for k, v in dict(data.get("extra_tasks") or {}).items()}
        shard = tuple(data["shard"]) if data.get("shard") is not None else None
        if shard is not None and (len(shard) != 2 or not 0 <= int(shard[0]) < int(shard[1])):
            raise ValueError(f"bad shard {data['shard']!r}")
    except (ValueError, TypeError) as exc:
        raise ResultsError(f"{p}: {exc}") from exc
    items = _items(data["items"], str(p))
    base = data.get("base")
    if base is not None:
        if not isinstance(base, dict):
            raise ResultsError(f"{p}: 'base' must be an object")
        _items(base.get("items", []), f"{p} (base)")
    try:  # unknown task ids and duplicates, as when the file was written
        Accumulator(extra).extend(items).check_duplicates(items)
    except (KeyError, ValueError) as exc:
        raise ResultsError(f"{p}: {exc}") from exc
    return Results(manifest=dict(data["manifest"]), items=items, scorecard=dict(data["scorecard"]),
                   shard=(int(shard[0]), int(shard[1])) if shard else None, extra_tasks=extra, base=base,
                   improvement=data.get("improvement"), clu2_version=str(data["clu2_version"]),
                   registry_fingerprint=str(data["registry_fingerprint"]))


# ------------------------------------------------------------------------------------------------ merge
def run_config(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The settings part of a manifest: what must agree between shards of one run."""
    return {k: v for k, v in manifest.items() if k not in _ENVIRONMENT_KEYS}


def merge_results(parts: Sequence[Results | str | Path], *, allow_partial: bool = False) -> Results:
    """Combine the shards of one run into the result the unsharded run gives.

    Errors (:class:`ResultsError`, naming the files): fewer than one part, a part that is not a shard, shards
    of different counts or settings, a shard given twice or missing (unless ``allow_partial``), an item in two
    shards, other bootstrap settings.
    """
    loaded = [(str(p), read_results(p)) if not isinstance(p, Results) else (f"part {n}", p)
              for n, p in enumerate(parts)]
    if not loaded:
        raise ResultsError("nothing to merge")
    for name, r in loaded:
        if r.shard is None:
            raise ResultsError(f"{name} is a whole run, not a shard; only shards of one run can be merged")
    counts = {r.shard[1] for _, r in loaded if r.shard}
    if len(counts) != 1:
        raise ResultsError(f"the parts are shards of different splits: {sorted(f'{n}: {r.shard}' for n, r in loaded)}")
    count = counts.pop()
    seen: dict[int, str] = {}
    for name, r in loaded:
        assert r.shard is not None
        if r.shard[0] in seen:
            raise ResultsError(f"shard {r.shard[0]}/{count} is given twice: {seen[r.shard[0]]} and {name}")
        seen[r.shard[0]] = name
    absent = sorted(set(range(count)) - set(seen))
    if absent and not allow_partial:
        raise ResultsError(f"shard(s) {', '.join(f'{i}/{count}' for i in absent)} missing; merge all {count} shards")
    first_name, first = loaded[0]
    config = run_config(first.manifest)
    for name, r in loaded[1:]:
        other = run_config(r.manifest)
        if other != config:
            diff = sorted(k for k in set(config) | set(other) if config.get(k) != other.get(k))
            raise ResultsError(f"{name} and {first_name} are shards of different runs (settings differ in: "
                               f"{', '.join(diff)})")
    owner: dict[tuple[str, str], str] = {}
    items: list[ItemResult] = []
    for name, r in loaded:
        for item in r.items:
            if item.key in owner:
                raise ResultsError(f"item {item.item_id!r} of task {item.task} is in both {owner[item.key]} and "
                                   f"{name}")
            owner[item.key] = name
            items.append(item)
    base_items = _merge_base(loaded)
    extra: dict[str, Task] = {}
    for _, r in loaded:
        extra.update(r.extra_tasks)
    card = first.scorecard
    from playschool.manifest import build_manifest

    manifest = build_manifest({**config, "shard": None})
    manifest["merged_from"] = [r.manifest.get("manifest_id") for _, r in sorted(loaded, key=lambda x: x[1].shard or
                                                                                 (0, 0))]
    base_info = {k: v for k, v in (first.base or {}).items() if k not in ("items", "scorecard")}
    try:
        return build_results(items, manifest, seed=int(card.get("seed", 0)), n_boot=int(card.get("n_boot", 1000)),
                             base_items=base_items, base_info=base_info, extra_tasks=extra)
    except DuplicateItemError as exc:
        raise ResultsError(str(exc)) from exc


def _merge_base(loaded: Sequence[tuple[str, Results]]) -> list[ItemResult] | None:
    with_base = [(n, r) for n, r in loaded if r.base is not None]
    if not with_base:
        return None
    if len(with_base) != len(loaded):
        raise ResultsError("some shards were compared with a base model and others not: "
                           + ", ".join(n for n, r in loaded if r.base is None))
    out: dict[tuple[str, str], ItemResult] = {}
    for name, r in with_base:
        for item in r.base_items:
            if item.key in out:
                raise ResultsError(f"base item {item.item_id!r} of task {item.task} is in two shards (again in "
                                   f"{name})")
            out[item.key] = item
    return list(out.values())

