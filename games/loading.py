"""Game instances from the versioned Hub dataset, a local copy of it, or the generators: the same rows each way.

``playschool/playpen-games`` holds one config per game (``taboo-v1``, plus the alias ``taboo`` for the version
current at build time) with splits train/validation/test and one row per instance. This module owns the row
schema, so the dataset builder (``datasets_scripts/build_games.py``) and the loader cannot drift apart::

    load_instances("taboo", "test")                                   # the installed generator
    load_instances("taboo-v1", "test", source="hub", revision="v1.0.0")   # the published dataset
    load_instances("taboo-v1", "test", source="datasets/playpen-games")   # a local build or snapshot

``params`` differ per game, so a row stores them as canonical JSON (sorted keys, compact): one string column
with one declared type for every game, and the same bytes for the same parameters.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .records import SPLITS, Instance, RecordError
from .registry import UnknownGameError, load_game

#: The Hub repository of the game instances.
HUB_REPO = "playschool/playpen-games"
#: Where a split of a config lives inside the dataset folder (the card's ``data_files`` say the same).
DATA_PATH = "data/{config}/{split}.parquet"
CHECKSUMS_FILE = "checksums.sha256"
_VERSIONED = re.compile(r"-v\d+$")
#: Columns of an instance row, in order.
ROW_COLUMNS: tuple[str, ...] = ("id", "game", "version", "split", "experiment", "seed", "params", "learner_roles")


class DatasetMismatchError(RuntimeError):
    """A dataset copy is not what was asked for: wrong version, changed file, missing config or split."""


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, no NaN: equal values give equal bytes on every machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def instance_row(instance: Instance, learner_roles: Iterable[str]) -> dict[str, Any]:
    """The dataset row of ``instance``; ``learner_roles`` are the roles a learner can play in it."""
    _, _, version = instance.game.rpartition("-v")
    return {"id": instance.id, "game": instance.game, "version": int(version), "split": instance.split,
            "experiment": instance.experiment, "seed": instance.seed, "params": canonical_json(instance.params),
            "learner_roles": list(learner_roles)}


def row_instance(row: Mapping[str, Any]) -> Instance:
    """The :class:`Instance` of a dataset row (the inverse of :func:`instance_row`)."""
    try:
        params = json.loads(row["params"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise RecordError(f"instance row {row.get('id')!r}: params are not a JSON string ({exc})") from exc
    return Instance.from_dict({**row, "params": params})


def game_rows(game_id: str, split: str, *, n: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """The rows of the installed generator of ``game_id`` for ``split`` (default sizes unless ``n``)."""
    game = load_game(game_id)
    return [instance_row(inst, [r for r in game.learner_roles if game.supports(inst, r)])
            for inst in game.generate(split, n=n, seed=seed)]


def rows_fingerprint(rows_by_split: Mapping[str, Iterable[Mapping[str, Any]]]) -> str:
    """sha256 of instance rows as canonical JSON lines, splits in :data:`SPLITS` order."""
    digest = hashlib.sha256()
    for split in SPLITS:
        for row in rows_by_split[split]:
            digest.update(canonical_json(row).encode("utf-8") + b"\n")
    return digest.hexdigest()


def instances_fingerprint(game_id: str) -> str:
    """:func:`rows_fingerprint` of every row the installed generator makes (all splits, default sizes).

    Committed per versioned id in ``datasets_scripts/fingerprints.json``: a generator that changes without a
    version bump changes this hash, and a test says so.
    """
    return rows_fingerprint({split: game_rows(game_id, split) for split in SPLITS})


def config_name(game: str) -> str:
    """The dataset config of ``game``: its versioned id when the game is installed or given with a version,
    else the bare name (the alias config of the version that was current when the dataset was built)."""
    if _VERSIONED.search(game):
        return game
    try:
        return load_game(game).versioned_id
    except UnknownGameError:  # a game that is not installed here (a held-out pack): use the alias config
        return game


def load_instances(game: str, split: str, *, revision: str | None = None,
                   source: str | Path = "generator", repo_id: str = HUB_REPO) -> list[Instance]:
    """The instances of ``game`` (``"taboo"`` or ``"taboo-v1"``) in ``split``, in dataset order.

    ``source`` is ``"generator"`` (the installed game generates them; its version must match a versioned id),
    ``"hub"`` (``datasets.load_dataset(repo_id, config, split=split, revision=revision)``; pin ``revision``,
    e.g. ``"v1.0.0"``, to reproduce a result) or the path of a local dataset folder (a build of
    ``datasets_scripts/build_games.py`` or a snapshot of the Hub repo; files are checked against its
    ``checksums.sha256`` and ``revision``, if given, against the card's latest version).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if source == "generator":
        if revision is not None:
            raise ValueError("revision applies to source='hub' or a dataset folder, not to the generators")
        return [row_instance(r) for r in game_rows(game, split)]
    if source == "hub":
        rows = _hub_rows(repo_id, config_name(game), split, revision)
    else:
        rows = _local_rows(Path(source), config_name(game), split, revision)
    return [row_instance(r) for r in rows]


def _hub_rows(repo_id: str, config: str, split: str, revision: str | None) -> list[dict[str, Any]]:
    try:
        import datasets
    except ImportError as exc:  # an optional dependency: the generators need nothing
        raise ImportError("source='hub' needs the `datasets` package: pip install 'playschool[train]'") from exc
    ds = datasets.load_dataset(repo_id, config, split=split, revision=revision)
    return [dict(r) for r in ds]


def _local_rows(folder: Path, config: str, split: str, revision: str | None) -> list[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError("reading a dataset folder needs `pyarrow`: pip install 'playschool[train]'") from exc
    if not folder.is_dir():
        raise FileNotFoundError(f"no dataset folder at {folder}")
    if revision is not None and (latest := card_version(folder)) != revision:
        raise DatasetMismatchError(f"{folder} holds version {latest}, not {revision}")
    rel = DATA_PATH.format(config=config, split=split)
    path = folder / rel
    if not path.is_file():
        configs = sorted(p.name for p in (folder / "data").iterdir()) if (folder / "data").is_dir() else []
        raise DatasetMismatchError(f"{folder} has no {rel}; configs there: {', '.join(configs) or 'none'}")
    _check_file(folder, rel)
    return pq.read_table(path).to_pylist()


def _check_file(folder: Path, rel: str) -> None:
    """Compare a file with its line in ``checksums.sha256`` (a folder without that file is not checked)."""
    sums = folder / CHECKSUMS_FILE
    if not sums.is_file():
        return
    expected = {name.strip(): digest for digest, _, name in
                (line.partition("  ") for line in sums.read_text(encoding="utf-8").splitlines() if line)}
    if rel not in expected:
        raise DatasetMismatchError(f"{folder}/{CHECKSUMS_FILE} does not list {rel}")
    actual = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    if actual != expected[rel]:
        raise DatasetMismatchError(f"{folder}/{rel} does not match its sha256 in {CHECKSUMS_FILE}: "
                                   "the file changed after the build")


def card_version(folder: Path) -> str | None:
    """The latest version in the ``## Version history`` table of a dataset card (``README.md``), if any."""
    card = folder / "README.md"
    if not card.is_file():
        return None
    versions = versions_in_card(card.read_text(encoding="utf-8"))
    return versions[-1] if versions else None


def versions_in_card(text: str) -> list[str]:
    """Versions listed in a card's ``## Version history`` table, oldest first (``| v1.0.0 | notes |`` rows)."""
    out: list[str] = []
    in_history = False
    for line in text.splitlines():
        if line.startswith("## "):
            in_history = line.strip() == "## Version history"
            continue
        cell = line.strip().strip("|").split("|")[0].strip() if in_history and line.startswith("|") else ""
        if cell.startswith("v") and cell[1:2].isdigit():
            out.append(cell)
    return out
