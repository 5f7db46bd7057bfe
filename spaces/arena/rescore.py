"""Re-scoring a submission: every number of a leaderboard entry computed by the arena (see submission.py for
what an upload is). The interactional plane is replayed; the submitted scorecard is read only to say where
the claim and the re-scoring differ."""


from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from playschool.benchmark import CLU2_VERSION, ItemResult, build_results, registry_fingerprint, scorecard
from playschool.benchmark.interactional import items_from_records, missing_items, plan
from playschool.benchmark.registry import (
    COLLABORATION,
    DIMENSION_LABELS,
    UNDERSTANDING,
)
from playschool.games import EpisodeRecord

from .config import ArenaConfig
from .entry import Entry, Interval
from .strict_json import SubmissionError
from .submission import REFERENCE_TASKS, TOLERANCE, Submission, read_results_dir


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


def fmt_score(x: float | None) -> str:
    return "none" if x is None else f"{x:.1f}"


def _item_disagreements(sub: Submission, items: Sequence[ItemResult], planned_keys: set[str]) -> list[str]:
    """Interactional items of results.json, for episodes of the plan, that the replay does not confirm."""
    recomputed = {i.key: i for i in items}
    recorded = {r.key for r in sub.records}
    out: list[str] = []
    for claimed in sub.items:
        if claimed.task in REFERENCE_TASKS:
            continue
        episode = str(claimed.details.get("episode") or claimed.item_id)
        if episode not in planned_keys:
            if episode not in recorded and not claimed.details.get("missing"):
                out.append(f"{claimed.task} {claimed.item_id[:80]}: claimed without an episode record")
            continue
        mine = recomputed.get(claimed.key)
        if mine is None:
            out.append(f"{claimed.task} {claimed.item_id[:80]}: claimed {claimed.score:g}, the replay has no such item")
        elif abs(mine.score - claimed.score) > TOLERANCE or mine.valid != claimed.valid:
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
                    f"{fmt_score(claimed.get(key))}, its items give {fmt_score(value)})")
    return None


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= TOLERANCE)


def rescore(sub: Submission, config: ArenaConfig, *, model: str, reference_verified: bool,
            source: str) -> Rescored:
    """Re-score a submission on the arena's plan (see the module docstring) into an :class:`Entry`, and compare
    with what it claimed."""
    planned = _plan(config.games, config.n, config.instance_seed)
    planned_keys = {t.key for t in planned}
    _check_instances(sub.records, planned, "records.jsonl")
    if sub.base_records is not None:
        _check_instances(sub.base_records, planned, "base_records.jsonl")
    reference = [i for i in sub.items if i.task in REFERENCE_TASKS]
    items = _interactional(sub.records, planned)
    base_items = base_info = None
    base_name: str | None = None
    if sub.base_records is not None:
        base_name = _get(sub.results, "base", "learner")
        base_name = base_name[:200] if isinstance(base_name, str) and base_name else "base"
        base_items = _interactional(sub.base_records, planned)
        base_items += [i for i in (sub.base_items or ()) if i.task in REFERENCE_TASKS]
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
        content_hash=sub.digest, plan=config.plan_id())
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
    differences = tuple(f"{_LABELS[k]}: your file claimed {fmt_score(claimed[k])}, the arena's re-scoring gives "
                        f"{fmt_score(recomputed[k])}" for k in recomputed
                        if claimed[k] is not None and not _close(claimed[k], recomputed[k]))
    return Rescored(entry=entry, tampered=bool(invalid or problems or inconsistent), differences=differences,
                    claimed=claimed, problems=tuple(evidence))


def verify(sub: Submission, config: ArenaConfig, *, model: str, reference_verified: bool, source: str) -> Entry:
    """The leaderboard entry of a submission, every number recomputed (see :func:`rescore`)."""
    return rescore(sub, config, model=model, reference_verified=reference_verified, source=source).entry


def verify_results_dir(path: Path, config: ArenaConfig, *, reference_verified: bool, model: str | None = None,
                       source: str = "worker") -> Entry:
    """The entry of an eval output folder (the worker's): ``model`` defaults to the manifest's learner."""
    sub = read_results_dir(path)
    return verify(sub, config, model=model or sub.learner or str(path), reference_verified=reference_verified,
                  source=source)


