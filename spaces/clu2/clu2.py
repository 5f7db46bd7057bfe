# Copyright 2026 The playschool contributors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""CLU2: collaborative language understanding and use, one score card over two planes."""

# One import per line: the evaluate module loader reads imports line by line to check requirements.
import json
from typing import Any

import datasets
import evaluate
from playschool.games import RecordError

from playschool import benchmark

_CITATION = """\
@misc{playschool_clu2,
  title = {{CLU2}: evaluating collaborative language understanding and use},
  author = {{The playschool contributors}},
  year = {2026},
  note = {Part of the playschool project: Playpen games, records and the CLU2 benchmark}
}
"""

_DESCRIPTION = """\
CLU2 scores a language model on two planes and reports one score card. The reference plane (knowledge,
reasoning, pragmatics, theory of mind, social commonsense, a generative task; scored with lm-eval) gives the
dimension "understanding & reasoning"; the interactional plane (the test split of every Playpen game, played
against programmatic partners, plus collaborative sub-metrics read from the episode records) gives
"collaborative language use". Task scores are normalised (random baseline 0, ceiling 100), averaged per
dimension and overall, each with a 95% bootstrap interval; clembench's clemscore is reported too. This module
recomputes the score card that `playschool eval` writes into results.json, from per-item results and/or
episode records; all scoring is delegated to `playschool.benchmark`.
"""

_KWARGS_DESCRIPTION = """
Computes the CLU2 score card of per-item results (reference plane) and/or episode records (interactional plane).
Args:
    predictions: list of JSON strings, one per item or episode, depending on the configuration:
        "reference": per-item results of reference tasks, as in the `items` of results.json
            (`{"task": "ref/knowledge", "item_id": "...", "score": 1.0, "valid": true}`);
        "interactional": episode records, one JSON object per episode (a line of records.jsonl). Every record
            is replayed against its game: scores are recomputed from the moves, never read from the record,
            and a record that differs from its replay scores 0 (see coverage and the items' details);
        "all" / "default": either kind, mixed (a JSON object with a "task" key is an item, any other a record).
        Interactional scores come only from records: an item of an interactional task is refused.
    seed: bootstrap seed (default 0; `playschool eval` uses its --seed).
    n_boot: bootstrap replicates (default 1000; `playschool eval` uses its --n-boot).
    learner_as: who played the learner's role in the records: "learner" (a model; the default), or the game's own
        "teacher" (reference) or "random" player when those are what is evaluated. A record whose roles differ
        (say, the teacher playing the learner's role in a model's submission) scores 0.
Returns:
    clu2_version: version of the task registry the scores belong to,
    overall: CLU2 score, the mean of the two dimension scores (None unless both planes were scored),
    overall_ci: its 95% bootstrap interval [low, high],
    understanding_reasoning, understanding_reasoning_ci: reference-plane dimension score and interval,
    collaborative_language_use, collaborative_language_use_ci: interactional-plane dimension score and interval,
    clemscore: clembench's clemscore (% played x quality, mean over games; None without episodes),
    tasks: normalised score (random 0, ceiling 100) per task id,
    tasks_ci: 95% bootstrap interval per task id,
    coverage: items, missing, invalid, tasks evaluated and not evaluated, complete,
    scorecard: the full score card, exactly as results.json stores it under "scorecard".
Examples:
    Four items of the knowledge task (random baseline 0.25), three answered correctly:

    >>> import json
    >>> clu2 = evaluate.load("clu2", "reference")
    >>> items = [{"task": "ref/knowledge", "item_id": f"q{i}", "score": s} for i, s in enumerate([1, 1, 0, 1])]
    >>> results = clu2.compute(predictions=[json.dumps(i) for i in items], seed=0, n_boot=100)
    >>> print(results["tasks"])
    {'ref/knowledge': 66.666667}
    >>> print(results["understanding_reasoning"], results["overall"], results["clemscore"])
    66.666667 None None
"""

#: Configurations: which planes' inputs `predictions` may hold.
_PLANES = {
    "default": ("reference", "interactional"),
    "all": ("reference", "interactional"),
    "reference": ("reference",),
    "interactional": ("interactional",),
}


class Clu2InputError(ValueError):
    """A prediction that cannot be scored; the message names its position and the problem."""


def _parse(predictions: list[str], planes: tuple[str, ...], learner_as: str = "learner") -> list[Any]:
    """Predictions -> ItemResults: items as they are, records through `items_from_records`.

    Every problem names the prediction's index, so nothing is dropped silently.
    """
    items: list[Any] = []
    for n, text in enumerate(predictions):
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise Clu2InputError(f"prediction {n} is not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise Clu2InputError(f"prediction {n} must be a JSON object, got {type(data).__name__}")
        if "task" in data:  # an item result (ItemResult.to_dict); a record has no "task" key
            try:
                item = benchmark.ItemResult.from_dict(data)
                plane = benchmark.get_task(item.task).plane
            except benchmark.UnknownTaskError as exc:
                raise Clu2InputError(f"prediction {n}: {exc}") from exc
            except (KeyError, TypeError, ValueError) as exc:
                raise Clu2InputError(f"prediction {n} is a malformed item result ({exc!r})") from exc
            if plane == "interactional":
                raise Clu2InputError(f"prediction {n} is an item of interactional task {item.task}: interactional "
                                     "scores are recomputed by replaying episode records; pass the records "
                                     "(lines of records.jsonl) instead")
            if plane not in planes:
                raise Clu2InputError(f"prediction {n} is an item of {plane} task {item.task}, which configuration "
                                     f"{'/'.join(planes)} does not take; use the 'all' configuration")
            items.append(item)
        elif "interactional" in planes:
            try:
                items.extend(benchmark.items_from_records([data], learner_as=learner_as))
            except RecordError as exc:
                raise Clu2InputError(f"prediction {n} is a malformed episode record ({exc})") from exc
        else:
            raise Clu2InputError(f"prediction {n} is not an item result (it has no 'task'); the 'reference' "
                                 "configuration takes items, episode records go to 'interactional' or 'all'")
    return items


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Clu2(evaluate.Metric):
    """The CLU2 score card (both planes, or one per configuration), computed by `playschool.benchmark`."""

    def _info(self) -> evaluate.MetricInfo:
        if self.config_name not in _PLANES:
            raise KeyError(f"unknown CLU2 configuration {self.config_name!r}; choose one of {sorted(_PLANES)}")
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # One JSON string per item or episode: items and records are nested objects of varying shape.
            features=datasets.Features({"predictions": datasets.Value("string")}),
            homepage="https://huggingface.co/spaces/playschool/clu2",
            codebase_urls=["https://huggingface.co/spaces/playschool/clu2/tree/main"],
            reference_urls=["https://github.com/clembench/clembench"],
        )

    def _compute(self, predictions: list[str], seed: int = 0, n_boot: int = 1000,
                 learner_as: str = "learner") -> dict[str, Any]:
        """Returns the score card: headline numbers flat, the full card under "scorecard"."""
        if learner_as not in ("learner", "teacher", "random"):
            raise Clu2InputError(f"learner_as is 'learner', 'teacher' or 'random', got {learner_as!r}")
        items = _parse(predictions, _PLANES[self.config_name], learner_as)
        card = benchmark.scorecard(items, seed=int(seed), n_boot=int(n_boot))
        out: dict[str, Any] = {"clu2_version": card["clu2_version"], "overall": card["overall"]["score"],
                               "overall_ci": card["overall"]["ci"]}
        for dim, value in card["dimensions"].items():
            out[dim] = value["score"]
            out[f"{dim}_ci"] = value["ci"]
        out["clemscore"] = card["clemscore"]["score"]
        out["tasks"] = {tid: t["normalised"] for tid, t in card["tasks"].items()}
        out["tasks_ci"] = {tid: t["ci"] for tid, t in card["tasks"].items()}
        out["coverage"] = card["coverage"]
        out["scorecard"] = card
        return out
