"""The Playpen games as RL environments behind a server: many concurrent sessions in one process.

``playschool serve-env`` (:mod:`.cli`) starts :func:`create_app` under uvicorn. Each session is one
:class:`~playschool.envs.PlaypenEnv` (one game, one learner role; the teacher, the random player or an allowed
model plays the other roles) under an unguessable id; sessions are capped in number and dropped when idle, and
the record of every finished episode is written to the records folder, identical to the runner's record for the
same moves. The wire format follows OpenEnv's environment protocol where it defines one (``observation``,
``reward``, ``done``; ``/reset``, ``/step``, ``/state``, ``/schema``, ``/health``, ``/ws``); see :mod:`.app`.

Clients: :class:`EnvClient` (HTTP), :class:`AsyncEnvClient` (asyncio), :class:`WSEnvClient` (WebSocket). The
server needs the ``[serve]`` and ``[envs]`` extras; the HTTP clients need only httpx, so the server's modules are
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .client import AsyncEnvClient, EnvClient, EnvServerError, StepResult, WSEnvClient
from .sessions import CapacityError, Session, SessionTable, UnknownSessionError

if TYPE_CHECKING:
    from .app import create_app
    from .records import RecordLog
    from .service import DEFAULT_MAX_ACTION_CHARS, EnvService, ServeError, ServerConfig

_SERVER_SIDE = {"create_app": ".app", "RecordLog": ".records", "DEFAULT_MAX_ACTION_CHARS": ".service",
                "EnvService": ".service", "ServeError": ".service", "ServerConfig": ".service"}


def __getattr__(name: str) -> Any:
    if name in _SERVER_SIDE:
        return getattr(importlib.import_module(_SERVER_SIDE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_ACTION_CHARS", "AsyncEnvClient", "CapacityError", "EnvClient", "EnvServerError", "EnvService",
    "RecordLog", "ServeError", "ServerConfig", "Session", "SessionTable", "StepResult", "UnknownSessionError",
    "WSEnvClient", "create_app",
]
