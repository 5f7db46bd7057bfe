"""CLU2, the evaluation of collaborative language understanding and use: one versioned task registry, two
planes, one scorecard.

* **Reference plane** (:mod:`.reference_plane`): knowledge, reasoning, pragmatics, theory of mind, social
  commonsense and a generative task, run through lm-eval; dimension *understanding & reasoning*.
* **Interactional plane** (:mod:`.interactional`): the test split of every registered game (and held-out game
  packs) against the games' programmatic partners; game main scores plus collaborative sub-metrics computed
  from the episode records (:mod:`.collab`); dimension *collaborative language use*; clembench's clemscore.
* Both reduce to :class:`ItemResult` items; :func:`scorecard` normalises (random baseline 0, ceiling 100),
  aggregates per dimension and overall with bootstrap intervals, and :func:`improvement` compares with a base
  model with paired intervals. :mod:`.results` stores it all in ``results.json`` and merges shards;
  :mod:`.report` writes the CSV and the HTML report; ``playschool eval`` (:mod:`.cli`) does everything.

Importing this package is cheap: numpy, the model stack and lm-eval load only when used.
"""

from .aggregate import Accumulator, DuplicateItemError, ItemError, improvement, scorecard
from .calibration import calibrate
from .collab import SUBMETRICS, SubScore, episode_submetrics
from .interactional import (
    items_from_records,
    iter_items,
    missing_items,
    record_items,
    run_interactional_plane,
)
from .items import ItemResult
from .reference_plane import ReferencePlaneError, reference_data_dir, run_reference_plane
from .registry import (
    CLU2_VERSION,
    DIMENSIONS,
    TASKS,
    RegistryMismatchError,
    Task,
    UnknownTaskError,
    get_task,
    registry_fingerprint,
    tasks_for,
)
from .report import render_html, write_csv, write_html
from .results import (
    Results,
    ResultsError,
    build_results,
    merge_results,
    parse_shard,
    read_results,
    shard_of,
    write_results,
)

__all__ = [
    "Accumulator", "CLU2_VERSION", "DIMENSIONS", "DuplicateItemError", "ItemError", "ItemResult",
    "ReferencePlaneError", "RegistryMismatchError", "Results", "ResultsError", "SUBMETRICS", "SubScore", "TASKS", "Task",
    "UnknownTaskError", "build_results", "calibrate", "episode_submetrics", "get_task", "improvement",
    "items_from_records", "iter_items", "merge_results", "missing_items", "parse_shard", "read_results",
    "record_items", "reference_data_dir", "registry_fingerprint", "render_html", "run_interactional_plane",
    "run_reference_plane", "scorecard", "shard_of",
    "tasks_for", "write_csv", "write_html", "write_results",
]
