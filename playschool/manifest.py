"""The run manifest: everything needed to reproduce a number we print (docs/architecture.md, "Run manifest").

The manifest id hashes only what determines results (package version, games and versions, instance
selection, models, decoding, seeds, the learner's ``feedback`` mode: what it was shown of the teacher's
feedback, see :mod:`playschool.feedback`), not when or where the run happened, so a resumed run on another
machine keeps its id and every record points to the manifest it was played under; resuming with other
settings is refused, naming them.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._version import __version__
from .fileio import write_atomic

MANIFEST_FILE = "manifest.json"


class ManifestMismatchError(RuntimeError):
    """A run folder already holds a run with another configuration."""


def package_version() -> str:
    """This package's version, from its one source (``playschool/_version.py``), so that a source tree, an
    editable install whose metadata predates a version bump and an installed wheel all report the same."""
    return __version__


def git_sha() -> str | None:
    """The commit of the source tree the package runs from, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "python": sys.version.split()[0],
                            "cpu_count": os.cpu_count(), "machine": platform.machine()}
    torch = sys.modules.get("torch")  # only describe GPUs if torch is already in use; never import it here
    if torch is not None and torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


def build_manifest(config: dict[str, Any]) -> dict[str, Any]:
    """A manifest for ``config`` (the reproducibility-relevant settings), with its id and environment."""
    reproducible = {"package_version": package_version(), **config}
    manifest_id = hashlib.sha256(json.dumps(reproducible, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return {
        "manifest_id": manifest_id,
        **reproducible,
        "git_sha": git_sha(),
        "hardware": hardware(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
    }


def write_or_check_manifest(run_dir: Path, manifest: dict[str, Any], *, resume: bool) -> dict[str, Any]:
    """Write the manifest of a new run, or check a resumed run has the same configuration.

    Returns the manifest in force (the existing one when resuming).
    """
    path = run_dir / MANIFEST_FILE
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            msg = f"{path} is not valid JSON ({exc}); restore it or use another --out"
            raise ManifestMismatchError(msg) from exc
        if not resume:
            raise ManifestMismatchError(f"{run_dir} already holds a run; pass --resume to continue it or choose "
                                        "another --out")
        if old.get("manifest_id") != manifest["manifest_id"]:
            diffs = sorted(k for k in set(old) | set(manifest)
                           if k not in ("manifest_id", "git_sha", "hardware", "created", "command", "players")
                           and old.get(k) != manifest.get(k))
            raise ManifestMismatchError(f"{run_dir} holds a run with another configuration (differs in: "
                                        f"{', '.join(diffs) or 'package version'}); use another --out")
        return old
    run_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    return manifest


def record_players(run_dir: Path, players: dict[str, Any]) -> None:
    """Add what the loaded models say about themselves (id, revision, dtype, device, size) to the manifest.

    Kept out of the manifest id: the same run resumed on another device is still the same run. Each session
    of a resumed run appends its entry, so the manifest shows every machine that played part of it.
    """
    path = run_dir / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.setdefault("players", []).append({"session": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                               "hardware": hardware(), **players})
    write_atomic(path, json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    path = Path(run_dir) / MANIFEST_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
