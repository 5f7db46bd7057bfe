"""Who plays the roles an environment's user does not: the game's teacher, its random player, or a model.

A partner is given as a spec string (``"teacher"``, ``"random"``, ``"hf:PATH"``, ``"openai:MODEL@URL"``,
``"scripted:FILE"``, ``"agent:MODULE:ATTR"``, ...; see :mod:`playschool.spec`) or as a backend object. The
teacher and the random player are played inside the game (no request ever leaves it); a model partner is asked
through its backend's synchronous ``generate``, one call for every episode waiting on it (the vector env batches
across episodes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from playschool.backends.base import Backend, Conversation, Decoding, Reply
from playschool.games import RANDOM, TEACHER
from playschool.players import RandomPlayer, ReferencePlayer
from playschool.runner import PARTNER
from playschool.spec import load_player

#: What may be passed as ``partner``: a spec string or a backend object.
PartnerLike = str | Backend


class PartnerError(RuntimeError):
    """A model partner could not reply (its backend failed or answered with an error other than a context
    overflow). This is an infrastructure failure, not a move: the episode has no valid continuation, so the
    environment must be reset."""


def resolve_partner(partner: PartnerLike) -> tuple[str, Backend | None]:
    """The role assignment value for the partner's roles and, for a model partner, its backend.

    ``"teacher"`` and ``"random"`` (or a :class:`~playschool.players.ReferencePlayer` /
    :class:`~playschool.players.RandomPlayer`) are played by the game itself; any other spec is loaded with
    :func:`~playschool.spec.load_player`; an object needs a ``generate(conversations, decoding)`` method.
    """
    backend: Any = partner
    if isinstance(partner, str):
        if partner in (TEACHER, RANDOM):
            return partner, None
        backend = load_player(partner)
    if isinstance(backend, ReferencePlayer):
        return TEACHER, None
    if isinstance(backend, RandomPlayer):
        return RANDOM, None
    if not callable(getattr(backend, "generate", None)):
        raise TypeError(f"a partner is a model spec string or a backend with a synchronous "
                        f"generate(conversations, decoding) method, got {type(partner).__name__}")
    return PARTNER, backend


def ask(backend: Backend, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
    """One reply per conversation, in order, in as few ``generate`` calls as the backend's batch size allows.

    Raises :class:`PartnerError` when the backend raises or returns the wrong number of replies.
    """
    size = max(1, int(getattr(backend, "max_batch_size", len(conversations)) or 1))
    replies: list[Reply] = []
    for start in range(0, len(conversations), size):
        chunk = list(conversations[start:start + size])
        try:
            got = list(backend.generate(chunk, decoding))
        except Exception as exc:  # a crashed backend: report it as the partner's failure, with the cause
            raise PartnerError(f"the partner backend failed: {type(exc).__name__}: {exc}") from exc
        if len(got) != len(chunk):
            raise PartnerError(f"the partner backend returned {len(got)} replies for {len(chunk)} conversations")
        replies.extend(got)
    return replies


__all__ = ["PartnerError", "PartnerLike", "ask", "resolve_partner"]
