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
