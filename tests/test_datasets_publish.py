"""datasets_scripts/publish.py: the dry-run plan, the checks before upload, and the Hub calls (with a fake HfApi)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "datasets_scripts")]

import build_games  # noqa: E402
import dataset_io  # noqa: E402
import publish  # noqa: E402

#: The version a build writes now: the newest entry of versions.json.
REPO, VERSION = "playschool/playpen-games", dataset_io.history_until("playpen-games", None)[-1]["version"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_games.build(tmp_path_factory.mktemp("pub") / "playpen-games", ["wordle"])


class FakeApi:
    """Records the calls ``publish`` makes; ``tags`` are the tags the remote repo already has."""

    def __init__(self, tags: tuple[str, ...] = (), fail_with: Exception | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.tags = tags
        self.fail_with = fail_with

    def create_repo(self, *args: Any, **kw: Any) -> None:
        self.calls.append(("create_repo", args, kw))

    def list_repo_refs(self, *args: Any, **kw: Any) -> Any:
        self.calls.append(("list_repo_refs", args, kw))
        return SimpleNamespace(tags=[SimpleNamespace(name=t) for t in self.tags])

    def upload_folder(self, *args: Any, **kw: Any) -> Any:
        self.calls.append(("upload_folder", args, kw))
        if self.fail_with:
            raise self.fail_with
        return SimpleNamespace(oid="c0ffee")

    def create_tag(self, *args: Any, **kw: Any) -> None:
        self.calls.append(("create_tag", args, kw))


def test_dry_run_prints_exactly_the_built_files_and_touches_no_network(built: Path) -> None:
    script = (f"import socket, sys\n"
              f"def no_net(*a, **k): raise AssertionError('network used')\n"
              f"socket.socket.connect = no_net\n"
              f"sys.path.insert(0, {str(ROOT / 'datasets_scripts')!r})\n"
              f"import publish\n"
              f"code = publish.main([{str(built)!r}, '--repo', {REPO!r}, '--version', {VERSION!r}, '--dry-run'])\n"
              f"assert 'huggingface_hub' not in sys.modules, 'dry run imported huggingface_hub'\n"
              f"sys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    listed = [line.split("\t") for line in lines if "\t" in line]
    assert [p for p, _, _ in listed] == dataset_io.dataset_files(built)
    for rel, size, digest in listed:
        assert int(size) == (built / rel).stat().st_size and digest == dataset_io.sha256_file(built / rel)
    assert lines[0].startswith(f"upload plan: {len(listed)} file(s)") and lines[-1] == "dry run: nothing uploaded"


@pytest.mark.parametrize(("version", "message"), [("v1.0.0", "not the latest version in the card's history"),
                                                  ("v9.0.0", "not the latest version in the card's history"),
                                                  ("1.0", "must look like v1.2.3")])
def test_refuses_a_version_the_card_does_not_end_with(built: Path, version: str, message: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert publish.main([str(built), "--repo", REPO, "--version", version, "--dry-run"]) == 1
    assert message in capsys.readouterr().err


def test_refuses_a_folder_that_differs_from_its_checksums(built: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    (copy / ".DS_Store").write_text("x")
    with pytest.raises(publish.PublishError, match=r"extra files \['.DS_Store'\]"):
        publish.plan(copy, REPO, VERSION)
    (copy / ".DS_Store").unlink()
    (copy / "README.md").write_text("edited")
    with pytest.raises(publish.PublishError, match="changed after the build"):
        publish.plan(copy, REPO, VERSION)


def test_publish_creates_uploads_and_tags(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(tags=("v0.9.0",))
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    assert publish.publish(built, REPO, VERSION, api=api) == "c0ffee"
    assert [c[0] for c in api.calls] == ["create_repo", "list_repo_refs", "upload_folder", "create_tag"]
    _, args, kw = api.calls[0]
    assert args == (REPO,) and kw["repo_type"] == "dataset" and kw["exist_ok"] is True
    _, _, kw = api.calls[2]
    assert kw["folder_path"] == str(built) and kw["repo_id"] == REPO and kw["repo_type"] == "dataset"
    assert kw["delete_patterns"] == "**"  # the repo mirrors the build: stale files of older versions go
    _, args, kw = api.calls[3]
    assert args == (REPO,) and kw == {"tag": VERSION, "repo_type": "dataset", "revision": "c0ffee",
                                      "tag_message": f"playschool dataset {VERSION}"}


def test_an_existing_tag_is_refused_before_any_upload(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(tags=(VERSION,))
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    with pytest.raises(publish.PublishError, match=f"already has tag {VERSION}"):
        publish.publish(built, REPO, VERSION, api=api)
    assert "upload_folder" not in [c[0] for c in api.calls]


def test_main_takes_the_token_from_the_environment_and_never_prints_it(
        built: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import huggingface_hub

    made: list[dict[str, Any]] = []
    api = FakeApi(fail_with=RuntimeError("403 Forbidden for token hf_secret"))

    def make_api(**kw: Any) -> FakeApi:
        made.append(kw)
        return api

    monkeypatch.setattr(huggingface_hub, "HfApi", make_api)
    monkeypatch.setattr(socket.socket, "connect", lambda *a, **k: pytest.fail("network used"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert publish.main([str(built), "--repo", REPO, "--version", VERSION]) == 1
    assert "set HF_TOKEN" in capsys.readouterr().err and not made

    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    assert publish.main([str(built), "--repo", REPO, "--version", VERSION]) == 1
    out, err = capsys.readouterr()
    assert made == [{"token": "hf_secret"}]
    assert "403 Forbidden for token ***" in err and "hf_secret" not in out + err
