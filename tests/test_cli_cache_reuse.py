"""``--reuse-cache`` on the command line: the same run with and without reuse of keys and values, and the
module entry point's error handling (``python -m playschool.cli``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from playschool import iter_records  # noqa: E402


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "playschool.cli", *args], capture_output=True, text=True,
                          timeout=600)


def _turns(run_dir: Path) -> dict[str, list[dict]]:
    out = {}
    for rec in iter_records(run_dir):
        data = rec.to_dict()
        out[rec.key] = [{k: v for k, v in t.items() if k != "tokens"} for t in data["turns"]] + [data["scores"]]
    return out


def test_reuse_cache_plays_the_same_run_and_records_itself(tmp_path: Path, tiny_model_path: Path) -> None:
    common = ["run", "--games", "wordle", "taboo", "--n", "1", "--learner", f"hf:{tiny_model_path}",
              "--max-new-tokens", "24", "--device", "cpu", "--quiet"]
    plain = _cli(*common, "--out", str(tmp_path / "plain"))
    reuse = _cli(*common, "--out", str(tmp_path / "reuse"), "--reuse-cache", "--cache-tokens", "20000")
    assert plain.returncode == 0, plain.stderr
    assert reuse.returncode == 0, reuse.stderr
    a, b = _turns(tmp_path / "plain"), _turns(tmp_path / "reuse")
    assert a and a == b
    m_plain = json.loads((tmp_path / "plain" / "manifest.json").read_text())
    m_reuse = json.loads((tmp_path / "reuse" / "manifest.json").read_text())
    # Reuse changes how much is computed, not what is played: the run's identity is the same.
    assert m_plain["manifest_id"] == m_reuse["manifest_id"]
    described = json.dumps(m_reuse["players"])
    assert '"cache_reuse": {"block": 16, "max_tokens": 20000}' in described
    assert '"cache_reuse": null' in json.dumps(m_plain["players"])


def test_module_entry_point_reports_subcommand_errors_in_one_line() -> None:
    # eval's errors are playschool.cli.CLIError; under -m the module also runs as __main__ (a second copy).
    proc = _cli("eval", "--skip-reference", "--skip-interactional", "--quiet")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "leave nothing to evaluate" in proc.stderr
