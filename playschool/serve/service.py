"""What the environment server does, apart from HTTP: sessions of :class:`~playschool.envs.PlaypenEnv`, records
written as episodes end, and errors that say what was wrong. The HTTP routes and the WebSocket both call this.

Where work runs: the games' own players (teacher, random) answer within microseconds to milliseconds of pure
Python, so those moves run on the event loop (handing them to threads would only add switching under the GIL).
Work that can take long runs in worker threads: generating a game's instance pool the first time it is used,
and every step of a session whose partner is a model (allowed by the operator; see :class:`ServerConfig`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from playschool.backends.base import Backend, Conversation, Decoding, Reply
from playschool.envs import PartnerError, PlaypenEnv, resolve_partner
from playschool.envs.instances import instance_pool
from playschool.games import RANDOM, TEACHER, Game, RecordError, UnknownGameError, game_names, load_game
from playschool.spec import SpecError, parse_spec

from .models import EpisodeState, HealthResponse, Observation, ResetRequest, ResetResponse, StepResponse
from .records import RecordLog
from .sessions import CapacityError, Session, SessionTable, UnknownSessionError

log = logging.getLogger("playschool.serve")

#: Longest action accepted, in characters. Far above any real move (the game itself keeps 8000 characters of a
#: reply and cuts the rest, as the runner does), so a rambling model is judged by the game, while a request
#: meant to exhaust the server is refused.
DEFAULT_MAX_ACTION_CHARS = 1 << 16
#: Partners every server offers: played inside the game, no model is loaded.
BUILTIN_PARTNERS: tuple[str, ...] = (TEACHER, RANDOM)
#: Model kinds that make no sense on a server even when the operator lists them.
UNSERVABLE_PARTNERS: tuple[str, ...] = ("human",)


class ServeError(Exception):
    """A request the server refuses: ``status`` (HTTP), ``code`` (stable, for programs) and a message for people."""

    def __init__(self, status: int, code: str, message: str, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors)


def invalid(message: str) -> ServeError:
    return ServeError(422, "VALIDATION_ERROR", message)


@dataclass(frozen=True)
class ServerConfig:
    """How a server is set up.

    Args:
        games: game ids served (``taboo`` or ``taboo-v2``); empty: every registered game.
        max_sessions: live sessions at most; a reset beyond it is refused (HTTP 503) until sessions end.
        idle_timeout: seconds without a request after which a session is dropped.
        records: folder for the records of finished episodes (see :mod:`.records`); ``None``: none written.
        allowed_partners: model specs a client may name as ``partner`` besides ``teacher`` and ``random``. Each is
            loaded once when the server starts and shared by every session that names it. A spec from the network
            is never loaded otherwise: it could name any model or any Python module.
        max_action_chars: longest action accepted.
        sweep_interval: seconds between idle sweeps (default: a quarter of the timeout, within 0.05-30 s).
    """

    games: tuple[str, ...] = ()
    max_sessions: int = 256
    idle_timeout: float = 300.0
    records: Path | None = None
    allowed_partners: tuple[str, ...] = ()
    max_action_chars: int = DEFAULT_MAX_ACTION_CHARS
    sweep_interval: float | None = None

    def __post_init__(self) -> None:
        if self.max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {self.max_sessions}")
        if not self.idle_timeout > 0:
            raise ValueError(f"idle_timeout must be a positive number of seconds, got {self.idle_timeout}")
        if self.max_action_chars < 1:
            raise ValueError(f"max_action_chars must be at least 1, got {self.max_action_chars}")
        if self.sweep_interval is not None and not self.sweep_interval > 0:
            raise ValueError(f"sweep_interval must be positive, got {self.sweep_interval}")

    @property
    def sweep_every(self) -> float:
        if self.sweep_interval is not None:
            return self.sweep_interval
        return min(30.0, max(0.05, self.idle_timeout / 4))


@dataclass(frozen=True)
class Setup:
    """What a session's environment was made for: a reset naming the same keeps the environment."""

    game: str
    role: str | None
    split: str
    partner: str
    feedback: str


@dataclass(eq=False)
class Live:
    """A session's value: its environment and the episode in progress."""

    env: PlaypenEnv
    setup: Setup
    episode_id: str
    started: float
    episodes: int = 1
    steps: int = 0
    recorded: bool = False
    offload: bool = False  # a model partner: steps run in a worker thread


class _Serialised:
    """A model partner shared by sessions whose steps run in different threads: one ``generate`` at a time,
    since a backend (a transformers model, a scripted reply cycle) is not made for concurrent calls."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self.name = str(getattr(backend, "name", type(backend).__name__))
        self.max_batch_size = int(getattr(backend, "max_batch_size", 1) or 1)

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        with self._lock:
            return list(self._backend.generate(conversations, decoding))

    def describe(self) -> dict[str, Any]:
        describe = getattr(self._backend, "describe", None)
        return dict(describe()) if callable(describe) else {"model": self.name}


class EnvService:
    """Sessions of Playpen environments behind the server's endpoints. Call :meth:`open` before serving."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.games = self._served_games(config.games)
        self.partners = self._load_partners(config.allowed_partners)
        self.table: SessionTable[Live] = SessionTable(config.max_sessions, config.idle_timeout)
        self.log: RecordLog | None = None
        self._pool_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._pools_ready: set[tuple[str, str]] = set()

    # --------------------------------------------------------------------------------------------- set-up
    @staticmethod
    def _served_games(names: Sequence[str]) -> dict[str, Game]:
        games: dict[str, Game] = {}
        for name in names or game_names():
            versioned_id = load_game(name).versioned_id  # UnknownGameError names the registered games
            # The object PlaypenEnv will load: instance pools are cached per game object, and "taboo" and
            # "taboo-v2" load as two objects.
            games[versioned_id] = load_game(versioned_id)
        return games

    @staticmethod
    def _load_partners(specs: Sequence[str]) -> dict[str, _Serialised]:
        partners: dict[str, _Serialised] = {}
        for spec in specs:
            if spec in BUILTIN_PARTNERS:
                continue
            if parse_spec(spec).kind in UNSERVABLE_PARTNERS:
                raise SpecError(f"partner {spec!r} cannot be served: nobody is at this server's terminal")
            value, backend = resolve_partner(spec)
            if backend is None:  # a player the game itself plays (e.g. "agent:" naming the reference player)
                raise SpecError(f"partner {spec!r} is played by the game itself; clients can name {value!r}")
            partners[spec] = _Serialised(backend)
        return partners

    def open(self) -> EnvService:
        if self.config.records is not None:
            self.log = RecordLog(self.config.records).open()
        return self

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

    # --------------------------------------------------------------------------------------------- queries
    def health(self) -> HealthResponse:
        return HealthResponse(sessions=len(self.table), max_sessions=self.config.max_sessions,
                              idle_timeout=self.config.idle_timeout,
                              records_written=0 if self.log is None else self.log.written)

    def partner_names(self) -> list[str]:
        return [*BUILTIN_PARTNERS, *self.partners]

    # ---------------------------------------------------------------------------------------------- reset
    async def reset(self, request: ResetRequest) -> ResetResponse:
        """Start an episode: in a new session, or in ``request.session_id``'s session."""
        setup = self._setup(request)
        await self._ensure_pool(setup.game, setup.split)
        if request.session_id is None:
            live = self._build(setup)
            try:  # reserve the place first: a full server does no work for a reset it must refuse
                session = self.table.add(live)
            except CapacityError as exc:
                raise ServeError(503, "CAPACITY_REACHED", str(exc)) from None
            live.episode_id = request.episode_id or f"{session.id}/1"
            try:
                async with self._use(session.id):  # busy: never swept while a model partner opens the game
                    return await self._start(live, request, session_id=session.id)
            except BaseException:
                with contextlib.suppress(UnknownSessionError):
                    self.table.pop(session.id)  # a reset that failed leaves no session behind
                raise
        async with self._use(request.session_id) as session:
            # The same set-up keeps the environment (its seeded generator draws on); another gets a new one.
            live = session.value if session.value.setup == setup else self._build(setup)
            response = await self._start(live, request, session_id=session.id)
            live.episodes = session.value.episodes + 1
            live.episode_id = request.episode_id or f"{session.id}/{live.episodes}"
            session.value = live
            return response

    def _setup(self, request: ResetRequest) -> Setup:
        if request.game is None:
            if len(self.games) != 1:
                raise invalid(f"name a game: this server serves {', '.join(self.games)}")
            game = next(iter(self.games))
        else:
            try:
                game = load_game(request.game).versioned_id
            except (UnknownGameError, ValueError):
                game = ""
            if game not in self.games:  # unknown, another version, or not served: the answer lists what is
                raise invalid(f"game {request.game!r} is not served here; this server serves {', '.join(self.games)}")
        if request.partner not in BUILTIN_PARTNERS and request.partner not in self.partners:
            raise ServeError(403, "NOT_ALLOWED",
                             f"partner {request.partner!r} is not allowed on this server: a client cannot make it "
                             f"load a model; partners here: {', '.join(self.partner_names())} (an operator allows "
                             "more with --allow-partner)")
        return Setup(game, request.role, request.split, request.partner, request.feedback)

    async def _ensure_pool(self, game: str, split: str) -> None:
        """Generate the split's instances in a worker thread the first time (up to seconds for large games), so
        the event loop keeps serving other sessions; later resets find them cached."""
        key = (game, split)
        if key in self._pools_ready:
            return
        lock = self._pool_locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._pools_ready:
                await asyncio.to_thread(instance_pool, self.games[game], split, 0)
                self._pools_ready.add(key)

    def _build(self, setup: Setup) -> Live:
        partner = self.partners.get(setup.partner, setup.partner)
        try:
            env = PlaypenEnv(setup.game, setup.role, split=setup.split, partner=partner, feedback=setup.feedback)
        except ValueError as exc:  # an unknown role
            raise invalid(str(exc)) from None
        return Live(env, setup, episode_id="", started=time.monotonic(), offload=setup.partner in self.partners)

    async def _start(self, live: Live, request: ResetRequest, *, session_id: str) -> ResetResponse:
        options = {"instance_id": request.options.instance_id} if request.options.instance_id else None
        try:
            obs, info = await self._call(live, live.env.reset, seed=request.seed, options=options)
        except ValueError as exc:  # an instance id not in the pool, or not playable in this role
            raise invalid(str(exc)) from None
        except PartnerError as exc:  # a model partner that opens the game failed
            raise ServeError(502, "PARTNER_ERROR", f"{exc}; reset to try again") from None
        live.steps, live.recorded, live.started = 0, False, time.monotonic()
        self._record_if_over(live, info)
        return ResetResponse(session_id=session_id, observation=_observation(obs), reward=None,
                             done=live.env.driver is not None and live.env.driver.done, info=info)

    # ----------------------------------------------------------------------------------------------- step
    async def step(self, session_id: str, text: str) -> StepResponse:
        """Play ``text`` as the learner's move in ``session_id``'s episode."""
        if len(text) > self.config.max_action_chars:
            raise invalid(f"the action is {len(text)} characters long; this server accepts at most "
                          f"{self.config.max_action_chars} (the game keeps the first 8000 of a move anyway)")
        async with self._use(session_id) as session:
            live = session.value
            driver = live.env.driver
            if driver is None or driver.done:
                outcome = "" if driver is None else f" ({driver.episode.outcome})"
                raise ServeError(409, "EPISODE_OVER", f"the episode is over{outcome}; reset to play another")
            try:
                obs, reward, terminated, _, info = await self._call(live, live.env.step, text)
            except PartnerError as exc:
                raise ServeError(502, "PARTNER_ERROR", f"{exc}; reset the session to play on") from None
            except RuntimeError as exc:  # e.g. stepping again after a partner failure
                raise ServeError(409, "EPISODE_OVER", f"{exc}; reset to play another") from None
            live.steps += 1
            self._record_if_over(live, info)
            return StepResponse(session_id=session.id, observation=_observation(obs), reward=float(reward),
                                done=bool(terminated), info=info)

    async def _call(self, live: Live, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if live.offload:
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    def _record_if_over(self, live: Live, info: dict[str, Any]) -> None:
        """Write the record of an episode that just ended (once), and say in ``info`` where it went."""
        driver = live.env.driver
        if driver is None or not driver.done or live.recorded:
            return
        live.recorded = True
        if self.log is None:
            return
        timing = {"seconds": round(time.monotonic() - live.started, 4)}
        record = replace(driver.record(), timing=timing)
        try:
            info["recorded_in"] = str(self.log.append(record))
        except (OSError, RecordError) as exc:
            # The episode is played; losing its record is the server's failure, said loudly and to the client.
            log.error("could not write the record of %s: %s", record.key, exc)
            info["record_error"] = f"the record was not written: {exc}"
        if "record" in info:
            info["record"]["timing"] = timing

    # ------------------------------------------------------------------------------------- state and close
    async def state(self, session_id: str) -> EpisodeState:
        async with self._use(session_id) as session:
            live = session.value
            driver = live.env.driver
            assert driver is not None  # a session exists only after its first reset
            return EpisodeState(
                episode_id=live.episode_id, step_count=live.steps, session_id=session.id, game=live.setup.game,
                role=live.env.role, split=live.setup.split, partner=live.setup.partner,
                feedback=live.setup.feedback, instance_id=driver.episode.instance.id, done=driver.done,
                outcome=driver.episode.outcome, due=driver.due, episodes=live.episodes,
                expires_in=round(self.table.expires_in(session), 3))

    def close_session(self, session_id: str) -> None:
        """Drop a session now; an unfinished episode is abandoned (it has no record)."""
        try:
            self.table.pop(session_id)
        except UnknownSessionError as exc:
            raise ServeError(404, "UNKNOWN_SESSION", str(exc)) from None

    @asynccontextmanager
    async def _use(self, session_id: str) -> AsyncIterator[Session[Live]]:
        """The table's per-session lock, with an unknown session turned into the server's 404."""
        try:
            async with self.table.use(session_id) as session:
                yield session
        except UnknownSessionError as exc:  # only the table raises it
            raise ServeError(404, "UNKNOWN_SESSION", str(exc)) from None


def _observation(obs: dict[str, Any]) -> Observation:
    return Observation.model_validate({"messages": list(obs["messages"]), "feedback": list(obs["feedback"])})


__all__ = ["BUILTIN_PARTNERS", "DEFAULT_MAX_ACTION_CHARS", "EnvService", "ServeError", "ServerConfig", "Setup"]
