"""The server's session table: live episodes under unguessable ids, capped in number, dropped when idle.

One server process holds many sessions. The table's dict is guarded by a :class:`threading.Lock`, so request
handlers on the event loop, the idle sweeper and worker threads see one consistent table. Each session has an
:class:`asyncio.Lock`: requests to one session are played one after the other (two moves sent at once never
interleave inside a game), while different sessions proceed independently.

A session is *idle* when no request to it is running and none has arrived for ``idle_timeout`` seconds; the
sweeper drops idle sessions, which is how sessions of clients that vanished (killed, disconnected, crashed)
are freed. A session with a request in progress is never swept, however long that request takes.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

#: Bytes of randomness in a session id (URL-safe text of 32 characters): ids are capabilities, never guessable.
ID_BYTES = 24


class SessionError(Exception):
    """Base of the table's errors; the message is meant for the client."""


class UnknownSessionError(SessionError, KeyError):
    """No live session has this id: it never existed, was closed, or was dropped after being idle too long."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown session"


class CapacityError(SessionError):
    """The table holds its maximum number of sessions."""

    def __init__(self, active: int, max_sessions: int, idle_timeout: float) -> None:
        self.active = active
        self.max_sessions = max_sessions
        super().__init__(f"the server holds its maximum of {max_sessions} sessions ({active} live); close "
                         f"finished sessions (DELETE /sessions/ID, or close the WebSocket) or retry later: idle "
                         f"sessions are dropped after {idle_timeout:g} s")


@dataclass(eq=False)
class Session(Generic[T]):
    """One live session: its id, what it holds, and the bookkeeping the table keeps for it."""

    id: str
    value: T
    created: float
    last_active: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    busy: int = 0
    closed: bool = False


class SessionTable(Generic[T]):
    """At most ``max_sessions`` sessions; those idle for longer than ``idle_timeout`` seconds are swept."""

    def __init__(self, max_sessions: int, idle_timeout: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
        if not idle_timeout > 0:
            raise ValueError(f"idle_timeout must be a positive number of seconds, got {idle_timeout}")
        self.max_sessions = max_sessions
        self.idle_timeout = float(idle_timeout)
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session[T]] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            return session_id in self._sessions

    # ----------------------------------------------------------------------------------------- lifecycle
    def add(self, value: T) -> Session[T]:
        """A new session holding ``value``; :class:`CapacityError` when the table is full."""
        now = self._clock()
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise CapacityError(len(self._sessions), self.max_sessions, self.idle_timeout)
            session_id = secrets.token_urlsafe(ID_BYTES)
            while session_id in self._sessions:  # pragma: no cover - 192 random bits
                session_id = secrets.token_urlsafe(ID_BYTES)
            session = Session(session_id, value, created=now, last_active=now)
            self._sessions[session_id] = session
            return session

    def pop(self, session_id: str) -> Session[T]:
        """Remove a session (a request waiting for it then finds it gone); :class:`UnknownSessionError` if absent."""
        with self._lock:
            session = self._sessions.pop(session_id, None)
            if session is None:
                raise self._unknown(session_id)
            session.closed = True
            return session

    def sweep(self) -> list[Session[T]]:
        """Drop every idle session; returns them."""
        now = self._clock()
        with self._lock:
            idle = [s for s in self._sessions.values() if not s.busy and now - s.last_active > self.idle_timeout]
            for session in idle:
                del self._sessions[session.id]
                session.closed = True
        return idle

    def expires_in(self, session: Session[T]) -> float:
        """Seconds until ``session`` is swept if nothing is sent to it."""
        return max(0.0, self.idle_timeout - (self._clock() - session.last_active))

    async def sweep_forever(self, interval: float, on_sweep: Callable[[list[Session[T]]], None] | None = None) -> None:
        """Sweep every ``interval`` seconds until cancelled (the server runs this as a background task)."""
        while True:
            await asyncio.sleep(interval)
            dropped = self.sweep()
            if dropped and on_sweep is not None:
                on_sweep(dropped)

    # -------------------------------------------------------------------------------------------- access
    @asynccontextmanager
    async def use(self, session_id: str) -> AsyncIterator[Session[T]]:
        """Hold ``session_id``'s lock for one request, with the session marked busy (never swept meanwhile).

        Raises :class:`UnknownSessionError` if the session does not exist, or is closed while the request waits
        for its turn.
        """
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise self._unknown(session_id)
            session.busy += 1
            session.last_active = self._clock()
        try:
            async with session.lock:
                if session.closed:
                    raise self._unknown(session_id)
                yield session
        finally:
            with self._lock:
                session.busy -= 1
                session.last_active = self._clock()

    def _unknown(self, session_id: str) -> UnknownSessionError:
        shown = session_id if len(session_id) <= 64 else session_id[:64] + "..."
        return UnknownSessionError(f"no session {shown!r}: it never existed, was closed, or was dropped after "
                                   f"{self.idle_timeout:g} s without requests; reset to start a new one")


__all__ = ["ID_BYTES", "CapacityError", "Session", "SessionError", "SessionTable", "UnknownSessionError"]
