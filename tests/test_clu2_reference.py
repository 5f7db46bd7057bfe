"""CLU2 reference plane: the shipped fixture data, the lm-eval task YAMLs, and lm-eval runs on the tiny model whose
per-item numbers must be lm-eval's own, item for item. Everything offline."""

from __future__ import annotations

import os

# Nothing here may reach the Hub: set before datasets/huggingface_hub read their configuration.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "datasets_scripts")]

import build_clu2  # noqa: E402
from playschool.benchmark import reference_plane as rp  # noqa: E402
from playschool.benchmark.registry import UnknownTaskError, tasks_for  # noqa: E402

# lm-eval is a dependency of the `eval` extra (part of `dev`): a missing install fails here, it is not skipped.
MIRROR = ROOT / "tests" / "fixtures" / "clu2_sources"
LIMIT = 5


def _card(folder: Path) -> dict[str, Any]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text.split("---")[1]))


def _shipped_configs() -> list[str]:
    return [c["config_name"] for c in _card(rp.reference_data_dir())["configs"]]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hf-datasets-cache")


@pytest.fixture(scope="module")
def run(tiny_model_path: Path, cache: Path) -> rp.ReferenceRun:
    """Every reference task on the shipped fixtures, LIMIT items per lm-eval task."""
    return rp.evaluate_reference(tiny_model_path, limit=LIMIT, batch_size=8, cache_dir=cache)


# ----------------------------------------------------------------------------------------------- data
def test_every_shipped_config_loads_with_the_clu2_schema(cache: Path) -> None:
    from datasets import load_dataset

    data = rp.reference_data_dir()
    configs = _shipped_configs()
    assert {t.source["config"] for t in tasks_for("reference")} <= set(configs)
    for config in configs:
        ds = load_dataset(str(data), config, cache_dir=str(cache))
        assert list(ds) == ["test"]
        test = ds["test"]
        assert test.num_rows >= 20, config
        assert test.features == build_clu2.task_features()  # same schema as a built playschool/clu2
        ids = test["id"]
        assert len(set(ids)) == len(ids)
        for row in test:
            assert row["id"].startswith(f"{config}/test/") and row["task"] == config
            assert row["source"] == "playschool-fixtures" and row["license"] == "apache-2.0"
            assert row["source_config"] == config and row["source_split"] == "test" and row["source_revision"]
            if row["answer_index"] >= 0:
                assert len(row["choices"]) >= 2 and row["choices"][row["answer_index"]] == row["answer"]
            else:
                assert row["choices"] == [] and row["answer"].strip().lstrip("-").isdigit()


def test_yamls_parse_and_lm_eval_finds_every_task() -> None:
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(rp.TASKS_DIR), include_defaults=False)
    yamls = rp.task_yamls()
    assert set(yamls) <= set(manager.all_subtasks)
    used = set()
    for task in tasks_for("reference"):
        assert task.source["lm_eval_task"] in manager.all_tasks
        lm_tasks = rp.lm_eval_tasks_for(task.id)  # also checks config/output type/metric against the registry
        used |= {t.name for t in lm_tasks}
        for lm in lm_tasks:
            assert lm.config in _shipped_configs() and lm.split == "test"
    assert used == set(yamls), "a shipped YAML belongs to no CLU2 reference task"
    assert rp.reference_task_ids() == ("ref/knowledge", "ref/reasoning", "ref/pragmatics", "ref/theory_of_mind",
                                       "ref/social", "ref/arithmetic_gen")
    gen = rp.lm_eval_tasks_for("ref/arithmetic_gen")[0]
    assert (gen.output_type, gen.metric_key) == ("generate_until", "exact_match,extract")


def test_importing_the_plane_is_cheap() -> None:
    code = ("import sys; import playschool.benchmark.reference_plane; "
            "print(sorted(m for m in ('lm_eval', 'torch', 'datasets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------- lm-eval runs
def test_one_item_per_scored_document_with_lm_evals_numbers(run: rp.ReferenceRun) -> None:
    by_lm: dict[str, list[Any]] = {}
    for item in run.items:
        by_lm.setdefault(item.details["lm_eval_task"], []).append(item)
    assert set(by_lm) == {lm.name for t in rp.reference_task_ids() for lm in rp.lm_eval_tasks_for(t)}
    assert {i.task for i in run.items} == set(rp.reference_task_ids())
    for name, items in by_lm.items():
        assert [i.details["doc_id"] for i in items] == list(range(LIMIT))
        mean = sum(i.score for i in items) / len(items)
        assert mean == pytest.approx(run.lm_eval[name]["value"], abs=1e-12) and run.lm_eval[name]["n"] == LIMIT
    for item in run.items:
        assert item.score in (0.0, 1.0)
        if "loglikelihoods" in item.details:  # multiple choice: acc is argmax == gold
            assert item.score == float(item.details["prediction"] == item.details["target"]) and item.valid
        else:
            assert item.valid == (item.details["prediction"] != rp.INVALID)
        json.dumps(item.to_dict())  # results.json-ready
    assert run.manifest["data"] == str(rp.reference_data_dir()) and run.manifest["lm_eval_version"]


def test_plain_lm_eval_on_the_same_items_agrees_item_for_item(run: rp.ReferenceRun, tiny_model_path: Path,
                                                               cache: Path, tmp_path: Path) -> None:
    """An independent lm-eval run, the way a user would do it (YAMLs in an include folder, tasks by name,
    ``limit``), gives the same per-sample values and aggregates as our ItemResults."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    include = tmp_path / "tasks"
    shutil.copytree(rp.TASKS_DIR, include)
    for path in include.glob("*.yaml"):  # the YAMLs name the Hub dataset; point them at the fixtures
        text = path.read_text(encoding="utf-8")
        path.write_text(text + f"dataset_path: {rp.reference_data_dir()}\ndataset_kwargs:\n  cache_dir: {cache}\n",
                        encoding="utf-8")
    names = sorted(rp.task_yamls())
    out = lm_eval.simple_evaluate(model="hf", model_args={"pretrained": str(tiny_model_path)}, tasks=names,
                                  task_manager=TaskManager(include_path=str(include), include_defaults=False),
                                  limit=LIMIT, batch_size=8, device="cpu", log_samples=True, bootstrap_iters=0)
    assert out is not None
    ours = {i.item_id: i for i in run.items}
    compared = 0
    for name in names:
        lm = rp.task_yamls()[name]
        metric = lm["metric_list"][0]["metric"]
        key = f"{metric},{(lm.get('filter_list') or [{'name': 'none'}])[0]['name']}"
        samples = out["samples"][name]
        assert len(samples) == LIMIT
        for sample in samples:
            assert ours[sample["doc"]["id"]].score == float(sample[metric])
            compared += 1
        mine = [ours[s["doc"]["id"]].score for s in samples]
        assert sum(mine) / len(mine) == pytest.approx(out["results"][name][key], abs=1e-12)
    assert compared == len(run.items)


def test_a_built_clu2_folder_and_shards(tiny_model_path: Path, cache: Path, tmp_path: Path) -> None:
    """A playschool/clu2 folder built by datasets_scripts (parquet, the sources' ids) is read the same way;
    shards partition the items and together give the unsharded run's scores."""
    import random

    import torch
    from playschool.benchmark.results import in_shard, item_shard_key

    built = build_clu2.build(tmp_path / "clu2", source_dir=MIRROR, games=["reference"])
    tasks = ["ref/knowledge", "ref/arithmetic_gen"]
    py_state, torch_state = random.getstate(), torch.get_rng_state()
    full = rp.evaluate_reference(tiny_model_path, tasks=tasks, data=built, limit=4, cache_dir=cache)
    # lm-eval seeds the global generators; the caller's states come back untouched.
    assert random.getstate() == py_state and torch.equal(torch.get_rng_state(), torch_state)
    assert [i.item_id for i in full.items][:4] == [f"mmlu/test/{n:05d}" for n in range(4)]
    assert full.manifest["data"] == str(built.resolve()) and len(full.items) == 8
    parts = [rp.run_reference_plane(tiny_model_path, tasks=tasks, data=built, limit=4, shard=(k, 2),
                                    cache_dir=cache) for k in range(2)]
    for k, part in enumerate(parts):  # the rule every CLU2 item is sharded by
        assert all(in_shard(item_shard_key(i), (k, 2)) for i in part)
    merged = {i.key: i.score for part in parts for i in part}
    assert sum(len(p) for p in parts) == len(merged) == 8
    assert merged == {i.key: i.score for i in full.items}


# -------------------------------------------------------------------------------------------- errors
def test_unknown_and_non_reference_task_ids_are_clear_errors() -> None:
    with pytest.raises(rp.UnknownReferenceTaskError, match=r"ref/nonsense.*ref/knowledge"):
        rp.resolve_tasks(["ref/knowledge", "ref/nonsense"])
    with pytest.raises(UnknownTaskError, match="interactional plane"):  # the registry's error class
        rp.run_reference_plane("unused", tasks=["collab/repair"])
    with pytest.raises(rp.ReferencePlaneError, match="twice"):
        rp.resolve_tasks(["ref/social", "ref/social"])


def _copy_fixtures(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(rp.reference_data_dir(), folder)
    return folder


def test_data_problems_are_clear_errors(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(rp.ReferenceDataError, match="no such folder"):
        rp.resolve_data(tmp_path / "missing")
    with pytest.raises(rp.ReferenceDataError, match="revision"):
        rp.resolve_data("playschool/clu2")
    assert rp.resolve_data("playschool/clu2@v0.1.0") == rp.DataSource("playschool/clu2", "v0.1.0")

    # A folder without the config a task needs (here: a card that lists no mmlu).
    folder = _copy_fixtures(tmp_path / "a")
    card = (folder / "README.md").read_text(encoding="utf-8").replace("config_name: mmlu", "config_name: other")
    (folder / "README.md").write_text(card, encoding="utf-8")
    with pytest.raises(rp.ReferenceDataError, match=r"no config 'mmlu' \(needed by ref/knowledge\)"):
        rp.run_reference_plane("unused", tasks=["ref/knowledge"], data=folder, cache_dir=cache)

    # Duplicated items and unusable answers are refused, never dropped.
    folder = _copy_fixtures(tmp_path / "b")
    rows = (folder / "social_iqa" / "test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "social_iqa" / "test.jsonl").write_text("".join(rows + rows[:1]), encoding="utf-8")
    with pytest.raises(rp.ReferenceDataError, match="duplicated item ids.*social_iqa/test/pf001"):
        rp.run_reference_plane("unused", tasks=["ref/social"], data=folder, cache_dir=cache)
    folder = _copy_fixtures(tmp_path / "c")  # same folder name and config: it must not be read from a cache
    bad = json.loads(rows[1])
    bad["answer_index"] = 7
    (folder / "social_iqa" / "test.jsonl").write_text(rows[0] + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(rp.ReferenceDataError, match="social_iqa/test/pf002.*no usable answer"):
        rp.run_reference_plane("unused", tasks=["ref/social"], data=folder, cache_dir=cache)

    # The Hub unreachable (as offline here): the error names the dataset, revision and config.
    import datasets

    def offline(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("offline")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(rp.ReferenceDataError, match=r"playschool/clu2@v9 \(config 'gsm8k'.*ConnectionError"):
        rp.run_reference_plane("unused", tasks=["ref/arithmetic_gen"], data="playschool/clu2@v9")


def test_doc_selection_follows_the_shard_rule_of_results() -> None:
    from playschool.benchmark.results import shard_of

    keys = [f"ref/social|social_iqa/test/{n:05d}" for n in range(10)]
    assert rp.select_docs(keys[:5], None, None) == [0, 1, 2, 3, 4]
    assert rp.select_docs(keys, 4, None) == [0, 1, 2, 3]
    assert rp.select_docs(keys, None, (1, 3)) == [i for i in range(10) if shard_of(keys[i], 3) == 1]
    assert sorted(sum((rp.select_docs(keys, 7, (k, 3)) for k in range(3)), [])) == list(range(7))
    with pytest.raises(rp.ReferencePlaneError):
        rp.select_docs(keys, 0, None)
    with pytest.raises(rp.ReferencePlaneError):
        rp.select_docs(keys, None, (3, 3))
