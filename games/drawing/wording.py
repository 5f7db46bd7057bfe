"""Commands put back into words: what the drawer says when it asks about an incomplete command.

Kept apart from the parser (``commands.py``) so that reading commands and writing questions stay two small
files; both work on the same :class:`~.commands.Command`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .commands import BORDER, Clause, Command
from .grid import ALL_CELLS, Cell


def _numbers_text(ns: Iterable[int]) -> str:
    items = sorted(ns)
    if len(items) >= 3 and items == list(range(items[0], items[-1] + 1)):
        return f"{items[0]} to {items[-1]}"
    if len(items) == 1:
        return str(items[0])
    return ", ".join(str(n) for n in items[:-1]) + f" and {items[-1]}"


def pairs_text(cells: Iterable[Cell]) -> str:
    """``(1, 2), (3, 4) and (5, 1)``."""
    items = [f"({r}, {c})" for r, c in cells]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _lines_text(axis: str, ns: Iterable[int]) -> str:
    items = sorted(ns)
    if not items:
        return f"a {axis}"
    return f"{axis}{'s' if len(items) > 1 else ''} {_numbers_text(items)}"


def _clause_text(clause: Clause) -> str:
    parts = []
    if clause.diag is not None:
        parts.append({"main": "on the main diagonal", "anti": "on the anti-diagonal",
                      "both": "on both diagonals"}.get(clause.diag, "on a diagonal"))
    if clause.rows:
        parts.append(("in " if not parts else "") + _lines_text("row", clause.rows))
    elif clause.rows_missing:
        parts.append(("in " if not parts else "") + "a row")
    if clause.cols:
        parts.append(("in " if not parts else "") + _lines_text("column", clause.cols))
    elif clause.cols_missing:
        parts.append(("in " if not parts else "") + "a column")
    return (" and " if clause.joined else ", ").join(parts)


def describe(cmd: Command) -> str:
    """Where a command puts its letter, in words ("in row 2, columns 1 to 3"), for the drawer's questions."""
    texts = [_clause_text(c) for c in cmd.clauses]
    if cmd.extra == ALL_CELLS:
        texts.append("in the whole grid")
    elif cmd.extra == BORDER:
        texts.append("on the border")
    elif cmd.extra:
        cells = sorted(cmd.extra)
        texts.append("at " + pairs_text(cells) if len(cells) <= 4 else "in the cells you named")
    return " and ".join(t for t in texts if t) or "there"


def question(cmd: Command) -> str:
    """The drawer's clarification request for an incomplete command: it names everything that is missing."""
    missing = cmd.missing
    what = cmd.letter or "the letter"
    if "location" in missing:
        if cmd.op == "clear":
            return "Which cells should I clear?"
        return f"Where should I put {cmd.letter}?" if cmd.letter else "Which letter should I put, and where?"
    asks = []
    if "letter" in missing:
        asks.append(f"Which letter should I put {describe(cmd)}?")
    axes = [a for a in ("row", "column") if a in missing]
    if axes:
        asks.append(f"Which {' and which '.join(axes)} should {what} go in?" if cmd.op == "draw" else
                    f"Which {' and which '.join(axes)} should I clear?")
    if "join" in missing:
        clause = next(c for c in cmd.clauses if c.joined)
        rows, cols = _lines_text("row", clause.rows or ()), _lines_text("column", clause.cols or ())
        asks.append(f"Do you mean only the cells where {rows} and {cols} meet, or all of {rows} and all of "
                    f"{cols}?")
    if "diagonal" in missing:
        asks.append("Which diagonal: from the top left to the bottom right, or from the top right to the "
                    "bottom left?")
    return " ".join(asks)
