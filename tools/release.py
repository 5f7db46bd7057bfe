"""Check and publish one release of playschool: the package, the Hub datasets and both Spaces, one tag.

Usage::

    python tools/release.py check [--outdir DIR] [--no-isolation] [--smoke]
    python tools/release.py publish --tag vX.Y.Z --dry-run
    HF_TOKEN=hf_... TWINE_USERNAME=__token__ TWINE_PASSWORD=pypi-... python tools/release.py publish --tag vX.Y.Z

``check`` holds every mention of the version to its one source (``playschool/_version.py``): pyproject's dynamic
version, the CHANGELOG's top section, CITATION.cff, and the Spaces' pins of this project (a git URL at the
release tag, never a bare name anyone could register on a package index), plus the Gradio version the Spaces
name. It then builds the sdist and, from it, the wheel (``python -m build``), runs ``twine check --strict``, lists
the wheel and requires every module and data file of the source folders in it. ``--smoke`` also installs the
wheel into a fresh virtual environment and runs ``playschool eval`` from it (a missing data file fails there).

``publish`` runs, in order: preflight (nothing is done unless every step can run), ``check --smoke``, ``git tag``
and ``git push`` of the tag, ``twine upload``, ``datasets_scripts/publish.py`` for each dataset's latest version
(skipped where the Hub already has that tag: a published dataset version never moves), and the two Spaces
(``HfApi().upload_folder`` of their few files, then a tag). ``--dry-run`` prints every step and does nothing.
docs/release.md explains each step.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

# The smoke test lives beside this file; put its folder on the path also when this file is loaded by path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from release_smoke import SmokeError, SmokeResult, evaluated_planes, smoke_test  # noqa: E402

__all__ = ["ReleaseError", "SmokeError", "SmokeResult", "check", "evaluated_planes", "main", "publish", "smoke_test"]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NAME = "playschool"
#: Where the source lives; the Spaces install the package from here, at the release tag.
REPO_URL = "https://github.com/playschool-lm/playschool"
HUB_ORG = "playschool"
VERSION_FILE = "playschool/_version.py"
VERSION_ATTR = "playschool._version.__version__"
#: Files that name the release tag in a pin of this project; the first two must hold one.
PIN_FILES = ("spaces/clu2/requirements.txt", "spaces/arena/requirements.txt", "spaces/clu2/README.md",
             "spaces/arena/README.md", "README.md")
REQUIRED_PINS = PIN_FILES[:2]
SPACE_READMES = ("spaces/clu2/README.md", "spaces/arena/README.md")
#: Each Space and the only files it gets: the arena's other modules come from the pinned package.
SPACES = {"clu2": ("spaces/clu2", ("clu2.py", "app.py", "README.md", "requirements.txt")),
          "arena": ("spaces/arena", ("app.py", "README.md", "requirements.txt"))}
#: Space-only files inside a package folder, which the wheel does not need.
SPACE_ONLY = {"spaces/arena/requirements.txt"}
#: Data files that must travel with the package: whatever of these a source folder holds is required in the wheel.
DATA_PATTERNS = ("*.json", "*.jsonl", "*.txt", "*.yaml", "*_yaml", "*.jinja", "*.safetensors", "*.css", "*.js",
                 "*.html", "*.sql", "py.typed")
#: Folders shipped whole (the embedded default learner).
DATA_TREES = ("playschool/models/",)
#: Wheel files without which the package cannot run its default evaluation.
ESSENTIAL = ("playschool/py.typed", "playschool/_version.py", "playschool/models/nano/model.safetensors",
             "playschool/models/nano/config.json", "playschool/models/nano/tokenizer.json",
             "playschool/benchmark/lm_eval_tasks/*.yaml", "playschool/benchmark/data/*/test.jsonl",
             "playschool/games/*/*.json", "playschool/games/*/*.txt")
#: Copied for the build without these: caches, earlier builds, run folders, the git directory.
BUILD_IGNORE = (".git", "__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache", ".ruff_cache", "*.egg-info",
                "build", "dist", "runs", ".venv", "node_modules")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?$")
_HEADING = re.compile(r"^## \[([^\]]+)\](?:\s*-\s*(.+?))?\s*$", re.M)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReleaseError(RuntimeError):
    """The tree or the artifacts are not fit to release."""


# ---- version sources ---------------------------------------------------------------------------------------


def read_version(root: Path = ROOT) -> str:
    """``__version__`` of ``playschool/_version.py``, read without importing the package."""
    tree = ast.parse((root / VERSION_FILE).read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__version__"
                                                 for t in node.targets)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            return node.value.value
    raise ReleaseError(f"{VERSION_FILE} has no literal __version__ = '...'")


def changelog_top(root: Path = ROOT) -> tuple[str, str | None]:
    """The newest version section of CHANGELOG.md (an ``[Unreleased]`` heading above it is skipped) and its
    date, or None while it says "Unreleased"."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    for version, when in _HEADING.findall(text):
        if version.strip().lower() == "unreleased":
            continue
        when = when.strip()
        return version.strip(), when if _DATE.match(when) else None
    raise ReleaseError("CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' section")


def citation(root: Path = ROOT) -> tuple[str | None, str | None]:
    """``version`` and ``date-released`` of CITATION.cff (flat keys; no YAML library needed)."""
    fields: dict[str, str] = {}
    for line in (root / "CITATION.cff").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(version|date-released):\s*['\"]?([^'\"#\s]+)", line)
        if match:
            fields[match[1]] = match[2]
    return fields.get("version"), fields.get("date-released")


def pins(root: Path = ROOT) -> dict[str, list[str]]:
    """Per file of :data:`PIN_FILES` that exists: the tags its pins of this project name (``@vX.Y.Z``)."""
    pattern = re.compile(re.escape(f"git+{REPO_URL}") + r"(?:\.git)?@(v?\d[^\s\"'#;]*)")
    found: dict[str, list[str]] = {}
    for rel in PIN_FILES:
        path = root / rel
        if path.is_file():
            found[rel] = pattern.findall(path.read_text(encoding="utf-8"))
    return found


def gradio_versions(root: Path = ROOT) -> dict[str, str]:
    """The Gradio version each Space names: README front matter ``sdk_version`` and ``gradio==`` pins."""
    found: dict[str, str] = {}
    for rel in SPACE_READMES:
        path = root / rel
        if path.is_file():
            match = re.search(r"^sdk_version:\s*['\"]?([\w.]+)", path.read_text(encoding="utf-8"), re.M)
            found[rel] = match[1] if match else "(no sdk_version)"
    for rel in REQUIRED_PINS:
        path = root / rel
        if path.is_file():
            match = re.search(r"^gradio\s*==\s*([\w.]+)", path.read_text(encoding="utf-8"), re.M)
            if match:
                found[rel] = match[1]
    return found


def _pyproject(root: Path) -> dict[str, Any]:
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def version_problems(root: Path = ROOT) -> list[str]:
    """Everything that disagrees with ``playschool/_version.py``; empty when all sources agree."""
    problems: list[str] = []
    version = read_version(root)
    if not _SEMVER.match(version):
        problems.append(f"{VERSION_FILE}: {version!r} is not a version like 1.2.3")
    tag = f"v{version}"

    data = _pyproject(root)
    project = data.get("project", {})
    if "version" in project:
        problems.append(f"pyproject.toml: [project] sets version = {project['version']!r}; it must be dynamic, "
                        f"read from {VERSION_ATTR}")
    if "version" not in project.get("dynamic", []):
        problems.append("pyproject.toml: 'version' is not in [project] dynamic")
    dynamic = data.get("tool", {}).get("setuptools", {}).get("dynamic", {})
    if dynamic.get("version", {}).get("attr") != VERSION_ATTR:
        problems.append(f"pyproject.toml: [tool.setuptools.dynamic] version must be {{ attr = \"{VERSION_ATTR}\" }}")

    try:
        top, _ = changelog_top(root)
        if top != version:
            problems.append(f"CHANGELOG.md: the top section is [{top}], the package is {version}")
    except ReleaseError as exc:
        problems.append(str(exc))

    cff_version, _ = citation(root)
    if cff_version != version:
        problems.append(f"CITATION.cff: version {cff_version}, the package is {version}")

    found = pins(root)
    for rel in REQUIRED_PINS:
        if not found.get(rel):
            problems.append(f"{rel}: no pin of this project (playschool[...] @ git+{REPO_URL}@{tag})")
    for rel, tags in found.items():
        problems += [f"{rel}: pins {t}, the release is {tag}" for t in tags if t != tag]
    for rel in REQUIRED_PINS:
        path = root / rel
        if path.is_file():
            bare = [line for line in path.read_text(encoding="utf-8").splitlines()
                    if re.match(rf"^\s*{NAME}\s*(\[[^\]]*\])?\s*([<>=!~;].*)?$", line)]
            problems += [f"{rel}: {line.strip()!r} installs whatever the index holds under that name; pin the "
                         f"release tag" for line in bare]

    gradio = gradio_versions(root)
    if len(set(gradio.values())) > 1:
        problems.append("the Spaces name different Gradio versions: "
                        + ", ".join(f"{rel} {v}" for rel, v in gradio.items()))
    space_extra = [r for r in project.get("optional-dependencies", {}).get("space", []) if r.startswith("gradio")]
    if space_extra and gradio:
        from packaging.requirements import Requirement

        spec = Requirement(space_extra[0]).specifier
        problems += [f"{rel}: Gradio {v} is outside the [space] extra's {spec}"
                     for rel, v in gradio.items() if v not in spec]
    return problems


# ---- building and inspecting the artifacts -----------------------------------------------------------------


def package_folders(root: Path = ROOT) -> dict[str, str]:
    """setup.py's FOLDERS (import name -> folder), read without running setup.py."""
    for node in ast.parse((root / "setup.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "FOLDERS" for t in node.targets):
            value = ast.literal_eval(node.value)
            assert isinstance(value, dict)
            return {str(k): str(v) for k, v in value.items()}
    raise ReleaseError("setup.py has no FOLDERS mapping")


def expected_wheel_files(root: Path = ROOT) -> set[str]:
    """Every module and data file the source folders hold, as its path inside the wheel."""
    folders = package_folders(root)
    expected: set[str] = set()
    for name, folder in folders.items():
        base = root / folder
        # a mapped folder nested in this one is walked under its own import name
        nested = [other + "/" for other in folders.values() if other != folder and other.startswith(folder + "/")]
        for path in sorted(base.rglob("*")):
            rel_src = path.relative_to(root).as_posix()
            parts = path.relative_to(base).parts
            if (not path.is_file() or any(p == "__pycache__" or p.startswith(".") for p in parts)
                    or rel_src in SPACE_ONLY or any(rel_src.startswith(n) for n in nested)):
                continue
            in_tree = any(rel_src.startswith(t) for t in DATA_TREES)
            if path.suffix == ".py" or in_tree or any(fnmatch.fnmatch(path.name, p) for p in DATA_PATTERNS):
                expected.add("/".join([*name.split("."), *parts]))
    return expected


def copy_source(root: Path, dest: Path) -> Path:
    """A clean copy of the tree to build from, so a build never writes into the working tree."""
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns(*BUILD_IGNORE), symlinks=True)
    return dest


def build(root: Path, outdir: Path, *, isolation: bool = True) -> tuple[Path, Path]:
    """``python -m build``: the sdist, then the wheel built from the sdist. Returns (sdist, wheel)."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="playschool-build-") as tmp:
        src = copy_source(root, Path(tmp) / "src")
        cmd = [sys.executable, "-m", "build", "--outdir", str(outdir.resolve())]
        if not isolation:
            cmd.append("--no-isolation")
        proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReleaseError(f"python -m build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    version = read_version(root)
    sdist, wheel = outdir / f"{NAME}-{version}.tar.gz", outdir / f"{NAME}-{version}-py3-none-any.whl"
    for artifact in (sdist, wheel):
        if not artifact.is_file():
            made = sorted(p.name for p in outdir.iterdir())
            raise ReleaseError(f"expected {artifact.name} in {outdir}, the build made {made}")
    return sdist, wheel


def twine_check(paths: Sequence[Path]) -> None:
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, paths)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReleaseError(f"twine check failed:\n{proc.stdout}{proc.stderr}")


def wheel_files(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return sorted(zf.namelist())


def artifact_problems(root: Path, sdist: Path, wheel: Path) -> list[str]:
    """What the built sdist and wheel lack: version metadata, modules, data files, the console script."""
    version = read_version(root)
    problems: list[str] = []
    names = wheel_files(wheel)
    present = set(names)
    dist_info = f"{NAME}-{version}.dist-info"
    with zipfile.ZipFile(wheel) as zf:
        try:
            meta = HeaderParser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
            entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        except KeyError as exc:
            return [f"{wheel.name}: no {exc.args[0]}"]
    if meta["Name"] != NAME or meta["Version"] != version:
        problems.append(f"{wheel.name}: METADATA says {meta['Name']} {meta['Version']}, expected {NAME} {version}")
    if not re.search(rf"^{NAME}\s*=\s*{NAME}\.cli:main\s*$", entry_points, re.M):
        problems.append(f"{wheel.name}: no '{NAME}' console script")
    missing = sorted(expected_wheel_files(root) - present)
    problems += [f"{wheel.name}: missing {path}" for path in missing]
    for pattern in ESSENTIAL:
        if not any(fnmatch.fnmatch(n, pattern) for n in names):
            problems.append(f"{wheel.name}: nothing matches {pattern}")
    with tarfile.open(sdist) as tf:
        members = set(tf.getnames())
        prefix = f"{NAME}-{version}/"
        for needed in ("PKG-INFO", "pyproject.toml", "setup.py", "README.md", "LICENSE", VERSION_FILE):
            if prefix + needed not in members:
                problems.append(f"{sdist.name}: missing {needed}")
        info = tf.extractfile(prefix + "PKG-INFO") if prefix + "PKG-INFO" in members else None
        if info is not None:
            sdist_version = HeaderParser().parsestr(info.read().decode())["Version"]
            if sdist_version != version:
                problems.append(f"{sdist.name}: PKG-INFO says version {sdist_version}, expected {version}")
    return problems


# ---- check -------------------------------------------------------------------------------------------------


def check(root: Path = ROOT, outdir: Path | None = None, *, isolation: bool = True, smoke: bool = False,
          echo: Callable[[str], None] = print) -> tuple[Path, Path]:
    """Versions agree, the artifacts build and pass twine and hold every file (and run, with ``smoke``)."""
    problems = version_problems(root)
    if problems:
        raise ReleaseError("versions disagree:\n  " + "\n  ".join(problems))
    version = read_version(root)
    echo(f"versions agree: {version} (_version.py, pyproject, CHANGELOG, CITATION.cff, Space pins v{version}, "
         f"Gradio {', '.join(sorted(set(gradio_versions(root).values()))) or '-'})")
    with tempfile.TemporaryDirectory(prefix="playschool-dist-") as tmp:
        target = outdir or Path(tmp)
        sdist, wheel = build(root, target, isolation=isolation)
        echo(f"built {sdist.name}, {wheel.name}")
        twine_check([sdist, wheel])
        echo("twine check --strict: passed")
        names = wheel_files(wheel)
        data = [n for n in names if not n.endswith(".py") and ".dist-info/" not in n]
        echo(f"wheel: {len(names)} files, {sum(n.endswith('.py') for n in names)} modules, {len(data)} data files:")
        for name in data:
            echo(f"  {name}")
        problems = artifact_problems(root, sdist, wheel)
        if problems:
            raise ReleaseError("the artifacts are incomplete:\n  " + "\n  ".join(problems))
        echo("every module and data file of the source folders is in the wheel")
        if smoke:
            with tempfile.TemporaryDirectory(prefix="playschool-smoke-") as work:
                result = smoke_test(wheel, Path(work))
                planes = evaluated_planes(result.results)
                if result.version != version or planes != {"reference", "interactional"}:
                    raise ReleaseError(f"the installed wheel reports {result.version} and evaluated {planes}")
                echo(f"installed wheel: playschool {result.version} from {result.module_file}; "
                     f"playschool eval scored both planes ({result.seconds:.0f} s)")
        return sdist, wheel


# ---- publish -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One publishing step: what it does, the command shown for it, and how to do it."""

    title: str
    shown: str
    run: Callable[[], None]


def dataset_versions(root: Path = ROOT) -> dict[str, str]:
    """Each Hub dataset and the latest version in ``datasets_scripts/versions.json``."""
    history = json.loads((root / "datasets_scripts/versions.json").read_text(encoding="utf-8"))
    return {name: entries[-1]["version"] for name, entries in history.items()}


def preflight(root: Path, tag: str, datasets_dir: Path, *, git: bool = True) -> list[str]:
    """Everything that would stop a release part-way, found before anything is done."""
    problems = version_problems(root)
    version = read_version(root)
    top, when = changelog_top(root)
    if when is None:
        problems.append(f"CHANGELOG.md: [{top}] has no release date (write '## [{top}] - YYYY-MM-DD')")
    cff_version, cff_date = citation(root)
    if when is not None and cff_date != when:
        problems.append(f"CITATION.cff: date-released {cff_date}, the CHANGELOG says {when}")
    if tag != f"v{version}":
        problems.append(f"--tag {tag} is not v{version} (playschool/_version.py)")
    if not os.environ.get("HF_TOKEN"):
        problems.append("HF_TOKEN is not set (the datasets and the Spaces need a Hub token with write access)")
    for name, (folder, files) in SPACES.items():
        problems += [f"Space {name}: {folder}/{f} is missing" for f in files if not (root / folder / f).is_file()]
    publish = _publish_module(root)
    for name, ds_version in dataset_versions(root).items():
        try:
            publish.plan(root / datasets_dir / name, f"{HUB_ORG}/{name}", ds_version)
        except publish.PublishError as exc:
            problems.append(f"dataset {name}: {exc} (build it: see datasets_scripts/README.md)")
    if git:
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True)
        if status.returncode != 0 or status.stdout.strip():
            problems.append("the git tree has uncommitted changes (or is not a git checkout)")
        exists = subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{tag}"], cwd=root,
                                capture_output=True, text=True)
        if exists.returncode == 0:
            problems.append(f"git tag {tag} exists already; a released version never moves")
    return problems


def _publish_module(root: Path) -> Any:
    """``datasets_scripts/publish.py`` (a script, not a package module), for its folder checks."""
    import importlib.util

    path = root / "datasets_scripts" / "publish.py"
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("playschool_dataset_publish", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def publish_steps(root: Path, tag: str, *, dist: Path, datasets_dir: Path, remote: str = "origin",
                  isolation: bool = True) -> list[Step]:
    """The release, in order. Nothing runs until a step's ``run`` is called. Relative paths are taken from
    ``root``, where the steps run."""
    version = read_version(root)
    sdist, wheel = dist / f"{NAME}-{version}.tar.gz", dist / f"{NAME}-{version}-py3-none-any.whl"
    py = "python" if Path(sys.executable).name.startswith("python") else sys.executable

    def sh(*cmd: str) -> Callable[[], None]:
        return lambda: _check_call(list(cmd), root)

    def run_check() -> None:
        check(root, root / dist, isolation=isolation, smoke=True)

    steps = [
        Step("check: versions agree, sdist and wheel build, twine check, every data file in the wheel, the "
             "installed wheel runs playschool eval",
             f"{py} tools/release.py check --outdir {dist} --smoke" + ("" if isolation else " --no-isolation"),
             run_check),
        Step(f"tag the release commit {tag}", f"git tag -a {tag} -m 'playschool {version}'",
             sh("git", "tag", "-a", tag, "-m", f"playschool {version}")),
        Step("push the tag (the Spaces install the package from it)", f"git push {remote} {tag}",
             sh("git", "push", remote, tag)),
        Step("upload the package to the package index", f"{py} -m twine upload {sdist} {wheel}",
             sh(sys.executable, "-m", "twine", "upload", str(root / sdist), str(root / wheel))),
    ]
    for name, ds_version in dataset_versions(root).items():
        built, repo = datasets_dir / name, f"{HUB_ORG}/{name}"
        steps.append(Step(f"publish dataset {repo} {ds_version} (skipped if the Hub already has that tag)",
                          f"{py} datasets_scripts/publish.py {built} --repo {repo} --version {ds_version}",
                          _dataset_step(root, root / built, repo, ds_version)))
    for name, (space, files) in SPACES.items():
        repo = f"{HUB_ORG}/{name}"
        steps.append(Step(f"upload Space {repo} ({', '.join(files)}) and tag it {tag}",
                          f"HfApi().upload_folder(repo_id={repo!r}, repo_type='space', folder_path={space!r}, "
                          f"allow_patterns={list(files)!r}); HfApi().create_tag({repo!r}, tag={tag!r}, "
                          "repo_type='space')",
                          _space_step(root / space, repo, files, tag)))
    return steps


def _check_call(cmd: list[str], cwd: Path) -> None:
    if subprocess.run(cmd, cwd=cwd).returncode != 0:
        raise ReleaseError(f"{' '.join(cmd)} failed")


def _dataset_step(root: Path, folder: Path, repo: str, version: str) -> Callable[[], None]:
    def run() -> None:
        from huggingface_hub import HfApi

        api = HfApi(token=os.environ["HF_TOKEN"])
        if api.repo_exists(repo, repo_type="dataset"):
            tags = {ref.name for ref in api.list_repo_refs(repo, repo_type="dataset").tags}
            if version in tags:
                print(f"  {repo}@{version} is published already; skipped")
                return
        _check_call([sys.executable, str(root / "datasets_scripts/publish.py"), str(folder), "--repo", repo,
                     "--version", version], root)

    return run


def _space_step(folder: Path, repo: str, files: Sequence[str], tag: str) -> Callable[[], None]:
    def run() -> None:
        from huggingface_hub import HfApi

        api = HfApi(token=os.environ["HF_TOKEN"])
        api.create_repo(repo, repo_type="space", space_sdk="gradio", exist_ok=True)
        commit = api.upload_folder(repo_id=repo, repo_type="space", folder_path=str(folder),
                                   allow_patterns=list(files), commit_message=f"playschool {tag}")
        api.create_tag(repo, tag=tag, repo_type="space", revision=str(commit.oid),
                       tag_message=f"playschool {tag}")

    return run


def publish(root: Path, tag: str, *, dry_run: bool, dist: Path, datasets_dir: Path, remote: str = "origin",
            isolation: bool = True, echo: Callable[[str], None] = print) -> int:
    if tag != f"v{read_version(root)}":
        echo(f"error: --tag {tag} is not v{read_version(root)} (playschool/_version.py)")
        return 2
    steps = publish_steps(root, tag, dist=dist, datasets_dir=datasets_dir, remote=remote, isolation=isolation)
    blockers = preflight(root, tag, datasets_dir, git=not dry_run)
    if dry_run:
        echo(f"dry run: releasing playschool {tag} would run {len(steps)} steps; nothing is done")
        if blockers:
            echo("the real run would stop before step 1 on:\n  " + "\n  ".join(blockers))
        for i, step in enumerate(steps, 1):
            echo(f"[{i}/{len(steps)}] {step.title}\n    $ {step.shown}")
        return 0
    if blockers:
        echo("error: not releasing; fix these first:\n  " + "\n  ".join(blockers))
        return 1
    for i, step in enumerate(steps, 1):
        echo(f"[{i}/{len(steps)}] {step.title}\n    $ {step.shown}")
        step.run()
    echo(f"released playschool {tag}")
    return 0


def _from_root(path: Path) -> Path:
    """A path given on the command line, as the steps (run in the repository root) must name it: relative to
    the root when it lies inside it (the dry run stays readable), absolute otherwise."""
    resolved = path.resolve()
    return resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else resolved


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="versions agree; build, twine check and inspect the sdist and wheel")
    c.add_argument("--outdir", type=Path, help="keep the artifacts here (default: a temporary folder)")
    c.add_argument("--smoke", action="store_true", help="also install the wheel in a fresh venv and run eval")
    p = sub.add_parser("publish", help="tag and publish the package, the datasets and both Spaces")
    p.add_argument("--tag", required=True, help="vX.Y.Z, equal to playschool/_version.py")
    p.add_argument("--dry-run", action="store_true", help="print every step; do nothing")
    p.add_argument("--dist", type=Path, default=Path("dist"), help="where the artifacts go (default: dist)")
    p.add_argument("--datasets-dir", type=Path, default=Path("build/datasets"),
                   help="built dataset folders, one per dataset name (default: build/datasets)")
    p.add_argument("--remote", default="origin", help="git remote to push the tag to")
    for parser in (c, p):
        parser.add_argument("--no-isolation", action="store_true",
                            help="build with this environment's setuptools (offline) instead of a fresh one")
    args = ap.parse_args(argv)
    try:
        if args.command == "check":
            check(ROOT, args.outdir, isolation=not args.no_isolation, smoke=args.smoke)
            return 0
        return publish(ROOT, args.tag, dry_run=args.dry_run, dist=_from_root(args.dist),
                       datasets_dir=_from_root(args.datasets_dir), remote=args.remote,
                       isolation=not args.no_isolation)
    except (ReleaseError, SmokeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
