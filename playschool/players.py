"""Players that are not neural models: scripted replies, a human at the terminal, and agents from code.

All of them implement the :class:`~playschool.backends.base.Backend` protocol, so the runner treats a human,
a test script and a 70B model alike. ``inline = True`` tells the runner a player is cheap and synchronous:
it is called directly instead of being queued for batching on a worker thread.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .backends.base import AsyncBackend, Backend, Conversation, Decoding, Reply

ReplyFn = Callable[[Conversation], str]


class ScriptedPlayer:
    """Replies from a list (cycled, or an error reply once exhausted) or from a function of the conversation.

    The workhorse of offline tests: whole episodes become reproducible without any model.
    """

    inline = True

    def __init__(self, replies: Sequence[str] | ReplyFn, *, name: str = "scripted", cycle: bool = True,
                 max_batch_size: int = 1024) -> None:
        self.name = name
        self.max_batch_size = max_batch_size
        self._fn: ReplyFn | None = replies if callable(replies) else None
        self._replies = [] if callable(replies) else list(replies)
        if self._fn is None and not self._replies:
            raise ValueError("a scripted player needs at least one reply")
        self._cycle = cycle
        self._next = 0

    def _one(self, conversation: Conversation) -> Reply:
        if self._fn is not None:
            return Reply(text=str(self._fn(conversation)))
        if self._next >= len(self._replies) and not self._cycle:
            return Reply(text="", error="script_exhausted", detail=f"all {len(self._replies)} replies used")
        text = self._replies[self._next % len(self._replies)]
        self._next += 1
        return Reply(text=text)

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        return [self._one(c) for c in conversations]

    def describe(self) -> dict[str, Any]:
        return {"backend": "scripted", "model": self.name}

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedPlayer:
        """A JSON list of strings, or a text file with one reply per line (``\\n`` escapes allowed)."""
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"scripted replies file not found: {p}")
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".json":
            data = json.loads(text)
            if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
                raise ValueError(f"{p}: expected a JSON list of strings")
            replies = data
        else:
            replies = [line.replace("\\n", "\n") for line in text.splitlines() if line.strip()]
        return cls(replies, name=f"scripted:{p}")


class HumanPlayer:
    """A person at the terminal: prints what the role sees since its last reply, reads one reply.

    A line ending in a backslash continues on the next line, so multi-line replies are possible.
    """

    inline = True
    max_batch_size = 1

    def __init__(self, *, input_fn: Callable[[str], str] = input, output_fn: Callable[[str], None] = print,
                 name: str = "human") -> None:
        self.name = name
        self._input = input_fn
        self._output = output_fn

    def _one(self, conversation: Conversation) -> Reply:
        fresh = []
        for msg in reversed(conversation):
            if msg["role"] == "assistant":
                break
            fresh.append(msg["content"])
        for text in reversed(fresh):
            self._output(text)
        lines: list[str] = []
        try:
            while True:
                line = self._input("> " if not lines else ". ")
                if line.endswith("\\"):
                    lines.append(line[:-1])
                    continue
                lines.append(line)
                break
        except EOFError:
            return Reply(text="", error="human_quit", detail="end of input")
        return Reply(text="\n".join(lines))

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        return [self._one(c) for c in conversations]

    def describe(self) -> dict[str, Any]:
        return {"backend": "human", "model": self.name}


class CallablePlayer(ScriptedPlayer):
    """An agent given as a plain function ``conversation -> str`` (introspection, self-regulation, ...)."""

    def __init__(self, fn: ReplyFn, *, name: str) -> None:
        super().__init__(fn, name=name)

    def describe(self) -> dict[str, Any]:
        return {"backend": "agent", "model": self.name}


def load_agent(target: str) -> Backend | AsyncBackend:
    """Load a player from ``module:attr``.

    ``attr`` may be a Backend/AsyncBackend instance, a class or factory taking no arguments that returns one,
    or a plain function ``conversation -> str``.
    """
    from .imports import resolve

    obj = resolve(target, "agent")
    if isinstance(obj, (Backend, AsyncBackend)) and not inspect.isclass(obj):
        return obj
    if inspect.isclass(obj):
        inst = obj()
        if isinstance(inst, (Backend, AsyncBackend)):
            return inst
        if callable(inst):
            return CallablePlayer(inst, name=f"agent:{target}")
        raise TypeError(f"{target}() is neither a backend nor callable")
    if callable(obj):
        params = inspect.signature(obj).parameters
        if len(params) == 0:  # a factory
            made = obj()
            if isinstance(made, (Backend, AsyncBackend)):
                return made
            raise TypeError(f"{target}() did not return a backend")
        return CallablePlayer(obj, name=f"agent:{target}")
    raise TypeError(f"{target} is not a player: expected a backend, a factory or a function")


class ReferencePlayer:
    """Marks the learner role as played by the game's own programmatic player (its teacher for that role).

    Teacher policies use only what their role is told, so this is each game's *reference player*: the
    ceiling a learner is measured against (``playschool calibrate``). It never receives a request: the
    runner assigns the role to the teacher and the episode plays it internally.
    """

    inline = True
    name = "teacher"
    max_batch_size = 1

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        raise RuntimeError("the reference player is played inside the game; it takes no requests")

    def describe(self) -> dict[str, Any]:
        return {"backend": "teacher", "model": "programmatic reference player"}


class RandomPlayer:
    """Marks the learner role as played by the game's random player: random legal moves in the right format
    (each game's ``Episode.random_move``), the chance-level floor of CLU2's scale.

    Like :class:`ReferencePlayer` it never receives a request: the episode plays the role internally, with
    draws seeded by the instance, so runs with it are reproducible.
    """

    inline = True
    name = "random"
    max_batch_size = 1

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed  # kept for the spec's signature; the draws depend on the instance seed only

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        raise RuntimeError("the random player is played inside the game; it takes no requests")

    def describe(self) -> dict[str, Any]:
        return {"backend": "random", "model": "random legal moves (the game's random player)"}
