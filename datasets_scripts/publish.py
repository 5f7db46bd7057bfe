"""Publish a built dataset folder to the Hub as one tagged version.

Usage::

    python datasets_scripts/publish.py build/playpen-games --repo playschool/playpen-games --version v1.0.0 --dry-run
    HF_TOKEN=... python datasets_scripts/publish.py build/playpen-games --repo playschool/playpen-games --version v1.0.0

Before anything else the folder is checked: it must hold exactly the files in its ``checksums.sha256``, each
unchanged, and ``--version`` must be the latest entry of the card's version history (rebuild after adding a
version to ``versions.json``). ``--dry-run`` then prints the upload plan (every file with its size and sha256)
and stops without touching the network or importing ``huggingface_hub``.

The real run, with the token from ``HF_TOKEN`` (never printed): ``create_repo(repo_type="dataset",
exist_ok=True)``; refuse if the tag already exists (a published version never moves); ``upload_folder`` with
remote files not in the folder deleted, so the repo mirrors the build exactly; ``create_tag`` on that commit.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset_io as io  # noqa: E402

_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")


class PublishError(RuntimeError):
    """The folder or the arguments are not fit to publish."""


def card_versions(folder: Path) -> list[str]:
    """Versions in the card's ``## Version history`` table, oldest first (same parser as the loader)."""
    from playschool.games.loading import versions_in_card

    card = folder / io.CARD_FILE
    if not card.is_file():
        raise PublishError(f"{folder} has no {io.CARD_FILE} (dataset card)")
    return versions_in_card(card.read_text(encoding="utf-8"))


def plan(folder: Path, repo: str, version: str) -> list[tuple[str, int, str]]:
    """Check the folder and return the upload plan: (path, size in bytes, sha256) for every file, sorted."""
    if not _REPO.match(repo):
        raise PublishError(f"--repo must be 'owner/name', got {repo!r}")
    if not _VERSION.match(version):
        raise PublishError(f"--version must look like v1.2.3, got {version!r}")
    if not folder.is_dir():
        raise PublishError(f"no dataset folder at {folder}")
    try:
        sums = io.verify_folder(folder)
    except io.BuildError as exc:
        raise PublishError(str(exc)) from exc
    history = card_versions(folder)
    if not history or history[-1] != version:
        raise PublishError(f"--version {version} is not the latest version in the card's history "
                           f"({', '.join(history) or 'none'}); add it to datasets_scripts/versions.json and rebuild")
    files = [(rel, (folder / rel).stat().st_size, digest) for rel, digest in sums.items()]
    checksums = folder / io.CHECKSUMS_FILE
    files.append((io.CHECKSUMS_FILE, checksums.stat().st_size, io.sha256_file(checksums)))
    return sorted(files)


def print_plan(files: Sequence[tuple[str, int, str]], repo: str, version: str) -> None:
    print(f"upload plan: {len(files)} file(s), {sum(f[1] for f in files)} bytes -> dataset {repo}, tag {version}")
    for rel, size, digest in files:
        print(f"{rel}\t{size}\t{digest}")


def publish(folder: Path, repo: str, version: str, *, private: bool = False, api: Any = None) -> str:
    """Create the repo if needed, upload the folder, tag the commit. Returns the commit id.

    ``api`` is an ``HfApi`` (tests pass a fake); by default one is made with the token from ``HF_TOKEN``.
    """
    token = os.environ.get("HF_TOKEN")
    if api is None:
        if not token:
            raise PublishError("set HF_TOKEN to a Hub token with write access to publish (or use --dry-run)")
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    try:
        # private=None keeps an existing repo's visibility as it is
        api.create_repo(repo, repo_type="dataset", exist_ok=True, private=True if private else None)
        tags = {ref.name for ref in api.list_repo_refs(repo, repo_type="dataset").tags}
        if version in tags:
            raise PublishError(f"{repo} already has tag {version}; a published version never changes: bump it")
        commit = api.upload_folder(repo_id=repo, repo_type="dataset", folder_path=str(folder),
                                   commit_message=f"playschool dataset {version}", delete_patterns="**")
        oid = str(commit.oid)
        api.create_tag(repo, tag=version, repo_type="dataset", revision=oid,
                       tag_message=f"playschool dataset {version}")
    except PublishError:
        raise
    except Exception as exc:  # report the Hub's answer, never the token
        message = f"{type(exc).__name__}: {exc}"
        raise PublishError(message.replace(token, "***") if token else message) from exc
    return oid


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="a folder built by one of the build_*.py scripts")
    ap.add_argument("--repo", required=True, help="Hub dataset repo, e.g. playschool/playpen-games")
    ap.add_argument("--version", required=True, help="the version to tag, e.g. v1.0.0 (latest in the card)")
    ap.add_argument("--dry-run", action="store_true", help="print the upload plan; no network")
    ap.add_argument("--private", action="store_true", help="create the repo private")
    args = ap.parse_args(argv)
    try:
        files = plan(args.folder, args.repo, args.version)
        print_plan(files, args.repo, args.version)
        if args.dry_run:
            print("dry run: nothing uploaded")
            return 0
        oid = publish(args.folder, args.repo, args.version, private=args.private)
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"published {args.repo}@{args.version} (commit {oid})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
