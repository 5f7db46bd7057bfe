"""Play sessions: visitors of the arena play one role of a game against the game's programmatic teacher.

A session is one live episode, held in memory under an unguessable id (a visitor cannot reach another's game)
and dropped when idle for longer than the TTL, when closed, or, when the store is full, as the least recently
used. Sending a move runs the game in the visitor's request, serialised per session (a double click cannot
interleave two moves); different sessions run in parallel.

Nothing a visitor types can break a game (``Episode.act`` takes any text and ends, at worst, in an aborted
episode), so the store only caps the length and answers ids it does not hold with :class:`SessionNotFound`.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playschool.games import (
    LEARNER,
    SPLITS,
    TEACHER,
    Episode,
    Game,
    Instance,
    UnknownGameError,
    game_names,
    load_game,
)

from .chat import ChatMessage, to_messages

#: Longest move a visitor may send, in characters. Longer text is cut (the view says so): nobody types more
#: in one turn of these games, and the game's own limit (8000) is meant for models.
MAX_MOVE_CHARS = 2000
#: The split visitors play by default. Test instances are CLU2's held-out items: a public arena must not show
#: them (visitors' transcripts would leak them). Train is published for learning, and the largest pool.
PLAY_SPLIT = "train"


class ArenaError(ValueError):
    """A request the arena cannot serve: an unknown game, role, split or model spec. The message says why."""


class SessionNotFound(ArenaError):
    """No live session has this id: it expired, was closed or evicted, or never existed."""


@dataclass(frozen=True)
class PlayView:
    """Everything the page shows of one game after a request.

    ``messages``: all the player has seen so far (see :mod:`.chat`). ``score``: the main score (0-100) once the
    game is over. ``explanation``: plain text (not markdown) saying how it ended and what the score means.
    ``waiting_for``: the role whose move is due, ``None`` when the game is over. ``notice``: a remark about the
    last request (a move that was cut, a game already over), else empty.
    """

    session_id: str
    game: str
    role: str
    instance_id: str
    messages: list[ChatMessage]
    done: bool
    outcome: str | None
    score: float | None
    explanation: str
    waiting_for: str | None
    notice: str = ""


# ------------------------------------------------------------------------------------------------ choices
def _game(name: str) -> Game:
    try:
        return load_game(str(name))
    except (UnknownGameError, ValueError, TypeError) as exc:
        raise ArenaError(f"unknown game {name!r}; the arena offers: {', '.join(games())}") from exc


_instances_lock = threading.Lock()
_instances: dict[tuple[str, str], tuple[Instance, ...]] = {}
_generating: dict[tuple[str, str], threading.Lock] = {}


def instances(game: str, split: str = PLAY_SPLIT) -> tuple[Instance, ...]:
    """The instances of ``game`` on ``split``, generated once per process (generation is deterministic and takes
    up to a few seconds for the larger games)."""
    g = _game(game)
    if split not in SPLITS:
        raise ArenaError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    key = (g.versioned_id, split)
    with _instances_lock:
        if key in _instances:
            return _instances[key]
        gate = _generating.setdefault(key, threading.Lock())
    with gate:  # one generation per game and split; other games need not wait for it
        with _instances_lock:
            if key in _instances:
                return _instances[key]
        made = tuple(g.generate(split))  # a tuple: shared by every caller, so nobody can change it
        with _instances_lock:
            _instances[key] = made
        return made


def games() -> list[str]:
    """Every registered game, by name."""
    return game_names()


def roles_for(game: str, split: str = PLAY_SPLIT) -> list[str]:
    """The roles a visitor can play in ``game``: its learner roles that some instance of ``split`` supports."""
    g = _game(game)
    pool = instances(game, split)
    return [r for r in g.learner_roles if any(g.supports(i, r) for i in pool)]


# ------------------------------------------------------------------------------------------------ views
def explain(outcome: str | None, reason: str, scores: dict[str, float], *, who: str = "you") -> str:
    """One or two plain sentences on how a finished game ended and what its main score means."""
    main = scores.get("main", 0.0)
    reason = f" ({reason})" if reason else ""
    if outcome == "error":
        whose = "your" if who == "you" else f"{who}'s"
        return (f"The game itself failed{reason}. That is a bug in the game, not {whose} fault; "
                "the episode is not scored.")
    if outcome == "aborted":
        return f"The game was stopped{reason}: {who} could not carry on, and an aborted game scores 0/100."
    repairs = int(scores.get("format_errors", 0) + scores.get("rule_errors", 0))
    fixes = f" {repairs} move(s) needed a correction." if repairs else ""
    verdict = "Success" if outcome == "success" else "Not solved"
    return (f"{verdict}{reason}. Main score {main:.0f}/100, the game's measure of how well the collaboration "
            f"went (100 is a perfect game).{fixes}")


def view_of(episode: Episode, session_id: str, role: str, notice: str = "", *, who: str = "you") -> PlayView:
    """The :class:`PlayView` of ``episode`` from ``role``'s side."""
    pending = episode.pending()
    score: float | None = None
    explanation = ""
    if episode.done:
        scores = episode.record().scores
        score = scores.get("main")
        explanation = explain(episode.outcome, episode.reason, scores, who=who)
    return PlayView(session_id=session_id, game=episode.game.versioned_id, role=role,
                    instance_id=episode.instance.id, messages=to_messages(episode.turns, role),
                    done=episode.done, outcome=episode.outcome, score=score, explanation=explanation,
                    waiting_for=None if pending is None else pending.role, notice=notice)


def pick_instance(game: Game, role: str, split: str, seed: int | None) -> Instance:
    """An instance of ``split`` that supports ``role``: drawn with ``seed`` (reproducible), or at random."""
    pool = [i for i in instances(game.name, split) if game.supports(i, role)]
    if not pool:
        raise ArenaError(f"{game.versioned_id} has no {split} instance with the role {role!r}")
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    return rng.choice(pool)


def check_choice(game: str, role: str, split: str = PLAY_SPLIT) -> Game:
    """The game, if a visitor may play ``role`` of it on ``split``; else :class:`ArenaError` saying why. Test
    instances are refused (see :data:`PLAY_SPLIT`)."""
    if split == "test":
        raise ArenaError("the test split is CLU2's held-out set and is not played in the arena; use train or "
                         "validation")
    g = _game(game)
    allowed = roles_for(g.name, split)
    if role not in allowed:
        raise ArenaError(f"{g.versioned_id} cannot be played as {role!r}; roles: {', '.join(allowed)}")
    return g


def new_episode(game: str, role: str, *, seed: int | None, split: str, player: str = LEARNER) -> Episode:
    """An episode of ``game`` with the teacher in every role but ``role``, advanced to the first turn of a player
    from outside. ``player`` is who plays ``role``: ``learner`` (from outside: a visitor or a model), or the
    game's own ``teacher`` or ``random`` player (then the episode is over on return)."""
    g = check_choice(game, role, split)
    inst = pick_instance(g, role, split, seed)
    return g.new_episode(inst, role, {r: (player if r == role else TEACHER) for r in g.roles})


# ------------------------------------------------------------------------------------------------ store
class _Session:
    __slots__ = ("episode", "id", "last_used", "lock", "role")

    def __init__(self, sid: str, role: str, episode: Episode, now: float) -> None:
        self.id = sid
        self.role = role
        self.episode = episode
        self.last_used = now
        self.lock = threading.Lock()


class PlaySessions:
    """Thread-safe store of visitors' games. ``clock`` is injectable so tests can move time."""

    def __init__(self, ttl_s: float, max_sessions: int, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_s <= 0 or max_sessions < 1:
            raise ValueError("ttl_s must be > 0 and max_sessions >= 1")
        self.ttl_s = float(ttl_s)
        self.max_sessions = int(max_sessions)
        self._clock = clock
        self._lock = threading.Lock()
        # Least recently used first: sweeping and eviction only ever look at the front.
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    # -------------------------------------------------------------------- API
    def start(self, game: str, role: str, *, seed: int | None = None, split: str = PLAY_SPLIT) -> PlayView:
        """Start a game with the visitor in ``role`` and the teacher everywhere else; returns its first view."""
        episode = new_episode(game, role, seed=seed, split=split)  # outside the lock: it can take a moment
        sid = secrets.token_urlsafe(16)
        with self._lock:
            now = self._clock()
            self._sweep_locked(now)
            while len(self._sessions) >= self.max_sessions:
                self._sessions.popitem(last=False)
            self._sessions[sid] = _Session(sid, role, episode, now)
        return view_of(episode, sid, role)

    def send(self, session_id: str, text: Any) -> PlayView:
        """Play the visitor's move (any text; cut to :data:`MAX_MOVE_CHARS`), let the teacher reply, and return
        the new view. A move after the game ended changes nothing (the view's notice says so)."""
        session = self._touch(session_id)
        raw = "" if text is None else str(text)
        notice = ""
        if len(raw) > MAX_MOVE_CHARS:
            raw = raw[:MAX_MOVE_CHARS]
            notice = f"Your move was cut to its first {MAX_MOVE_CHARS} characters."
        with session.lock:
            episode = session.episode
            if episode.done:
                return view_of(episode, session.id, session.role, "This game is over; start a new one.")
            episode.act(raw)  # never raises for a move: a bad one gets a correction or ends the game
            view = view_of(episode, session.id, session.role, notice)
        with self._lock:  # the move itself took time: it counts as use from when it ended
            if session.id in self._sessions:
                session.last_used = self._clock()
                self._sessions.move_to_end(session.id)
        return view

    def view(self, session_id: str) -> PlayView:
        """The current view of a session (e.g. to redraw a page)."""
        session = self._touch(session_id)
        with session.lock:
            return view_of(session.episode, session.id, session.role)

    def close(self, session_id: str) -> None:
        """Drop a session now. Closing an unknown or already closed id is not an error."""
        with self._lock:
            self._sessions.pop(str(session_id), None)

    def sweep(self) -> int:
        """Drop every session idle for longer than the TTL; returns how many were dropped."""
        with self._lock:
            return self._sweep_locked(self._clock())

    # --------------------------------------------------------------- internals
    def _touch(self, session_id: str) -> _Session:
        sid = str(session_id)
        with self._lock:
            self._sweep_locked(self._clock())
            session = self._sessions.get(sid)
            if session is None:
                # Dropped ids are not remembered (that would grow with every abandoned game), so one message
                # covers every case.
                raise SessionNotFound(f"this game expired; start a new one (games are dropped after "
                                      f"{self.ttl_s / 60:.3g} min without a move, when closed, and the least "
                                      "recently used when the arena is full)")
            session.last_used = self._clock()
            self._sessions.move_to_end(sid)
            return session

    def _sweep_locked(self, now: float) -> int:
        dropped = 0
        while self._sessions:
            sid, session = next(iter(self._sessions.items()))
            if now - session.last_used <= self.ttl_s:
                break  # LRU order: everything after this one was used more recently
            del self._sessions[sid]
            dropped += 1
        return dropped


__all__ = ["MAX_MOVE_CHARS", "PLAY_SPLIT", "ArenaError", "PlaySessions", "PlayView", "SessionNotFound", "check_choice", "explain",
           "games", "instances", "new_episode", "pick_instance", "roles_for", "view_of"]
