"""Parsing negotiation replies into moves. Pure functions: the live episode and the scorer (which re-reads
the record's move texts) share them. Only the form is checked here (:class:`FormatError`); whether a move is
allowed in the current state (counts within the pool, a proposal to accept) is the episode's business
(:class:`RuleError`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from . import prompts
from .pool import ITEMS, SINGULAR, Vector

__all__ = ["MAX_SAY_CHARS", "Move", "parse_move"]

#: Longest SAY text accepted, in characters: a few sentences; longer text bloats every later prompt.
MAX_SAY_CHARS = 300

_KEYWORD = re.compile(r"(SAY|PROPOSE|ACCEPT)\b[ \t]*:?", re.IGNORECASE)
_OTHER_MOVE = re.compile(r"^[ \t]*(SAY|PROPOSE|ACCEPT)\b", re.IGNORECASE | re.MULTILINE)
# item=<n> or item: <n>; the sign is read so that a negative count is a rule error, not a format error.
_PAIR = re.compile(r"([A-Za-z]+)[ \t]*[=:][ \t]*(-?\d{1,6})(?!\d)")
# What may separate the pairs of a proposal (and end it: "PROPOSE: books=1, hats=0 and balls=2." is fine).
_SEPARATORS = re.compile(r"^[\s,;&]*(?:and[\s,;&]*)?\.?\s*$", re.IGNORECASE)
_NAMES = {**{n: i for i, n in enumerate(ITEMS)}, **{n: i for i, n in enumerate(SINGULAR)}}


@dataclass(frozen=True)
class Move:
    """A parsed reply: ``say`` (``text``), ``propose`` (``take``: items per type the mover takes) or ``accept``."""

    kind: Literal["say", "propose", "accept"]
    text: str = ""
    take: Vector = ()


def parse_move(text: str) -> Move:
    """Exactly one move: ``SAY: <text>``, ``PROPOSE: books=<n> hats=<n> balls=<n>`` or ``ACCEPT``."""
    body = text.strip()
    m = _KEYWORD.match(body)
    if m is None:
        raise FormatError(prompts.NO_MOVE)
    keyword = m.group(1).upper()
    rest = body[m.end():]
    if keyword == "ACCEPT":
        if rest.strip(" \t.!"):
            raise FormatError(prompts.ACCEPT_ALONE)
        return Move("accept")
    if _OTHER_MOVE.search(rest):
        raise FormatError(prompts.ONE_MOVE)
    if keyword == "SAY":
        said = rest.strip()
        if not said:
            raise FormatError(prompts.EMPTY_SAY)
        if len(said) > MAX_SAY_CHARS:
            raise FormatError(prompts.LONG_SAY.format(n=len(said), limit=MAX_SAY_CHARS))
        return Move("say", said)
    return Move("propose", take=_parse_take(rest))


def _parse_take(body: str) -> Vector:
    if "\n" in body.strip():
        raise FormatError(prompts.PROPOSAL_FORMAT.format(problem="A proposal is one line."))
    found: dict[int, int] = {}
    leftovers: list[str] = []
    last = 0
    for m in _PAIR.finditer(body):
        leftovers.append(body[last:m.start()])
        last = m.end()
        name = m.group(1).lower()
        if name not in _NAMES:
            raise FormatError(prompts.PROPOSAL_FORMAT.format(
                problem=f"'{name[:20]}' is not an item here; the items are books, hats and balls."))
        index = _NAMES[name]
        if index in found:
            raise FormatError(prompts.PROPOSAL_FORMAT.format(problem=f"You gave {ITEMS[index]} twice."))
        found[index] = int(m.group(2))
    leftovers.append(body[last:])
    if any(not _SEPARATORS.match(piece) for piece in leftovers):
        raise FormatError(prompts.PROPOSAL_FORMAT.format(
            problem="Write the counts as item=number pairs and nothing else."))
    missing = [ITEMS[i] for i in range(len(ITEMS)) if i not in found]
    if missing:
        raise FormatError(prompts.PROPOSAL_FORMAT.format(
            problem=f"Your proposal gives no count for {' and '.join(missing)}."))
    return tuple(found[i] for i in range(len(ITEMS)))
