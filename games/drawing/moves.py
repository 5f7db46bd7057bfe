"""Parsing replies into moves, on the Playpen's one move grammar (``games/grammar.py``). Pure functions shared
by the live game and the scorer (which re-reads the record's move texts), so a score never disagrees with what
happened in the episode. Only this game's keywords and what their bodies mean live here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from ..grammar import body, find_move
from . import prompts
from .commands import MAX_COMMAND_CHARS, Command, parse_command
from .grid import SIZE, Grid

__all__ = ["DRAWER_KEYWORDS", "DrawerMove", "INSTRUCTOR_KEYWORDS", "InstructorMove", "parse_drawer",
           "parse_instructor"]

INSTRUCTOR_KEYWORDS = ("COMMAND", "ANSWER", "DONE")
DRAWER_KEYWORDS = ("GRID", "CLARIFY")
_ROW = re.compile(rf"[A-Z.]{{{SIZE}}}")


@dataclass(frozen=True)
class InstructorMove:
    """``command`` (with its parse), ``answer`` to the drawer's question, or ``done``."""

    kind: Literal["command", "answer", "done"]
    text: str = ""
    command: Command | None = None


@dataclass(frozen=True)
class DrawerMove:
    """``grid`` (the drawer's whole grid) or ``clarify`` (a question about the last command)."""

    kind: Literal["grid", "clarify"]
    grid: Grid = ()
    question: str = ""


def parse_instructor(text: str) -> InstructorMove:
    """One move line: ``COMMAND: <command>``, ``ANSWER: <answer>`` or ``DONE``."""
    line = find_move(text, INSTRUCTOR_KEYWORDS, fmt=prompts.INSTRUCTOR_FORMAT, bare=("DONE",))
    if line.keyword == "DONE":
        return InstructorMove("done")
    what = line.keyword
    said = body(line, what=what, limit=MAX_COMMAND_CHARS, fmt=prompts.INSTRUCTOR_FORMAT)
    if what == "ANSWER":
        return InstructorMove("answer", said)  # an answer is read against the drawer's question, by the game
    command = parse_command(said)
    if command.problem:
        raise FormatError(prompts.not_understood(said, command.problem))
    return InstructorMove("command", said, command)


def _row(line: str) -> str:
    # Cells may be spaced, boxed in "|", or in a code fence; a model may write lowercase letters.
    return re.sub(r"[\s|`]", "", line).upper()


def parse_drawer(text: str) -> DrawerMove:
    """One move line: ``CLARIFY: <question>``, or ``GRID:`` followed by the grid's 5 rows.

    A row is 5 characters, each a letter or ``.``; spaces and ``|`` between cells are ignored, lowercase
    letters count as capitals, blank lines and code fences inside the grid are skipped, and whatever follows
    the fifth row is ignored. The first row may stand on the ``GRID:`` line itself.
    """
    line = find_move(text, DRAWER_KEYWORDS, fmt=prompts.DRAWER_FORMAT)
    if line.keyword == "CLARIFY":
        return DrawerMove("clarify", question=body(line, what="question", limit=MAX_COMMAND_CHARS,
                                                   fmt=prompts.DRAWER_FORMAT))
    rows = [_row(line.body)] if line.body else []
    rows += [_row(rest) for rest in line.following if _row(rest)][: SIZE - len(rows)]
    if len(rows) < SIZE:
        raise FormatError(f"Your grid has {len(rows)} row(s); it needs {SIZE}. " + prompts.DRAWER_FORMAT)
    for n, row in enumerate(rows, 1):
        if not _ROW.fullmatch(row):
            raise FormatError(f"Row {n} of your grid, '{row[:20]}', is not {SIZE} cells each a letter A-Z "
                              "or '.'. " + prompts.DRAWER_FORMAT)
    return DrawerMove("grid", grid=tuple(rows))
