"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 (stdlib, in a thread)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from playschool.backends import BACKEND_ERROR, CONTEXT_OVERFLOW, AsyncBackend, Decoding, OpenAIBackend
from playschool.backends.openai import _retry_after

DECODING = Decoding(max_new_tokens=16)


@dataclass
class Canned:
    """What the server answers to one request."""

    status: int = 200
    body: Any = None  # dict -> JSON; str -> sent verbatim; None -> a completion echoing the last message
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def completion(text: str, prompt_tokens: int = 11, completion_tokens: int = 3) -> dict[str, Any]:
    return {"id": "cmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}


class FakeServer:
    """Records every request and answers with ``respond(body, n)`` (n counts requests from 0)."""

    def __init__(self) -> None:
        self.respond: Callable[[dict[str, Any], int], Canned] = lambda body, n: Canned()
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw)
                with server.lock:
                    n = len(server.requests)
                    server.requests.append((dict(self.headers), body))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    canned = server.respond(body, n)
                    time.sleep(canned.delay)
                    payload = canned.body if canned.body is not None else completion(
                        "echo: " + body["messages"][-1]["content"])
                    data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                    self.send_response(canned.status)
                    for key, value in canned.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    fake.thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


@pytest.fixture
def delays() -> list[float]:
    return []


def make_backend(server: FakeServer, delays: list[float], **kwargs: Any) -> OpenAIBackend:
    async def fake_sleep(seconds: float) -> None:  # record backoff instead of waiting
        delays.append(seconds)

    kwargs.setdefault("api_key", "sk-test-secret")
    return OpenAIBackend("tiny-chat", server.url, sleep=fake_sleep, **kwargs)


def ask(backend: OpenAIBackend, text: str = "hello") -> Any:
    return backend.generate([[{"role": "user", "content": text}]], DECODING)[0]


def test_success_sends_payload_key_and_reads_usage(server: FakeServer, delays: list[float]) -> None:
    backend = make_backend(server, delays)
    assert isinstance(backend, AsyncBackend)
    reply = ask(backend, "héllo")
    assert reply.error is None and reply.text == "echo: héllo"
    assert (reply.prompt_tokens, reply.completion_tokens) == (11, 3)
    assert reply.meta["finish_reason"] == "stop"
    headers, body = server.requests[0]
    assert headers["Authorization"] == "Bearer sk-test-secret"
    assert body == {"model": "tiny-chat", "messages": [{"role": "user", "content": "héllo"}],
                    "max_tokens": 16, "temperature": 0.0, "top_p": 1.0, "seed": 0}
    assert "sk-test-secret" not in json.dumps(backend.describe()) + repr(backend)
    assert backend.describe()["model"] == "tiny-chat" and backend.name == "openai:tiny-chat"
    assert delays == []


def test_api_key_defaults_to_environment(
    server: FakeServer, delays: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    ask(make_backend(server, delays, api_key=None))
    assert server.requests[0][0]["Authorization"] == "Bearer sk-from-env"


def test_429_then_success_honours_retry_after(server: FakeServer, delays: list[float]) -> None:
    server.respond = lambda body, n: Canned(429, {"error": "slow down"}, {"Retry-After": "2"}) if n == 0 else Canned()
    reply = ask(make_backend(server, delays))
    assert reply.error is None and reply.text == "echo: hello"
    assert len(server.requests) == 2 and delays == [2.0]


def test_500_retries_exhausted_is_an_error_reply(server: FakeServer, delays: list[float]) -> None:
    server.respond = lambda body, n: Canned(500, {"error": "boom"})
    reply = ask(make_backend(server, delays, max_retries=3, backoff=0.5))
    assert reply.error == BACKEND_ERROR and "500" in reply.detail and reply.text == ""
    assert len(server.requests) == 4
    assert delays == [0.5, 1.0, 2.0]  # exponential, no jitter


def test_timeout_is_retried_then_reported(server: FakeServer, delays: list[float]) -> None:
    server.respond = lambda body, n: Canned(delay=1.0)
    reply = ask(make_backend(server, delays, timeout=0.2, max_retries=1))
    assert reply.error == BACKEND_ERROR and "timeout" in reply.detail.lower()
    assert len(server.requests) == 2 and delays == [0.5]


def test_connection_refused_is_an_error_reply(delays: list[float]) -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    backend = OpenAIBackend("m", f"http://127.0.0.1:{port}/v1", max_retries=2, sleep=fake_sleep)
    reply = backend.generate([[{"role": "user", "content": "x"}]], DECODING)[0]
    assert reply.error == BACKEND_ERROR and "ConnectError" in reply.detail and delays == [0.5, 1.0]


@pytest.mark.parametrize("body", ["{not json", json.dumps({"choices": []}), json.dumps({"choices": [{}]}),
                                  json.dumps([1, 2]), json.dumps(completion("x") | {"usage": "lots"})])
def test_malformed_response_is_an_error_reply(server: FakeServer, delays: list[float], body: str) -> None:
    server.respond = lambda _, n: Canned(200, body)
    reply = ask(make_backend(server, delays))
    assert reply.error == BACKEND_ERROR and "malformed" in reply.detail
    assert len(server.requests) == 1  # a 200 with a bad body is not retried


def test_client_errors_are_not_retried(server: FakeServer, delays: list[float]) -> None:
    overflow = {"error": {"message": "This model's maximum context length is 4096 tokens.",
                          "code": "context_length_exceeded"}}
    server.respond = lambda body, n: Canned(400, overflow) if n == 0 else Canned(401, {"error": "bad key"})
    backend = make_backend(server, delays)
    first = ask(backend)
    second = ask(backend)
    assert first.error == CONTEXT_OVERFLOW
    assert second.error == BACKEND_ERROR and "401" in second.detail
    assert "sk-test-secret" not in first.detail + second.detail
    assert len(server.requests) == 2 and delays == []


def test_concurrency_bound_is_respected_and_order_kept(server: FakeServer, delays: list[float]) -> None:
    # Later requests answer faster, so completion order differs from input order.
    server.respond = lambda body, n: Canned(delay=0.25 if n < 3 else 0.05)
    backend = make_backend(server, delays, max_concurrency=3)
    conversations = [[{"role": "user", "content": f"m{i}"}] for i in range(10)]
    replies = backend.generate(conversations, DECODING)
    assert [r.text for r in replies] == [f"echo: m{i}" for i in range(10)]
    assert server.max_in_flight == 3


def test_agenerate_in_caller_loops_reuses_then_recreates_client(server: FakeServer, delays: list[float]) -> None:
    backend = make_backend(server, delays)

    async def two_requests() -> list[str]:
        first = await backend.agenerate([{"role": "user", "content": "a"}], DECODING)
        client = backend._client
        second = await backend.agenerate([{"role": "user", "content": "b"}], DECODING)
        assert backend._client is client  # one client per event loop
        await backend.aclose()
        return [first.text, second.text]

    assert asyncio.run(two_requests()) == ["echo: a", "echo: b"]
    assert asyncio.run(two_requests()) == ["echo: a", "echo: b"]  # a fresh loop gets a fresh client


def test_mock_transport_and_http_date_retry_after(delays: list[float]) -> None:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(503, headers={"Retry-After": formatdate(time.time() - 5, usegmt=True)})
        return httpx.Response(200, json=completion("ok"))

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    backend = OpenAIBackend("m", "http://server.invalid/v1", api_key="k", sleep=fake_sleep,
                            transport=httpx.MockTransport(handle))
    assert backend.generate([[{"role": "user", "content": "x"}]], DECODING)[0].text == "ok"
    assert delays == [0.0]  # a date in the past means "retry now"
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
