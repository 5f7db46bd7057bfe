"""Players used by the runner and CLI tests (loaded as agents through ``agent:agents:NAME``)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence

from playschool.backends.base import CONTEXT_OVERFLOW, Conversation, Decoding, Reply

_TOP = re.compile(r"between 1 and (\d+)")


def bisect_reply(conversation: Conversation) -> str:
    """Plays higher-lower perfectly in either role, reading only the conversation."""
    first = conversation[0]["content"]
    if "Your number is" in first:  # keeper
        secret = int(re.search(r"Your number is (\d+)", first).group(1))
        guess = int(conversation[-1]["content"].rsplit("GUESS:", 1)[1])
        return "CORRECT" if guess == secret else ("HIGHER" if secret > guess else "LOWER")
    lo, hi = 1, int(_TOP.search(first).group(1))
    guesses = [int(m["content"].split(":")[1]) for m in conversation if m["role"] == "assistant"]
    answers = [m["content"] for m in conversation if m["role"] == "user"][1:]
    for g, a in zip(guesses, answers):
        if "HIGHER" in a:
            lo = g + 1
        elif "LOWER" in a:
            hi = g - 1
    return f"GUESS: {(lo + hi) // 2}"


class BatchRecorder:
    """A batching backend (like transformers) that records the size of every call."""

    name = "batch-recorder"

    def __init__(self, max_batch_size: int = 64, delay: float = 0.0) -> None:
        self.max_batch_size = max_batch_size
        self.delay = delay
        self.sizes: list[int] = []

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        self.sizes.append(len(conversations))
        if self.delay:
            time.sleep(self.delay)
        return [Reply(bisect_reply(c), prompt_tokens=10, completion_tokens=3) for c in conversations]

    def describe(self) -> dict[str, str]:
        return {"backend": "test", "model": self.name}


class SlowAsync:
    """An async backend whose latency depends on the instance: the test checks nobody waits for the slow one."""

    name = "slow-async"

    def __init__(self, slow_marker: str, slow: float = 0.5) -> None:
        self.slow_marker = slow_marker
        self.slow = slow
        self.finished: list[str] = []

    async def agenerate(self, conversation: Conversation, decoding: Decoding) -> Reply:
        if self.slow_marker in conversation[0]["content"]:
            await asyncio.sleep(self.slow)
        else:
            await asyncio.sleep(0.001)
        return Reply(bisect_reply(conversation))

    def describe(self) -> dict[str, str]:
        return {"backend": "test", "model": self.name}


class Overflowing(BatchRecorder):
    """Overflows the context once a conversation is longer than ``limit`` messages."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        return [Reply("", error=CONTEXT_OVERFLOW, detail="too long") if len(c) > self.limit
                else Reply(bisect_reply(c)) for c in conversations]


class Crashing(BatchRecorder):
    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        raise RuntimeError("CUDA out of memory (simulated)")


def slow_bisect(conversation: Conversation) -> str:
    """A perfect but slow player: gives a SIGKILL test time to strike mid-run."""
    time.sleep(0.02)
    return bisect_reply(conversation)
