"""clembench's results layout, and episodes of games this package does not have.

A clembench results tree looks like this (clemcore writes it; ``clem score`` and ``clem eval`` read it)::

    <results>/<run>/<game>/<experiment>/<episode>/instance.json      the game instance (with ``game_id``)
                                                 /interactions.json  meta, players, turns (rounds of events), logs
                                                 /scores.json        "episode scores" and per-round scores
    <results>/<run>/<game>/<experiment>/experiment.json              (older runs: experiment_<name>.json)

``<run>`` names the players' models (``modelA-t0.0--modelB-t0.0``); clembench's evaluation groups by it.
``interactions.json`` holds ``players`` (``"GM"`` and ``"Player N"`` mapped to a role and model, or to a plain
string in older runs) and ``turns``: a list of rounds, each a list of events ``{from, to, timestamp, action:
{type, content}}``. Any other top-level key is a game's own log.

An episode of a game we do not have becomes a :class:`ForeignEpisode`: everything its files hold, kept as it
was, so writing it back gives the same files.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.games import Turn

INSTANCE_FILE = "instance.json"
INTERACTIONS_FILE = "interactions.json"
SCORES_FILE = "scores.json"
EXPERIMENT_FILE = "experiment.json"

#: The key under which our own exports keep what clembench has no place for (our record fields, each turn's
#: kind, parse and reward). clembench's tools ignore keys they do not know, so the files stay theirs.
OURS_KEY = "playschool"

#: clembench's name for the game master, and ours.
GM = "GM"
GAME_SPEAKER = "game"

#: The model name clembench gives players that are code, not models (the game master among them).
PROGRAMMATIC = "programmatic"

#: Action types clembench's tools know: an utterance sent to a player, and a player's reply.
SEND_MESSAGE = "send message"
GET_MESSAGE = "get message"

EPISODE_SCORES = "episode scores"
#: Per-round scores: ``turn scores`` in the documented format, ``round scores`` in newer clemcore releases.
TURN_SCORES = "turn scores"
ROUND_SCORES = "round scores"

#: Episode-level score names clembench's evaluation reads (clemcore's ``clemgame/metrics.py``).
MAIN_SCORE = "Main Score"
SUCCESS = "Success"
LOSE = "Lose"
ABORTED = "Aborted"
PLAYED = "Played"
REQUEST_COUNT = "Request Count"
PARSED_REQUEST_COUNT = "Parsed Request Count"
VIOLATED_REQUEST_COUNT = "Violated Request Count"
REQUEST_SUCCESS_RATIO = "Request Success Ratio"


class ClembenchFormatError(ValueError):
    """A clembench results file is malformed: not JSON, or missing or mistyped keys. The message names the file."""


def read_json(path: Path) -> Any:
    """The JSON value in ``path``; a clear error naming the file if it cannot be read."""
    try:
        # clembench writes NaN for the scores of aborted episodes; Python's json reads it.
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ClembenchFormatError(f"{path}: not valid JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ClembenchFormatError(f"{path}: not UTF-8 text: {exc}") from exc


def expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    """``value`` if it is a ``kind``; otherwise a :class:`ClembenchFormatError` saying where and what."""
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ClembenchFormatError(f"{where}: {what} must be {names}, got {type(value).__name__}")
    return value


def key(data: dict[str, Any], name: str, where: str) -> Any:
    """``data[name]``, or an error naming the file and the missing key."""
    if name not in data:
        raise ClembenchFormatError(f"{where}: missing key {name!r}")
    return data[name]


@dataclass(frozen=True)
class ForeignEvent:
    """One event of a clembench round: ``sender`` (clembench's ``from``) sent ``to`` an action of ``type``.

    ``content`` is usually text but may be any JSON value (games log structured actions). ``action_extra`` and
    ``event_extra`` keep the keys beyond the standard ones, so the event is written back unchanged.
    """

    sender: str
    to: str
    type: str
    content: Any
    timestamp: str | None = None
    action_extra: dict[str, Any] = field(default_factory=dict)
    event_extra: dict[str, Any] = field(default_factory=dict)

    def to_clembench(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.event_extra, "from": self.sender, "to": self.to,
                               "action": {**self.action_extra, "type": self.type, "content": self.content}}
        if self.timestamp is not None:
            out["timestamp"] = self.timestamp
        return out

    @classmethod
    def from_clembench(cls, data: Any, where: str) -> ForeignEvent:
        data = expect(data, dict, where, "an event")
        action = expect(key(data, "action", where), dict, where, "'action'")
        timestamp = data.get("timestamp")
        return cls(sender=str(expect(key(data, "from", where), str, where, "'from'")),
                   to=str(expect(key(data, "to", where), str, where, "'to'")),
                   type=str(expect(key(action, "type", where), str, where, "'action.type'")),
                   content=key(action, "content", where),
                   timestamp=None if timestamp is None else str(timestamp),
                   action_extra={k: v for k, v in action.items() if k not in ("type", "content")},
                   event_extra={k: v for k, v in data.items() if k not in ("from", "to", "timestamp", "action")})


def parse_rounds(turns: Any, where: str) -> tuple[tuple[ForeignEvent, ...], ...]:
    """clembench's ``turns`` (a list of rounds, each a list of events), checked."""
    rounds = expect(turns, list, where, "'turns'")
    return tuple(tuple(ForeignEvent.from_clembench(e, f"{where}: turns[{r}][{i}]")
                       for i, e in enumerate(expect(events, list, where, f"'turns[{r}]'")))
                 for r, events in enumerate(rounds))


@dataclass(frozen=True)
class ForeignEpisode:
    """An episode from a clembench results tree of a game this package does not have.

    ``run``/``game``/``experiment``/``episode`` are the folder names it was found under (the game's name is
    its folder's). ``players``, ``rounds`` and ``logs`` are ``interactions.json`` (``logs``: every other
    top-level key, ``meta`` among them), ``instance`` is ``instance.json``, ``scores`` is ``scores.json``
    (``None`` if the episode was never scored) and ``experiment_config`` the experiment's file
    (``experiment_file`` names it). Requests files (the raw prompts and responses) are not kept.
    """

    run: str
    game: str
    experiment: str
    episode: str
    instance: dict[str, Any]
    players: dict[str, Any]
    rounds: tuple[tuple[ForeignEvent, ...], ...]
    logs: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] | None = None
    experiment_config: dict[str, Any] | None = None
    experiment_file: str = EXPERIMENT_FILE

    @property
    def id(self) -> str:
        return f"{self.run}/{self.game}/{self.experiment}/{self.episode}"

    @property
    def location(self) -> tuple[str, str, str, str]:
        """The folders, below a results root, that hold this episode."""
        return self.run, self.game, self.experiment, self.episode

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.logs.get("meta")
        return meta if isinstance(meta, dict) else {}

    @property
    def episode_scores(self) -> dict[str, Any]:
        return dict((self.scores or {}).get(EPISODE_SCORES) or {})

    @property
    def outcome(self) -> str:
        """``success``, ``lose`` or ``aborted`` from clembench's scores (or the game's logged keys); empty if
        the episode was not scored."""
        scores = {**{k: self.logs[k] for k in (ABORTED, SUCCESS, LOSE) if k in self.logs}, **self.episode_scores}
        for name, outcome in ((ABORTED, "aborted"), (SUCCESS, "success"), (LOSE, "lose")):
            if _is_one(scores.get(name)):
                return outcome
        return ""

    @property
    def main_score(self) -> float | None:
        """clembench's main score (0-100); ``None`` when missing or NaN (clembench's mark of an aborted game)."""
        value = self.episode_scores.get(MAIN_SCORE)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        return None

    def role_names(self) -> dict[str, str]:
        """Player id -> role name: the player's ``game_role`` where every player has a distinct one, else its
        id; the game master is our ``game``."""
        roles = {pid: str(info["game_role"]) for pid, info in self.players.items()
                 if pid != GM and isinstance(info, dict) and "game_role" in info}
        others = [pid for pid in self.players if pid != GM]
        if len(roles) != len(others) or len(set(roles.values())) != len(roles) or GAME_SPEAKER in roles.values():
            roles = {pid: pid for pid in others}
        return {GM: GAME_SPEAKER, **roles}

    def model_names(self) -> dict[str, str]:
        """Role name -> the model that played it (the player's ``model_name``, or its description in older runs)."""
        names = self.role_names()
        out = {}
        for pid, info in self.players.items():
            if pid == GM:
                continue
            model = info.get("model_name", "") if isinstance(info, dict) else info
            out[names[pid]] = str(model)
        return out

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The events as our turns, so our tools (the learner's view) read them: a player's ``get message``
        is its move; a ``send message`` is the first ``instruction`` a player gets, later ones
        ``observation`` (clembench does not type its messages); any other type keeps its name as the kind."""
        names = self.role_names()
        told: set[str] = set()
        out: list[Turn] = []
        for event in (e for r in self.rounds for e in r):
            speaker, to = names.get(event.sender, event.sender), names.get(event.to, event.to)
            kind = event.type
            if event.type == GET_MESSAGE:
                kind = "move"
            elif event.type == SEND_MESSAGE:
                kind = "observation" if to in told else "instruction"
                told.add(to)
            text = event.content if isinstance(event.content, str) else json.dumps(event.content, sort_keys=True)
            out.append(Turn(index=len(out), speaker=speaker, to=to, kind=kind, text=text))
        return tuple(out)

    def interactions(self) -> dict[str, Any]:
        """The episode's ``interactions.json`` as clembench wrote it."""
        return {**self.logs, "players": self.players,
                "turns": [[e.to_clembench() for e in r] for r in self.rounds]}

    def to_dict(self) -> dict[str, Any]:
        """One JSON object (a line of the foreign-episodes file); :meth:`from_dict` reads it back."""
        return {"location": list(self.location), "instance": self.instance, "interactions": self.interactions(),
                "scores": self.scores, "experiment": self.experiment_config,
                "experiment_file": self.experiment_file}

    @classmethod
    def from_dict(cls, data: Any, where: str = "foreign episode") -> ForeignEpisode:
        data = expect(data, dict, where, "a foreign episode")
        location = expect(key(data, "location", where), list, where, "'location'")
        if len(location) != 4 or not all(isinstance(p, str) for p in location):
            raise ClembenchFormatError(f"{where}: 'location' must be [run, game, experiment, episode]")
        return from_files(location, instance=key(data, "instance", where),
                          interactions=key(data, "interactions", where), scores=data.get("scores"),
                          experiment=data.get("experiment"),
                          experiment_file=str(data.get("experiment_file") or EXPERIMENT_FILE), where=where)


def from_files(location: list[str] | tuple[str, ...], *, instance: Any, interactions: Any, scores: Any,
               experiment: Any, experiment_file: str, where: str) -> ForeignEpisode:
    """A :class:`ForeignEpisode` from the parsed contents of its files, each checked."""
    interactions = expect(interactions, dict, where, "interactions")
    players = expect(key(interactions, "players", where), dict, where, "'players'")
    expect(interactions.get("meta", {}), dict, where, "'meta'")
    if scores is not None:
        scores = check_scores(scores, where)
    if experiment is not None:
        experiment = expect(experiment, dict, where, "the experiment")
    run, game, exp, episode = location
    return ForeignEpisode(
        run=run, game=game, experiment=exp, episode=episode, instance=expect(instance, dict, where, "the instance"),
        players=players, rounds=parse_rounds(key(interactions, "turns", where), where),
        logs={k: v for k, v in interactions.items() if k not in ("players", "turns")},
        scores=scores, experiment_config=experiment, experiment_file=experiment_file)


def check_scores(scores: Any, where: str) -> dict[str, Any]:
    """A ``scores.json`` value, checked: an object whose ``episode scores`` and per-round scores are objects."""
    scores = expect(scores, dict, where, "scores")
    expect(key(scores, EPISODE_SCORES, where), dict, where, f"{EPISODE_SCORES!r}")
    for name in (TURN_SCORES, ROUND_SCORES):
        expect(scores.get(name, {}), dict, where, f"{name!r}")
    return scores


def _is_one(value: Any) -> bool:
    return value is True or (isinstance(value, (int, float)) and value == 1)


__all__ = [
    "ABORTED", "EPISODE_SCORES", "GET_MESSAGE", "GM", "LOSE", "MAIN_SCORE", "OURS_KEY", "PLAYED", "SEND_MESSAGE",
    "SUCCESS", "TURN_SCORES", "ClembenchFormatError", "ForeignEpisode", "ForeignEvent",
]
