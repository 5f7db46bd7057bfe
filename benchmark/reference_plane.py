"""The reference-based plane of CLU2: knowledge, reasoning, pragmatics, theory of mind, social commonsense and
a generative exact-match task, scored by EleutherAI's lm-evaluation-harness (``lm-eval``) used as a library.

Layout (all shipped with the package):

* ``lm_eval_tasks/``: one lm-eval task YAML per CLU2 data config. ``dataset_path`` in them names the Hub
  dataset ``playschool/clu2``, so the folder also works with lm-eval's own CLI (``--include_path``). At run
  time this module reads each YAML, points ``dataset_path`` at the chosen data (the shipped fixtures, a local
  folder or the Hub id at a revision) and hands lm-eval the patched configs as dicts; nothing is written.
* ``data/``: hand-written fixture items in the ``playschool/clu2`` schema, one folder per config, loadable with
  ``datasets.load_dataset(str(reference_data_dir()), config)``. They are the embedded default.

Which tasks exist, and each one's data config and lm-eval task, is the registry's (``registry.py``); the
YAMLs must agree with it (checked on every run). A registry ``lm_eval_task`` may also be a tag of several of
our YAMLs, for a CLU2 task that pools configs. Every scored document becomes one :class:`ItemResult` whose
score is lm-eval's own per-sample value (``acc`` or ``exact_match``); after the run the mean of our item
scores is checked against lm-eval's aggregate for every lm-eval task, so the numbers in ``results.json`` are
lm-eval's, item for item.

The model is lm-eval's ``hf`` model (a local folder or Hub id) unless the caller names another lm-eval model
type and its arguments; :mod:`.served` does that for a model behind an OpenAI-compatible server
(``local-completions``), after checking that the server returns the prompt log-probabilities it needs.

Heavy imports (``datasets``, ``lm_eval``, ``torch``) stay inside functions: importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import random
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .items import ItemResult
from .registry import CLU2_VERSION, UnknownTaskError, get_task, tasks_for

HERE = Path(__file__).resolve().parent
TASKS_DIR = HERE / "lm_eval_tasks"
DATA_DIR = HERE / "data"
#: The Hub dataset the YAMLs name; ``data="playschool/clu2@v0.1.0"`` reads it at that revision.
HUB_DATASET = "playschool/clu2"

#: The regex filter's answer when no number could be read from a generation (lm-eval's default fallback).
INVALID = "[invalid]"
_REQUIRED_COLUMNS = ("id", "question", "choices", "answer", "answer_index")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?$")


class ReferencePlaneError(RuntimeError):
    """The reference plane cannot run or its numbers cannot be trusted; the message says why."""


class UnknownReferenceTaskError(UnknownTaskError):
    """A task id that is not a CLU2 reference task (unknown, or of the interactional plane)."""


class ReferenceDataError(ReferencePlaneError):
    """The data cannot be read, lacks a config, or breaks the CLU2 schema (missing fields, duplicated ids)."""


# ------------------------------------------------------------------------------------------ task configs
@dataclass(frozen=True)
class LmEvalTask:
    """One lm-eval task as this module uses it: read from its YAML, tied to the CLU2 task it scores."""

    name: str  # lm-eval task name (YAML ``task``)
    clu2_task: str  # the CLU2 reference task id it belongs to
    config: str  # the playschool/clu2 data config (YAML ``dataset_name``)
    output_type: str  # "multiple_choice" | "generate_until"
    metric: str  # per-sample metric that is the item score: "acc" | "exact_match"
    filter: str  # lm-eval's filter key for that metric ("none" without a filter_list)
    split: str  # YAML ``test_split``
    version: Any  # YAML ``metadata.version``; part of the run manifest
    yaml: dict[str, Any] = field(repr=False, compare=False)

    @property
    def metric_key(self) -> str:
        """The key of the aggregate in lm-eval's ``results`` (``"acc,none"``)."""
        return f"{self.metric},{self.filter}"


def reference_data_dir() -> Path:
    """The shipped fixture items: ``datasets.load_dataset(str(reference_data_dir()), config)`` loads a config."""
    return DATA_DIR


def reference_task_ids() -> tuple[str, ...]:
    """The CLU2 reference task ids, in registry order."""
    return tuple(t.id for t in tasks_for("reference"))


def _read_yaml(path: Path) -> dict[str, Any]:
    """A task YAML with its ``include:`` merged in (the including file wins), as lm-eval itself merges them.

    Our YAMLs use no ``!function`` tags, so the safe loader reads them and we do not depend on lm-eval's
    private YAML loader."""
    import yaml

    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(cfg, dict):
        raise ReferencePlaneError(f"{path}: not a YAML mapping")
    include = cfg.pop("include", None)
    if include:
        cfg = {**_read_yaml(path.parent / str(include)), **cfg}
    return cfg


@lru_cache(maxsize=1)
def task_yamls() -> dict[str, dict[str, Any]]:
    """Every shipped lm-eval task config (includes merged) by task name."""
    return {str(cfg["task"]): cfg for cfg in map(_read_yaml, sorted(TASKS_DIR.glob("*.yaml")))}


def _expand(name: str) -> list[str]:
    """An lm-eval task name, or a tag of several of our tasks (one CLU2 task may pool several configs)."""
    yamls = task_yamls()
    if name in yamls:
        return [name]
    return [t for t, cfg in yamls.items() if name in (cfg.get("tag") or [])]


def lm_eval_tasks_for(task_id: str) -> list[LmEvalTask]:
    """The lm-eval tasks that score a CLU2 reference task, checked against the registry's definition (config,
    output type, metric), so the registry and the shipped YAMLs cannot drift apart unnoticed."""
    try:
        task = get_task(task_id)
    except UnknownTaskError:
        raise UnknownReferenceTaskError(f"unknown reference task {task_id!r} (CLU2 {CLU2_VERSION}); the "
                                        f"reference tasks are {list(reference_task_ids())}") from None
    if task.plane != "reference":
        raise UnknownReferenceTaskError(f"{task_id!r} is a task of the {task.plane} plane; the reference tasks "
                                        f"are {list(reference_task_ids())}")
    source = task.source
    names = _expand(str(source.get("lm_eval_task")))
    if not names:
        raise ReferencePlaneError(f"{task_id}: no lm-eval task or tag {source.get('lm_eval_task')!r} in {TASKS_DIR}")
    out = []
    for name in names:
        cfg = task_yamls()[name]
        filters = cfg.get("filter_list") or [{"name": "none"}]
        lm = LmEvalTask(name=name, clu2_task=task_id, config=str(cfg["dataset_name"]),
                        output_type=str(cfg["output_type"]), metric=str(cfg["metric_list"][0]["metric"]),
                        filter=str(filters[0]["name"]), split=str(cfg.get("test_split", "test")),
                        version=(cfg.get("metadata") or {}).get("version"), yaml=cfg)
        wanted = (source.get("config") if len(names) == 1 else lm.config, source.get("output_type"), task.metric)
        if (lm.config, lm.output_type, lm.metric) != wanted:
            raise ReferencePlaneError(f"{task_id}: the registry says config/output/metric {wanted}, but {name}.yaml "
                                      f"has {(lm.config, lm.output_type, lm.metric)}")
        out.append(lm)
    return out


def resolve_tasks(tasks: Sequence[str] | None) -> list[str]:
    """The CLU2 reference task ids to run (default: all), unknown ids rejected with the list of known ones."""
    if tasks is None:
        return list(reference_task_ids())
    if isinstance(tasks, str):
        tasks = [tasks]
    if len(set(tasks)) != len(tasks):
        raise ReferencePlaneError(f"reference task ids given twice: {sorted({t for t in tasks if tasks.count(t) > 1})}")
    for task_id in tasks:
        lm_eval_tasks_for(task_id)  # raises for unknown and interactional ids
    return list(tasks)


# ------------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class DataSource:
    """Where the reference items come from: a local dataset folder, or a Hub dataset id at a revision."""

    path: str  # what ``datasets.load_dataset`` gets as its path
    revision: str | None = None  # Hub revision (None for a local folder)

    @property
    def local(self) -> bool:
        return self.revision is None

    @property
    def label(self) -> str:
        return self.path if self.local else f"{self.path}@{self.revision}"


def resolve_data(data: str | Path | None) -> DataSource:
    """``None``: the shipped fixtures; an existing folder: that folder (a built ``playschool/clu2`` or a mirror);
    ``"owner/name@revision"``: the Hub dataset at that revision (a revision is required: results must say
    exactly what they were computed on)."""
    if data is None:
        return DataSource(str(DATA_DIR))
    path = Path(data).expanduser()
    if path.is_dir():
        return DataSource(str(path.resolve()))
    text = str(data)
    if isinstance(data, Path) or not _HUB_ID.match(text) or text.startswith((".", "/", "~")):
        raise ReferenceDataError(f"reference data {text!r}: no such folder (and not a Hub id like "
                                 f"'{HUB_DATASET}@v0.1.0')")
    repo, _, revision = text.partition("@")
    if not revision:
        raise ReferenceDataError(f"reference data {text!r}: give the dataset revision, e.g. '{repo}@v0.1.0', so "
                                 "that the results say exactly which data they come from")
    return DataSource(repo, revision)


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"}
               for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def load_items(source: DataSource, task: LmEvalTask, cache_dir: str | None = None) -> Any:
    """Load and check one config's test split (a ``datasets.Dataset``). Raises :class:`ReferenceDataError` for a
    missing config, an unreachable dataset, missing fields, malformed rows or duplicated ids."""
    import datasets

    where = f"{source.label} (config {task.config!r}, needed by {task.clu2_task})"
    if source.local:
        try:
            names = datasets.get_dataset_config_names(source.path)
        except Exception as exc:  # an unreadable card or folder: say which
            raise ReferenceDataError(f"cannot read the configs of {source.path}: {type(exc).__name__}: {exc}") from exc
        if task.config not in names:
            raise ReferenceDataError(f"{source.path} has no config {task.config!r} (needed by {task.clu2_task}); "
                                     f"its configs are {sorted(names)}")
    kwargs: dict[str, Any] = {"revision": source.revision} if source.revision else {}
    try:
        ds = datasets.load_dataset(source.path, task.config, split=task.split, cache_dir=cache_dir, **kwargs)
    except Exception as exc:  # network, auth, missing split, unreadable files: name the data in any case
        hint = " (offline: HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set and it is not cached)" if (
            not source.local and _offline()) else ""
        raise ReferenceDataError(f"cannot load split {task.split!r} of {where}{hint}: {type(exc).__name__}: "
                                 f"{exc}") from exc
    missing = [c for c in _REQUIRED_COLUMNS if c not in ds.column_names]
    if missing:
        raise ReferenceDataError(f"{where}: fields {missing} missing (has {ds.column_names}); see the "
                                 "playschool/clu2 schema")
    if ds.num_rows == 0:
        raise ReferenceDataError(f"{where}: split {task.split!r} has no rows")
    ids = [str(i) for i in ds["id"]]
    dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dupes:
        raise ReferenceDataError(f"{where}: duplicated item ids {dupes[:10]}")
    generative = task.output_type == "generate_until"
    for row_no, (choices, answer, index) in enumerate(zip(ds["choices"], ds["answer"], ds["answer_index"])):
        bad = (not str(answer).strip()) if generative else not (0 <= int(index) < len(choices))
        if bad:
            raise ReferenceDataError(f"{where}: item {ids[row_no]!r} has no usable answer "
                                     f"(answer={answer!r}, answer_index={index}, {len(choices)} choices)")
    return ds


def data_fingerprint(source: DataSource) -> str:
    """sha256 over a local folder's files (relative path + bytes), or ``hub:<id>@<revision>``: which data it was."""
    if not source.local:
        return f"hub:{source.label}"
    root = Path(source.path)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not any(
            part.startswith(".") for part in p.relative_to(root).parts)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _cache_dir(source: DataSource, fingerprint: str, cache_dir: str | Path | None) -> str | None:
    """The ``datasets`` cache to use. A local folder gets a subfolder named by its content fingerprint: offline,
    ``datasets`` finds a cached local dataset by folder *name* and config alone, so two folders called ``data``
    (or one folder edited) would otherwise silently share one stale cache."""
    if not source.local:
        return str(cache_dir) if cache_dir is not None else None
    if cache_dir is None:
        import datasets.config

        cache_dir = datasets.config.HF_DATASETS_CACHE
    return str(Path(cache_dir) / "playschool-clu2" / fingerprint[:16])


def select_docs(keys: Sequence[str], limit: int | None, shard: tuple[int, int] | None) -> list[int]:
    """The indices of the documents to score: the first ``limit`` (lm-eval's meaning of limit), then, for shard
    ``(index, count)`` of ``playschool eval --shard I/N``, those whose shard key (``"<task>|<item id>"``)
    ``results.shard_of`` puts in that shard: the same rule as for every other CLU2 item, so the shards of a
    run partition its items and merge back into the unsharded result."""
    if limit is not None and limit < 1:
        raise ReferencePlaneError(f"limit must be a positive number of items per lm-eval task, not {limit}")
    indices = list(range(len(keys) if limit is None else min(len(keys), limit)))
    if shard is None:
        return indices
    from .results import shard_of

    index, count = shard
    if not 0 <= index < count:
        raise ReferencePlaneError(f"shard {shard}: need 0 <= index < count")
    return [i for i in indices if shard_of(keys[i], count) == index]


# -------------------------------------------------------------------------------------------------- run
@dataclass
class ReferenceRun:
    """What one reference-plane run produced: the items, lm-eval's own aggregates, and the run's manifest."""

    items: list[ItemResult]
    #: lm-eval task name -> {"clu2_task", "metric", "value" (lm-eval's aggregate), "n" (documents scored)}.
    lm_eval: dict[str, dict[str, Any]]
    manifest: dict[str, Any]


def _model_args(model_path: str | Path, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    # No chat template and lm-eval's own BOS handling: the reference plane scores continuations of plain
    # prompts, the way lm-eval scores base and instruction models alike. Remote code never runs.
    args: dict[str, Any] = {"pretrained": str(model_path), "trust_remote_code": False}
    args.update(extra or {})
    return args


def _item(task: LmEvalTask, sample: Mapping[str, Any]) -> ItemResult:
    """One lm-eval per-sample record as an ItemResult: lm-eval's per-sample metric is the score."""
    doc = sample["doc"]
    score = float(sample[task.metric])
    details: dict[str, Any] = {"lm_eval_task": task.name, "doc_id": int(sample["doc_id"])}
    valid = True
    if task.output_type == "multiple_choice":
        lls = [float(r[0]) for r in sample["filtered_resps"]]
        pred = max(range(len(lls)), key=lambda i: (lls[i], -i))  # argmax, first on ties (as numpy's)
        choices = list(doc["choices"])
        details.update(target=int(sample["target"]), prediction=pred,
                       predicted_choice=choices[pred] if pred < len(choices) else None,
                       loglikelihoods=[round(x, 6) for x in lls])
    else:
        extracted = str(sample["filtered_resps"][0])
        generated = sample["resps"][0][0] if sample["resps"] and sample["resps"][0] else ""
        details.update(target=str(sample["target"]), generation=str(generated), prediction=extracted)
        valid = extracted != INVALID  # no number at all: unparseable, still scored 0 like lm-eval does
    return ItemResult(task=task.clu2_task, item_id=str(doc["id"]), score=score, valid=valid, details=details)


def _lm_model_args(lm_model: str, model_path: str | Path | None,
                   model_args: Mapping[str, Any] | None) -> dict[str, Any]:
    """lm-eval's model arguments: for ``hf`` built from the model folder (:func:`_model_args`); for any other
    lm-eval model (``local-completions`` for a served model, see :mod:`.served`) exactly ``model_args``."""
    if lm_model == "hf":
        if model_path is None:
            raise ReferencePlaneError("lm-eval's hf model needs a model folder or Hub id")
        return _model_args(model_path, model_args)
    if not model_args:
        raise ReferencePlaneError(f"lm-eval model {lm_model!r} needs its model_args")
    return dict(model_args)


def evaluate_reference(model_path: str | Path | None, *, tasks: Sequence[str] | None = None,
                       data: str | Path | None = None, limit: int | None = None, batch_size: int = 8,
                       device: str = "cpu", shard: tuple[int, int] | None = None,
                       model_args: Mapping[str, Any] | None = None,
                       cache_dir: str | Path | None = None, lm_model: str = "hf",
                       model_info: Mapping[str, Any] | None = None) -> ReferenceRun:
    """Run the reference plane through lm-eval (arguments as :func:`run_reference_plane`): the items, lm-eval's
    aggregate per lm-eval task and the run manifest. Raises :class:`ReferencePlaneError` (or a subclass) with a
    clear message; an unknown task id raises the registry's ``UnknownTaskError`` (a subclass of it).

    ``lm_model`` is the lm-eval model type: ``"hf"`` (default) loads ``model_path`` and adds ``model_args`` to
    its arguments; any other type takes ``model_args`` as its complete arguments (``model_path`` unused) and
    ``model_info`` as the manifest's ``model`` entry. Those arguments are recorded in the manifest, so they must
    hold no secret (lm-eval's API models read their key from the environment)."""
    lm_args = _lm_model_args(lm_model, model_path, model_args)
    selected = resolve_tasks(tasks)
    source = resolve_data(data)
    fingerprint = data_fingerprint(source)
    cache = _cache_dir(source, fingerprint, cache_dir)
    todo = [lm for task_id in selected for lm in lm_eval_tasks_for(task_id)]

    # Check the data before lm-eval sees it: errors then name the task and config, not lm-eval's internals.
    configs: list[dict[str, Any]] = []
    samples: dict[str, list[int]] = {}
    docs: dict[str, Any] = {}
    for task in todo:
        ds = load_items(source, task, cache)
        indices = select_docs([f"{task.clu2_task}|{i}" for i in ds["id"]], limit, shard)
        if not indices:  # a late shard of a small task: nothing of it falls here
            continue
        docs[task.name] = ds
        samples[task.name] = indices
        dataset_kwargs = dict(task.yaml.get("dataset_kwargs") or {})
        if source.revision:
            dataset_kwargs["revision"] = source.revision
        if cache:
            dataset_kwargs["cache_dir"] = cache
        configs.append({**task.yaml, "dataset_path": source.path, "dataset_kwargs": dataset_kwargs})
    manifest: dict[str, Any] = {
        "plane": "reference", "data": source.label, "data_fingerprint": fingerprint,
        "limit": limit, "shard": list(shard) if shard else None, "lm_model": lm_model, "model_args": lm_args,
        "lm_eval_tasks": {t.name: {"clu2_task": t.clu2_task, "config": t.config, "version": t.version,
                                   "n_docs": len(samples.get(t.name, []))} for t in todo},
    }
    if model_info is not None:
        manifest["model"] = dict(model_info)
    if not configs:
        return ReferenceRun(items=[], lm_eval={}, manifest=manifest)

    import lm_eval
    from lm_eval.tasks import TaskManager

    manifest["lm_eval_version"] = getattr(lm_eval, "__version__", None) or _dist_version("lm_eval")
    # Only our folder is indexed: indexing lm-eval's thousands of built-in YAMLs would cost seconds for nothing.
    manager = TaskManager(include_path=str(TASKS_DIR), include_defaults=False)
    # bootstrap_iters=0: lm-eval's standard errors are not used (aggregate.py bootstraps over our items).
    with _caller_rng_kept():
        out = lm_eval.simple_evaluate(model=lm_model, model_args=lm_args, tasks=configs,
                                      task_manager=manager, samples=samples, batch_size=batch_size,
                                      device=device, log_samples=True, bootstrap_iters=0)
    if out is None:  # only non-zero ranks of a distributed run get None; we run one process
        raise ReferencePlaneError("lm-eval returned no results")
    items, aggregates = _collect(out, [t for t in todo if t.name in samples], samples, docs)
    return ReferenceRun(items=items, lm_eval=aggregates, manifest=manifest)


@contextlib.contextmanager
def _caller_rng_kept() -> Iterator[None]:
    """lm-eval seeds Python's, numpy's and torch's global generators (for its own determinism); give the caller
    its generator states back afterwards, so that running the reference plane does not change what else draws."""
    import numpy as np
    import torch

    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _collect(out: Mapping[str, Any], tasks: Sequence[LmEvalTask], samples: Mapping[str, list[int]],
             docs: Mapping[str, Any]) -> tuple[list[ItemResult], dict[str, dict[str, Any]]]:
    """Items from lm-eval's logged samples, checked for completeness and against lm-eval's aggregates."""
    items: list[ItemResult] = []
    aggregates: dict[str, dict[str, Any]] = {}
    for task in tasks:
        logged = sorted(out["samples"].get(task.name, []), key=lambda s: int(s["doc_id"]))
        got = [int(s["doc_id"]) for s in logged]
        if got != samples[task.name]:
            raise ReferencePlaneError(f"lm-eval scored documents {got} of {task.name}, expected {samples[task.name]}")
        task_items = [_item(task, s) for s in logged]
        expected_ids = [str(docs[task.name][i]["id"]) for i in samples[task.name]]
        if [it.item_id for it in task_items] != expected_ids:
            raise ReferencePlaneError(f"{task.name}: lm-eval's documents are not the items loaded (order or ids)")
        value = out["results"].get(task.name, {}).get(task.metric_key)
        if value is None:
            raise ReferencePlaneError(f"lm-eval reported no {task.metric_key!r} for {task.name}")
        mean = sum(it.score for it in task_items) / len(task_items)
        if not math.isclose(mean, float(value), rel_tol=1e-9, abs_tol=1e-9):
            raise ReferencePlaneError(f"{task.name}: mean item score {mean} differs from lm-eval's "
                                      f"{task.metric_key} {value}")
        aggregates[task.name] = {"clu2_task": task.clu2_task, "metric": task.metric, "value": float(value),
                                 "n": len(task_items)}
        items.extend(task_items)
    dupes = sorted(k for k, n in Counter(it.key for it in items).items() if n > 1)
    if dupes:
        raise ReferenceDataError(f"item ids repeat across the configs of one CLU2 task: {dupes[:10]}")
    return items, aggregates


def run_reference_plane(model_path: str | Path | None, *, tasks: Sequence[str] | None = None,
                        data: str | Path | None = None, limit: int | None = None, batch_size: int = 8,
                        device: str = "cpu", shard: tuple[int, int] | None = None,
                        model_args: Mapping[str, Any] | None = None,
                        cache_dir: str | Path | None = None, lm_model: str = "hf",
                        model_info: Mapping[str, Any] | None = None) -> list[ItemResult]:
    """Score a Hugging Face causal LM (a local folder or Hub id loadable with ``from_pretrained``) on the CLU2
    reference tasks through lm-eval; one :class:`ItemResult` per scored item.

    ``tasks``: CLU2 reference task ids (default: all); ``data``: ``None`` for the shipped fixtures, a local
    ``playschool/clu2`` folder, or ``"playschool/clu2@<revision>"``; ``limit``: at most this many items per
    lm-eval task (the first ones); ``shard``: ``(I, N)`` keeps shard I of N (see :func:`select_docs`);
    ``model_args``: added to lm-eval's HF model arguments (``dtype``, ``max_length``, ...); ``cache_dir``: the
    ``datasets`` cache; ``lm_model``/``model_info``: another lm-eval model type than ``hf`` (see
    :func:`evaluate_reference`; a served model goes through :mod:`.served`, which checks the server first).
    :func:`evaluate_reference` does the same and also returns lm-eval's aggregates and the run manifest."""
    return evaluate_reference(model_path, tasks=tasks, data=data, limit=limit, batch_size=batch_size,
                              device=device, shard=shard, model_args=model_args, cache_dir=cache_dir,
                              lm_model=lm_model, model_info=model_info).items


__all__ = ["DATA_DIR", "HUB_DATASET", "TASKS_DIR", "DataSource", "LmEvalTask", "ReferenceDataError",
           "ReferencePlaneError", "ReferenceRun", "UnknownReferenceTaskError", "evaluate_reference",
           "lm_eval_tasks_for", "load_items", "reference_data_dir", "reference_task_ids", "resolve_data",
           "resolve_tasks", "run_reference_plane", "select_docs", "task_yamls"]
