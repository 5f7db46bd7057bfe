"""Parsing replies into moves. Pure functions shared by the live game and the scorer (which re-reads the
record's move texts), so a score never disagrees with what happened in the episode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from . import prompts
from .commands import MAX_COMMAND_CHARS, Command, parse_command
from .grid import SIZE, Grid

__all__ = ["DrawerMove", "InstructorMove", "parse_drawer", "parse_instructor"]

_INSTRUCTOR_LINE = re.compile(r"^(COMMAND|ANSWER)\s*:\s*(.*)$", re.IGNORECASE)
_DONE_LINE = re.compile(r"^DONE[.!]?$", re.IGNORECASE)
_DRAWER_LINE = re.compile(r"^(GRID|CLARIFY)\s*:\s*(.*)$", re.IGNORECASE)
_ROW = re.compile(rf"[A-Z.]{{{SIZE}}}")
# Markdown a model may wrap a keyword line in ("**COMMAND:** ...", "> GRID:"), forgiven.
_WRAP = " \t*`>#"


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


def _lines(text: str) -> list[str]:
    return [line.strip(_WRAP) for line in text.splitlines()]


def parse_instructor(text: str) -> InstructorMove:
    """Exactly one line ``COMMAND: <command>``, ``ANSWER: <answer>`` or ``DONE``; other lines are ignored."""
    found: list[InstructorMove] = []
    for line in _lines(text):
        if _DONE_LINE.match(line):
            found.append(InstructorMove("done"))
        elif m := _INSTRUCTOR_LINE.match(line):
            kind: Literal["command", "answer"] = "command" if m.group(1).upper() == "COMMAND" else "answer"
            found.append(InstructorMove(kind, m.group(2).strip(_WRAP)))
    if not found:
        raise FormatError(prompts.INSTRUCTOR_FORMAT)
    if len(found) > 1:
        raise FormatError("Give one move per reply. " + prompts.INSTRUCTOR_FORMAT)
    move = found[0]
    if move.kind == "done":
        return move
    if not move.text:
        raise FormatError(f"Your {move.kind.upper()} is empty. " + prompts.INSTRUCTOR_FORMAT)
    if len(move.text) > MAX_COMMAND_CHARS:
        raise FormatError(f"Your {move.kind.upper()} is {len(move.text)} characters long; keep it under "
                          f"{MAX_COMMAND_CHARS}. " + prompts.INSTRUCTOR_FORMAT)
    if move.kind == "answer":
        return move  # an answer is read against the drawer's question, by the game
    command = parse_command(move.text)
    if command.problem:
        raise FormatError(prompts.not_understood(move.text, command.problem))
    return InstructorMove("command", move.text, command)


def _row(line: str) -> str:
    return re.sub(r"[\s|`]", "", line).upper()


def parse_drawer(text: str) -> DrawerMove:
    """The first ``CLARIFY: <question>`` line, or a ``GRID:`` line followed by the grid's 5 rows.

    A row is 5 characters, each a letter or ``.``; spaces and ``|`` between cells are ignored, lowercase
    letters count as capitals, blank lines and code fences inside the grid are skipped, and whatever follows
    the fifth row is ignored. The first row may stand on the ``GRID:`` line itself.
    """
    lines = _lines(text)
    for i, line in enumerate(lines):
        m = _DRAWER_LINE.match(line)
        if m is None:
            continue
        body = m.group(2).strip(_WRAP)
        if m.group(1).upper() == "CLARIFY":
            if not body:
                raise FormatError("Your question is empty. " + prompts.DRAWER_FORMAT)
            if len(body) > MAX_COMMAND_CHARS:
                raise FormatError(f"Your question is too long; keep it under {MAX_COMMAND_CHARS} characters. "
                                  + prompts.DRAWER_FORMAT)
            return DrawerMove("clarify", question=body)
        rows = [_row(body)] if body else []
        rows += [_row(rest) for rest in lines[i + 1:] if _row(rest)][: SIZE - len(rows)]
        if len(rows) < SIZE:
            raise FormatError(f"Your grid has {len(rows)} row(s); it needs {SIZE}. " + prompts.DRAWER_FORMAT)
        for n, row in enumerate(rows, 1):
            if not _ROW.fullmatch(row):
                raise FormatError(f"Row {n} of your grid, '{row[:20]}', is not {SIZE} cells each a letter A-Z "
                                  "or '.'. " + prompts.DRAWER_FORMAT)
        return DrawerMove("grid", grid=tuple(rows))
    raise FormatError(prompts.DRAWER_FORMAT)
