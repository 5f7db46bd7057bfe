"""The cluster bootstrap behind every CLU2 interval (see :mod:`playschool.benchmark.aggregate`).

A *cluster* is what the evaluation drew at random: an interactional episode (all the items it produced: its game
task's main score and its collaborative sub-metrics) or a reference question (one item). Clusters are grouped in
*strata* that keep their size in every replicate: episodes by game task (game x learner role), questions by
task. One replicate draws, in each stratum, as many clusters as it has, with replacement, and sums the items of
the drawn clusters per task; a task's replicate mean is its summed score over its summed item count.

Clusters with the same *profile* (the sorted tuple of their (task, values) items) are interchangeable, so a
stratum is kept as a count per distinct profile and a replicate is one multinomial draw over them: memory grows
with the number of distinct profiles and open episodes, not with the number of draws, and the result depends
only on the multiset of clusters (any order, any sharding gives the same numbers).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

#: One item of a cluster: (task id, its values) — one value for a scorecard, (run, base) for an improvement.
Entry = tuple[str, tuple[float, ...]]
Profile = tuple[Entry, ...]
#: Bound on the (block of replicates x distinct profiles) draw matrix, in cells.
_BLOCK_CELLS = 2_000_000


def np_module() -> Any:
    try:
        import numpy
    except ImportError as exc:  # numpy comes with every model extra; a bare install may lack it
        raise RuntimeError("CLU2 scoring needs numpy: pip install numpy (or 'playschool[eval]')") from exc
    return numpy


def digest(text: str) -> int:
    """A 64-bit digest of ``text`` (ids are kept as digests so that scoring a stream needs little memory)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def rng_for(seed: int, name: str) -> Any:
    """The generator of one stratum: seeded by the bootstrap seed and the stratum's name only."""
    return np_module().random.default_rng([seed, digest(name)])


def episode_stratum(episode: str) -> str:
    """The stratum of an episode key ``game|instance|role``: its game task (``game/<name>/<role>``)."""
    from .registry import game_task_id

    game, _, rest = episode.partition("|")
    role = rest.rpartition("|")[2]
    return game_task_id(game, role) if game and role else "episodes"


class Clusters:
    """Collects items into clusters and strata (streaming: one entry per open episode, a count per profile)."""

    def __init__(self) -> None:
        self._single: dict[str, Counter[Profile]] = defaultdict(Counter)
        self._episodes: dict[int, tuple[str, list[Entry]]] = {}

    def add(self, task: str, values: tuple[float, ...], episode: str | None) -> None:
        """Add one item: of ``episode`` (joined with its other items), or its own cluster when ``None``."""
        if episode is None:
            self._single[task][((task, values),)] += 1
            return
        key = digest(episode)
        slot = self._episodes.get(key)
        if slot is None:
            slot = self._episodes[key] = (episode_stratum(episode), [])
        slot[1].append((task, values))

    def strata(self) -> dict[str, Counter[Profile]]:
        """Every stratum as a count per distinct cluster profile."""
        out: dict[str, Counter[Profile]] = {name: Counter(c) for name, c in self._single.items()}
        for stratum, entries in self._episodes.values():
            out.setdefault(stratum, Counter())[tuple(sorted(entries))] += 1
        return out


def replicate_sums(strata: Mapping[str, Counter[Profile]], n_cols: int, n_boot: int, seed: int,
                   salt: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """Per task: the summed item values (``n_boot x n_cols``) and item counts (``n_boot``) of each replicate."""
    np = np_module()
    sums: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    for name in sorted(strata):
        profiles = sorted(strata[name])
        weights = np.asarray([strata[name][p] for p in profiles], dtype=float)
        n = int(weights.sum())
        prob = weights / n
        tasks = sorted({task for p in profiles for task, _ in p})
        value = {t: np.zeros((len(profiles), n_cols)) for t in tasks}
        size = {t: np.zeros(len(profiles)) for t in tasks}
        for i, profile in enumerate(profiles):
            for task, vals in profile:
                value[task][i] += vals
                size[task][i] += 1
        for t in tasks:
            sums.setdefault(t, np.zeros((n_boot, n_cols)))
            counts.setdefault(t, np.zeros(n_boot))
        rng = rng_for(seed, salt + name)
        block = max(1, _BLOCK_CELLS // max(1, len(profiles)))
        for start in range(0, n_boot, block):
            stop = min(n_boot, start + block)
            draws = rng.multinomial(n, prob, size=stop - start).astype(float)
            for t in tasks:
                sums[t][start:stop] += draws @ value[t]
                counts[t][start:stop] += draws @ size[t]
    return sums, counts


def replicate_means(strata: Mapping[str, Counter[Profile]], n_cols: int, n_boot: int, seed: int,
                    salt: str = "") -> dict[str, Any]:
    """Per task, its ``n_boot x n_cols`` replicate means. A replicate that drew no item of a task (possible
    only for a task whose items are rare among its strata's clusters) takes the task's overall mean."""
    np = np_module()
    sums, counts = replicate_sums(strata, n_cols, n_boot, seed, salt)
    out: dict[str, Any] = {}
    for task, total in sums.items():
        n = counts[task]
        overall = total.sum(axis=0) / max(1.0, n.sum())  # only used where a replicate drew nothing
        with np.errstate(invalid="ignore", divide="ignore"):
            means = total / n[:, None]
        empty = n == 0
        if empty.any():
            means[empty] = overall
        out[task] = means
    return out
