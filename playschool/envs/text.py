"""The spaces of the Playpen environments: free text, and a role's conversation with its typed feedback.

Gymnasium's own :class:`~gymnasium.spaces.Text` only holds strings over a fixed character set. Game messages
quote what players wrote, and a player may write anything (any script, emoji, punctuation, control
characters), so a fixed charset would put real observations outside the observation space. :class:`UnicodeText`
holds *any* string within its length bounds; its samples are drawn from a small mixed charset (ASCII,
whitespace, a few non-ASCII letters and symbols), so a random policy sampled from an action space already
sends the text a game must survive.

An observation is a role's chat history plus the kinds of its newest message::

    {"messages": ({"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}, ...),
     "feedback": ("correction",)}

``messages`` is exactly what a chat model is given (oldest first, user and assistant alternating);
``feedback`` lists the feedback kinds (``instruction``, ``observation``, ``clarification``, ``correction``,
``environment``) merged into the newest ``user`` message, empty when the newest message is the role's own move.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np
from gymnasium import spaces

from playschool.games import FEEDBACK_KINDS
from playschool.games.episode import MAX_REPLY_CHARS

#: What :meth:`UnicodeText.sample` draws from: printable ASCII and whitespace, plus non-ASCII letters, a
#: combining mark, a right-to-left letter and an emoji (astral plane), so random text also probes unicode handling.
SAMPLE_CHARSET: tuple[str, ...] = tuple(dict.fromkeys(string.printable + "äöüßéñçøłжщ中文字한\u0301\u05d0😀…–"))

#: Longest message content an observation space admits. Messages are at most a few merged game messages and
#: moves (each move cut to ``MAX_REPLY_CHARS``), far below this; the bound only keeps the space finite.
MAX_MESSAGE_CHARS = 1 << 20

#: Chat roles of the messages in an observation.
CHAT_ROLES: tuple[str, ...] = ("user", "assistant", "system")


class UnicodeText(spaces.Space[str]):
    """Any ``str`` whose length (in code points) lies in ``[min_length, max_length]``.

    Unlike :class:`gymnasium.spaces.Text` there is no character set: every string of the right length is a member.
    ``sample()`` draws the length uniformly from the bounds (capped at ``sample_max_length``) and each character
    from :data:`SAMPLE_CHARSET`. It is not flattenable (there is no fixed alphabet to index).
    """

    def __init__(self, max_length: int, *, min_length: int = 0, sample_max_length: int | None = None,
                 seed: int | np.random.Generator | None = None) -> None:
        for name, value in (("min_length", min_length), ("max_length", max_length)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if min_length < 0 or min_length > max_length:
            raise ValueError(f"need 0 <= min_length <= max_length, got min_length={min_length}, "
                             f"max_length={max_length}")
        self.min_length = int(min_length)
        self.max_length = int(max_length)
        cap = self.max_length if sample_max_length is None else int(sample_max_length)
        if cap < self.min_length:
            raise ValueError(f"sample_max_length ({cap}) is below min_length ({self.min_length})")
        self.sample_max_length = min(cap, self.max_length)
        super().__init__(dtype=str, seed=seed)

    def sample(self, mask: Any | None = None, probability: Any | None = None) -> str:
        """A random string (see the class docstring). Masks are not supported: free text has no fixed alphabet."""
        if mask is not None or probability is not None:
            raise NotImplementedError("UnicodeText samples take no mask or probability")
        length = int(self.np_random.integers(self.min_length, self.sample_max_length + 1))
        picks = self.np_random.integers(len(SAMPLE_CHARSET), size=length)
        return "".join(SAMPLE_CHARSET[i] for i in picks)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, UnicodeText) and self.min_length == other.min_length
                and self.max_length == other.max_length)

    def __hash__(self) -> int:
        return hash((UnicodeText, self.min_length, self.max_length))


def action_space(max_chars: int = MAX_REPLY_CHARS, *, sample_max_chars: int | None = None) -> UnicodeText:
    """The action space of a role: one move, any text up to ``max_chars`` characters.

    Longer text is still accepted by the environments; the game cuts it to ``MAX_REPLY_CHARS`` and its record
    keeps the original length. ``sample_max_chars`` caps the length of sampled actions (default: ``max_chars``).
    """
    if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 1:
        raise ValueError(f"max_chars must be a positive int, got {max_chars!r}")
    return UnicodeText(max_chars, sample_max_length=sample_max_chars)


def observation_space() -> spaces.Dict:
    """The observation space of a role: its conversation so far and the feedback kinds of the newest message."""
    message = spaces.Dict({
        "role": spaces.Text(max(map(len, CHAT_ROLES)), min_length=min(map(len, CHAT_ROLES)),
                            charset=string.ascii_lowercase),
        "content": UnicodeText(MAX_MESSAGE_CHARS),
    })
    kind = spaces.Text(max(map(len, FEEDBACK_KINDS)), min_length=1, charset=string.ascii_lowercase)
    return spaces.Dict({"messages": spaces.Sequence(message), "feedback": spaces.Sequence(kind)})


__all__ = ["CHAT_ROLES", "MAX_MESSAGE_CHARS", "SAMPLE_CHARSET", "UnicodeText", "action_space", "observation_space"]
