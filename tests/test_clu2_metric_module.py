"""The Hugging Face ``evaluate`` module in ``spaces/clu2``: loads offline from its folder, and ``compute()``
on a run's items and episode records gives exactly the score card ``playschool eval`` wrote to results.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("evaluate")

SPACES = Path(__file__).resolve().parents[1] / "spaces"
SPACE = SPACES / "clu2"
# A non-default bootstrap, so the test shows the module honours the stored settings (both runs share them,
# which makes the dimension scores of a mixed computation comparable with each run's).
SEED, N_BOOT = 3, 300
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _eval(out: Path, *args: str) -> dict[str, Any]:
    """Run ``playschool eval`` in a subprocess; the results.json it wrote."""
    cmd = [sys.executable, "-m", "playschool.cli", "eval", *args, "--seed", str(SEED), "--n-boot", str(N_BOOT),
           "--out", str(out), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=OFFLINE)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads((out / "results.json").read_text())
    assert data["manifest"]["bootstrap"] == {"seed": SEED, "n_boot": N_BOOT}
    return data


@pytest.fixture(scope="module")
def interactional_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    """The reference player on one test instance per experiment: results.json and the records.jsonl lines."""
    out = tmp_path_factory.mktemp("clu2-interactional")
    data = _eval(out, "--learner", "teacher", "--skip-reference", "--n", "1")
    lines = (out / "interactional" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return data, [line for line in lines if line.strip()]


@pytest.fixture(scope="module")
def reference_run(tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tiny model on the reference plane (lm-eval, 5 fixture items per task): results.json."""
    out = tmp_path_factory.mktemp("clu2-reference")
    return _eval(out, "--learner", f"hf:{tiny_model_path}", "--skip-interactional", "--limit", "5",
                 "--device", "cpu")


def _load(config: str) -> Any:
    import evaluate

    return evaluate.load(str(SPACE), config, keep_in_memory=True)


def _items(data: dict[str, Any]) -> list[str]:
    return [json.dumps(item) for item in data["items"]]


def _check_flat(out: dict[str, Any], card: dict[str, Any]) -> None:
    """The headline numbers are the score card's, key for key."""
    assert out["overall"] == card["overall"]["score"] and out["overall_ci"] == card["overall"]["ci"]
    for dim, value in card["dimensions"].items():
        assert out[dim] == value["score"] and out[f"{dim}_ci"] == value["ci"]
    assert out["clemscore"] == card["clemscore"]["score"]
    assert out["tasks"] == {tid: t["normalised"] for tid, t in card["tasks"].items()}
    assert out["tasks_ci"] == {tid: t["ci"] for tid, t in card["tasks"].items()}


def test_interactional_records_give_the_cli_scorecard(interactional_run: tuple[dict[str, Any], list[str]]) -> None:
    data, records = interactional_run
    out = _load("interactional").compute(predictions=records, seed=SEED, n_boot=N_BOOT, learner_as="teacher")
    assert out["scorecard"] == data["scorecard"]  # every number, exactly (floats compared with ==)
    _check_flat(out, data["scorecard"])
    assert out["collaborative_language_use"] is not None and out["clemscore"] is not None


def test_reference_items_give_the_cli_scorecard(reference_run: dict[str, Any]) -> None:
    out = _load("reference").compute(predictions=_items(reference_run), seed=SEED, n_boot=N_BOOT)
    assert out["scorecard"] == reference_run["scorecard"]
    _check_flat(out, reference_run["scorecard"])
    assert len(out["tasks"]) == 6 and out["understanding_reasoning"] is not None


def test_all_config_mixes_items_and_records(interactional_run: tuple[dict[str, Any], list[str]],
                                            reference_run: dict[str, Any]) -> None:
    from playschool.benchmark import ItemResult, scorecard

    inter, records = interactional_run
    module = _load("all")
    # Interactional items are never taken as given: their scores come from replaying records ...
    with pytest.raises(ValueError, match="recomputed by replaying episode records"):
        module.compute(predictions=_items(inter), seed=SEED, n_boot=N_BOOT)
    # ... mixed with reference items: each dimension equals its own run's (per-stratum bootstrap streams), and
    # the whole card is the benchmark's card of both runs' items.
    mixed = module.compute(predictions=_items(reference_run) + records, seed=SEED, n_boot=N_BOOT, learner_as="teacher")
    for dim, run in (("understanding_reasoning", reference_run), ("collaborative_language_use", inter)):
        assert mixed["scorecard"]["dimensions"][dim] == run["scorecard"]["dimensions"][dim]
    both = [ItemResult.from_dict(d) for d in reference_run["items"] + inter["items"]]
    assert mixed["scorecard"] == scorecard(both, seed=SEED, n_boot=N_BOOT)
    assert mixed["overall"] is not None
    out = _load("default").compute(predictions=records[:3], n_boot=10, learner_as="teacher")
    assert out["scorecard"]["n_boot"] == 10


@pytest.mark.parametrize(("config", "bad", "message"), [
    ("interactional", "{not json", r"prediction 1 is not valid JSON"),
    ("interactional", json.dumps({"game": "wordle-v1", "turns": []}), r"prediction 1 is a malformed episode record"),
    ("interactional", json.dumps([1, 2]), r"prediction 1 must be a JSON object"),
    ("reference", json.dumps({"game": "wordle-v1"}), r"prediction 1 is not an item result"),
    ("reference", json.dumps({"task": "ref/nope", "item_id": "x", "score": 1}), r"prediction 1: .*ref/nope"),
    ("reference", json.dumps({"task": "ref/knowledge", "item_id": "x"}), r"prediction 1 is a malformed item"),
    ("reference", json.dumps({"task": "ref/knowledge", "item_id": "a", "score": 0}), r"appears twice"),
    ("reference", json.dumps({"task": "collab/efficiency", "item_id": "x", "score": 1}), r"replaying episode"),
])
def test_bad_predictions_are_clear_errors(config: str, bad: str, message: str,
                                          interactional_run: tuple[dict[str, Any], list[str]]) -> None:
    first = (interactional_run[1][0] if config == "interactional"
             else json.dumps({"task": "ref/knowledge", "item_id": "a", "score": 1}))
    with pytest.raises(ValueError, match=message):
        _load(config).compute(predictions=[first, bad])


def test_a_tampered_record_scores_zero_with_its_reason(interactional_run: tuple[dict[str, Any], list[str]]) -> None:
    _, records = interactional_run
    module = _load("interactional")
    honest = module.compute(predictions=records, seed=SEED, n_boot=N_BOOT, learner_as="teacher")["scorecard"]
    data = json.loads(records[0])
    task = f"game/{data['game'].rsplit('-v', 1)[0]}/{data['learner_role']}"
    data["scores"]["main"] = 77.7  # any score but the one its moves earn
    card = module.compute(predictions=[json.dumps(data), *records[1:]], seed=SEED, n_boot=N_BOOT,
                          learner_as="teacher")["scorecard"]
    t, h = card["tasks"][task], honest["tasks"][task]
    assert t["invalid"] == h["invalid"] + 1 and t["raw"] < h["raw"]


def test_a_models_submission_cannot_claim_the_teachers_play(interactional_run: tuple[dict[str, Any],
                                                                                    list[str]]) -> None:
    _, records = interactional_run  # played by the reference player: the teacher holds the learner's role
    card = _load("interactional").compute(predictions=records, seed=SEED, n_boot=N_BOOT)["scorecard"]
    games = [t for tid, t in card["tasks"].items() if tid.startswith("game/")]
    assert games and all(t["raw"] == 0.0 and t["invalid"] == t["n"] for t in games)


def test_unknown_config_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown CLU2 configuration"):
        _load("nope")


def test_doctests_run_offline() -> None:
    # Run from spaces/, as the example's evaluate.load("clu2") finds the module folder there (not the Hub).
    proc = subprocess.run([sys.executable, "-m", "doctest", "-v", "clu2/clu2.py"], cwd=SPACES, capture_output=True,
                          text=True, timeout=300, env=OFFLINE)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "0 failed" in proc.stdout and "Test passed." in proc.stdout


def test_the_space_app_scores_what_the_module_scores(interactional_run: tuple[dict[str, Any], list[str]]) -> None:
    """The metric Space's Gradio 6 app (spaces/clu2/app.py) gives the module's numbers, and errors as text."""
    pytest.importorskip("gradio")
    import importlib.util

    spec = importlib.util.spec_from_file_location("clu2_space_app", SPACE / "app.py")
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    data, lines = interactional_run
    out = json.loads(app.score("\n".join(lines), None, "interactional", SEED, N_BOOT, "teacher"))
    card = data["scorecard"]
    assert out["collaborative_language_use"] == card["dimensions"]["collaborative_language_use"]["score"]
    assert "error" in json.loads(app.score("", None, "all", 0, 10))
    assert "error" in json.loads(app.score('{"task": "nope"}', None, "reference", 0, 10))
    assert app.build() is not None
