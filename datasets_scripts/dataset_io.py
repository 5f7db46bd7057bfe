"""What every dataset builder shares: byte-stable parquet, checksums, the card, and an all-or-nothing build.

A dataset folder looks like this (the same layout on the Hub)::

    README.md              the card: YAML (configs/data_files, features, license, ...) + text + version history
    data/<config>/<split>.parquet
    checksums.sha256       sha256sum format, one line per other file, sorted by path

Parquet is written with pyarrow directly: a fixed schema (from the declared ``datasets.Features``, which
pyarrow stores in the file so ``load_dataset`` restores them), no pandas index, one fixed row-group size,
zstd, and nothing that depends on the clock, so building twice from the same inputs gives the same bytes.
The same pyarrow/datasets versions are assumed; the card names the versions that built it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
VERSIONS_FILE = HERE / "versions.json"
CHECKSUMS_FILE = "checksums.sha256"
CARD_FILE = "README.md"
DATA_PATH = "data/{config}/{split}.parquet"
#: Rows per row group. Fixed, so the file layout never depends on the writer's defaults.
ROW_GROUP_SIZE = 8192
SPLIT_ORDER = ("train", "validation", "test")


class BuildError(RuntimeError):
    """A build cannot go on (bad input, missing source). Nothing is left behind when it is raised."""


@dataclass
class Config:
    """One config of a dataset: its declared features and its rows per split (split -> list of row dicts)."""

    name: str
    features: Any  # datasets.Features
    splits: dict[str, list[dict[str, Any]]]
    default: bool = False
    description: str = ""
    #: Extra configs that read the same files (e.g. ``taboo`` for ``taboo-v1``).
    aliases: list[str] = field(default_factory=list)

    def ordered_splits(self) -> list[str]:
        known = [s for s in SPLIT_ORDER if s in self.splits]
        return known + sorted(s for s in self.splits if s not in SPLIT_ORDER)


# ---------------------------------------------------------------------------------------------- files
def list_feature(inner: Any) -> Any:
    """A ``datasets`` list feature of ``inner`` (``List`` since datasets 4, ``Sequence`` before)."""
    try:
        from datasets import List
    except ImportError:  # datasets < 4
        from datasets import Sequence as List
    return List(inner)


def write_parquet(rows: Sequence[Mapping[str, Any]], features: Any, path: Path) -> int:
    """Write ``rows`` with the schema of ``features`` to ``path``; returns the in-memory (Arrow) size in bytes,
    which the card reports as ``num_bytes`` like ``datasets`` does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = features.arrow_schema  # carries the features as JSON metadata, as datasets itself writes them
    try:
        table = pa.Table.from_pylist([dict(r) for r in rows], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as exc:
        raise BuildError(f"rows do not fit the declared features of {path.parent.name}/{path.name}: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=ROW_GROUP_SIZE, compression="zstd", compression_level=9,
                   use_dictionary=True, write_statistics=True, version="2.6", data_page_version="1.0")
    return int(table.nbytes)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_files(folder: Path) -> list[str]:
    """Every file of a dataset folder, relative POSIX paths, sorted (hidden files included: they'd be uploaded)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def write_checksums(folder: Path) -> None:
    lines = [f"{sha256_file(folder / rel)}  {rel}\n" for rel in dataset_files(folder) if rel != CHECKSUMS_FILE]
    (folder / CHECKSUMS_FILE).write_text("".join(lines), encoding="utf-8")


def read_checksums(folder: Path) -> dict[str, str]:
    path = folder / CHECKSUMS_FILE
    if not path.is_file():
        raise BuildError(f"{folder} has no {CHECKSUMS_FILE}: is it a built dataset folder?")
    out: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64:
            raise BuildError(f"{path}:{lineno}: not a sha256sum line: {line!r}")
        out[rel] = digest
    return out


def verify_folder(folder: Path) -> dict[str, str]:
    """Check that the folder holds exactly the checksummed files, unchanged. Returns path -> sha256."""
    expected = read_checksums(folder)
    present = [rel for rel in dataset_files(folder) if rel != CHECKSUMS_FILE]
    extra, missing = sorted(set(present) - set(expected)), sorted(set(expected) - set(present))
    if extra or missing:
        raise BuildError(f"{folder} does not match {CHECKSUMS_FILE}: extra files {extra}, missing files {missing}")
    changed = [rel for rel in present if sha256_file(folder / rel) != expected[rel]]
    if changed:
        raise BuildError(f"{folder}: file(s) changed after the build: {changed}")
    return expected


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Build into a temporary folder next to ``target`` and swap it in only if the block succeeds.

    A failure (or Ctrl-C) leaves ``target`` as it was and removes the partial build. An existing ``target``
    is replaced only if it is empty or a previous build (it has ``checksums.sha256``), so a mistyped
    ``--out`` cannot wipe an unrelated folder.
    """
    target = target.resolve()
    if target.exists() and (not target.is_dir() or (any(target.iterdir())
                                                    and not (target / CHECKSUMS_FILE).is_file())):
        raise BuildError(f"{target} exists and is not a dataset build; choose another --out")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    os.chmod(target, 0o755)  # mkdtemp makes 0700; a published folder should be readable like any other
    shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------------------------- card
def versions(dataset: str) -> list[dict[str, str]]:
    """The version history of ``dataset`` from ``versions.json``, oldest first."""
    history = json.loads(VERSIONS_FILE.read_text(encoding="utf-8")).get(dataset)
    if not history:
        raise BuildError(f"{VERSIONS_FILE} has no history for {dataset!r}")
    return list(history)


def history_until(dataset: str, version: str | None) -> list[dict[str, str]]:
    """The history up to ``version`` (default: the latest), which must be listed."""
    history = versions(dataset)
    if version is None:
        return history
    names = [h["version"] for h in history]
    if version not in names:
        raise BuildError(f"version {version} of {dataset} is not in {VERSIONS_FILE} (has {', '.join(names)}); "
                         "add it there with a note first")
    return history[: names.index(version) + 1]


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket for ``n`` rows."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M")]
    return next((label for bound, label in bounds if n < bound), "10M<n<100M")


def _features_yaml(features: Any) -> list[dict[str, Any]]:
    from datasets import DatasetInfo

    # The exact YAML the Hub and ``datasets`` write for ``dataset_info.features``.
    return list(DatasetInfo(features=features)._to_yaml_dict()["features"])


def front_matter(configs: Sequence[Config], meta: Mapping[str, Any],
                 nbytes: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    """The card's YAML: ``meta`` (license, task_categories, ...) plus ``configs``, ``dataset_info``, size.

    ``nbytes`` maps (config, split) to the split's Arrow size, as :func:`write_parquet` returned it."""
    yaml_configs: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    total = 0
    for cfg in configs:
        files = [{"split": s, "path": DATA_PATH.format(config=cfg.name, split=s)} for s in cfg.ordered_splits()]
        splits = [{"name": s, "num_bytes": nbytes[cfg.name, s], "num_examples": len(cfg.splits[s])}
                  for s in cfg.ordered_splits()]
        total += sum(len(rows) for rows in cfg.splits.values())
        for name in [cfg.name, *cfg.aliases]:
            entry: dict[str, Any] = {"config_name": name, "data_files": files}
            if cfg.default and name == cfg.name:
                entry["default"] = True
            yaml_configs.append(entry)
            infos.append({"config_name": name, "features": _features_yaml(cfg.features), "splits": splits,
                          "dataset_size": sum(sp["num_bytes"] for sp in splits)})
    return {**meta, "size_categories": [size_category(total)], "configs": yaml_configs, "dataset_info": infos}


def history_table(history: Sequence[Mapping[str, str]]) -> str:
    rows = "".join(f"| {h['version']} | {h['notes']} |\n" for h in history)
    return "## Version history\n\n| version | changes |\n|---|---|\n" + rows


class _NoAliases(yaml.SafeDumper):
    """Write shared lists (alias configs share ``data_files``) in full: the Hub's YAML reader is no place for anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_card(matter: Mapping[str, Any], body: str, history: Sequence[Mapping[str, str]]) -> str:
    """The card: YAML front matter (with the version history too, for tools reading the Hub's metadata), the
    body, and the ``## Version history`` table (what the loader and ``publish.py`` read)."""
    matter = {**matter, "version_history": [{"version": h["version"], "notes": h["notes"]} for h in history]}
    head = yaml.dump(matter, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{head}---\n\n{body.strip()}\n\n{history_table(history)}"


def tool_versions() -> str:
    """The library versions that determine the bytes of the files (for the card)."""
    from importlib.metadata import version

    return ", ".join(f"{pkg} {version(pkg)}" for pkg in ("pyarrow", "datasets"))


# ---------------------------------------------------------------------------------------------- build
def write_dataset(out: Path, configs: Sequence[Config], meta: Mapping[str, Any], body: str,
                  history: Sequence[Mapping[str, str]], extra_files: Mapping[str, str] | None = None) -> Path:
    """Write the whole dataset folder atomically: parquet per config and split, extra text files, the card,
    and the checksums last. Returns the folder."""
    names = [n for c in configs for n in [c.name, *c.aliases]]
    if len(set(names)) != len(names):
        raise BuildError(f"duplicate config names: {sorted(n for n in names if names.count(n) > 1)}")
    empty = [f"{c.name}/{s}" for c in configs for s, rows in c.splits.items() if not rows]
    if empty or any(not c.splits for c in configs):
        raise BuildError(f"configs and splits must have rows; empty: {empty + [c.name for c in configs if not c.splits]}")
    nbytes: dict[tuple[str, str], int] = {}
    with atomic_folder(out) as tmp:
        for cfg in configs:
            for split in cfg.ordered_splits():
                nbytes[cfg.name, split] = write_parquet(cfg.splits[split], cfg.features,
                                                        tmp / DATA_PATH.format(config=cfg.name, split=split))
        for rel, text in (extra_files or {}).items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text, encoding="utf-8")
        (tmp / CARD_FILE).write_text(render_card(front_matter(configs, meta, nbytes), body, history), encoding="utf-8")
        write_checksums(tmp)
    return out.resolve()
