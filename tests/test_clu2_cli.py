"""``playschool eval`` end to end: the real command in a subprocess, and in process with a test double for
the reference plane (fixed ItemResults) to cover both planes, shards + merge and the base model."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from playschool.benchmark import ItemResult, read_results

from playschool.cli import main

REF_TASKS = ("ref/knowledge", "ref/reasoning", "ref/pragmatics", "ref/theory_of_mind", "ref/social",
             "ref/arithmetic_gen")


def test_eval_writes_results_csv_report_and_transcripts(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    proc = subprocess.run([sys.executable, "-m", "playschool.cli", "eval", "--learner", "teacher",
                           "--skip-reference", "--n", "1", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "reference plane skipped (--skip-reference)" in proc.stderr
    assert "collaborative language use" in proc.stdout and "clemscore" in proc.stdout
    res = read_results(out)
    assert res.manifest["learner"] == "teacher" and res.scorecard["coverage"]["missing"] == 0
    assert res.scorecard["dimensions"]["collaborative_language_use"]["score"] > 90
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert {r["kind"] for r in rows} == {"task", "dimension", "overall", "clemscore"}
    page = (out / "report.html").read_text()
    assert page.count("<svg") >= 2 and "<script" not in page and "http" not in page.replace(
        "http://www.w3.org/2000/svg", "")
    links = [line.split("'")[0] for line in page.split("href='")[1:]]
    assert "transcripts/index.html" in links and len(links) > 20
    assert all((out / link).is_file() for link in links)


# ------------------------------------------------------------------------------------------ in process
def _fake_reference_plane(model_path: str | Path, *, tasks: Sequence[str] | None = None, data: Any = None,
                          limit: int | None = None, batch_size: int = 8, device: str = "cpu") -> list[ItemResult]:
    """Test double of engineer B's run_reference_plane: fixed results, better for 'good' models."""
    p = 0.8 if "good" in str(model_path) else 0.4
    rng = random.Random(str(model_path))
    n = limit or 20
    return [ItemResult(t, f"{t.split('/')[1]}-{i:03d}", float(rng.random() < p)) for t in REF_TASKS
            for i in range(n)]


@pytest.fixture
def planes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stub reference plane, and hf: specs played by the reference ('good') or random player."""
    from playschool import spec
    from playschool.players import RandomPlayer, ReferencePlayer

    module = types.ModuleType("playschool.benchmark.reference_plane")
    module.run_reference_plane = _fake_reference_plane  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "playschool.benchmark.reference_plane", module)
    loaded: list[str] = []
    real = spec.load_player

    def load_player(s: str, **kw: Any) -> Any:
        loaded.append(s)
        if s.startswith("hf:"):
            return ReferencePlayer() if "good" in s else RandomPlayer()
        return real(s, **kw)

    monkeypatch.setattr(spec, "load_player", load_player)
    monkeypatch.setattr(spec, "check_hf_target", lambda _spec: None)  # the hf: folders are stand-ins
    return loaded


ARGS = ["--games", "reference", "mapnav", "--n", "1", "--quiet", "--n-boot", "200"]


def test_both_planes_shards_and_merge_equal_the_unsharded_run(tmp_path: Path, planes: list[str]) -> None:
    assert main(["eval", "--learner", "hf:/models/good", "--out", str(tmp_path / "all"), *ARGS]) == 0
    whole = read_results(tmp_path / "all")
    card = whole.scorecard
    assert set(REF_TASKS) <= set(card["tasks"]) and card["overall"]["score"] is not None
    assert card["tasks"]["game/mapnav/follower"]["raw"] == 100.0
    for k in range(2):
        assert main(["eval", "--learner", "hf:/models/good", "--shard", f"{k}/2", "--out",
                     str(tmp_path / f"s{k}"), *ARGS]) == 0
    assert main(["eval", "merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--out", str(tmp_path / "m")]) == 0
    merged = read_results(tmp_path / "m")
    assert merged.scorecard == whole.scorecard
    assert [i.key for i in merged.items] == [i.key for i in whole.items]
    assert merged.manifest["manifest_id"] == whole.manifest["manifest_id"]
    assert (tmp_path / "m" / "report.html").is_file() and (tmp_path / "m" / "transcripts" / "index.html").is_file()
    # The merged folder holds the shards' records, as the unsharded run does (so it can be replayed or uploaded).
    assert _episodes(tmp_path / "m" / "interactional") == _episodes(tmp_path / "all" / "interactional") != {}
    # A second merge of the same shards into the same folder, and a broken shard: clear error, status 2.
    (tmp_path / "s1" / "results.json").write_text("{")
    assert main(["eval", "merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--out", str(tmp_path / "m")]) == 2


def _episodes(run_dir: Path) -> dict[str, Any]:
    """Each record's turns and scores by episode key (timing and manifest differ between runs)."""
    from playschool.store import iter_records

    return {r.key: (r.to_dict()["turns"], r.scores, r.outcome) for r in iter_records(run_dir)}


def test_sharded_runs_with_a_base_merge_both_records(tmp_path: Path, planes: list[str]) -> None:
    args = ["--learner", "hf:/models/good", "--base", "hf:/models/base", *ARGS]
    assert main(["eval", *args, "--out", str(tmp_path / "all")]) == 0
    for k in range(2):
        assert main(["eval", *args, "--shard", f"{k}/2", "--out", str(tmp_path / f"s{k}")]) == 0
    assert main(["eval", "merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--out", str(tmp_path / "m")]) == 0
    for sub in ("interactional", "base/interactional"):
        merged, whole = _episodes(tmp_path / "m" / sub), _episodes(tmp_path / "all" / sub)
        assert merged == whole and whole
    assert read_results(tmp_path / "m").improvement == read_results(tmp_path / "all").improvement


def test_base_model_gives_a_paired_improvement(tmp_path: Path, planes: list[str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "vs"
    assert main(["eval", "--learner", "hf:/models/good", "--base", "hf:/models/base", "--out", str(out),
                 *ARGS]) == 0
    res = read_results(out)
    imp = res.improvement
    assert imp is not None and res.base is not None and res.base["learner"] == "hf:/models/base"
    assert imp["dimensions"]["collaborative_language_use"]["delta"] > 0
    assert imp["dimensions"]["collaborative_language_use"]["ci"][0] > 0
    assert "Δ collaborative language use" in capsys.readouterr().out
    # The same comparison from the base's stored results.
    assert main(["eval", "--learner", "hf:/models/base", "--out", str(tmp_path / "base"), *ARGS]) == 0
    assert main(["eval", "--learner", "hf:/models/good", "--base-results", str(tmp_path / "base"), "--out",
                 str(tmp_path / "vs2"), *ARGS]) == 0
    again = read_results(tmp_path / "vs2").improvement
    assert again is not None
    assert again["dimensions"] == imp["dimensions"]
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert any(r["kind"] == "improvement" and r["id"] == "clu2" for r in rows)


def test_non_hf_learners_skip_the_reference_plane_with_a_message(tmp_path: Path, planes: list[str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--learner", "random", "--out", str(tmp_path / "r"), *ARGS]) == 0
    assert "needs a local hf model" in capsys.readouterr().err
    res = read_results(tmp_path / "r")
    assert not any(t.startswith("ref/") for t in res.scorecard["tasks"])
    assert res.scorecard["overall"]["score"] is None
    assert res.manifest["reference"]["plane"].startswith("skipped")


def test_user_errors_exit_2_without_a_traceback(tmp_path: Path, planes: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--learner", "nonsense:x", "--out", str(tmp_path / "x")]) == 2
    assert main(["eval", "--shard", "2/2", "--out", str(tmp_path / "x")]) == 2
    assert main(["eval", "--games", "nosuchgame", "--learner", "random", "--out", str(tmp_path / "x")]) == 2
    assert main(["eval", "--skip-reference", "--skip-interactional", "--out", str(tmp_path / "x")]) == 2
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text(json.dumps({"schema": 1}))
    assert main(["eval", "--learner", "random", "--base-results", str(bad), "--out", str(tmp_path / "y"),
                 *ARGS]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "not a CLU2 results file" in err
