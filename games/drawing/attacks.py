"""Cheap policies against both drawing roles: what a skeptical reviewer tries before trusting the score.

Each policy reads only the role's chat history (its view) and skips the role's work. The generic ones
(``games/policies.py``: copy the example, always DONE, CLARIFY every turn, ...) come from the move keywords;
these need the game's vocabulary: a grid in the reply format, the letter a command names, the target as the
instructor is shown it.

drawer
    ``fixed_grid`` (the same full grid every turn), ``example_grid`` (the grid shown in its instructions),
    ``empty_grid`` (never draws), ``random_grid`` (a random grid of the letters it heard), ``fill_letter``
    (every cell with the letter the commands name: the whole-grid exploit of F1 partial credit),
    ``border_letter`` (the commands' letter on the border, a common shape, without reading the place),
    ``prior_shape`` (the letter on the fixed shape that agrees best with the train split's pictures),
    ``clarify_then_fill`` (asks about every command, then fills every cell), ``follow_corrections`` (never
    reads a command; copies whatever the game's corrections say a cell should hold), ``clarify_then_prior``
    (asks for the cells as pairs about every command, then draws the prior shape: answers restate, they do
    not spell cells out). Honest: ``coordinates_only`` reads only ``(r, c)`` pairs and ``row``/``column``
    numbers, no other vocabulary; ``digit_pairs`` reads nothing but the digits of a command, two by two, as
    (row, column) (right for a list of cells, the hard level's scattered ones; a stretch of a row fills one
    cell of it), so the instructor repairs the rest.
instructor
    ``fill_everything`` (one command filling every cell with the target's most common letter, then DONE),
    ``fill_everything_repeat`` (the same command until the limit), ``example_command`` (the example reply
    of the instructions, every turn; ``example_then_done`` once, then DONE), ``example_with_letter`` (the
    example with the target's letter, then DONE), ``incomplete_commands`` (commands with no letter,
    answering each question with the letter), ``blind_shapes`` (the target's letter on the border, then the
    middle row and column, whatever the picture; then DONE), ``row_patterns`` (each row of the target
    smuggled in as a pattern, "put K in row 1 like this: k, blank, blank, k, k": the drawer takes no row
    patterns). Honest: ``cell_lister`` (one command per letter listing its cells as (row, column) pairs): it
    shows the role needs coordinates, not much more; ``first_cells`` (the first 6 target cells one by one,
    then DONE): agreement pays a part of the picture in proportion to the part.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable

from ..policies import CheapPolicy, Policy, PolicyFactory, View, last_message, stateless
from .grid import BLANK, EMPTY, SIZE, Grid, paint

__all__ = ["drawer_policies", "instructor_policies"]

_COMMAND_LINE = re.compile(r"^(COMMAND|ANSWER):\s*(.*)$")
_LETTER = re.compile(r"(?<![\w'])([B-HJ-Z])(?![\w'])")
_PAIR = re.compile(r"\((\d)\s*,\s*(\d)\)")
_LINE = re.compile(r"\b(row|column)s?\s+(\d)\b", re.IGNORECASE)
_CELL_FIX = re.compile(r"row (\d), column (\d) should be '([A-Z.])'")
_TARGET_ROW = re.compile(r"^\s*(\d)\s+((?:[A-Z.]\s+){4}[A-Z.])\s*$")


# ------------------------------------------------------------------------------------------- reading
def _heard(view: View) -> list[str]:
    """The command and answer texts relayed to the drawer, oldest first."""
    out = []
    for msg in view:
        if msg.get("role") == "user":
            for line in msg.get("content", "").splitlines():
                m = _COMMAND_LINE.match(line.strip())
                if m:
                    out.append(m.group(2))
    return out


def _letters_heard(view: View) -> list[str]:
    return [m.group(1) for text in _heard(view) for m in _LETTER.finditer(text)]


def _latest_letter(view: View, default: str = "X") -> str:
    letters = _letters_heard(view)
    return letters[-1] if letters else default


def _grid_reply(grid: Grid) -> str:
    return "GRID:\n" + "\n".join(grid)


def _target(view: View) -> Grid:
    """The target as the instructor's instructions show it (labelled rows ``  1 K . . K K``)."""
    first = next((m.get("content", "") for m in view if m.get("role") == "user"), "")
    rows = []
    for line in first.splitlines():
        m = _TARGET_ROW.match(line)
        if m:
            rows.append(m.group(2).replace(" ", ""))
    return tuple(rows[:SIZE]) if len(rows) >= SIZE else EMPTY


def _majority(target: Grid) -> str:
    counts = Counter(ch for row in target for ch in row if ch != BLANK)
    return counts.most_common(1)[0][0] if counts else "X"


# ------------------------------------------------------------------------------------------- drawer
def _fill_letter(view: View) -> str:
    return _grid_reply((_latest_letter(view) * SIZE,) * SIZE)


def _border_letter(view: View) -> str:
    letter = _latest_letter(view)
    inner = letter + BLANK * (SIZE - 2) + letter
    return _grid_reply((letter * SIZE, *(inner,) * (SIZE - 2), letter * SIZE))


#: The fixed shape whose cells, written with the letter heard, agree best on average with the train split's
#: pictures (hill-climbed over all 2^25 masks from random starts): the best a drawer can do without listening
#: to the places.
PRIOR_SHAPE = (".....", "#.###", "#####", "#.#.#", ".....")


def _prior_shape(view: View) -> str:
    letter = _latest_letter(view)
    return _grid_reply(tuple(row.replace("#", letter) for row in PRIOR_SHAPE))


def _example_grid(view: View) -> str:
    first = next((m.get("content", "") for m in view if m.get("role") == "user"), "")
    lines = first.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "GRID:" and len(lines) > i + SIZE:
            return "\n".join(lines[i:i + SIZE + 1])
    return _grid_reply(EMPTY)


def _random_grid(rng: random.Random) -> Policy:
    def policy(view: View) -> str:
        ink = sorted(set(_letters_heard(view))) or ["X"]
        return _grid_reply(tuple("".join(rng.choice([BLANK, *ink]) for _ in range(SIZE)) for _ in range(SIZE)))
    return policy


def _clarify_then_fill(_rng: random.Random) -> Policy:
    def policy(view: View) -> str:
        if "ANSWER:" in last_message(view):
            return _fill_letter(view)
        return "CLARIFY: Could you say that command again, exactly?"
    return policy


def _follow_corrections(_rng: random.Random) -> Policy:
    """Never reads a command: it writes whatever cells the game's corrections name (the partner does the
    work if the corrections spell out the answer)."""
    grid = [EMPTY]

    def policy(view: View) -> str:
        last = last_message(view)
        fixes = [(int(r), int(c), ch) for r, c, ch in _CELL_FIX.findall(last)]
        for r, c, ch in fixes:
            grid[0] = paint(grid[0], [(r, c)], ch)
        return _grid_reply(grid[0])
    return policy


def _coordinates_only(_rng: random.Random) -> Policy:
    """An honest, tiny drawer: the letter, ``(r, c)`` pairs and ``row N`` / ``column N``, nothing else."""
    grid = [EMPTY]

    def policy(view: View) -> str:
        heard = _heard(view)
        if not heard:
            return _grid_reply(grid[0])
        text = heard[-1]
        letters = [m.group(1) for m in _LETTER.finditer(text)]
        ink = BLANK if re.search(r"\b(clear|erase|blank|remove)\b", text, re.IGNORECASE) else (
            letters[0] if letters else _latest_letter(view))
        cells = {(int(r), int(c)) for r, c in _PAIR.findall(text)}
        rows = {int(n) for kind, n in _LINE.findall(text) if kind.lower() == "row"}
        cols = {int(n) for kind, n in _LINE.findall(text) if kind.lower() == "column"}
        if rows and cols:
            cells |= {(r, c) for r in rows for c in cols}
        elif rows:
            cells |= {(r, c) for r in rows for c in range(1, SIZE + 1)}
        elif cols:
            cells |= {(r, c) for r in range(1, SIZE + 1) for c in cols}
        grid[0] = paint(grid[0], cells, ink)
        return _grid_reply(grid[0])
    return policy


def _clarify_then_prior(_rng: random.Random) -> Policy:
    """Asks for the command's cells as pairs, every command; draws the prior shape with the letter heard. The
    answer to a question about a complete command restates it: no cell is spelled out for the asking."""
    def policy(view: View) -> str:
        last = last_message(view)
        if "ANSWER:" in last or "already asked" in last:
            return _prior_shape(view)
        return "CLARIFY: Which cells exactly, as (row, column) pairs?"
    return policy


_DIGIT = re.compile(r"[1-5]")


def _digit_pairs(_rng: random.Random) -> Policy:
    """Honest but crude: reads only the digits of each command, two by two, as (row, column)."""
    grid = [EMPTY]

    def policy(view: View) -> str:
        heard = _heard(view)
        if heard:
            text = heard[-1]
            letters = [m.group(1) for m in _LETTER.finditer(text)]
            ink = BLANK if re.search(r"\b(clear|erase|blank|remove)\b", text, re.IGNORECASE) else (
                letters[0] if letters else _latest_letter(view))
            digits = [int(d) for d in _DIGIT.findall(text)]
            grid[0] = paint(grid[0], zip(digits[::2], digits[1::2]), ink)
        return _grid_reply(grid[0])
    return policy


def drawer_policies() -> list[CheapPolicy]:
    fixed = _grid_reply(("XXXXX", "X...X", "XXXXX", "X...X", "XXXXX"))
    return [
        CheapPolicy("fixed_grid", "the same full grid every turn", stateless(lambda _v: fixed)),
        CheapPolicy("example_grid", "the example grid of its instructions, every turn", stateless(_example_grid)),
        CheapPolicy("empty_grid", "the empty grid every turn (never draws)",
                    stateless(lambda _v: _grid_reply(EMPTY))),
        CheapPolicy("random_grid", "a random grid of the letters it heard, every turn", _random_grid),
        CheapPolicy("fill_letter", "every cell with the letter the last command named", stateless(_fill_letter)),
        CheapPolicy("border_letter", "the letter the commands name on the border, whatever the place",
                    stateless(_border_letter)),
        CheapPolicy("prior_shape", "the letter it hears on the shape that fits the train pictures best",
                    stateless(_prior_shape)),
        CheapPolicy("clarify_then_fill", "asks about every command, then fills every cell with its letter",
                    _clarify_then_fill),
        CheapPolicy("follow_corrections", "never reads a command; writes the cells the corrections name",
                    _follow_corrections),
        CheapPolicy("clarify_then_prior", "asks for the cells as pairs about every command, then draws the "
                    "prior shape", _clarify_then_prior),
        CheapPolicy("coordinates_only", "honest: reads only the letter, (r, c) pairs and row/column numbers",
                    _coordinates_only, degenerate=False),
        CheapPolicy("digit_pairs", "honest, crude: reads only the letter and the digits, two by two, as cells",
                    _digit_pairs, degenerate=False),
    ]


# ------------------------------------------------------------------------------------------- instructor
def _once_then(first: str, then: str) -> PolicyFactory:
    def make(_rng: random.Random) -> Policy:
        sent = [False]

        def policy(_view: View) -> str:
            if sent[0]:
                return then
            sent[0] = True
            return first
        return policy
    return make


def _fill_everything(repeat: bool) -> PolicyFactory:
    def make(_rng: random.Random) -> Policy:
        sent = [False]

        def policy(view: View) -> str:
            if sent[0] and not repeat:
                return "DONE"
            sent[0] = True
            return f"COMMAND: put {_majority(_target(view))} in the whole grid"
        return policy
    return make


def _example_with_letter(_rng: random.Random) -> Policy:
    sent = [False]

    def policy(view: View) -> str:
        if sent[0]:
            return "DONE"
        sent[0] = True
        return f"COMMAND: put {_majority(_target(view))} in row 1 from column 1 to column 5"
    return policy


def _incomplete_commands(_rng: random.Random) -> Policy:
    def policy(view: View) -> str:
        letter = _majority(_target(view))
        if "CLARIFY:" in last_message(view):
            return f"ANSWER: {letter}"
        return "COMMAND: fill the whole grid"
    return policy


def _cell_lister(_rng: random.Random) -> Policy:
    """Honest: one command per letter, listing its cells as (row, column) pairs, in chunks that fit the
    command length (the teacher drawer starts empty and is literal, so nothing needs clearing)."""
    queue: list[str] = []
    started = [False]

    def policy(view: View) -> str:
        if not started[0]:
            started[0] = True
            target = _target(view)
            for letter in sorted({ch for row in target for ch in row} - {BLANK}):
                cells = [f"({r + 1}, {c + 1})" for r in range(SIZE) for c in range(SIZE)
                         if target[r][c] == letter]
                for i in range(0, len(cells), 20):
                    queue.append(f"COMMAND: put {letter} at " + ", ".join(cells[i:i + 20]))
        return queue.pop(0) if queue else "DONE"
    return policy


def _scripted(moves: Callable[[Grid], list[str]]) -> PolicyFactory:
    """Sends the moves computed from the target the instructions show, one per turn, then DONE."""
    def make(_rng: random.Random) -> Policy:
        queue: list[str] = []
        started = [False]

        def policy(view: View) -> str:
            if not started[0]:
                started[0] = True
                queue.extend(moves(_target(view)))
            return queue.pop(0) if queue else "DONE"
        return policy
    return make


def _blind_shapes(target: Grid) -> list[str]:
    letter = _majority(target)
    return [f"COMMAND: put {letter} on the border", f"COMMAND: put {letter} in row 3",
            f"COMMAND: put {letter} in column 3"]


def _row_patterns(target: Grid) -> list[str]:
    out = []
    for r, row in enumerate(target, 1):
        for letter in sorted(set(row) - {BLANK}):
            pattern = ", ".join(ch.lower() if ch == letter else "blank" for ch in row)
            out.append(f"COMMAND: put {letter} in row {r} like this: {pattern}")
    return out


def _first_cells(target: Grid, count: int = 6) -> list[str]:
    cells = [(r + 1, c + 1, target[r][c]) for r in range(SIZE) for c in range(SIZE) if target[r][c] != BLANK]
    return [f"COMMAND: put {letter} at ({r}, {c})" for r, c, letter in cells[:count]]


def instructor_policies() -> list[CheapPolicy]:
    example = "COMMAND: put X in row 1 from column 1 to column 5"
    return [
        CheapPolicy("fill_everything", "one command: the target's commonest letter in every cell; then DONE",
                    _fill_everything(False)),
        CheapPolicy("fill_everything_repeat", "the whole-grid command with the commonest letter, every turn",
                    _fill_everything(True)),
        CheapPolicy("example_command", "the example reply of its instructions, every turn",
                    stateless(lambda _v: example)),
        CheapPolicy("example_then_done", "the example reply once, then DONE", _once_then(example, "DONE")),
        CheapPolicy("example_with_letter", "the example command with the target's letter, then DONE",
                    _example_with_letter),
        CheapPolicy("incomplete_commands", "'fill the whole grid' without a letter; answers with the letter",
                    _incomplete_commands),
        CheapPolicy("blind_shapes", "the target's letter on the border, the middle row and the middle column, "
                    "whatever the picture; then DONE", _scripted(_blind_shapes)),
        CheapPolicy("row_patterns", "each target row smuggled in as a pattern ('like this: k, blank, ...')",
                    _scripted(_row_patterns)),
        CheapPolicy("cell_lister", "honest: one command per letter listing its cells as (row, column) pairs",
                    _cell_lister, degenerate=False),
        CheapPolicy("first_cells", "honest, partial: the first 6 target cells one by one, then DONE",
                    _scripted(_first_cells), degenerate=False),
    ]
