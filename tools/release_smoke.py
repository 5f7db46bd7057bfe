"""The release check's last step: the built wheel installed alone into a fresh virtual environment, imported
from outside any source tree, and ``playschool eval`` run from its console script, so a module or data file the
wheel lacks fails here (used by ``tools/release.py check --smoke`` and tests/test_release.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

NAME = "playschool"


class SmokeError(RuntimeError):
    """The installed wheel did not install, import or evaluate; the message carries the failing command's output."""


@dataclass(frozen=True)
class SmokeResult:
    """What running the installed wheel showed."""

    module_file: str  # playschool.__file__ inside the venv
    version: str  # playschool.__version__ inside the venv
    results: Path  # results.json of the evaluation
    seconds: float


def smoke_test(wheel: Path, workdir: Path, *, eval_args: Sequence[str] = ()) -> SmokeResult:
    """Install ``wheel`` alone (``--no-deps``) into a fresh venv that sees this interpreter's packages (torch,
    transformers, lm-eval are not reinstalled), import it from outside any source tree, and run a short
    ``playschool eval`` from the venv's console script. A data file missing from the wheel fails here."""
    start = time.monotonic()
    env_dir, run_dir = workdir / "venv", workdir / "cwd"
    run_dir.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=os.name != "nt").create(env_dir)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")  # all it needs ships in it
    # pip of this interpreter installs into the venv (the venv has none of its own: no download needed)
    _see_this_environment(python, cwd=run_dir, env=env)
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
          str(wheel)], cwd=run_dir, env=env)
    probe = _run([str(python), "-c", "import json, playschool; print(json.dumps("
                  "{'file': playschool.__file__, 'version': playschool.__version__}))"], cwd=run_dir, env=env)
    info = json.loads(probe.strip().splitlines()[-1])
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=run_dir, env=env).strip())
    if not Path(info["file"]).resolve().is_relative_to(site.resolve()):
        raise SmokeError(f"the venv imports playschool from {info['file']}, not from its site-packages {site}")
    out = workdir / "eval"
    script = env_dir / ("Scripts" if os.name == "nt" else "bin") / NAME
    args = list(eval_args) or ["--games", "taboo", "--limit", "1", "--n-boot", "50"]
    _run([str(script), "eval", "--out", str(out), "--quiet", *args], cwd=run_dir, env=env)
    results = out / "results.json"
    if not results.is_file():
        raise SmokeError(f"playschool eval from the installed wheel wrote no {results}")
    return SmokeResult(info["file"], info["version"], results, time.monotonic() - start)


def _see_this_environment(python: Path, *, cwd: Path, env: dict[str, str]) -> None:
    """Make the new venv see the packages of the environment running this check, not only the base
    interpreter's: ``system_site_packages`` means the *base* interpreter's site-packages, so a check run inside
    a virtual environment (CI often is) would otherwise find no torch. The paths go in a ``.pth`` file, which
    appends them after the venv's own site-packages (the installed wheel wins) and, being plain paths rather
    than site dirs, does not run their ``.pth`` hooks (an editable install of this project stays inactive)."""
    import site

    if sys.prefix == sys.base_prefix:
        return  # not in a virtual environment: system_site_packages already gives these packages
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=cwd, env=env).strip())
    (purelib / "_parent_environment.pth").write_text("".join(f"{p}\n" for p in parents), encoding="utf-8")


def _run(cmd: Sequence[str], *, cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SmokeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def evaluated_planes(results: Path) -> set[str]:
    """The planes a results.json scored: 'reference' and/or 'interactional'."""
    dims = json.loads(results.read_text(encoding="utf-8"))["scorecard"]["dimensions"]
    planes = {"understanding_reasoning": "reference", "collaborative_language_use": "interactional"}
    return {planes[d] for d, v in dims.items() if d in planes and v and v.get("score") is not None}
