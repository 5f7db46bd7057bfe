"""The contract between the runner and anything that produces a reply to a conversation.

A *backend* turns conversations into replies. Conversations are lists of chat messages
(``{"role": "system" | "user" | "assistant", "content": str}``), exactly what a chat template or an
OpenAI-compatible server takes. The runner collects every pending turn for the same backend across
episodes and hands them over in one call, so backends that can batch (transformers) do, and backends
that cannot (HTTP) run the requests concurrently.

Backends never raise for a single bad request: an overlong prompt, a server error after all retries or a
timeout becomes a :class:`Reply` with ``error`` set, and the episode that asked aborts with that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

ChatMessage = dict[str, str]
Conversation = Sequence[ChatMessage]


class Request(tuple[ChatMessage, ...]):
    """A conversation that carries the sampling seed of its episode and turn.

    The runner sends these: a sampled reply then depends on (decoding seed, episode, turn) only, never on how
    requests were grouped into calls or chunks. Backends read it with :func:`request_seed`; any plain sequence
    of messages is still a valid conversation.
    """

    seed: int | None = None

    def __new__(cls, messages: Conversation, seed: int | None = None) -> Request:
        self = super().__new__(cls, messages)
        self.seed = seed
        return self


def request_seed(conversation: Conversation, fallback: int) -> int:
    """The sampling seed of a request: its own (see :class:`Request`), else ``fallback``."""
    seed = getattr(conversation, "seed", None)
    return fallback if seed is None else int(seed)

#: Reply.error values the runner understands. Anything else is reported verbatim.
CONTEXT_OVERFLOW = "context_overflow"
BACKEND_ERROR = "backend_error"


@dataclass(frozen=True)
class Decoding:
    """Decoding parameters. Greedy by default so that runs are reproducible."""

    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature,
                "top_p": self.top_p, "seed": self.seed}


@dataclass(frozen=True)
class Reply:
    """One generated reply and what it cost.

    ``prompt_tokens``/``completion_tokens`` count non-padding tokens (0 when unknown).
    ``error`` is ``None`` on success, else a short machine-readable reason
    (:data:`CONTEXT_OVERFLOW`, :data:`BACKEND_ERROR`, ...) with details in ``detail``.
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    detail: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Usage:
    """What a backend's model calls cost, summed since it was made (or since :meth:`reset`).

    ``prompt_tokens`` counts every prompt token of every request; ``cached_prompt_tokens`` those whose
    keys and values came from a cache (a reused prefix) instead of being computed again. Their difference is the
    prefill work actually done, the number that cache reuse and prefix caching exist to cut.
    """

    calls: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0
    #: Prefix tokens computed ahead of the requests that then found them cached (a prefix shared in one call).
    warmed_tokens: int = 0

    @property
    def computed_prompt_tokens(self) -> int:
        return self.prompt_tokens - self.cached_prompt_tokens + self.warmed_tokens

    def add(self, replies: Sequence[Reply]) -> None:
        """Count one model call that produced ``replies`` (a reply's ``meta["cached_tokens"]`` is its cache hit).
        Error replies are left out: their prompts never reached the model."""
        self.calls += 1
        for reply in replies:
            if reply.error is not None:
                continue
            self.requests += 1
            self.prompt_tokens += reply.prompt_tokens
            self.cached_prompt_tokens += int(reply.meta.get("cached_tokens", 0))
            self.completion_tokens += reply.completion_tokens

    def reset(self) -> None:
        self.calls = self.requests = self.prompt_tokens = self.cached_prompt_tokens = self.completion_tokens = 0
        self.warmed_tokens = 0

    def to_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "requests": self.requests, "prompt_tokens": self.prompt_tokens,
                "cached_prompt_tokens": self.cached_prompt_tokens, "warmed_tokens": self.warmed_tokens,
                "computed_prompt_tokens": self.computed_prompt_tokens, "completion_tokens": self.completion_tokens}


@runtime_checkable
class Backend(Protocol):
    """Maps a batch of conversations to one reply each, in order.

    ``name`` identifies the model for manifests (e.g. ``hf:/models/x@<revision>``).
    ``max_batch_size`` tells the runner how many conversations one call may carry.
    """

    name: str
    max_batch_size: int

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]: ...

    def describe(self) -> dict[str, Any]:
        """Model id, revision, backend kind and anything else a run manifest should record."""
        ...


@runtime_checkable
class AsyncBackend(Protocol):
    """A backend whose requests are independent and run concurrently (HTTP servers).

    The runner awaits ``agenerate`` per conversation; the backend bounds its own concurrency.
    """

    name: str

    async def agenerate(self, conversation: Conversation, decoding: Decoding) -> Reply: ...

    def describe(self) -> dict[str, Any]: ...
