"""The 5x5 grid: cells, drawing, comparison (chance-corrected cell agreement, cell F1) and the two text forms a
grid is shown in.

A grid is a tuple of 5 strings of 5 characters, row 1 first; a cell is a capital letter or ``.`` (blank).
Cells are ``(row, column)`` pairs counted from 1, as players say them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

SIZE = 5
BLANK = "."
#: Every index a row or column can have.
INDICES: tuple[int, ...] = tuple(range(1, SIZE + 1))
ALL_CELLS: frozenset[tuple[int, int]] = frozenset((r, c) for r in INDICES for c in INDICES)

Cell = tuple[int, int]
Grid = tuple[str, ...]

EMPTY: Grid = (BLANK * SIZE,) * SIZE


def paint(grid: Grid, cells: Iterable[Cell], letter: str) -> Grid:
    """``grid`` with ``letter`` (or ``.``) written into ``cells``; cells outside the grid are ignored."""
    rows = [list(row) for row in grid]
    for r, c in cells:
        if 1 <= r <= SIZE and 1 <= c <= SIZE:
            rows[r - 1][c - 1] = letter
    return tuple("".join(row) for row in rows)


def at(grid: Grid, cell: Cell) -> str:
    return grid[cell[0] - 1][cell[1] - 1]


def filled(grid: Grid) -> frozenset[Cell]:
    """The non-blank cells."""
    return frozenset(cell for cell in ALL_CELLS if at(grid, cell) != BLANK)


def differing(grid: Grid, target: Grid) -> list[Cell]:
    """Cells where the two grids differ, row by row."""
    return sorted(cell for cell in ALL_CELLS if at(grid, cell) != at(target, cell))


@dataclass(frozen=True)
class CellScore:
    """Precision and recall over filled cells: a filled cell is right when the target has the same letter."""

    right: int
    drawn: int
    wanted: int

    @property
    def precision(self) -> float:
        return self.right / self.drawn if self.drawn else float(self.wanted == 0)

    @property
    def recall(self) -> float:
        return self.right / self.wanted if self.wanted else float(self.drawn == 0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def cell_score(grid: Grid, target: Grid) -> CellScore:
    drawn, wanted = filled(grid), filled(target)
    right = sum(1 for cell in drawn & wanted if at(grid, cell) == at(target, cell))
    return CellScore(right, len(drawn), len(wanted))


def cell_f1(grid: Grid, target: Grid) -> float:
    return cell_score(grid, target).f1


def cell_accuracy(grid: Grid, target: Grid) -> float:
    """The share of the 25 cells that hold what the target holds (a letter, or blank)."""
    return 1.0 - len(differing(grid, target)) / (SIZE * SIZE)


def cell_kappa(grid: Grid, target: Grid) -> float:
    """Cohen's kappa of the cell-by-cell agreement between ``grid`` and ``target`` (labels: blank, letters).

    ``(p_o - p_e) / (1 - p_e)``: the observed agreement ``p_o`` (cell accuracy) above the agreement ``p_e``
    that a grid with the same mix of labels placed without regard to the target would get by chance. A grid
    that is all one letter, or empty, or drawn without listening, scores about 0 (below 0 when it agrees less
    than chance); only the target itself scores 1. When both grids hold a single label everywhere (``p_e`` is
    1), they are the same grid and agree perfectly.
    """
    n = SIZE * SIZE
    mine = Counter(ch for row in grid for ch in row)
    theirs = Counter(ch for row in target for ch in row)
    p_o = 1.0 - len(differing(grid, target)) / n
    p_e = sum(mine[k] * theirs[k] for k in mine) / (n * n)
    if p_e >= 1.0:
        return 1.0 if grid == target else 0.0
    return (p_o - p_e) / (1.0 - p_e)


def agreement(grid: Grid, target: Grid) -> float:
    """The main score's measure, 0 to 1: cell kappa, with agreement below chance counted as none."""
    return max(0.0, cell_kappa(grid, target))


def plain(grid: Grid) -> str:
    """The reply form: 5 lines of 5 characters (what a drawer writes after ``GRID:``)."""
    return "\n".join(grid)


def labelled(grid: Grid) -> str:
    """The display form, with row and column numbers, spaced so that every cell is its own token."""
    head = "    " + " ".join(str(c) for c in INDICES)
    return "\n".join([head, *(f"{r:>3} " + " ".join(row) for r, row in zip(INDICES, grid))])


def is_grid(value: object) -> bool:
    """Whether ``value`` (e.g. an instance's ``target`` param) is a well-formed grid."""
    return (isinstance(value, (list, tuple)) and len(value) == SIZE
            and all(isinstance(row, str) and len(row) == SIZE
                    and all(ch == BLANK or "A" <= ch <= "Z" for ch in row) for row in value))
