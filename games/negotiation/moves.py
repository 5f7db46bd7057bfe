"""Parsing negotiation replies into moves. Pure functions: the live episode and the scorer (which re-reads
the record's move texts) share them.

The move line itself is found by the Playpen's one move grammar (:mod:`games.grammar`: exactly one move line,
chatter around it ignored, Markdown decoration forgiven, ``ACCEPT`` alone on its line); this module only says
what a body means. Only the form is checked here (:class:`FormatError`); whether a move is allowed in the
current state (counts within the pool, who may propose or accept) is the episode's business
(:class:`RuleError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from ..grammar import body, find_move
from . import prompts
from .pool import ITEMS, SINGULAR, Vector
from .talk import describe

__all__ = ["BARE", "KEYWORDS", "MAX_SAY_CHARS", "Move", "parse_move"]

#: Longest SAY text accepted, in characters: a few sentences; longer text bloats every later prompt.
MAX_SAY_CHARS = 300
#: Longest proposal body: the item=count pairs with generous spacing.
_MAX_PROPOSAL_CHARS = 100
#: The game's move keywords (either seat's; the rules say which seat may use which), and those without a body.
KEYWORDS: tuple[str, ...] = ("SAY", "PROPOSE", "ACCEPT")
BARE: tuple[str, ...] = ("ACCEPT",)

# item=<n> or item: <n>; the sign is read so that a negative count is a rule error, not a format error.
_PAIR = re.compile(r"([A-Za-z]+)[ \t]*[=:][ \t]*(-?\d{1,6})(?!\d)")
# What may separate the pairs of a proposal (and end it: "PROPOSE: books=1, hats=0 and balls=2..." is fine).
_SEPARATORS = re.compile(r"^[\s,;&]*(?:and[\s,;&]*)?\.?\s*$", re.IGNORECASE)
_NAMES = {**{n: i for i, n in enumerate(ITEMS)}, **{n: i for i, n in enumerate(SINGULAR)}}


@dataclass(frozen=True)
class Move:
    """A parsed reply: ``say`` (``text``), ``propose`` (``take``: items per type the mover takes) or
    ``accept``."""

    kind: Literal["say", "propose", "accept"]
    text: str = ""
    take: Vector = ()


def parse_move(text: str) -> Move:
    """Exactly one move line: ``SAY: <text>``, ``PROPOSE: books=<n> hats=<n> ...`` or ``ACCEPT``."""
    line = find_move(text, KEYWORDS, fmt=prompts.FORMAT, bare=BARE)
    if line.keyword == "ACCEPT":
        return Move("accept")
    if line.keyword == "SAY":
        return Move("say", body(line, what="SAY", limit=MAX_SAY_CHARS, fmt=prompts.FORMAT))
    return Move("propose", take=_parse_take(body(line, what="proposal", limit=_MAX_PROPOSAL_CHARS,
                                                 fmt=prompts.FORMAT)))


def _parse_take(text: str) -> Vector:
    found: dict[int, int] = {}
    leftovers: list[str] = []
    last = 0
    for m in _PAIR.finditer(text):
        leftovers.append(text[last:m.start()])
        last = m.end()
        name = m.group(1).lower()
        if name not in _NAMES:
            raise FormatError(prompts.PROPOSAL_FORMAT.format(
                problem=f"'{name[:20]}' is not an item here; the items are {describe(range(len(ITEMS)))}."))
        index = _NAMES[name]
        if index in found:
            raise FormatError(prompts.PROPOSAL_FORMAT.format(problem=f"You gave {ITEMS[index]} twice."))
        found[index] = int(m.group(2))
    leftovers.append(text[last:])
    if any(not _SEPARATORS.match(piece) for piece in leftovers):
        raise FormatError(prompts.PROPOSAL_FORMAT.format(
            problem="Write the counts as item=number pairs and nothing else."))
    missing = [ITEMS[i] for i in range(len(ITEMS)) if i not in found]
    if missing:
        raise FormatError(prompts.PROPOSAL_FORMAT.format(
            problem=f"Your proposal gives no count for {' and '.join(missing)}."))
    return tuple(found[i] for i in range(len(ITEMS)))
