"""The one move grammar of the Playpen: what every game accepts as a move, decided here once.

Rules (the same in every game, so that rule compliance compares across games):

1. A reply holds **exactly one move line**: a line whose first word is one of the role's keywords (any letter
   case) followed by a colon, e.g. ``GUESS: crane``. Keywords that take nothing (``ACCEPT``, ``DONE``) may
   stand alone on their line, with or without a colon or end punctuation.
2. Markdown decoration a model adds is forgiven: leading spaces, ``*``, ``_``, ``#``, ``>``, ``-`` and
   backticks before the keyword, and emphasis around the keyword and its colon (``**GUESS:** crane``,
   ``- GUESS : crane``).
3. Other lines (a model thinking aloud) are ignored, before or after the move line; so is a line where a
   body-less keyword is followed by more text ("Accept, but only if ..."). Two or more move lines
   of the role's keywords are a format error: one move per reply.
4. The **body** is the rest of the move line, with surrounding whitespace and decoration stripped. Games with
   multi-line bodies (a grid, a form) read the lines that follow the move line (``MoveLine.following``).
5. A keyword that takes a body needs a non-empty one within the game's length limit (:func:`body`); a
   keyword that takes none must have none.

Each game keeps only its own keywords and what a body means; everything above lives here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .episode import FormatError

__all__ = ["MoveLine", "body", "find_move", "keyword_list", "strip_wrapping", "WRAPPING"]

# Decoration before a keyword and around its colon.
_LEAD = r"[ \t*_#>`\-]*"
_AROUND = r"[ \t*_`]*"
#: Characters forgiven around a one-token body (a word, a number): quotes, emphasis, end punctuation.
WRAPPING = " \t\"'`*_.,!?;:()[]"


@dataclass(frozen=True)
class MoveLine:
    """The move line of a reply: its ``keyword`` (upper case), its ``body`` and the lines after it."""

    keyword: str
    body: str
    following: tuple[str, ...] = ()


def _either(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def keyword_list(keywords: Sequence[str], bare: Sequence[str] = ()) -> str:
    """What a move line looks like, for messages: ``a line starting with GUESS: or CLARIFY:``, with bare
    keywords as ``ACCEPT alone on a line``."""
    with_body = [f"{k}:" for k in keywords if k not in bare]
    parts = [f"a line starting with {_either(with_body)}"] if with_body else []
    parts += [f"{_either(list(bare))} alone on a line"] if bare else []
    return ", or ".join(parts)


def _pattern(keywords: Sequence[str], bare: Sequence[str]) -> re.Pattern[str]:
    with_body = "|".join(re.escape(k) for k in keywords if k not in bare)
    alone = "|".join(re.escape(k) for k in bare)
    parts = []
    if with_body:
        parts.append(rf"(?P<kw>{with_body}){_AROUND}:{_AROUND}(?P<body>.*)")
    if alone:
        parts.append(rf"(?P<bare>{alone}){_AROUND}:?[{re.escape(WRAPPING)}]*")
    return re.compile(rf"^{_LEAD}(?:{'|'.join(parts)})$", re.IGNORECASE)


_CACHE: dict[tuple[tuple[str, ...], tuple[str, ...]], re.Pattern[str]] = {}


def find_move(text: str, keywords: Sequence[str], *, fmt: str, bare: Sequence[str] = ()) -> MoveLine:
    """The one move line of ``text`` among ``keywords`` (``bare``: those of them that take no body).

    Raises :class:`FormatError` (its message: what is wrong, then ``fmt``, the game's format reminder) when no
    line or more than one line is a move line.
    """
    key = (tuple(keywords), tuple(bare))
    pattern = _CACHE.get(key)
    if pattern is None:
        pattern = _CACHE[key] = _pattern(*key)
    lines = text.splitlines()
    found: list[tuple[int, re.Match[str]]] = []
    for i, line in enumerate(lines):
        m = pattern.match(line)
        if m is not None:
            found.append((i, m))
    if not found:
        raise FormatError(f"Your reply has no move line ({keyword_list(keywords, bare)}). {fmt}")
    if len(found) > 1:
        raise FormatError(f"Your reply has {len(found)} move lines; make exactly one move per reply. {fmt}")
    i, m = found[0]
    following = tuple(lines[i + 1:])
    groups = m.groupdict()
    if groups.get("kw"):
        return MoveLine(groups["kw"].upper(), _clean(groups["body"]), following)
    return MoveLine(groups["bare"].upper(), "", following)


def _clean(text: str) -> str:
    return text.strip().strip("*_`").strip()


def body(line: MoveLine, *, what: str, limit: int, fmt: str) -> str:
    """The body of ``line``, checked: not empty and at most ``limit`` characters (``what`` names it)."""
    if not line.body:
        raise FormatError(f"Your {what} is empty. {fmt}")
    if len(line.body) > limit:
        raise FormatError(f"Your {what} is {len(line.body)} characters long; keep it under {limit}. {fmt}")
    return line.body


def strip_wrapping(text: str) -> str:
    """A one-token body without the quotes, emphasis and end punctuation a model may wrap it in."""
    return text.strip(WRAPPING)
