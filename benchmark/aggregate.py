"""Aggregation: item scores -> task scores -> two dimension scores -> one CLU2 score, with bootstrap intervals.

* task raw score = mean item score; normalised = 100 x (raw - random baseline) / (ceiling - baseline), **not
  clipped**: a model worse than random shows a negative score, which is information, not noise;
* dimension score = weight-weighted mean of the normalised scores of its tasks that have items; overall = mean
  of the two dimensions (``None`` unless both were evaluated);
* 95% percentile intervals from a **cluster bootstrap**. The unit of resampling is what was drawn at random: a
  reference question, or an interactional *episode* (game, instance, learner role). An episode produces several
  items (its game task's main score and the collaborative sub-metrics it had the situation for); they are
  correlated, so a replicate resamples whole episodes and takes every item of a drawn episode with it, jointly
  across tasks, and recomputes every task, dimension and overall score from the same draw. Resampling is
  stratified as the evaluation was planned: reference questions within their task, episodes within their game
  task (game x learner role), so each task keeps its size;
* :func:`improvement`: the same, *paired*: a replicate resamples the episodes (and questions) both runs share,
  and each drawn episode brings the items of both runs, so the noise of the item draw cancels out of the
  difference. Items present in one run only are reported per task under ``coverage``, never silently dropped.

Invalid items (aborted episodes, unparseable answers) and items padded in for missing episodes count with
their (failure) score: nothing is averaged away. Items marked ``excluded`` (an episode the game itself failed,
or one a model partner could not finish: never the learner's fault) are not scored and are reported under
``coverage``. Tasks of the registry without any item are listed as not evaluated; a scorecard is ``complete``
only when every registry task was scored and no item is missing or excluded.

Resampling n clusters with replacement draws each distinct cluster *profile* (the tuple of (task, score) items
it holds) with probability count(profile)/n, so a replicate is a multinomial draw over the distinct profiles of a
stratum. Scoring keeps a count per distinct profile per stratum (questions) and one small profile per episode,
which makes the result depend only on the multiset of items, never on their order: shards merge into identical
numbers. Each stratum draws from its own generator seeded by (seed, stratum), so adding a task changes no other
stratum's draws.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .bootstrap import Clusters, digest, np_module, replicate_means
from .items import ItemResult
from .registry import (
    CLU2_VERSION,
    DIMENSIONS,
    TASKS,
    Task,
    get_task,
    registry_fingerprint,
)

#: Keys of an interactional item's ``details`` the per-game table and clemscore read (see interactional.py).
PLAYED, SUCCESS = "played", "success"
#: Key of an item's ``details`` marking it as not scored, with the reason (not the learner's fault).
EXCLUDED = "excluded"
_ROUND = 6


class DuplicateItemError(ValueError):
    """The same (task, item id) was scored twice: two shards overlap, or records hold an episode twice."""


class ItemError(ValueError):
    """An item that cannot be aggregated (not finite)."""


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), _ROUND)


def _interval(replicates: Any) -> list[float]:
    lo, hi = np_module().percentile(replicates, [2.5, 97.5])
    return [round(float(lo), _ROUND), round(float(hi), _ROUND)]


def _episode(item: ItemResult) -> str | None:
    """The cluster an item belongs to: its episode (interactional items), or ``None`` (its own cluster)."""
    episode = item.details.get("episode")
    return str(episode) if episode else None


@dataclass
class _TaskTally:
    counts: Counter[float] = field(default_factory=Counter)
    invalid: int = 0
    missing: int = 0
    # A 64-bit digest per item id (8 bytes an item) for the duplicate check, instead of the ids: scoring a stream
    # of records needs little memory. With a list of items a suspected duplicate is confirmed on the ids; on a
    # stream two distinct ids collide with probability ~n^2 / 2^65.
    seen: array[int] = field(default_factory=lambda: array("Q"))

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def raw(self) -> float:
        return math.fsum(v * c for v, c in self.counts.items()) / self.n


@dataclass
class _GameTally:
    episodes: int = 0
    played: int = 0
    success: int = 0
    # Counts per distinct main score (not running sums): exact sums in any order, memory bounded by the
    # number of distinct scores.
    main: Counter[float] = field(default_factory=Counter)
    main_played: Counter[float] = field(default_factory=Counter)

    def total(self, played_only: bool = False) -> float:
        c = self.main_played if played_only else self.main
        return math.fsum(v * k for v, k in c.items())


class Accumulator:
    """Collects items one at a time (streaming) and turns them into a scorecard.

    Checks as it goes that every task id is known (registry, ``tasks``, installed game packs) and every score
    is finite; :meth:`check_duplicates` (run by :meth:`scorecard` at the latest) that no (task, item id) came
    twice. Memory: a count per distinct score, 8 bytes per item and one small profile per episode (the cluster
    bootstrap's unit), whatever the size of the records.
    """

    def __init__(self, tasks: Mapping[str, Task] | None = None) -> None:
        self.extra = dict(tasks or {})
        self.tasks: dict[str, Task] = {}
        self.tally: dict[str, _TaskTally] = defaultdict(_TaskTally)
        self.games: dict[str, _GameTally] = defaultdict(_GameTally)
        self.clusters = Clusters()
        self.excluded: Counter[str] = Counter()
        self.excluded_examples: list[str] = []
        self._checked = False

    def add(self, item: ItemResult) -> None:
        task = self.tasks.get(item.task)
        if task is None:
            task = self.tasks[item.task] = get_task(item.task, self.extra)
        if not math.isfinite(item.score):
            raise ItemError(f"item {item.key} has a non-finite score {item.score!r}")
        tally = self.tally[item.task]
        tally.seen.append(digest(item.item_id))
        self._checked = False
        if item.details.get(EXCLUDED):
            # Not the learner's doing (the game failed, or a model partner could not go on): reported, not scored.
            self.excluded[str(item.details[EXCLUDED])] += 1
            if len(self.excluded_examples) < 5:
                self.excluded_examples.append(item.item_id)
            return
        self.clusters.add(item.task, (float(item.score),), _episode(item))
        tally.counts[float(item.score)] += 1
        tally.invalid += not item.valid
        tally.missing += bool(item.details.get("missing"))
        if task.plane == "interactional" and task.metric == "main":
            g = self.games[item.task]
            played = bool(item.details.get(PLAYED, item.valid))
            g.episodes += 1
            g.played += played
            g.success += bool(item.details.get(SUCCESS, False))
            g.main[float(item.score)] += 1
            if played:
                g.main_played[float(item.score)] += 1

    def extend(self, items: Iterable[ItemResult]) -> Accumulator:
        for item in items:
            self.add(item)
        return self

    def check_duplicates(self, items: Sequence[ItemResult] | None = None) -> None:
        """Raise :class:`DuplicateItemError` if a (task, item id) was added twice. Pass the items when they are
        a list: the error then names the ids (and a digest collision of distinct ids is told apart)."""
        np = np_module()
        suspects: dict[str, set[int]] = {}
        for tid, tally in self.tally.items():
            digests = np.sort(np.frombuffer(tally.seen, dtype=np.uint64))
            twice = digests[1:][digests[1:] == digests[:-1]]
            if twice.size:
                suspects[tid] = {int(d) for d in twice}
        if not suspects:
            self._checked = True
            return
        if items is None:
            listing = ", ".join(f"{tid} ({len(d)} id(s))" for tid, d in sorted(suspects.items()))
            raise DuplicateItemError(f"items appear twice in task(s) {listing}; every item must be scored once "
                                     "(overlapping shards, or an episode recorded twice?)")
        counts = Counter(i.key for i in items if i.task in suspects and digest(i.item_id) in suspects[i.task])
        twice_keys = sorted(k for k, c in counts.items() if c > 1)
        if twice_keys:
            shown = "; ".join(f"item {iid!r} of task {tid}" for tid, iid in twice_keys[:5])
            more = f" and {len(twice_keys) - 5} more" if len(twice_keys) > 5 else ""
            raise DuplicateItemError(f"{shown}{more} appears twice; every item must be scored once (overlapping "
                                     "shards, or an episode recorded twice?)")
        self._checked = True

    # ------------------------------------------------------------------------------------------ scoring
    def scorecard(self, *, seed: int = 0, n_boot: int = 1000) -> dict[str, Any]:
        """The scorecard of everything added so far (see the module docstring for the definitions)."""
        if n_boot < 1:
            raise ValueError("n_boot must be >= 1")
        if not self._checked:
            self.check_duplicates()
        tasks_out: dict[str, Any] = {}
        replicates: dict[str, Any] = {}
        means = replicate_means(self.clusters.strata(), 1, n_boot, seed)
        for tid in sorted(self.tally):
            task, tally = self.tasks[tid], self.tally[tid]
            if not tally.n:
                continue  # only excluded items: nothing to score
            raw_boot = means[tid][:, 0]
            norm_boot = 100.0 * (raw_boot - task.random_baseline) / (task.ceiling - task.random_baseline)
            replicates[tid] = norm_boot
            raw = tally.raw()
            tasks_out[tid] = {
                "plane": task.plane, "dimension": task.dimension, "metric": task.metric, "weight": task.weight,
                "random_baseline": task.random_baseline, "ceiling": task.ceiling,
                "n": tally.n, "scored": tally.n - tally.missing, "missing": tally.missing, "invalid": tally.invalid,
                "raw": _r(raw), "raw_ci": _interval(raw_boot),
                "normalised": _r(task.normalise(raw)), "ci": _interval(norm_boot),
            }
        dims, dim_boot = _dimensions(self.tasks, tasks_out, replicates)
        overall: dict[str, Any] = {"score": None, "ci": None}
        if all(dims[d]["score"] is not None for d in DIMENSIONS):
            overall = {"score": _r(sum(dims[d]["score"] for d in DIMENSIONS) / len(DIMENSIONS)),
                       "ci": _interval(sum(dim_boot[d] for d in DIMENSIONS) / len(DIMENSIONS))}
        not_evaluated = sorted(t.id for t in TASKS if t.id not in tasks_out)
        missing = sum(t.missing for t in self.tally.values())
        excluded = sum(self.excluded.values())
        return {
            "clu2_version": CLU2_VERSION, "registry_fingerprint": registry_fingerprint(),
            "seed": seed, "n_boot": n_boot,
            "overall": overall, "dimensions": dims, "tasks": tasks_out,
            "games": self._games(), "clemscore": self._clemscore(),
            "coverage": {"items": sum(t.n for t in self.tally.values()), "missing": missing,
                         "invalid": sum(t.invalid for t in self.tally.values()),
                         "excluded": excluded, "excluded_reasons": dict(sorted(self.excluded.items())),
                         "excluded_examples": sorted(self.excluded_examples),
                         "tasks_evaluated": len(tasks_out), "tasks_not_evaluated": not_evaluated,
                         "complete": not not_evaluated and missing == 0 and excluded == 0},
        }

    def _games(self) -> dict[str, Any]:
        out = {}
        for tid in sorted(self.games):
            g = self.games[tid]
            played = g.played
            out[tid] = {"game": self.tasks[tid].source.get("game", tid), "role": self.tasks[tid].source.get("role"),
                        "episodes": g.episodes, "played": _r(g.played / g.episodes),
                        "success": _r(g.success / g.episodes), "main": _r(g.total() / g.episodes),
                        "quality": _r(g.total(played_only=True) / played) if played else None}
        return out

    def _clemscore(self) -> dict[str, Any]:
        """clembench's clemscore: per game, % played x quality (mean main over played episodes) / 100, where
        a game pools its learner roles; the clemscore is the mean over games (0-100)."""
        per_game: dict[str, list[_GameTally]] = defaultdict(list)
        for tid, g in self.games.items():
            per_game[tid.split("/")[1]].append(g)
        games: dict[str, Any] = {}
        scores: list[float] = []
        for name in sorted(per_game):
            tallies = per_game[name]
            episodes = sum(g.episodes for g in tallies)
            played = sum(g.played for g in tallies)
            quality = math.fsum(g.total(played_only=True) for g in tallies) / played if played else 0.0
            pct_played = 100.0 * played / episodes
            scores.append(pct_played * quality / 100.0)
            games[name] = {"played": _r(pct_played), "quality": _r(quality), "clemscore": _r(scores[-1])}
        score = math.fsum(scores) / len(scores) if scores else None
        return {"score": _r(score), "games": games}


def _dimensions(tasks: Mapping[str, Task], tasks_out: Mapping[str, Any],
                replicates: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Weighted means of normalised task scores per dimension, point estimates and replicate vectors."""
    dims: dict[str, Any] = {}
    boot: dict[str, Any] = {}
    for dim in DIMENSIONS:
        tids = sorted(t for t in tasks_out if tasks[t].dimension == dim and tasks[t].weight > 0)
        total = sum(tasks[t].weight for t in tids)
        if not tids or total <= 0:
            dims[dim] = {"score": None, "ci": None, "tasks": []}
            continue
        score = math.fsum(tasks[t].weight * tasks_out[t]["normalised"] for t in tids) / total
        boot[dim] = sum(tasks[t].weight * replicates[t] for t in tids) / total
        dims[dim] = {"score": _r(score), "ci": _interval(boot[dim]), "tasks": tids}
    return dims, boot


def scorecard(items: Iterable[ItemResult], *, seed: int = 0, n_boot: int = 1000,
              tasks: Mapping[str, Task] | None = None) -> dict[str, Any]:
    """The CLU2 scorecard of ``items`` (any iterable: a list, or a generator streaming from records).

    ``tasks`` adds task definitions beyond the registry (game-pack tasks stored with a result). Raises
    :class:`~playschool.benchmark.registry.UnknownTaskError`, :class:`DuplicateItemError` or
    :class:`ItemError` on bad input. Same items (in any order), same seed: the same scorecard.
    """
    acc = Accumulator(tasks).extend(items)
    acc.check_duplicates(items if isinstance(items, Sequence) else None)
    return acc.scorecard(seed=seed, n_boot=n_boot)


# ------------------------------------------------------------------------------------------- improvement
def _by_key(items: Iterable[ItemResult], what: str) -> dict[tuple[str, str], ItemResult]:
    out: dict[tuple[str, str], ItemResult] = {}
    for item in items:
        if item.key in out:
            raise DuplicateItemError(f"{what}: item {item.item_id!r} of task {item.task} appears twice")
        if not math.isfinite(item.score):
            raise ItemError(f"{what}: item {item.key} has a non-finite score {item.score!r}")
        out[item.key] = item
    return out


def improvement(items: Iterable[ItemResult], base_items: Iterable[ItemResult], *, seed: int = 0,
                n_boot: int = 1000, tasks: Mapping[str, Task] | None = None) -> dict[str, Any]:
    """Per-task, per-dimension and overall improvement of a run over a base run, on the items both share.

    Every replicate resamples the shared clusters (episodes, questions) of each stratum, each bringing the
    items of both runs it holds, and recomputes both runs' normalised scores from the same draw, so ``ci`` is a
    paired 95% cluster-bootstrap interval of ``delta = run - base``. Items only one run has (or that one run
    excludes) are counted per task under ``coverage`` (with a few example ids); tasks without shared items are
    listed there too. Collaborative sub-metric items exist only where an episode had the situation, which
    depends on how each learner played, so their pairing is partial by nature; see ``coverage``.
    """
    run = {k: i for k, i in _by_key(items, "run").items() if not i.details.get(EXCLUDED)}
    base = {k: i for k, i in _by_key(base_items, "base").items() if not i.details.get(EXCLUDED)}
    extra = dict(tasks or {})
    task_defs: dict[str, Task] = {}
    shared: dict[str, list[tuple[float, float]]] = defaultdict(list)
    clusters = Clusters()
    only_run: dict[str, list[str]] = defaultdict(list)
    only_base: dict[str, list[str]] = defaultdict(list)
    for key, item in run.items():
        task_defs.setdefault(key[0], get_task(key[0], extra))
        if key in base:
            shared[key[0]].append((item.score, base[key].score))
            clusters.add(key[0], (item.score, base[key].score), _episode(item))
        else:
            only_run[key[0]].append(key[1])
    for key in base:
        task_defs.setdefault(key[0], get_task(key[0], extra))
        if key not in run:
            only_base[key[0]].append(key[1])

    tasks_out: dict[str, Any] = {}
    rep_run: dict[str, Any] = {}
    rep_base: dict[str, Any] = {}
    means = replicate_means(clusters.strata(), 2, n_boot, seed, salt="improvement:")
    for tid in sorted(shared):
        task = task_defs[tid]
        pairs = Counter(shared[tid])
        cats = sorted(pairs)
        counts = [pairs[c] for c in cats]
        n = sum(counts)
        a, b = means[tid][:, 0], means[tid][:, 1]
        rep_run[tid] = 100.0 * (a - task.random_baseline) / (task.ceiling - task.random_baseline)
        rep_base[tid] = 100.0 * (b - task.random_baseline) / (task.ceiling - task.random_baseline)
        ra = math.fsum(x * k for (x, _), k in zip(cats, counts)) / n
        rb = math.fsum(y * k for (_, y), k in zip(cats, counts)) / n
        tasks_out[tid] = {"dimension": task.dimension, "n_shared": n, "run": _r(task.normalise(ra)),
                          "base": _r(task.normalise(rb)), "delta": _r(task.normalise(ra) - task.normalise(rb)),
                          "ci": _interval(rep_run[tid] - rep_base[tid])}
    dims: dict[str, Any] = {}
    boots: dict[str, Any] = {}
    for dim in DIMENSIONS:
        tids = sorted(t for t in tasks_out if task_defs[t].dimension == dim and task_defs[t].weight > 0)
        total = sum(task_defs[t].weight for t in tids)
        if not tids or total <= 0:
            dims[dim] = {"run": None, "base": None, "delta": None, "ci": None, "tasks": []}
            continue
        w = {t: task_defs[t].weight / total for t in tids}
        r = math.fsum(w[t] * tasks_out[t]["run"] for t in tids)
        b = math.fsum(w[t] * tasks_out[t]["base"] for t in tids)
        boots[dim] = sum(w[t] * (rep_run[t] - rep_base[t]) for t in tids)
        dims[dim] = {"run": _r(r), "base": _r(b), "delta": _r(r - b), "ci": _interval(boots[dim]), "tasks": tids}
    overall: dict[str, Any] = {"delta": None, "ci": None}
    if all(d in boots for d in DIMENSIONS):
        overall = {"delta": _r(sum(dims[d]["delta"] for d in DIMENSIONS) / len(DIMENSIONS)),
                   "ci": _interval(sum(boots[d] for d in DIMENSIONS) / len(DIMENSIONS))}
    unpaired = {tid: {"only_in_run": len(only_run[tid]), "only_in_base": len(only_base[tid]),
                      "examples_run": sorted(only_run[tid])[:5], "examples_base": sorted(only_base[tid])[:5]}
                for tid in sorted(set(only_run) | set(only_base))}
    return {"seed": seed, "n_boot": n_boot, "overall": overall, "dimensions": dims, "tasks": tasks_out,
            "coverage": {"shared_items": sum(t["n_shared"] for t in tasks_out.values()),
                         "only_in_run": sum(len(v) for v in only_run.values()),
                         "only_in_base": sum(len(v) for v in only_base.values()),
                         "tasks_without_shared_items": sorted(set(task_defs) - set(tasks_out)),
                         "unpaired": unpaired}}

