"""Backend for any OpenAI-compatible chat-completions server (vLLM, TGI, llama.cpp, hosted APIs).

Requests are independent, so this backend runs them concurrently (bounded by a semaphore) rather than
batching. Transient failures (connection errors, timeouts, 429, 5xx) are retried with exponential backoff,
honouring ``Retry-After``; everything else, and exhausted retries, becomes an error :class:`Reply`, never an
exception, so that one bad request only aborts the episode that made it.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from playschool.backends.base import (
    BACKEND_ERROR,
    CONTEXT_OVERFLOW,
    Conversation,
    Decoding,
    Reply,
    request_seed,
)

Sleep = Callable[[float], Awaitable[None]]

# Phrases servers use for "prompt too long" in a 400 (OpenAI: context_length_exceeded; vLLM: "maximum
# context length"; others: "too many tokens"/"prompt is too long").
_OVERFLOW_MARKERS = ("context_length_exceeded", "context length", "maximum context", "too many tokens",
                     "prompt is too long", "input is too long")


class _Retry(Exception):
    """An attempt failed in a way worth retrying; ``delay`` is the server's Retry-After, if any."""

    def __init__(self, detail: str, delay: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.delay = delay


class OpenAIBackend:
    """An :class:`~playschool.backends.base.AsyncBackend` that POSTs to ``{base_url}/chat/completions``.

    ``api_key`` defaults to ``$OPENAI_API_KEY``; it is sent as a bearer token and never appears in
    :meth:`describe`, ``repr`` or error details. Attempt ``n`` (0-based) that fails transiently waits
    ``backoff * 2**n`` seconds (no jitter, so runs are reproducible) or the server's ``Retry-After``, capped
    at ``max_delay``. ``sleep`` and ``transport`` are injectable for tests.
    """

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        api_key: str | None = None,
        max_concurrency: int = 16,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_delay: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.max_concurrency = max_concurrency
        # The runner may hand the synchronous generate() any number; the semaphore still bounds requests.
        self.max_batch_size = max_concurrency * 4
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_delay = max_delay
        self.name = f"openai:{model}"
        self._api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self._sleep = sleep
        self._transport = transport
        # httpx clients and asyncio semaphores belong to one event loop; both are rebuilt for a new loop.
        self._client: httpx.AsyncClient | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # the default repr would be harmless too, but be explicit: no key
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r})"

    def describe(self) -> dict[str, Any]:
        """Manifest entry; deliberately without the API key."""
        return {"backend": "openai", "model": self.model, "base_url": self.base_url,
                "revision": None, "max_concurrency": self.max_concurrency}

    def _session(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if self._client is None or self._semaphore is None or self._loop is not loop:
            # A client left from a finished loop cannot be closed from this one; it is simply dropped.
            headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            self._client = httpx.AsyncClient(
                timeout=self.timeout, headers=headers, transport=self._transport,
                limits=httpx.Limits(max_connections=self.max_concurrency),
            )
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
            self._loop = loop
        return self._client, self._semaphore

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        """Synchronous convenience: run all conversations concurrently, replies in input order.

        Uses :func:`asyncio.run`, so call it only where no event loop is running (the runner awaits
        :meth:`agenerate` instead).
        """

        async def run_all() -> list[Reply]:
            try:
                return list(await asyncio.gather(*(self.agenerate(c, decoding) for c in conversations)))
            finally:
                # asyncio.run closes its loop on return, so the client bound to it must be closed first.
                await self.aclose()

        return asyncio.run(run_all())

    async def aclose(self) -> None:
        """Close the HTTP client; the next request (on any loop) opens a fresh one."""
        client, self._client, self._semaphore, self._loop = self._client, None, None, None
        if client is not None:
            await client.aclose()

    async def agenerate(self, conversation: Conversation, decoding: Decoding) -> Reply:
        """One chat completion, retried on transient failures; errors come back as a :class:`Reply`."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in conversation],
            "max_tokens": decoding.max_new_tokens,
            "temperature": decoding.temperature,
            "top_p": decoding.top_p,
            "seed": request_seed(conversation, decoding.seed),
        }
        client, semaphore = self._session()
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                # Hold a slot only while a request is in flight, not while backing off.
                async with semaphore:
                    return await self._attempt(client, payload)
            except _Retry as retry:
                last = retry.detail
                if attempt == self.max_retries:
                    break
                delay = retry.delay if retry.delay is not None else self.backoff * 2**attempt
                await self._sleep(min(delay, self.max_delay))
        return Reply(text="", error=BACKEND_ERROR,
                     detail=f"gave up after {self.max_retries + 1} attempts: {last}")

    async def _attempt(self, client: httpx.AsyncClient, payload: dict[str, Any]) -> Reply:
        try:
            response = await client.post(f"{self.base_url}/chat/completions", json=payload)
        except httpx.TimeoutException as exc:
            raise _Retry(f"timeout: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:  # connect/read errors, dropped connections
            raise _Retry(f"transport error: {type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:  # anything else httpx raises (bad URL, ...) will not heal
            return Reply(text="", error=BACKEND_ERROR, detail=f"{type(exc).__name__}: {exc}")

        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}: {response.text[:200]}", _retry_after(response))
        if status >= 400:
            body = response.text[:500]
            error = CONTEXT_OVERFLOW if status == 400 and _is_overflow(body) else BACKEND_ERROR
            return Reply(text="", error=error, detail=f"HTTP {status}: {body}")
        return _parse(response)


def _parse(response: httpx.Response) -> Reply:
    """Turn a 2xx body into a Reply; anything malformed is an error reply, not an exception."""
    try:
        data = response.json()
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        if not isinstance(text, str):
            raise TypeError(f"content is {type(text).__name__}")
        usage = data.get("usage") or {}
        return Reply(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            meta={"finish_reason": choice.get("finish_reason"), "id": data.get("id")},
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        return Reply(text="", error=BACKEND_ERROR,
                     detail=f"malformed response ({type(exc).__name__}: {exc}): {response.text[:200]}")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_overflow(body: str) -> bool:
    lowered = body.lower()
    return any(marker in lowered for marker in _OVERFLOW_MARKERS)


__all__ = ["OpenAIBackend"]
