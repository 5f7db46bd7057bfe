"""Read clembench results trees: our own exports back into records, anything else as foreign episodes.

Every ``interactions.json`` under the given folder is one episode. If it carries our ``playschool`` key (an
export by :func:`~playschool.interop.export_records`), the import rebuilds the :class:`EpisodeRecord` from it,
taking each turn's addressee and text, and the speaker of each move, from the clembench event itself. Otherwise the episode is a
:class:`ForeignEpisode`: a clembench game we may not have, kept as its files hold it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeAlias

from playschool.games import EpisodeRecord, RecordError

from .clembench_export import EXPORT_FORMAT
from .clembench_format import (
    EXPERIMENT_FILE,
    GAME_SPEAKER,
    GM,
    INSTANCE_FILE,
    INTERACTIONS_FILE,
    OURS_KEY,
    SCORES_FILE,
    ClembenchFormatError,
    ForeignEpisode,
    check_scores,
    expect,
    from_files,
    key,
    parse_rounds,
    read_json,
)

#: What one episode of a results tree imports as.
ImportedEpisode: TypeAlias = EpisodeRecord | ForeignEpisode


def import_results(results_dir: str | Path) -> Iterator[ImportedEpisode]:
    """Every episode under ``results_dir`` (a results root, or any folder inside one), in path order.

    Raises :class:`ClembenchFormatError` naming the file for malformed JSON or missing keys, and
    ``FileNotFoundError`` if the folder holds no episode at all.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"no clembench results folder at {root}")
    files = sorted(root.rglob(INTERACTIONS_FILE))
    if not files:
        raise FileNotFoundError(f"no {INTERACTIONS_FILE} under {root}: not a clembench results folder")
    for path in files:
        yield read_episode(path.parent)


def read_episode(folder: str | Path) -> ImportedEpisode:
    """The episode in one episode folder (the one holding ``interactions.json``)."""
    folder = Path(folder).resolve()
    interactions_path = folder / INTERACTIONS_FILE
    interactions = expect(read_json(interactions_path), dict, str(interactions_path), "interactions")
    if OURS_KEY in interactions:
        return _our_record(folder, interactions)
    return _foreign(folder, interactions)


def _our_record(folder: Path, interactions: dict[str, Any]) -> EpisodeRecord:
    where = str(folder / INTERACTIONS_FILE)
    ours = expect(interactions[OURS_KEY], dict, where, f"{OURS_KEY!r}")
    if ours.get("format") != EXPORT_FORMAT:
        raise ClembenchFormatError(f"{where}: unknown {OURS_KEY} export format {ours.get('format')!r} (this "
                                   f"version reads {EXPORT_FORMAT}); a newer playschool wrote it")
    fields = dict(expect(key(ours, "record", where), dict, where, f"'{OURS_KEY}.record'"))
    players = expect(key(interactions, "players", where), dict, where, "'players'")
    # Player id -> our role name, from the players table clembench's tools see.
    names = {GM: GAME_SPEAKER}
    for pid, info in players.items():
        if pid != GM:
            names[pid] = str(key(expect(info, dict, where, f"player {pid!r}"), "game_role", f"{where}: {pid}"))
    turns = []
    for r, events in enumerate(parse_rounds(key(interactions, "turns", where), where)):
        for i, event in enumerate(events):
            at = f"{where}: turns[{r}][{i}]"
            kept = expect(event.action_extra.get(OURS_KEY), dict, at, f"'action.{OURS_KEY}'")
            for pid in (event.sender, event.to):
                if pid not in names:
                    raise ClembenchFormatError(f"{at}: {pid!r} is not in 'players'")
            # A message one role sent another went out from GM; the role that sent it is kept with the action.
            turns.append({"speaker": names[event.sender], **kept, "to": names[event.to],
                          "text": expect(event.content, str, at, "'action.content'")})
    instance_path = folder / INSTANCE_FILE
    if not instance_path.is_file():
        raise ClembenchFormatError(f"{instance_path}: missing (an exported episode keeps its instance there)")
    instance = dict(expect(read_json(instance_path), dict, str(instance_path), "the instance"))
    instance.pop("game_id", None)  # clembench's numbering, added on export
    try:
        return EpisodeRecord.from_dict({**fields, "instance": instance, "turns": turns})
    except RecordError as exc:
        raise ClembenchFormatError(f"{where}: {exc}") from exc


def _foreign(folder: Path, interactions: dict[str, Any]) -> ForeignEpisode:
    where = str(folder / INTERACTIONS_FILE)
    # The game's name is its folder's, as clembench's own tools take it; the folders above are the run's.
    parts = folder.parts[-4:]
    location = ("",) * (4 - len(parts)) + tuple(parts)
    instance_path, scores_path = folder / INSTANCE_FILE, folder / SCORES_FILE
    # An episode clembench has not scored yet has no scores.json; the instance file is always written, but a
    # copied tree may lack it, and the events alone still make a conversation.
    instance = read_json(instance_path) if instance_path.is_file() else {}
    expect(instance, dict, str(instance_path), "the instance")
    scores = read_json(scores_path) if scores_path.is_file() else None
    if scores is not None:
        check_scores(scores, str(scores_path))
    experiment_file, experiment = _experiment(folder.parent)
    return from_files(location, instance=instance, interactions=interactions, scores=scores,
                      experiment=experiment, experiment_file=experiment_file, where=where)


def _experiment(folder: Path) -> tuple[str, Any]:
    """The experiment's file: ``experiment.json`` (clemcore 3), else the one ``experiment_<name>.json``."""
    path = folder / EXPERIMENT_FILE
    if not path.is_file():
        older = sorted(folder.glob("experiment_*.json"))
        if len(older) != 1:
            return EXPERIMENT_FILE, None
        path = older[0]
    return path.name, expect(read_json(path), dict, str(path), "the experiment")


__all__ = ["ImportedEpisode", "import_results", "read_episode"]
