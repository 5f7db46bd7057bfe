"""The ``playschool`` command end to end, in subprocesses, on the toy game (no model needed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playschool import iter_records

TESTS = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": str(TESTS), "PLAYSCHOOL_GAMES": "higherlower=toygame:HigherLower"}
RUN = ["run", "--games", "higherlower", "--learner", "agent:agents:bisect_reply", "--quiet"]


def cli(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "playschool.cli", *args], env=ENV, capture_output=True,
                          text=True, input=input, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def _stable(run_dir: Path) -> dict[str, str]:
    """Records keyed by episode, without wall-clock timing."""
    out = {}
    for rec in iter_records(run_dir):
        data = rec.to_dict()
        data.pop("timing")
        out[rec.key] = json.dumps(data, sort_keys=True)
    return out


def test_list_shows_games_with_roles() -> None:
    out = cli("list", "--json").stdout
    games = {g["name"]: g for g in json.loads(out)}
    assert games["higherlower"]["learner_roles"] == ["guesser", "keeper"]
    assert games["higherlower"]["source"] == "PLAYSCHOOL_GAMES"


def test_run_resume_score_transcript(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cli(*RUN, "--out", str(out))
    recs = list(iter_records(out))
    assert len(recs) == 16 and all(r.outcome == "success" for r in recs)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["games"] == {"higherlower": "higherlower-v1"} and manifest["decoding"]["temperature"] == 0.0
    assert {r.manifest_id for r in recs} == {manifest["manifest_id"]}
    assert manifest["players"][0]["learner"]["backend"] == "agent" and "hardware" in manifest["players"][0]

    again = cli(*RUN, "--out", str(out), check=False)
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = cli(*RUN, "--out", str(out), "--resume")
    assert "16 already recorded, 0 to play" in resumed.stderr
    other = cli(*RUN, "--out", str(out), "--resume", "--max-new-tokens", "7", check=False)
    assert other.returncode == 2 and "another configuration" in other.stderr and "decoding" in other.stderr

    scored = cli("score", str(out))
    assert "every turn, outcome and score is what their moves produce" in scored.stderr
    summary = json.loads(cli("score", str(out), "--json").stdout)
    assert summary["checked"] == 16 and summary["mismatches"] == []

    cli("transcript", str(out))
    index = (out / "transcripts" / "index.html").read_text()
    assert index.count("<tr>") == 17
    page = next((out / "transcripts").glob("higherlower*keeper*.html")).read_text()
    assert "instruction" in page and "environment" in page and "background:" in page


def test_score_detects_tampered_scores(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cli(*RUN, "--out", str(out), "--n", "1")
    path = out / "records.jsonl"
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    first["scores"]["main"] = 99.0
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    proc = cli("score", str(out), check=False)
    assert proc.returncode == 1 and "1 of 4 records are invalid" in proc.stderr
    assert "scores differ from the replay's (main: 99.0 vs" in proc.stderr


def test_clear_errors_for_bad_input(tmp_path: Path) -> None:
    proc = cli("run", "--games", "nosuch", "--out", str(tmp_path / "x"), check=False)
    assert proc.returncode == 2 and "unknown game 'nosuch'" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(*RUN[:3], "--learner", "gpt4", "--out", str(tmp_path / "y"), check=False)
    assert proc.returncode == 2 and "cannot read model spec" in proc.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "records.jsonl").write_text("{not json}\n")
    proc = cli("score", str(bad), check=False)
    assert proc.returncode == 2 and "records.jsonl:1" in proc.stderr


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    args = ["run", "--games", "higherlower", "--split", "train", "--learner", "agent:agents:slow_bisect",
            "--quiet"]
    reference = tmp_path / "reference"
    cli(*args, "--out", str(reference))

    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "playschool.cli", *args, "--out", str(killed)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = killed / "records.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if records.exists() and records.read_text().count("\n") >= 8:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = records.read_text().count("\n")
    assert 8 <= partial < 40, "the kill must land mid-run"

    cli(*args, "--out", str(killed), "--resume")
    assert _stable(killed) == _stable(reference)
    keys = [r.key for r in iter_records(killed)]
    assert len(keys) == len(set(keys)) == 40


def test_play_as_a_human_in_the_terminal(tmp_path: Path) -> None:
    proc = cli("play", "higherlower", "--experiment", "small", "--role", "guesser", "--out", str(tmp_path),
               input="".join(f"GUESS: {i}\n" for i in range(1, 11)))
    assert "Guess my number between 1 and 10" in proc.stdout
    assert "success" in proc.stdout
    rec = next(iter_records(tmp_path))
    assert rec.outcome == "success" and rec.roles["guesser"] == "learner"


def test_play_ends_cleanly_when_input_ends() -> None:
    proc = cli("play", "higherlower", input="", check=False)
    assert proc.returncode == 1 and "not finished" in proc.stdout


@pytest.mark.parametrize("teacher", ["self", "agent:agents:bisect_reply"])
def test_watch_a_model_play(teacher: str) -> None:
    proc = cli("play", "higherlower", "--role", "keeper", "--learner", "agent:agents:bisect_reply",
               "--teacher", teacher)
    assert "outcome: success" in proc.stdout and "keeper → game" in proc.stdout


def test_calibrate_prints_reference_and_random_per_role() -> None:
    rows = json.loads(cli("calibrate", "--games", "higherlower", "--json", "--quiet").stdout)
    assert {r["learner_role"] for r in rows} == {"guesser", "keeper"}
    for row in rows:
        # Bisection on 1..100 or 1..1000 takes about 7-10 guesses: main = 100 / guesses.
        assert row["reference_success"] == 1.0 and row["reference_main"] > 9
        assert row["random_main"] < row["reference_main"]
    # The random guesser makes well-formed guesses in range: it plays to the move limit (no format aborts).
    guesser = next(r for r in rows if r["learner_role"] == "guesser")
    assert guesser["random_played"] == 1.0


def test_list_piped_prints_plain_full_ids() -> None:
    out = cli("list").stdout  # captured: not a terminal
    ids = [line.split("\t")[0] for line in out.splitlines() if line.strip()]
    assert "higherlower-v1" in ids and all("…" not in i and "-v" in i for i in ids)
    assert all(line.count("\t") == 5 for line in out.splitlines() if line.strip())


@pytest.mark.parametrize("make, expected", [
    (lambda d: d / "nowhere", "no such model folder"),
    (lambda d: (d / "file.bin").write_text("x") and d / "file.bin", "is a file, not a model folder"),
    (lambda d: d, "not a transformers model folder (it has no config.json)"),
    (lambda d: (d / "config.json").write_text("{bad") and d, "cannot load the model from its folder"),
])
def test_a_model_that_cannot_load_is_one_clear_line(tmp_path: Path, make, expected: str) -> None:
    folder = make(tmp_path)
    out = tmp_path / "run"
    proc = cli("run", "--games", "higherlower", "--learner", f"hf:{folder}", "--out", str(out), "--quiet",
               check=False)
    assert proc.returncode == 2 and expected in proc.stderr and f"hf:{folder}" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 2


def test_a_hub_model_without_network_is_one_clear_line(tmp_path: Path) -> None:
    env = {**ENV, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "playschool.cli", "run", "--games", "higherlower", "--learner",
                           "hf:some-org/no-such-model", "--out", str(tmp_path / "r"), "--quiet"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "hf:some-org/no-such-model: cannot load the model from the Hub" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_nano_model_is_the_default_learner() -> None:
    from playschool.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["play", "reference", "--learner"]).learner == "nano"  # a bare --learner
    assert parser.parse_args(["play", "reference"]).learner == "human"  # playing yourself stays the default
    assert parser.parse_args(["run", "--out", "x"]).learner == "nano"
    assert parser.parse_args(["eval"]).learner == "nano"
