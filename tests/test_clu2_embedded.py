"""``playschool eval`` with no learner: the embedded nano model through both real planes (lm-eval on the shipped
fixture items, the batched runner on the games), offline, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_eval_of_the_embedded_default_runs_both_real_planes(tmp_path: Path) -> None:
    env = {**os.environ, "PLAYSCHOOL_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1"}
    out = tmp_path / "eval"
    proc = subprocess.run([sys.executable, "-m", "playschool.cli", "eval", "--out", str(out), "--games", "wordle",
                           "reference", "--limit", "4", "--n-boot", "200", "--quiet"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp_path / "cache").exists()  # the default is shipped: nothing was built
    results = json.loads((out / "results.json").read_text())
    assert results["manifest"]["learner"] == "nano"
    tasks = {item["task"] for item in results["items"]}
    assert {"ref/knowledge", "ref/arithmetic_gen", "game/wordle/guesser", "game/reference/listener"} <= tasks
    card = results["scorecard"]
    for dim in ("understanding_reasoning", "collaborative_language_use"):
        assert card["dimensions"][dim]["score"] is not None
    assert (out / "results.csv").is_file() and (out / "report.html").is_file()
