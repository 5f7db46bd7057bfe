"""The environment server's FastAPI app: HTTP endpoints and a WebSocket over :class:`~.service.EnvService`.

=================================  ==============================================================================
``POST /reset``                    :class:`~.models.ResetRequest` -> :class:`~.models.ResetResponse` (new session,
                                   or a new episode in ``session_id``'s)
``POST /step``                     ``{"session_id", "action"}`` -> :class:`~.models.StepResponse`
``GET /state?session_id=ID``       :class:`~.models.EpisodeState`
``DELETE /sessions/{ID}``          drop a session now (204)
``GET /health``                    status, live sessions, cap, timeout, records written
``GET /schema``                    JSON schemas of the action, observation and state (and of a reset request)
``GET /metadata``                  name, version, games and partners served
``WS /ws``                         the same over one connection: ``{"type": "reset"|"step"|"state"|"close",
                                   "data": {...}}``; answers ``{"type": "observation"|"state"|"error", "data"}``
=================================  ==============================================================================

Errors are JSON ``{"detail": sentence, "code": CODE, "errors": [...]}`` with the HTTP status: 404
``UNKNOWN_SESSION`` (or ``NOT_FOUND``: no such path), 409 ``EPISODE_OVER`` (``NO_EPISODE`` on a WebSocket that
has not reset yet), 403 ``NOT_ALLOWED``, 413 ``PAYLOAD_TOO_LARGE``, 422
``VALIDATION_ERROR`` (a malformed request: missing or misspelt fields, an action that is not text or too long, an
unknown game, role or instance), 502 ``PARTNER_ERROR``, 503 ``CAPACITY_REACHED``. Over the WebSocket the same
come as ``{"type": "error", "data": {"message", "code", "status", "errors"}}`` (plus ``INVALID_JSON`` and
``UNKNOWN_TYPE``, OpenEnv's codes) and the connection stays open.

A WebSocket connection owns one session, created by its first ``reset`` (a later reset starts a new episode in
it) and dropped as soon as the connection closes: a client that reconnects starts afresh, and a vanished client
frees its place at once instead of after the idle timeout. An open but silent connection's session is dropped
after the idle timeout like any other; the next ``reset`` on it opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request, Response, WebSocket
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketDisconnect, WebSocketState

from playschool._version import __version__

from .models import (
    MAX_ECHO_CHARS,
    EpisodeState,
    ErrorResponse,
    HealthResponse,
    MetadataResponse,
    Observation,
    ResetRequest,
    ResetResponse,
    SchemaResponse,
    StepRequest,
    StepResponse,
    TextAction,
    WSMessage,
)
from .service import EnvService, ServeError, ServerConfig
from .sessions import Session, UnknownSessionError

log = logging.getLogger("playschool.serve")

ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (403, 404, 409, 413, 422, 502, 503)}


#: Seconds an idle HTTP connection is kept open. A client steps after its model has generated a reply, which can
#: take longer than uvicorn's 5-second default; a connection the server closes just as the client reuses it fails
#: that request (a read error), so the server waits longer than any step takes.
KEEP_ALIVE_S = 120


def max_body_bytes(config: ServerConfig) -> int:
    """The largest request body (and WebSocket message) accepted: an action of ``max_action_chars`` characters,
    each escaped as ``\\uXXXX`` at worst, plus room for the other fields."""
    return 6 * config.max_action_chars + (1 << 16)


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The server for ``config``. Games and allowed partners are loaded now, so a bad configuration fails here,
    before anything listens; the records folder is opened (and locked) when the app starts."""
    config = config or ServerConfig()
    service = EnvService(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.open()
        sweeper = asyncio.create_task(service.table.sweep_forever(config.sweep_every, _log_sweep))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            service.close()

    app = FastAPI(title="playschool environment server", version=__version__, lifespan=lifespan,
                  description="Playpen games as RL environments: many sessions in one process.")
    app.state.service = service
    app.add_middleware(_BodyLimit, max_bytes=max_body_bytes(config))
    _add_error_handlers(app)
    _add_http_routes(app, service)
    _add_websocket(app, service)
    return app


def _log_sweep(dropped: list[Session[Any]]) -> None:
    log.info("dropped %d idle session(s)", len(dropped))


def _json(model: BaseModel, status: int = 200) -> Response:
    # Pydantic writes the JSON itself: FastAPI's default path would validate the response a second time.
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


def _error(status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None) -> Response:
    return _json(ErrorResponse(detail=detail, code=code, errors=errors or []), status)


# --------------------------------------------------------------------------------------------------- errors
def explain(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """One sentence naming every problem pydantic found, and the problems themselves without the input (which
    may be huge) echoed back."""
    parts, clean = [], []
    for err in errors:
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            msg = f"the body is not valid JSON ({(err.get('ctx') or {}).get('error', 'cannot parse it')})"
            loc = []
        elif err.get("type") == "missing" and not loc:
            msg = "the request needs a JSON body"
        elif err.get("type") == "model_attributes_type" and not loc:
            msg = "the body must be a JSON object, sent with Content-Type: application/json"
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
        clean.append({"loc": loc, "msg": msg, "type": str(err.get("type", ""))})
    return "invalid request: " + "; ".join(parts), clean


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError) -> Response:
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        response = _error(exc.status, exc.code, exc.message, exc.errors)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        detail, errors = explain(list(exc.errors()))
        return _error(422, "VALIDATION_ERROR", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Routing's own refusals (no such path, wrong method) in the same shape as every other error.
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        detail = f"{exc.detail}: {request.method} {request.url.path}" if exc.status_code in (404, 405) else \
            str(exc.detail)
        return _error(exc.status_code, code, detail)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("internal error serving %s %s", request.method, request.url.path)
        return _error(500, "EXECUTION_ERROR", f"internal error: {type(exc).__name__}: {exc}")


class _BodyLimit:
    """Refuses a request whose declared body is larger than ``max_bytes`` before it is read (413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or ()).get(b"content-length", b"0")
            if not length.isdigit() or int(length) > self.max_bytes:
                response = _error(413, "PAYLOAD_TOO_LARGE", f"the request body is larger than the "
                                  f"{self.max_bytes} bytes this server accepts")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# ----------------------------------------------------------------------------------------------------- http
def _add_http_routes(app: FastAPI, service: EnvService) -> None:
    @app.post("/reset", response_model=ResetResponse, responses=_ERRORS, tags=["environment"])
    async def reset(request: Annotated[ResetRequest | None, Body()] = None) -> Response:
        """Start an episode: a new session (the answer's ``session_id``), or a new one in ``session_id``'s. An
        empty body is OpenEnv's plain reset: the one served game, a drawn instance."""
        return _json(await service.reset(request or ResetRequest()))

    @app.post("/step", response_model=StepResponse, responses=_ERRORS, tags=["environment"])
    async def step(request: StepRequest) -> Response:
        """Play one move; the other roles answer before the observation comes back."""
        return _json(await service.step(request.session_id, request.text))

    @app.get("/state", response_model=EpisodeState, responses=_ERRORS, tags=["environment"])
    async def state(session_id: Annotated[str, Query(max_length=MAX_ECHO_CHARS)]) -> Response:
        """The session's episode: game, role, instance, moves so far, who is due, outcome."""
        return _json(await service.state(session_id))

    @app.delete("/sessions/{session_id}", status_code=204, responses=_ERRORS, tags=["environment"])
    async def close(session_id: str) -> Response:
        """Drop a session now (its unfinished episode, if any, is abandoned without a record)."""
        service.close_session(session_id)
        return Response(status_code=204)

    @app.get("/health", response_model=HealthResponse, tags=["server"])
    async def health() -> Response:
        return _json(service.health())

    @app.get("/schema", response_model=SchemaResponse, tags=["server"])
    async def schema() -> Response:
        return _json(SchemaResponse(action=TextAction.model_json_schema(),
                                    observation=Observation.model_json_schema(),
                                    state=EpisodeState.model_json_schema(),
                                    reset=ResetRequest.model_json_schema()))

    @app.get("/metadata", response_model=MetadataResponse, tags=["server"])
    async def metadata() -> Response:
        return _json(MetadataResponse(
            name="playschool", version=__version__, games=list(service.games), partners=service.partner_names(),
            description="Playpen dialogue games with a teacher, one learner role per session; the other roles are "
                        "played by the game's teacher, its random player or an allowed model."))


# ------------------------------------------------------------------------------------------------ websocket
def _add_websocket(app: FastAPI, service: EnvService) -> None:
    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        await ws.accept()
        connection = _Connection(service)
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text")
                if raw is None:
                    raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
                reply, close = await connection.handle(raw)
                if reply is not None:
                    await ws.send_text(reply)
                if close:
                    await ws.close(1000)
                    break
        except WebSocketDisconnect:
            pass
        finally:
            connection.drop()
            if ws.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(RuntimeError):
                    await ws.close(1000)


class _Connection:
    """One WebSocket's session and its message handling (kept apart from the socket for clarity)."""

    def __init__(self, service: EnvService) -> None:
        self.service = service
        self.session_id: str | None = None

    def drop(self) -> None:
        if self.session_id is not None:
            with contextlib.suppress(UnknownSessionError):
                self.service.table.pop(self.session_id)
            self.session_id = None

    async def handle(self, raw: str) -> tuple[str | None, bool]:
        """The reply to one message (``None``: none) and whether to close the connection."""
        try:
            try:
                payload = json.loads(raw)
            except json.JSONDecodeError as exc:
                return _ws_error(400, "INVALID_JSON", f"the message is not valid JSON: {exc}"), False
            if isinstance(payload, dict) and isinstance(payload.get("type"), str) and \
                    payload["type"] not in ("reset", "step", "state", "close"):
                return _ws_error(400, "UNKNOWN_TYPE", f"unknown message type {payload['type'][:MAX_ECHO_CHARS]!r}; "
                                 "send reset, step, state or close"), False
            message = WSMessage.model_validate(payload)
            if message.type == "close":
                self.drop()
                return None, True
            if message.type == "reset":
                return _ws_reply("observation", await self._reset(message.data)), False
            if self.session_id is None:
                raise ServeError(409, "NO_EPISODE", "this connection has no session: send a reset first")
            if message.type == "step":
                action = TextAction.model_validate(message.data)
                return _ws_reply("observation", await self.service.step(self.session_id, action.text)), False
            return _ws_reply("state", await self.service.state(self.session_id)), False
        except ValidationError as exc:
            detail, errors = explain(list(exc.errors()))
            return _ws_error(422, "VALIDATION_ERROR", detail, errors), False
        except ServeError as exc:
            return _ws_error(exc.status, exc.code, exc.message, exc.errors), False
        except Exception as exc:  # the connection outlives one failed message
            log.exception("internal error on a WebSocket message")
            return _ws_error(500, "EXECUTION_ERROR", f"internal error: {type(exc).__name__}: {exc}"), False

    async def _reset(self, data: dict[str, Any]) -> ResetResponse:
        if "session_id" in data:
            raise ServeError(422, "VALIDATION_ERROR", "a WebSocket connection has one session: leave session_id "
                             "out of a reset (use HTTP to address sessions by id)")
        request = ResetRequest.model_validate({**data, "session_id": self.session_id})
        try:
            response = await self.service.reset(request)
        except ServeError as exc:
            if exc.code != "UNKNOWN_SESSION":
                raise
            self.session_id = None  # dropped while idle: this reset opens a new one
            response = await self.service.reset(request.model_copy(update={"session_id": None}))
        self.session_id = response.session_id
        return response


def _ws_reply(kind: str, model: BaseModel) -> str:
    return f'{{"type":"{kind}","data":{model.model_dump_json()}}}'


def _ws_error(status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"type": "error", "data": {"message": message, "code": code, "status": status,
                                                 "errors": errors or []}})


__all__ = ["KEEP_ALIVE_S", "create_app", "explain", "max_body_bytes"]
