"""Small clients of the environment server: :class:`EnvClient` (HTTP, blocking), :class:`AsyncEnvClient` (HTTP,
asyncio) and :class:`WSEnvClient` (one WebSocket connection, blocking). Each holds one session::

    from playschool.serve import EnvClient

    with EnvClient("http://127.0.0.1:8000") as env:
        result = env.reset("taboo", role="describer", seed=0)
        while not result.done:
            result = env.step(my_model.chat(result.observation["messages"]))
        print(result.info["outcome"], result.info["scores"]["main"])

A reset after the first plays a new episode in the same session; if the server dropped the session meanwhile
(idle timeout), the reset opens a new one. ``close()`` (or leaving the ``with`` block) drops the session.
Refusals raise :class:`EnvServerError` with the server's status, code and message.
"""

from __future__ import annotations

import functools
import json
import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx


class EnvServerError(RuntimeError):
    """The server refused a request: ``status`` (HTTP), ``code`` (e.g. ``UNKNOWN_SESSION``), its message."""

    def __init__(self, status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or []


@dataclass(frozen=True)
class StepResult:
    """What a reset or step returned (OpenEnv's ``observation``/``reward``/``done``, plus ``info``)."""

    session_id: str
    observation: dict[str, Any]
    reward: float | None
    done: bool
    info: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        """The learner's conversation so far, ready for a chat template."""
        return list(self.observation["messages"])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepResult:
        return cls(str(data["session_id"]), data["observation"], data.get("reward"), bool(data["done"]),
                   data.get("info") or {})


def reset_body(game: str | None, role: str | None, seed: int | None, split: str, partner: str, feedback: str,
               instance_id: str | None, session_id: str | None) -> dict[str, Any]:
    """The JSON of a reset request (fields left at their defaults are left out)."""
    body: dict[str, Any] = {"split": split, "partner": partner, "feedback": feedback}
    for key, value in (("game", game), ("role", role), ("seed", seed), ("session_id", session_id)):
        if value is not None:
            body[key] = value
    if instance_id is not None:
        body["options"] = {"instance_id": instance_id}
    return body


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: building one loads the CA bundle (tens of ms), and a trainer may open
    hundreds of clients."""
    return httpx.create_ssl_context()


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code < 400:
        return dict(response.json()) if response.content else {}
    try:
        data = response.json()
        raise EnvServerError(response.status_code, str(data.get("code", "")), str(data.get("detail", "")),
                             data.get("errors"))
    except (ValueError, AttributeError):
        raise EnvServerError(response.status_code, "HTTP_ERROR", response.text[:500]) from None


class _Base:
    def __init__(self) -> None:
        self.session_id: str | None = None

    def _need_session(self) -> str:
        if self.session_id is None:
            raise RuntimeError("call reset() first: this client has no session")
        return self.session_id

    def _take(self, data: dict[str, Any]) -> StepResult:
        result = StepResult.from_json(data)
        self.session_id = result.session_id
        return result


class EnvClient(_Base):
    """A blocking HTTP client holding one session of the server at ``url``."""

    def __init__(self, url: str = "http://127.0.0.1:8000", *, timeout: float = 60.0,
                 http: httpx.Client | None = None) -> None:
        super().__init__()
        self._own = http is None
        self.http = http or httpx.Client(base_url=url.rstrip("/"), timeout=timeout, verify=_tls())

    def reset(self, game: str | None = None, role: str | None = None, *, seed: int | None = None,
              split: str = "train", partner: str = "teacher", feedback: str = "all",
              instance_id: str | None = None) -> StepResult:
        body = reset_body(game, role, seed, split, partner, feedback, instance_id, self.session_id)
        try:
            return self._take(_answer(self.http.post("/reset", json=body)))
        except EnvServerError as exc:
            if exc.code != "UNKNOWN_SESSION" or "session_id" not in body:
                raise
            self.session_id = None  # dropped while idle: open a new one
            return self._take(_answer(self.http.post("/reset", json={**body, "session_id": None})))

    def step(self, action: str) -> StepResult:
        return self._take(_answer(self.http.post("/step", json={"session_id": self._need_session(),
                                                                 "action": action})))

    def state(self) -> dict[str, Any]:
        return _answer(self.http.get("/state", params={"session_id": self._need_session()}))

    def health(self) -> dict[str, Any]:
        return _answer(self.http.get("/health"))

    def close(self) -> None:
        """Drop the session (if the server still has it) and close the connection pool."""
        try:
            if self.session_id is not None:
                response = self.http.delete(f"/sessions/{self.session_id}")
                if response.status_code != 404:
                    _answer(response)
        finally:
            self.session_id = None
            if self._own:
                self.http.close()

    def __enter__(self) -> EnvClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class AsyncEnvClient(_Base):
    """:class:`EnvClient` for asyncio: many of them share one :class:`httpx.AsyncClient` to play many sessions
    concurrently."""

    def __init__(self, url: str = "http://127.0.0.1:8000", *, timeout: float = 60.0,
                 http: httpx.AsyncClient | None = None) -> None:
        super().__init__()
        self._own = http is None
        self.http = http or httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout, verify=_tls())

    async def reset(self, game: str | None = None, role: str | None = None, *, seed: int | None = None,
                    split: str = "train", partner: str = "teacher", feedback: str = "all",
                    instance_id: str | None = None) -> StepResult:
        body = reset_body(game, role, seed, split, partner, feedback, instance_id, self.session_id)
        try:
            return self._take(_answer(await self.http.post("/reset", json=body)))
        except EnvServerError as exc:
            if exc.code != "UNKNOWN_SESSION" or "session_id" not in body:
                raise
            self.session_id = None
            return self._take(_answer(await self.http.post("/reset", json={**body, "session_id": None})))

    async def step(self, action: str) -> StepResult:
        return self._take(_answer(await self.http.post("/step", json={"session_id": self._need_session(),
                                                                       "action": action})))

    async def state(self) -> dict[str, Any]:
        return _answer(await self.http.get("/state", params={"session_id": self._need_session()}))

    async def close(self) -> None:
        try:
            if self.session_id is not None:
                response = await self.http.delete(f"/sessions/{self.session_id}")
                if response.status_code != 404:
                    _answer(response)
        finally:
            self.session_id = None
            if self._own:
                await self.http.aclose()

    async def __aenter__(self) -> AsyncEnvClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()


class WSEnvClient(_Base):
    """A blocking client over one WebSocket (``ws://HOST:PORT/ws``); the session ends with the connection.
    Needs the ``websockets`` package."""

    def __init__(self, url: str = "http://127.0.0.1:8000", *, timeout: float = 60.0) -> None:
        super().__init__()
        try:
            from websockets.sync.client import connect
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ImportError(f"WSEnvClient needs websockets: pip install 'playschool[serve]' ({exc})") from exc
        ws_url = url.rstrip("/")
        if ws_url.startswith("http"):  # http://host -> ws://host, https://host -> wss://host
            ws_url = "ws" + ws_url[len("http"):]
        if not ws_url.endswith("/ws"):
            ws_url += "/ws"
        self.timeout = timeout
        # Entered as a context manager at once: websockets asks for that, and close() leaves it.
        self.ws = connect(ws_url, open_timeout=timeout, max_size=None).__enter__()

    def _send(self, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        self.ws.send(json.dumps({"type": kind, "data": data or {}}))
        reply = json.loads(self.ws.recv(timeout=self.timeout))
        if reply.get("type") == "error":
            err = reply.get("data") or {}
            raise EnvServerError(int(err.get("status", 0)), str(err.get("code", "")), str(err.get("message", "")),
                                 err.get("errors"))
        return dict(reply["data"])

    def reset(self, game: str | None = None, role: str | None = None, *, seed: int | None = None,
              split: str = "train", partner: str = "teacher", feedback: str = "all",
              instance_id: str | None = None) -> StepResult:
        return self._take(self._send("reset", reset_body(game, role, seed, split, partner, feedback, instance_id,
                                                         None)))

    def step(self, action: str) -> StepResult:
        return self._take(self._send("step", {"text": action}))

    def state(self) -> dict[str, Any]:
        return self._send("state")

    def close(self) -> None:
        try:
            self.ws.send(json.dumps({"type": "close"}))
        except Exception:  # already closed by either side: nothing left to drop
            pass
        finally:
            self.ws.close()
            self.session_id = None

    def __enter__(self) -> WSEnvClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


__all__ = ["AsyncEnvClient", "EnvClient", "EnvServerError", "StepResult", "WSEnvClient", "reset_body"]
