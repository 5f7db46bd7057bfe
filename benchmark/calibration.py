"""Calibration of the CLU2 registry: the random baselines and the sub-metric weights, recomputed from play.

    python -m playschool.benchmark.calibration            # prints what the registry must hold, as JSON

* **baselines**: the random player's raw score per interactional task on the whole test split (instance seed 0):
  each game's random legal moves in the right format, so the normalised 0 is chance;
* **feeding roles**: per note-based sub-metric, the learner roles whose episodes produced an item of it when the
  reference player and the random player played the test split; a sub-metric's weight is proportional to them
  (``registry.submetric_weight``).

A test recomputes both and compares them with the frozen registry, so a game whose random player, scores or
notes change cannot go unnoticed (and needs a CLU2 version bump).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from playschool.games import RANDOM, TEACHER

from .interactional import iter_items, plan
from .registry import game_task_id

#: Sub-metrics whose items come from game notes (the format metrics are fed by every role by definition).
NOTE_METRICS: tuple[str, ...] = ("clarification_f1", "repair", "coherence", "probe_accuracy", "efficiency")


def _play(player: Any, games: Sequence[str] | None, seed: int) -> list[Any]:
    from playschool.runner import Runner

    summary = Runner({"learner": player}).run(plan(games, seed=seed))
    if summary.failed:
        raise RuntimeError(f"calibration episodes failed: {dict(list(summary.failed.items())[:3])}")
    return summary.records


def calibrate(games: Sequence[str] | None = None, seed: int = 0) -> dict[str, Any]:
    """``{"baselines": {task: raw}, "feeding": {metric: [game/role, ...]}}`` from reference and random play."""
    from playschool.players import RandomPlayer, ReferencePlayer

    from .aggregate import Accumulator

    random_records = _play(RandomPlayer(), games, seed)
    acc = Accumulator().extend(iter_items(random_records, learner_as=RANDOM))
    baselines = {tid: round(t.raw(), 6) for tid, t in sorted(acc.tally.items()) if t.n}
    feeding: dict[str, set[str]] = defaultdict(set)
    for records, who in ((random_records, RANDOM), (_play(ReferencePlayer(), games, seed), TEACHER)):
        for item in iter_items(records, learner_as=who):
            metric = item.task.removeprefix("collab/")
            if item.task.startswith("collab/") and metric in NOTE_METRICS:
                episode = str(item.details["episode"])
                feeding[metric].add(game_task_id(episode.split("|")[0], episode.rsplit("|", 1)[1]))
    return {"baselines": baselines, "feeding": {m: sorted(feeding.get(m, ())) for m in NOTE_METRICS}}


def main(argv: Sequence[str] | None = None) -> int:
    print(json.dumps(calibrate(), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
