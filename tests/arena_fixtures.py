"""Shared builders for the arena tests: a real ``playschool eval`` output of the tiny model (with a base), zipped
as a visitor would upload it, and variants of it with distinct content."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

#: The interactional plan the arena tests score on: one fast game, one instance per experiment.
GAMES = ("taboo",)
N = 1
#: Reference items per task (self-reported on uploads); small keeps the eval quick.
LIMIT = 2

UPLOAD_MEMBERS = ("results.json", "interactional/records.jsonl", "base/interactional/records.jsonl")


def run_eval(model: Path, base: Path, out: Path) -> Path:
    """``playschool eval`` of ``model`` with ``base`` on the arena tests' plan; returns the output folder."""
    from playschool.cli import main

    rc = main(["eval", "--learner", f"hf:{model}", "--base", f"hf:{base}", "--games", *GAMES, "--n", str(N),
               "--limit", str(LIMIT), "--out", str(out), "--quiet", "--device", "cpu"])
    assert rc == 0, f"playschool eval failed with {rc}"
    return out


def zip_output(out: Path, dest: Path, *, prefix: str = "clu2-run/", results: dict | None = None) -> Path:
    """Zip an eval output folder as a visitor would (under one top-level folder); ``results`` replaces
    results.json (to make a variant)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in UPLOAD_MEMBERS:
            path = out / member
            if member == "results.json" and results is not None:
                zf.writestr(prefix + member, json.dumps(results))
            elif path.is_file():
                zf.write(path, prefix + member)
    return dest


def variant(out: Path, dest: Path, k: int) -> Path:
    """A valid upload with its own content hash: the same evaluation, its manifest told apart by a label."""
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results["manifest"] = {**results["manifest"], "note": f"variant {k}"}
    return zip_output(out, dest, results=results)
