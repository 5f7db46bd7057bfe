"""Model backends: everything that maps conversations to replies.

``HFBackend`` and ``VLLMBackend`` are imported lazily (on first attribute access) so that
``import playschool.backends`` does not pull in torch, transformers or vLLM for users who only talk to HTTP
servers or play scripted games.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playschool.backends.base import (
    BACKEND_ERROR,
    CONTEXT_OVERFLOW,
    AsyncBackend,
    Backend,
    ChatMessage,
    Conversation,
    Decoding,
    Reply,
    Usage,
)
from playschool.backends.openai import OpenAIBackend

if TYPE_CHECKING:
    from playschool.backends.hf import HFBackend
    from playschool.backends.vllm import VLLMBackend


def __getattr__(name: str) -> Any:
    # PEP 562 module __getattr__: only runs for names not found above, i.e. the lazy ones.
    if name == "HFBackend":
        from playschool.backends.hf import HFBackend

        return HFBackend
    if name == "VLLMBackend":
        from playschool.backends.vllm import VLLMBackend

        return VLLMBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BACKEND_ERROR",
    "CONTEXT_OVERFLOW",
    "AsyncBackend",
    "Backend",
    "ChatMessage",
    "Conversation",
    "Decoding",
    "HFBackend",
    "OpenAIBackend",
    "Reply",
    "Usage",
    "VLLMBackend",
]
