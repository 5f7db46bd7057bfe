"""Target pictures: unions of whole lines and the figures in ``shapes.json``, turned, mirrored, shifted and
painted with a letter.

A *picture* is a set of cells and a letter. Line shapes (1 to 4 whole rows/columns) feed ``easy``; the
hand-drawn figures, in each of their distinct turns, mirror images and shifts, feed ``medium`` and, with
scattered cells of other letters on top, ``hard``.

Splits. A picture belongs to one split by a hash of its *family of forms*: the canonical form of its cells
(the least of its 8 turns and mirror images, written out) and its letter (``split_of``). So a test picture is
never a training picture, nor a turn or mirror image of one, and the same cells with the same letter land in
the same split whether they came from a line shape or a figure (``letter-l`` is a column and a row).
"""

from __future__ import annotations

import json
import random
from functools import cache
from itertools import combinations
from pathlib import Path

from ..seeding import split_of
from .grid import ALL_CELLS, BLANK, EMPTY, INDICES, SIZE, Cell, Grid, paint

__all__ = ["LETTERS", "canonical", "figures", "line_shapes", "picture", "pool", "scatter", "shapes", "variants"]

#: Letters a picture is drawn with. A and I are left out: standing alone, a capital A or I reads as a word
#: ("A row of X", "I want X"), and a picture should never hinge on that.
LETTERS = "BCDEFGHJKLMNOPQRSTUVWXYZ"
#: Most whole lines in a line shape.
MAX_LINES = 4

Cells = frozenset[Cell]


@cache
def figures() -> dict[str, Cells]:
    """The hand-drawn figures as drawn: name -> filled cells."""
    data = json.loads((Path(__file__).parent / "shapes.json").read_text(encoding="utf-8"))
    return {name: frozenset((r, c) for r, row in zip(INDICES, rows) for c, ch in zip(INDICES, row) if ch == "#")
            for name, rows in data["figures"].items()}


@cache
def line_shapes() -> dict[str, Cells]:
    """Every union of 1 to ``MAX_LINES`` whole lines: ``row2``, ``row1+col3``, ``col1+col5+row3``, ..."""
    lines = {f"row{i}": frozenset((i, c) for c in INDICES) for i in INDICES}
    lines |= {f"col{i}": frozenset((r, i) for r in INDICES) for i in INDICES}
    out: dict[str, Cells] = {}
    for k in range(1, MAX_LINES + 1):
        for combo in combinations(lines, k):
            out["+".join(combo)] = frozenset().union(*(lines[name] for name in combo))
    return out


def _turn(cells: Cells, form: int) -> Cells:
    """Form 0-3: turned ``form`` quarter turns clockwise; 4-7: the same, then mirrored left to right."""
    out = set()
    for r, c in cells:
        for _ in range(form % 4):
            r, c = c, SIZE + 1 - r
        out.add((r, SIZE + 1 - c) if form >= 4 else (r, c))
    return frozenset(out)


def _shifts(cells: Cells) -> list[tuple[int, int]]:
    """Every (down, right) shift that keeps ``cells`` inside the grid, (0, 0) first."""
    rows, cols = [r for r, _ in cells], [c for _, c in cells]
    return [(dr, dc) for dr in range(1 - min(rows), SIZE + 1 - max(rows))
            for dc in range(1 - min(cols), SIZE + 1 - max(cols))]


def _text(cells: Cells) -> str:
    return "/".join("".join("#" if (r, c) in cells else BLANK for c in INDICES) for r in INDICES)


def canonical(cells: Cells) -> str:
    """The cells' family of forms: the least of the written-out 8 turns and mirror images."""
    return min(_text(_turn(cells, form)) for form in range(8))


@cache
def variants() -> dict[str, Cells]:
    """Every distinct figure form: ``name`` (as drawn), ``name~t<form>`` (turned/mirrored, see ``_turn``),
    with ``+<down>,<right>`` when shifted. Forms that repeat an earlier one (a symmetric figure) are left out."""
    out: dict[str, Cells] = {}
    seen: set[Cells] = set()
    for name, cells in figures().items():
        for form in range(8):
            turned = _turn(cells, form)
            for dr, dc in _shifts(turned):
                moved = frozenset((r + dr, c + dc) for r, c in turned)
                if moved in seen:
                    continue
                seen.add(moved)
                tag = (f"~t{form}" if form else "") + (f"+{dr},{dc}" if (dr, dc) != (0, 0) else "")
                out[name + tag] = moved
    return out


def shapes(family: str) -> dict[str, Cells]:
    return line_shapes() if family == "lines" else variants()


@cache
def pool(family: str, split: str) -> tuple[str, ...]:
    """The ``shape/letter`` pictures of a family (``lines`` or ``figures``) that belong to ``split``."""
    found = shapes(family)
    forms = {name: canonical(cells) for name, cells in found.items()}
    return tuple(f"{name}/{letter}" for name in found for letter in LETTERS
                 if split_of(f"drawing/{forms[name]}/{letter}") == split)


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
