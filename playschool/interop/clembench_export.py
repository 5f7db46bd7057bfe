"""Write episode records into clembench's results layout, so clembench's tools read them.

Each record becomes one episode folder ``<out>/<model>/<game id>/<experiment>/episode_<N>/``:

* ``instance.json``: the record's instance (ids, seed and the game's params) plus clembench's ``game_id``;
* ``interactions.json``: ``meta``, ``players`` (``GM`` and one ``Player N`` per role, in the game's role order)
  and ``turns``: every turn of the record is one event, in order. A move is a ``get message`` from its player
  to ``GM``; every feedback message is a ``send message`` from ``GM`` (clembench has one type for whatever
  reaches a player, and routes it all through the game master), its kind and, for a message one role sends
  another, its sender kept under the action's ``playschool`` key with the turn's index, parse result, reward
  and token counts. A round closes with each move of the learner's seat. The record's other fields sit under the
  top-level ``playschool`` key, so :func:`~playschool.interop.import_results` restores the record exactly;
* ``scores.json``: ``episode scores`` with clembench's names (``Main Score`` 0-100 and NaN when aborted, as
  clembench marks a game not played; ``Success``, ``Lose``, ``Aborted``; request counts of the learner's
  moves) plus the game's own scores, and ``turn scores`` per round. An ``error`` episode (the game's fault)
  gets no scores file: clembench's evaluation then counts it as missing, as ours does.

Output is deterministic: episodes are numbered in the order of their keys, JSON keys are sorted, and no
timestamps are invented (a record has no per-turn times).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from playschool.games import LEARNER, TEACHER, EpisodeRecord
from playschool.views import perspectives

from .clembench_format import (
    ABORTED,
    EPISODE_SCORES,
    EXPERIMENT_FILE,
    GAME_SPEAKER,
    GET_MESSAGE,
    GM,
    INSTANCE_FILE,
    INTERACTIONS_FILE,
    LOSE,
    MAIN_SCORE,
    OURS_KEY,
    PARSED_REQUEST_COUNT,
    PLAYED,
    PROGRAMMATIC,
    REQUEST_COUNT,
    REQUEST_SUCCESS_RATIO,
    SCORES_FILE,
    SEND_MESSAGE,
    SUCCESS,
    TURN_SCORES,
    VIOLATED_REQUEST_COUNT,
    ForeignEpisode,
)

#: The run folder's default name. clembench's evaluation shows this folder name as the model.
DEFAULT_MODEL_NAME = "playschool"
#: The layout version under ``playschool.format``: a later change to the layout can still read older exports.
EXPORT_FORMAT = 1
#: Record fields kept under the top-level ``playschool`` key (turns and instance have their own places).
_RECORD_FIELDS = ("game", "instance_id", "split", "seed", "experiment", "roles", "learner_role", "outcome",
                  "reason", "scores", "manifest_id", "timing", "fault", "schema")
#: Our score names that clembench's standard episode scores stand for (``Main Score``, ``Success``, ...).
_STANDARD = frozenset({"main", "success", "aborted", PLAYED.lower()})


def export_records(records: Iterable[EpisodeRecord | ForeignEpisode], out_dir: str | Path, *,
                   model_name: str = DEFAULT_MODEL_NAME, overwrite: bool = False) -> list[Path]:
    """Write ``records`` under ``out_dir`` in clembench's layout; returns the episode folders written.

    Our records go under the run folder ``model_name`` (name it as clembench would, e.g.
    ``mymodel-t0.0--mymodel-t0.0``, to compare with clembench's own runs); a :class:`ForeignEpisode` goes back
    to the folders it came from. An episode folder that already exists is an error unless ``overwrite``: an
    export never mixes silently with an older one.
    """
    _check_folder_name(model_name, "model name")
    out = Path(out_dir)
    ours: dict[tuple[str, str], list[EpisodeRecord]] = defaultdict(list)
    planned: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for rec in records:
        if isinstance(rec, ForeignEpisode):
            planned.append((rec.location, _foreign_files(rec)))
        elif isinstance(rec, EpisodeRecord):
            ours[(rec.game, rec.experiment or "default")].append(rec)
        else:
            raise TypeError(f"cannot export {type(rec).__name__}: expected EpisodeRecord or ForeignEpisode")
    location: tuple[str, ...]
    for (game, experiment), group in sorted(ours.items()):
        # The full JSON breaks ties between records of one key (the same episode played by different players).
        for n, rec in enumerate(sorted(group, key=lambda r: (r.key, r.to_json()))):
            location = (model_name, game, experiment, f"episode_{n}")
            planned.append((location, episode_files(rec, game_id=n, model_name=model_name)))
    seen: set[tuple[str, ...]] = set()
    for location, _ in planned:
        for part in location:
            _check_folder_name(part, "folder name")
        if location in seen:
            raise ValueError(f"two episodes would be written to {Path(*location)}")
        seen.add(location)
        if (out / Path(*location)).exists() and not overwrite:
            raise FileExistsError(f"{out / Path(*location)} already exists; export into an empty folder "
                                  "(or pass overwrite=True)")
    written = []
    for location, files in planned:
        folder = out.joinpath(*location)
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            if name.startswith("../"):  # the experiment's file sits one level up
                _write_json(folder.parent / name[3:], content)
            else:
                _write_json(folder / name, content)
        written.append(folder)
    return written


def episode_files(record: EpisodeRecord, *, game_id: int, model_name: str = DEFAULT_MODEL_NAME) -> dict[str, Any]:
    """The files of one record's episode folder (under the run folder ``model_name``): file name -> JSON
    content (``../`` names the experiment's file, one folder up)."""
    if "game_id" in record.instance:
        raise ValueError(f"{record.key}: the instance has a 'game_id' field, which clembench's instance.json "
                         "reserves")
    players, ids = _players(record, model_name)
    rounds = _rounds(record)
    seats = set(perspectives(record))
    requests = [[t for t in r if t.kind == "move" and t.speaker in seats] for r in rounds]
    ours = {k: getattr(record, k) for k in _RECORD_FIELDS}
    interactions: dict[str, Any] = {
        "meta": {"game_name": record.game, "experiment_name": record.experiment, "game_id": game_id,
                 "results_folder": model_name, "round_count": len(rounds), "completed": True},
        "players": players,
        "turns": [[_event(t, ids) for t in r] for r in rounds],
        OURS_KEY: {"format": EXPORT_FORMAT, "record": ours},
        # clemcore's recorder logs these per round, and its scorer reads them: present so the file is complete.
        REQUEST_COUNT: [len(r) for r in requests],
        PARSED_REQUEST_COUNT: [sum(1 for t in r if _parsed(t)) for r in requests],
        VIOLATED_REQUEST_COUNT: [sum(1 for t in r if not _parsed(t)) for r in requests],
        ABORTED: int(record.outcome == "aborted"), SUCCESS: int(record.outcome == "success"),
        LOSE: int(record.outcome == "lose"),
    }
    files: dict[str, Any] = {
        INSTANCE_FILE: {"game_id": game_id, **record.instance},
        INTERACTIONS_FILE: interactions,
        f"../{EXPERIMENT_FILE}": {"name": record.experiment, "game_name": record.game},
    }
    if record.outcome != "error":
        files[SCORES_FILE] = scores_json(record, requests)
    return files


def scores_json(record: EpisodeRecord, requests: list[list[Any]]) -> dict[str, Any]:
    """clembench's ``scores.json`` for a record whose learner moves per round are ``requests``."""
    aborted = record.outcome == "aborted"
    moves = [t for r in requests for t in r]
    parsed = sum(1 for t in moves if _parsed(t))
    # The game's own scores keep their (lower-case) names, except those clembench's names below stand for;
    # a "played" score in particular would break clembench's evaluation, which derives Played from Aborted.
    episode: dict[str, Any] = {k: v for k, v in record.scores.items() if k.lower() not in _STANDARD}
    episode.update({
        MAIN_SCORE: math.nan if aborted else float(record.scores.get("main", 0.0)),
        SUCCESS: int(record.outcome == "success"), LOSE: int(record.outcome == "lose"), ABORTED: int(aborted),
        REQUEST_COUNT: len(moves), PARSED_REQUEST_COUNT: parsed, VIOLATED_REQUEST_COUNT: len(moves) - parsed,
    })
    if moves:
        episode[REQUEST_SUCCESS_RATIO] = parsed / len(moves)
    turn_scores = {}
    for i, r in enumerate(requests):
        ok = sum(1 for t in r if _parsed(t))
        turn_scores[str(i)] = {REQUEST_COUNT: len(r), PARSED_REQUEST_COUNT: ok, VIOLATED_REQUEST_COUNT: len(r) - ok,
                               "reward": math.fsum(t.reward or 0.0 for t in r)}
    return {EPISODE_SCORES: episode, TURN_SCORES: turn_scores}


def _players(record: EpisodeRecord, model_name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """clembench's ``players`` and our role -> its player id. Roles come in the game's order; a name a turn
    uses that is not a role (never, in our games) still gets an id, so no turn is lost."""
    names = list(record.roles)
    for t in record.turns:
        names += [n for n in (t.speaker, t.to) if n != GAME_SPEAKER and n not in names]
    ids = {GAME_SPEAKER: GM, **{role: f"Player {i}" for i, role in enumerate(names, start=1)}}
    players: dict[str, Any] = {GM: {"game_role": "Game Master", "model_name": PROGRAMMATIC}}
    for role in names:
        who = record.roles.get(role, "")
        model = model_name if who == LEARNER else PROGRAMMATIC if who == TEACHER else who
        players[ids[role]] = {"game_role": role, "model_name": model}
    return players, ids


def _rounds(record: EpisodeRecord) -> list[list[Any]]:
    """The record's turns cut into clembench rounds: each move of the learner's seat closes one; what follows
    the last joins the last round."""
    rounds: list[list[Any]] = [[]]
    for t in record.turns:
        rounds[-1].append(t)
        if t.kind == "move" and t.speaker == record.learner_role:
            rounds.append([])
    if not rounds[-1] and len(rounds) > 1:
        rounds.pop()
    elif len(rounds) > 1:
        tail = rounds.pop()
        rounds[-1].extend(tail)
    return rounds


def _event(turn: Any, ids: dict[str, str]) -> dict[str, Any]:
    kept = {k: v for k, v in turn.to_dict().items() if k not in ("speaker", "to", "text")}
    sender = ids[turn.speaker]
    if turn.kind != "move" and turn.speaker != GAME_SPEAKER:
        # In clembench every message reaches a player through the game master (its transcripts know no other
        # path); what one role tells another is relayed by ours too, so GM sends it and the role is kept.
        kept["speaker"], sender = turn.speaker, GM
    action = {"type": GET_MESSAGE if turn.kind == "move" else SEND_MESSAGE, "content": turn.text, OURS_KEY: kept}
    return {"from": sender, "to": ids[turn.to], "action": action}


def _parsed(turn: Any) -> bool:
    return (turn.parse or {}).get("ok", True) is not False


def _foreign_files(episode: ForeignEpisode) -> dict[str, Any]:
    files: dict[str, Any] = {INSTANCE_FILE: episode.instance, INTERACTIONS_FILE: episode.interactions()}
    if episode.scores is not None:
        files[SCORES_FILE] = episode.scores
    if episode.experiment_config is not None:
        files[f"../{episode.experiment_file}"] = episode.experiment_config
    return files


def _check_folder_name(name: str, what: str) -> None:
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise ValueError(f"{what} {name!r} cannot be a folder name")


def _write_json(path: Path, content: Any) -> None:
    # ensure_ascii: a reply with lone surrogates or odd code points cannot break the file; clembench reads it.
    path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=True) + "\n", encoding="utf-8")


__all__ = ["DEFAULT_MODEL_NAME", "episode_files", "export_records", "scores_json"]
