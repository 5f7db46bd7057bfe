"""The teacher instructor's policy: what to say next, and how.

:func:`next_step` compares the drawer's grid (as the drawer last showed it) with the target and picks the one
command that fixes the most differing cells without spoiling any cell: an area (the whole grid, whole rows or
columns, a stretch of a row or column, a block, rows x a stretch of columns, a diagonal stretch, the border,
or a short diagonal stroke) whose cells all hold the same letter in the target, or, failing a better one, a
list of up to 3 cells. Greedy, so "minimal-ish": a picture of k lines takes about k commands. :func:`phrase` puts a step into words
with one of several templates (chosen with the episode's rng), optionally leaving out the letter, the place or
the row/column number on purpose, and returns the answer to give when the drawer asks. Every template parses
back to the step's cells (the tests check each one).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations, product

from .grid import BLANK, INDICES, SIZE, Cell, Grid, at, differing
from .wording import pairs_text

__all__ = ["AREAS", "CLEAR_TEMPLATES", "DRAW_TEMPLATES", "MAX_CELLS", "Area", "Step", "next_step", "omissions", "phrase",
           "wheres"]

#: Most cells named one by one in a single command.
MAX_CELLS = 3
_ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _bit(cell: Cell) -> int:
    return 1 << ((cell[0] - 1) * SIZE + cell[1] - 1)


def _mask(cells: Iterable[Cell]) -> int:
    out = 0
    for cell in cells:
        out |= _bit(cell)
    return out


@dataclass(frozen=True)
class Area:
    """A place one command can name. ``rows``/``cols`` are the lines it spans; ``diag`` is "main"/"anti"."""

    kind: str
    rows: tuple[int, ...] = ()
    cols: tuple[int, ...] = ()
    diag: str = ""
    cells: tuple[Cell, ...] = ()

    @property
    def mask(self) -> int:
        return _mask(self.cell_set())

    def cell_set(self) -> frozenset[Cell]:
        if self.kind in ("cells", "line"):
            return frozenset(self.cells)
        if self.kind == "diag":
            return frozenset((r, r if self.diag == "main" else SIZE + 1 - r) for r in self.rows)
        if self.kind == "border":
            return frozenset((r, c) for r in INDICES for c in INDICES if {r, c} & {1, SIZE})
        return frozenset((r, c) for r in self.rows for c in self.cols)


def _ranges(lo: int, hi: int) -> list[tuple[int, ...]]:
    """Contiguous index ranges of length ``lo`` to ``hi``."""
    return [tuple(range(a, a + n)) for n in range(lo, hi + 1) for a in range(1, SIZE + 2 - n)]


def _build_areas() -> tuple[tuple[Area, int], ...]:
    full = INDICES
    subsets = [s for n in range(1, SIZE) for s in combinations(INDICES, n)]
    scattered = [s for s in subsets if len(s) > 1 and s != tuple(range(s[0], s[-1] + 1))]
    areas = [Area("grid", full, full)]
    areas += [Area("rows", s, full) for s in subsets]
    areas += [Area("cols", full, s) for s in subsets]
    areas += [Area("rowseg", (r,), span) for r in INDICES for span in _ranges(2, SIZE - 1)]
    areas += [Area("colseg", span, (c,)) for c in INDICES for span in _ranges(2, SIZE - 1)]
    areas += [Area("rect", rs, cs) for rs in _ranges(2, SIZE - 1) for cs in _ranges(2, SIZE - 1)]
    areas += [Area("rowsub", rs, cs) for rs in scattered for cs in _ranges(1, SIZE - 1)]
    areas += [Area("colsub", rs, cs) for cs in scattered for rs in _ranges(1, SIZE - 1)]
    areas += [Area("diag", rs, diag=d) for d in ("main", "anti") for rs in _ranges(2, SIZE)]
    diagonal = {a.cell_set() for a in areas if a.kind == "diag"}
    for r, c in product(INDICES, INDICES):  # short diagonal strokes elsewhere (a diamond's sides, a V)
        for dc in (1, -1):
            for n in range(2, SIZE + 1):
                cells = tuple((r + k, c + k * dc) for k in range(n))
                if all(1 <= x <= SIZE and 1 <= y <= SIZE for x, y in cells) and frozenset(cells) not in diagonal:
                    areas.append(Area("line", cells=cells))
    areas.append(Area("border"))
    return tuple((a, a.mask) for a in areas)


#: Every area the planner may name, in order of preference when two fix equally many cells.
AREAS = _build_areas()


@dataclass(frozen=True)
class Step:
    """One command to give: write ``letter`` (``.`` = clear) into ``area``."""

    letter: str
    area: Area


def next_step(grid: Grid, target: Grid) -> Step | None:
    """The command that fixes the most differing cells without spoiling any; ``None`` when the grids match."""
    diff = _mask(differing(grid, target))
    if not diff:
        return None
    letters = sorted({ch for row in target for ch in row} - {BLANK}) + [BLANK]
    best_gain, best = 0, None
    for letter in letters:
        wanted = [(r, c) for r in INDICES for c in INDICES if at(target, (r, c)) == letter]
        want = _mask(wanted)
        todo = diff & want
        if not todo:
            continue
        for area, mask in AREAS:
            if mask & ~want:
                continue  # it would write over a cell that must hold something else
            gain = (mask & todo).bit_count()
            if gain > best_gain:  # strictly better: on a tie the earlier (simpler) area stays
                best_gain, best = gain, Step(letter, area)
        cells = tuple(cell for cell in wanted if todo & _bit(cell))[:MAX_CELLS]
        # A lone cell is clearer named as a cell than as a stretch that is already mostly right.
        if len(cells) > best_gain or len(cells) == best_gain == 1:
            best_gain, best = len(cells), Step(letter, Area("cells", cells=cells))
    return best


# ------------------------------------------------------------------------------------------------ words
def _nums(ns: tuple[int, ...]) -> str:
    if len(ns) >= 3 and ns == tuple(range(ns[0], ns[-1] + 1)):
        return f"{ns[0]} to {ns[-1]}"
    if len(ns) == 1:
        return str(ns[0])
    return ", ".join(str(n) for n in ns[:-1]) + f" and {ns[-1]}"


def _span(axis: str, ns: tuple[int, ...]) -> str:
    """``column 3`` or ``columns 2 to 4`` (a contiguous stretch)."""
    return f"{axis} {ns[0]}" if len(ns) == 1 else f"{axis}s {ns[0]} to {ns[-1]}"


def _ords(ns: tuple[int, ...]) -> str:
    words = [_ORD[n] for n in ns]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" and {words[-1]}"


def wheres(area: Area) -> list[str]:
    """Ways to say where ``area`` is, each starting with a preposition ("in row 2", "on the border")."""
    k, rows, cols = area.kind, area.rows, area.cols
    if k == "grid":
        return ["in the whole grid", "in every cell", "everywhere"]
    if k in ("rows", "cols"):
        axis, ns = ("row", rows) if k == "rows" else ("column", cols)
        plural = "s" if len(ns) > 1 else ""
        out = [f"in {axis}{plural} {_nums(ns)}"]
        if len(ns) <= 3:
            out.append(f"in the {_ords(ns)} {axis}{plural}")
        if ns == (1,):
            out.append("in the top row" if k == "rows" else "in the leftmost column")
        if ns == (SIZE,):
            out.append("in the bottom row" if k == "rows" else "in the rightmost column")
        if len(ns) == 1:
            out.append(f"across row {ns[0]}" if k == "rows" else f"down column {ns[0]}")
        return out
    if k == "rowseg":
        r, a, b = rows[0], cols[0], cols[-1]
        return [f"in row {r} from column {a} to column {b}", f"in row {r}, columns {a} to {b}",
                f"in columns {a} to {b} of row {r}"]
    if k == "colseg":
        c, a, b = cols[0], rows[0], rows[-1]
        return [f"in column {c} from row {a} to row {b}", f"in column {c}, rows {a} to {b}",
                f"in rows {a} to {b} of column {c}"]
    if k == "rect":
        return [f"in rows {rows[0]} to {rows[-1]}, columns {cols[0]} to {cols[-1]}",
                f"in columns {cols[0]} to {cols[-1]} of rows {rows[0]} to {rows[-1]}"]
    if k == "rowsub":
        return [f"in rows {_nums(rows)}, {_span('column', cols)}", f"in {_span('column', cols)} of rows {_nums(rows)}"]
    if k == "colsub":
        return [f"in columns {_nums(cols)}, {_span('row', rows)}", f"in {_span('row', rows)} of columns {_nums(cols)}"]
    if k == "diag":
        a, b = rows[0], rows[-1]
        main = area.diag == "main"
        if (a, b) == (1, SIZE):
            return (["on the main diagonal", "on the diagonal from the top left to the bottom right",
                     "along the diagonal from the top left corner to the bottom right corner"] if main else
                    ["on the anti-diagonal", "on the diagonal from the top right to the bottom left",
                     "along the other diagonal, from the top right corner to the bottom left corner"])
        start = (a, a if main else SIZE + 1 - a)
        end = (b, b if main else SIZE + 1 - b)
        name = "main diagonal" if main else "anti-diagonal"
        return [f"on the {name} from row {a} to row {b}", f"in a line from {pairs_text([start])} to {pairs_text([end])}"]
    if k == "line":
        first, last = pairs_text(area.cells[:1]), pairs_text(area.cells[-1:])
        return [f"in a line from {first} to {last}", f"on the diagonal line from {last} to {first}",
                f"from {first} to {last}"]
    if k == "border":
        return ["on the border", "all around the border of the grid", "on the outer ring of cells"]
    cells = area.cells
    if len(cells) == 1:
        r, c = cells[0]
        return [f"at row {r}, column {c}", f"in row {r}, column {c}", f"at ({r}, {c})",
                f"in the cell at row {r}, column {c}"]
    return [f"at {pairs_text(cells)}", f"in cells {pairs_text(cells)}"]


DRAW_TEMPLATES = ("Put {L} {w}.", "Write {L} {w}.", "Draw {L} {w}.", "Place the letter {L} {w}.")
CLEAR_TEMPLATES = ("Clear everything {w}.", "Erase the letters {w}.", "Make the cells {w} blank.")
_NO_LETTER = ("Put a letter {w}.", "Write a letter {w}.", "Draw something {w}.")
_NO_PLACE = ("Put {L} there.", "Now draw some {L}.", "Write {L} next.")
_LETTER_ANSWERS = ("{L}", "the letter {L}", "use {L}")


def omissions(step: Step) -> list[str]:
    """What the teacher may leave out of this step on purpose (hard experiment, learner drawer)."""
    if step.letter == BLANK:
        return []  # a clear command has no letter to leave out, and "clear there" helps nobody learn
    out = ["letter", "location"]
    k, area = step.area.kind, step.area
    if (k == "rows" and len(area.rows) == 1) or k == "rowseg":
        out.append("row")
    if (k == "cols" and len(area.cols) == 1) or k == "colseg":
        out.append("column")
    return out


def phrase(step: Step, rng: random.Random, omit: str | None = None) -> tuple[str, str]:
    """The command text for ``step`` and the answer to give if the drawer asks about it.

    With ``omit`` ("letter", "location", "row" or "column") the command leaves that out and the answer
    supplies it; without, the answer restates the whole command.
    """
    L, area = step.letter, step.area
    where = rng.choice(wheres(area))
    if step.letter == BLANK:
        full = rng.choice(CLEAR_TEMPLATES).format(w=where)
    else:
        full = rng.choice(DRAW_TEMPLATES).format(L=L, w=where)
    if omit is None:
        return full, full
    if omit == "letter":
        return rng.choice(_NO_LETTER).format(w=where), rng.choice(_LETTER_ANSWERS).format(L=L)
    if omit == "location":
        return rng.choice(_NO_PLACE).format(L=L), where
    if omit == "row":
        r = area.rows[0]
        rest = f", from column {area.cols[0]} to column {area.cols[-1]}" if area.kind == "rowseg" else ""
        return f"Put {L} in a row{rest}.", rng.choice((f"row {r}", f"the {_ORD[r]} row"))
    c = area.cols[0]
    rest = f", from row {area.rows[0]} to row {area.rows[-1]}" if area.kind == "colseg" else ""
    return f"Put {L} in a column{rest}.", rng.choice((f"column {c}", f"the {_ORD[c]} column"))
