"""The release path (tools/release.py, docs/release.md): one version everywhere, the built wheel complete and
runnable, the Spaces pinned to the release tag, and a publish dry run that does nothing."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _load_release() -> ModuleType:
    spec = importlib.util.spec_from_file_location("playschool_release_tool", ROOT / "tools" / "release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


release = _load_release()

#: What the version checks read (the rest of the tree plays no part in them).
VERSION_FILES = ("playschool/_version.py", "pyproject.toml", "setup.py", "CHANGELOG.md", "CITATION.cff",
                 "README.md", "spaces/clu2/requirements.txt", "spaces/clu2/README.md",
                 "spaces/arena/requirements.txt", "spaces/arena/README.md")


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A copy of the files the version checks read, to break one at a time."""
    for rel in VERSION_FILES:
        if (ROOT / rel).is_file():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, tmp_path / rel)
    return tmp_path


def _edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rel} no longer holds {old!r}; update this test"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


# ---- one version -------------------------------------------------------------------------------------------


def test_every_version_source_agrees_with_the_one_source() -> None:
    assert release.version_problems(ROOT) == []
    import playschool

    version = release.read_version(ROOT)
    assert playschool.__version__ == version == playschool.package_version()
    assert release.changelog_top(ROOT)[0] == version
    assert release.citation(ROOT)[0] == version
    assert release.pins(ROOT)["spaces/clu2/requirements.txt"] == [f"v{version}"]
    assert release.pins(ROOT)["spaces/arena/requirements.txt"] == [f"v{version}"]


def test_the_copied_tree_agrees_too(tree: Path) -> None:
    assert release.version_problems(tree) == []


def _bump_version(root: Path) -> None:
    _edit(root, "playschool/_version.py", f'"{release.read_version(root)}"', '"9.9.9"')


def _changelog(root: Path) -> None:
    _edit(root, "CHANGELOG.md", f"## [{release.read_version(root)}]", "## [9.9.9]")


def _citation(root: Path) -> None:
    _edit(root, "CITATION.cff", f"version: {release.read_version(root)}", "version: 0.0.1")


def _clu2_pin(root: Path) -> None:
    _edit(root, "spaces/clu2/requirements.txt", f"@v{release.read_version(root)}", "@v0.0.1")


def _arena_bare(root: Path) -> None:
    path = root / "spaces/arena/requirements.txt"
    path.write_text(re.sub(r"(?m)^playschool.*$", "playschool[space,eval,taboo]>=0.1",
                           path.read_text(encoding="utf-8")), encoding="utf-8")


def _card_install_line(root: Path) -> None:
    _edit(root, "spaces/clu2/README.md", f"@v{release.read_version(root)}", "@v0.0.1")


def _static_pyproject(root: Path) -> None:
    _edit(root, "pyproject.toml", 'dynamic = ["version"]', 'version = "0.2.0"')


def _gradio(root: Path) -> None:
    path = root / "spaces/clu2/README.md"
    path.write_text(re.sub(r"(?m)^sdk_version: .*$", "sdk_version: 3.19.1", path.read_text(encoding="utf-8")),
                    encoding="utf-8")


BREAKS: dict[str, tuple[Callable[[Path], None], str]] = {
    "_version.py bumped alone": (_bump_version, "CHANGELOG.md"),
    "changelog top section": (_changelog, "CHANGELOG.md: the top section is [9.9.9]"),
    "citation version": (_citation, "CITATION.cff: version 0.0.1"),
    "clu2 Space pin": (_clu2_pin, "spaces/clu2/requirements.txt: pins v0.0.1"),
    "arena Space bare name": (_arena_bare, "spaces/arena/requirements.txt"),
    "metric card install line": (_card_install_line, "spaces/clu2/README.md: pins v0.0.1"),
    "static version in pyproject": (_static_pyproject, "pyproject.toml: [project] sets version"),
    "gradio of the metric Space": (_gradio, "Gradio 3.19.1 is outside"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_the_check_fails_when_one_source_disagrees(tree: Path, name: str) -> None:
    breaker, expected = BREAKS[name]
    breaker(tree)
    problems = release.version_problems(tree)
    assert any(expected in p for p in problems), problems


def test_a_bumped_version_names_every_file_left_behind(tree: Path) -> None:
    _bump_version(tree)
    text = "\n".join(release.version_problems(tree))
    for rel in ("CHANGELOG.md", "CITATION.cff", "spaces/clu2/requirements.txt", "spaces/arena/requirements.txt"):
        assert rel in text


def test_changelog_skips_an_unreleased_heading_and_reads_the_date(tree: Path) -> None:
    version = release.read_version(tree)
    path = tree / "CHANGELOG.md"
    text = re.sub(rf"(?m)^## \[{re.escape(version)}\].*$", f"## [Unreleased]\n\n## [{version}] - 2031-02-03",
                  path.read_text(encoding="utf-8"), count=1)
    path.write_text(text, encoding="utf-8")
    assert release.changelog_top(tree) == (version, "2031-02-03")
    assert release.version_problems(tree) == []


def test_the_spaces_name_one_gradio_version_and_pin_the_release_tag() -> None:
    gradio = release.gradio_versions(ROOT)
    assert gradio["spaces/clu2/README.md"] == gradio["spaces/arena/requirements.txt"]
    assert len(set(gradio.values())) == 1
    for rel in release.REQUIRED_PINS:
        lines = [line for line in (ROOT / rel).read_text(encoding="utf-8").splitlines()
                 if line.startswith("playschool")]
        assert lines and all(f"@ git+{release.REPO_URL}@v" in line for line in lines), lines


# ---- publish dry run ---------------------------------------------------------------------------------------


def _fake_git(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PATH with a ``git`` that only records that it was called."""
    bin_dir, marker = tmp_path / "bin", tmp_path / "git-was-called"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\nexit 1\n")
    (bin_dir / "git").chmod(0o755)
    env = {k: v for k, v in OFFLINE.items() if k not in {"HF_TOKEN", "TWINE_PASSWORD"}}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env, marker


def test_publish_dry_run_prints_every_step_in_order_and_does_nothing(tmp_path: Path) -> None:
    version = release.read_version(ROOT)
    env, marker = _fake_git(tmp_path)
    dist, datasets = tmp_path / "dist", tmp_path / "datasets"
    proc = subprocess.run([sys.executable, str(ROOT / "tools/release.py"), "publish", "--tag", f"v{version}",
                           "--dry-run", "--dist", str(dist), "--datasets-dir", str(datasets)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    order = ["tools/release.py check", f"git tag -a v{version}", f"git push origin v{version}",
             "twine upload", "publish.py", "upload_folder(repo_id='playschool/clu2'",
             "upload_folder(repo_id='playschool/arena'"]
    positions = [out.find(needle) for needle in order]
    assert -1 not in positions and positions == sorted(positions), out
    for name, ds_version in release.dataset_versions(ROOT).items():
        assert f"--repo playschool/{name} --version {ds_version}" in out
    assert "allow_patterns=['app.py', 'README.md', 'requirements.txt']" in out  # the arena: nothing else
    assert f"playschool-{version}-py3-none-any.whl" in out
    # nothing happened: no git, no build, no datasets; the blockers of a real run are named
    assert not marker.exists() and not dist.exists() and not datasets.exists()
    assert "HF_TOKEN is not set" in out and "dataset playpen-games" in out


def test_publish_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    env, marker = _fake_git(tmp_path)
    proc = subprocess.run([sys.executable, str(ROOT / "tools/release.py"), "publish", "--tag", "v9.9.9",
                           "--dry-run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "is not v" in proc.stdout
    assert not marker.exists()


def test_a_real_publish_with_blockers_does_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, marker = _fake_git(tmp_path)
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.delenv("HF_TOKEN", raising=False)
    lines: list[str] = []
    code = release.publish(ROOT, f"v{release.read_version(ROOT)}", dry_run=False, dist=tmp_path / "dist",
                           datasets_dir=tmp_path / "none", echo=lines.append)
    assert code == 1 and "not releasing" in lines[0] and "HF_TOKEN" in lines[0]
    calls = marker.read_text().splitlines()  # only the read-only preflight questions reached git
    assert calls and all(c.split()[0] in {"status", "rev-parse"} for c in calls), calls
    assert not (tmp_path / "dist").exists()


class FakeHub:
    """Records what a publishing step asks of the Hub."""

    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
    tags: set[str] = set()

    def __init__(self, token: str | None = None) -> None:
        assert token == "hf_test"

    def __getattr__(self, name: str) -> Callable[..., object]:
        def record(*args: object, **kwargs: object) -> object:
            FakeHub.calls.append((name, args, kwargs))
            if name == "upload_folder":
                return type("Commit", (), {"oid": "abc123"})()
            if name == "list_repo_refs":
                return type("Refs", (), {"tags": [type("Ref", (), {"name": t})() for t in FakeHub.tags]})()
            return True

        return record


def test_space_steps_upload_only_the_space_files_and_tag_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    FakeHub.calls = []
    steps = release.publish_steps(ROOT, "v0.2.0", dist=Path("dist"), datasets_dir=Path("none"))
    arena = next(s for s in steps if "playschool/arena" in s.title)
    arena.run()
    names = [c[0] for c in FakeHub.calls]
    assert names == ["create_repo", "upload_folder", "create_tag"]
    assert FakeHub.calls[0][2]["space_sdk"] == "gradio" and FakeHub.calls[0][2]["repo_type"] == "space"
    upload = FakeHub.calls[1][2]
    assert upload["repo_id"] == "playschool/arena" and upload["repo_type"] == "space"
    assert upload["allow_patterns"] == ["app.py", "README.md", "requirements.txt"]
    assert Path(str(upload["folder_path"])) == ROOT / "spaces" / "arena"
    assert FakeHub.calls[2][2]["tag"] == "v0.2.0" and FakeHub.calls[2][2]["revision"] == "abc123"


def test_a_dataset_version_the_hub_has_already_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    FakeHub.calls, FakeHub.tags = [], {"v2.0.0"}
    ran: list[list[str]] = []
    monkeypatch.setattr(release, "_check_call", lambda cmd, cwd: ran.append(cmd))
    step = release._dataset_step(ROOT, Path("none"), "playschool/playpen-games", "v2.0.0")
    step()
    assert ran == []  # published already: publish.py is not run
    FakeHub.tags = {"v1.0.0"}
    step()
    assert len(ran) == 1 and ran[0][-2:] == ["--version", "v2.0.0"] and "publish.py" in ran[0][1]


def test_preflight_wants_a_dated_changelog_and_the_same_date_in_the_citation(tree: Path) -> None:
    shutil.copytree(ROOT / "datasets_scripts", tree / "datasets_scripts")
    version = release.read_version(tree)
    path = tree / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8")
    heading = re.search(rf"(?m)^## \[{re.escape(version)}\].*$", text)
    assert heading is not None
    for rel, spec in release.SPACES.values():
        for name in spec:
            (tree / rel / name).touch()

    path.write_text(text.replace(heading[0], f"## [{version}] - Unreleased"), encoding="utf-8")
    blockers = release.preflight(tree, f"v{version}", tree / "none", git=False)
    assert any("has no release date" in b for b in blockers), blockers

    path.write_text(text.replace(heading[0], f"## [{version}] - 2031-02-03"), encoding="utf-8")
    cff = tree / "CITATION.cff"
    cff.write_text(re.sub(r"(?m)^date-released:.*\n", "", cff.read_text(encoding="utf-8"))
                   + "date-released: 2031-02-04\n", encoding="utf-8")
    blockers = release.preflight(tree, f"v{version}", tree / "none", git=False)
    assert not any("release date" in b for b in blockers)
    assert any("date-released 2031-02-04" in b for b in blockers), blockers
    assert not any(b.startswith("Space ") for b in blockers), blockers


# ---- the metric card ---------------------------------------------------------------------------------------


def test_metric_card_examples_load_the_hub_id_and_run_as_written(tmp_path: Path) -> None:
    card = (ROOT / "spaces/clu2/README.md").read_text(encoding="utf-8")
    loads = re.findall(r"evaluate\.load\(([^,)]+)", card)
    assert loads and set(loads) == {'"playschool/clu2"'}, loads
    examples = [block for block in re.findall(r"```python\n(.*?)```", card, re.S) if ">>>" in block]
    assert examples
    (tmp_path / "examples.txt").write_text("\n".join(examples), encoding="utf-8")
    # evaluate.load("playschool/clu2") reads a local folder of that name before the Hub: point it at the Space.
    (tmp_path / "playschool").mkdir()
    (tmp_path / "playschool" / "clu2").symlink_to(ROOT / "spaces" / "clu2", target_is_directory=True)
    proc = subprocess.run([sys.executable, "-m", "doctest", "-v", "examples.txt"], cwd=tmp_path, env=OFFLINE,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "0 failed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]


# ---- the built artifacts -----------------------------------------------------------------------------------


def test_every_data_file_of_the_source_folders_is_expected_in_the_wheel() -> None:
    expected = release.expected_wheel_files(ROOT)
    for path in ("playschool/models/nano/model.safetensors", "playschool/benchmark/data/mmlu/test.jsonl",
                 "playschool/benchmark/lm_eval_tasks/_clu2_mc_template_yaml", "playschool/games/taboo/words.txt",
                 "playschool/games/py.typed", "playschool/py.typed", "playschool/_version.py",
                 "playschool/arena/config.py"):
        assert path in expected
    assert "playschool/arena/requirements.txt" not in expected  # a Space file, not package data
    assert not any("__pycache__" in p for p in expected)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # --no-isolation: the test environment's setuptools builds, so nothing is downloaded (an isolated build
    # installs build-system.requires from the index; tools/release.py check does that by default).
    return release.build(ROOT, tmp_path_factory.mktemp("dist"), isolation=False)


@pytest.mark.slow
def test_built_sdist_and_wheel_pass_twine_and_hold_every_file(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    version = release.read_version(ROOT)
    assert sdist.name == f"playschool-{version}.tar.gz" and wheel.name == f"playschool-{version}-py3-none-any.whl"
    release.twine_check([sdist, wheel])
    assert release.artifact_problems(ROOT, sdist, wheel) == []


@pytest.mark.slow
def test_a_data_file_left_out_of_the_package_fails_the_check(tmp_path: Path) -> None:
    src = release.copy_source(ROOT, tmp_path / "src")
    _edit(src, "pyproject.toml", '"data/*/*.jsonl", ', "")
    sdist, wheel = release.build(src, tmp_path / "dist", isolation=False)
    problems = release.artifact_problems(src, sdist, wheel)
    assert any("benchmark/data/mmlu/test.jsonl" in p for p in problems), problems


@pytest.mark.slow
def test_the_installed_wheel_runs_playschool_eval_from_a_fresh_venv(built: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    _, wheel = built
    start = time.monotonic()
    result = release.smoke_test(wheel, tmp_path, eval_args=["--games", "taboo", "--limit", "2", "--n-boot", "50"])
    # the venv's own copy, not the editable source tree (the smoke test runs it from an empty folder)
    module = Path(result.module_file).resolve()
    assert (tmp_path / "venv").resolve() in module.parents and ROOT not in module.parents
    assert result.version == release.read_version(ROOT)
    assert release.evaluated_planes(result.results) == {"reference", "interactional"}
    print(f"wheel install + playschool eval: {time.monotonic() - start:.1f} s")
