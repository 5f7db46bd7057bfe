"""Target pictures: the figures in ``shapes.json`` and unions of whole lines, painted with letters.

Items are (shape, letter) pairs, each assigned to one split by a hash of its name (``split_of``), so no test
picture is ever a training picture. Line shapes (1 to 3 whole rows/columns) feed ``easy``; the hand-drawn
figures feed ``medium`` and, with scattered cells of other letters on top, ``hard``.
"""

from __future__ import annotations

import json
import random
from functools import cache
from itertools import combinations
from pathlib import Path

from ..seeding import split_of
from .grid import ALL_CELLS, EMPTY, INDICES, Cell, Grid, paint

#: Letters a picture is drawn with. A and I are left out: standing alone, a capital A or I reads as a word
#: ("A row of X", "I want X"), and a picture should never hinge on that.
LETTERS = "BCDEFGHJKLMNOPQRSTUVWXYZ"


@cache
def figures() -> dict[str, frozenset[Cell]]:
    """The hand-drawn figures: name -> filled cells."""
    data = json.loads((Path(__file__).parent / "shapes.json").read_text(encoding="utf-8"))
    return {name: frozenset((r, c) for r, row in zip(INDICES, rows) for c, ch in zip(INDICES, row) if ch == "#")
            for name, rows in data["figures"].items()}


@cache
def line_shapes() -> dict[str, frozenset[Cell]]:
    """Every union of 1 to 3 whole lines: ``row2``, ``row1+col3``, ``col1+col5+row3``, ..."""
    lines = {f"row{i}": frozenset((i, c) for c in INDICES) for i in INDICES}
    lines |= {f"col{i}": frozenset((r, i) for r in INDICES) for i in INDICES}
    out: dict[str, frozenset[Cell]] = {}
    for k in (1, 2, 3):
        for combo in combinations(lines, k):
            out["+".join(combo)] = frozenset().union(*(lines[name] for name in combo))
    return out


def shapes(family: str) -> dict[str, frozenset[Cell]]:
    return line_shapes() if family == "lines" else figures()


@cache
def pool(family: str, split: str) -> tuple[str, ...]:
    """The ``shape/letter`` items of a family (``lines`` or ``figures``) that belong to ``split``."""
    return tuple(key for key in (f"{s}/{letter}" for s in shapes(family) for letter in LETTERS)
                 if split_of(f"drawing/{family}/{key}") == split)


def picture(family: str, key: str) -> Grid:
    shape, letter = key.split("/")
    return paint(EMPTY, shapes(family)[shape], letter)


def scatter(grid: Grid, rng: random.Random, used: list[str]) -> tuple[Grid, list[str]]:
    """``grid`` with 3-5 random cells of a second letter and, half of the time, 1-2 of a third on top."""
    chosen = list(used)
    cells = sorted(ALL_CELLS)
    for count in ((3, 5), (1, 2)):
        if count == (1, 2) and rng.random() < 0.5:
            break
        letter = rng.choice([ch for ch in LETTERS if ch not in chosen])
        grid = paint(grid, rng.sample(cells, rng.randint(*count)), letter)
        chosen.append(letter)
    # A later letter may cover every cell of an earlier one: list only the letters that show.
    return grid, [ch for ch in chosen if any(ch in row for row in grid)]
