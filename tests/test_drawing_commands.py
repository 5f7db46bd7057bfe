"""Drawing: the command grammar the drawer reads and the questions it asks about incomplete commands."""

from __future__ import annotations

import pytest
from playschool.games.drawing.commands import merge, parse_command
from playschool.games.drawing.wording import describe, question

ROW = {r: {(r, c) for c in range(1, 6)} for r in range(1, 6)}
COL = {c: {(r, c) for r in range(1, 6)} for c in range(1, 6)}


# ------------------------------------------------------------------------------------------- grammar
@pytest.mark.parametrize(("text", "letter", "cells"), [
    ("put X in row 1 from column 1 to column 5", "X", ROW[1]),
    ("fill the second column with O", "O", COL[2]),
    ("put B at row 3 col 4", "B", {(3, 4)}),
    ("clear row 2", ".", ROW[2]),
    ("Put X in rows 1 and 5", "X", ROW[1] | ROW[5]),
    ("put X in the top row", "X", ROW[1]),
    ("put X in the bottom row", "X", ROW[5]),
    ("put X in the rightmost column", "X", COL[5]),
    ("put X in the middle row", "X", ROW[3]),
    ("put X in the first and third rows", "X", ROW[1] | ROW[3]),
    ("put X in the first 2 columns", "X", COL[1] | COL[2]),
    ("put X in rows two to four of column one", "X", {(2, 1), (3, 1), (4, 1)}),
    ("put X in row 2, columns 1-3", "X", {(2, 1), (2, 2), (2, 3)}),
    ("put X in column 4 from row 2 to row 5", "X", {(2, 4), (3, 4), (4, 4), (5, 4)}),
    ("put X in rows 2 to 4, columns 2 to 4", "X", {(r, c) for r in (2, 3, 4) for c in (2, 3, 4)}),
    ("put X in columns 2 to 4 of rows 1 and 5", "X", {(r, c) for r in (1, 5) for c in (2, 3, 4)}),
    ("put X in row 1 and row 5, columns 2-4", "X", {(r, c) for r in (1, 5) for c in (2, 3, 4)}),
    ("put X in row 3, column 1 and column 5", "X", {(3, 1), (3, 5)}),
    ("put X in row 1 columns 1 to 2 and row 3 column 5", "X", {(1, 1), (1, 2), (3, 5)}),
    ("put Z at (1, 2), (3, 4) and (5, 1)", "Z", {(1, 2), (3, 4), (5, 1)}),
    ("put Z from (1,1) to (1,3)", "Z", {(1, 1), (1, 2), (1, 3)}),
    ("put x in r2c3", "X", {(2, 3)}),
    ("put 'q' at 2, 3", "Q", {(2, 3)}),
    ("Place the letter Q in cell 4 4", "Q", {(4, 4)}),
    ("put X on the main diagonal", "X", {(i, i) for i in range(1, 6)}),
    ("put X on the anti-diagonal", "X", {(i, 6 - i) for i in range(1, 6)}),
    ("put X on the diagonal from the top right to the bottom left", "X", {(i, 6 - i) for i in range(1, 6)}),
    ("put X on the main diagonal from row 2 to row 4", "X", {(2, 2), (3, 3), (4, 4)}),
    ("put X on both diagonals", "X", {(i, i) for i in range(1, 6)} | {(i, 6 - i) for i in range(1, 6)}),
    ("put X on the border", "X", ROW[1] | ROW[5] | COL[1] | COL[5]),
    ("put X in the whole grid", "X", set().union(*ROW.values())),
    ("clear the grid", ".", set().union(*ROW.values())),
    ("put X in the top left corner", "X", {(1, 1)}),
    ("put X in the center", "X", {(3, 3)}),
    ("put X in the middle of the second row", "X", {(2, 3)}),
    ("put X in the last cell of column 4", "X", {(5, 4)}),
    ("I want X in row 1", "X", ROW[1]),  # a capital I standing alone is the pronoun when another letter is named
    ("Put A in row 1", "A", ROW[1]),
    ("put Xs in row 2", "X", ROW[2]),
    ("**put X in row 2**", "X", ROW[2]),
    ("remove the X from row 2", ".", ROW[2]),
    ("make the cells at (2, 2) blank", ".", {(2, 2)}),
])
def test_grammar_complete(text: str, letter: str, cells: set[tuple[int, int]]) -> None:
    cmd = parse_command(text)
    assert cmd.complete, (cmd.missing, cmd.problem)
    assert cmd.ink == letter
    assert cmd.cells == cells


@pytest.mark.parametrize(("text", "missing", "asked"), [
    ("fill row 2", ("letter",), "Which letter should I put in row 2?"),
    ("put X there", ("location",), "Where should I put X?"),
    ("clear", ("location",), "Which cells should I clear?"),
    ("put X in a row, from column 1 to column 3", ("row",), "Which row should X go in?"),
    ("put X in a column", ("column",), "Which column should X go in?"),
    ("put X in row 2 and column 3", ("join",),
     "Do you mean only the cells where row 2 and column 3 meet, or all of row 2 and all of column 3?"),
    ("put X on the diagonal", ("diagonal",),
     "Which diagonal: from the top left to the bottom right, or from the top right to the bottom left?"),
    ("draw something in a row", ("letter", "row"), "Which letter should I put in a row? Which row should the "
                                                   "letter go in?"),
])
def test_grammar_incomplete(text: str, missing: tuple[str, ...], asked: str) -> None:
    cmd = parse_command(text)
    assert cmd.problem is None
    assert cmd.missing == missing
    assert cmd.cells is None or "letter" in missing
    assert question(cmd) == asked


@pytest.mark.parametrize(("text", "answer", "cells", "letter"), [
    ("fill row 2", "X", ROW[2], "X"),
    ("fill row 2", "the letter o", ROW[2], "O"),
    ("put X there", "in column 4", COL[4], "X"),
    ("put X in a row, from column 1 to column 3", "row 2", {(2, 1), (2, 2), (2, 3)}, "X"),
    ("put X in a row, from column 1 to column 3", "the fourth one", {(4, 1), (4, 2), (4, 3)}, "X"),
    ("put X in row 2 and column 3", "only the cell", {(2, 3)}, "X"),
    ("put X in row 2 and column 3", "the whole row and the whole column", ROW[2] | COL[3], "X"),
    ("put X on the diagonal", "from the top right", {(i, 6 - i) for i in range(1, 6)}, "X"),
    ("put X on the diagonal", "the main one", {(i, i) for i in range(1, 6)}, "X"),
    ("put X in row 2", "Sorry, I meant: put O in row 3.", ROW[3], "O"),  # a restatement replaces
])
def test_answers_complete_commands(text: str, answer: str, cells: set[tuple[int, int]], letter: str) -> None:
    merged = merge(parse_command(text), answer)
    assert merged.complete
    assert merged.cells == cells and merged.ink == letter


@pytest.mark.parametrize(("text", "answer"), [
    ("fill row 2", "row 3"), ("put X there", "X"), ("put X in row 2 and column 3", "yes"),
    ("put X on the diagonal", "that one"),
])
def test_non_answers_leave_commands_incomplete(text: str, answer: str) -> None:
    assert not merge(parse_command(text), answer).complete


@pytest.mark.parametrize(("text", "problem"), [
    ("hello", "neither a letter nor a place"),
    ("make it nice", "neither a letter nor a place"),
    ("put X and O in row 1", "2 letters"),
    ("clear row 2 and put X in row 3", "two things"),
    ("put X in row 2 except column 3", "'except'"),
    ("move the X to row 3", "'move'"),
    ("row 2: X.X.X", "row pattern"),
    ("put X in row 1 " * 30, "characters long"),
])
def test_grammar_problems(text: str, problem: str) -> None:
    cmd = parse_command(text)
    assert cmd.problem is not None and problem in cmd.problem


def test_places_outside_the_grid() -> None:
    assert parse_command("put X in row 7").bad == ("row 7",)
    assert parse_command("put X at (0, 3)").bad == ("(0, 3)",)
    assert parse_command("put X from (1, 1) to (2, 4)").bad == ("a straight line from (1, 1) to (2, 4)",)


def test_describe() -> None:
    assert describe(parse_command("put X in row 2, columns 1 to 3")) == "in row 2, columns 1 to 3"
    assert describe(parse_command("put X at (1, 2) and (3, 4)")) == "at (1, 2) and (3, 4)"
    assert describe(parse_command("put X on the border")) == "on the border"
