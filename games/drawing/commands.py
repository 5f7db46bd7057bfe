"""The drawer's command grammar: free text -> a letter and a set of cells, or what is missing.

One pure parser serves the programmatic drawer (it reads the instructor's words, nothing else), the game master
(it checks that a learner's command means something) and the teacher instructor's self-check (every phrasing
it uses parses back to the cells it meant; the tests assert this for every template).

Grammar, informally (case-insensitive; filler words such as "put", "in", "the", "please" are skipped):

* The letter: a capital letter standing alone (``X``, ``Xs``), a quoted letter (``'x'``), ``letter x``, or a
  lowercase letter standing alone other than ``a`` and ``i`` (articles and pronouns). A capital ``A``/``I``
  counts only when no other letter is named. Two different letters in one command are an error.
* Clearing: any of clear, erase, remove, delete, empty, blank(s), wipe, dot(s), or the quoted letter ``'.'``.
* Rows and columns: ``row 2``, ``rows 1 and 5``, ``rows 2 to 4`` (also "2-4", "through"), ``the second row``,
  ``the top/bottom row``, ``the left/right(most) column``, ``the middle row``, ``the first/last 2 columns``,
  ``every row``, ``col 3``, ``r2c3``. Rows alone mean whole rows, columns alone whole columns; rows and
  columns together mean the cells where they meet (``row 2, columns 1 to 3``; ``column 4 from row 2 to row 5``).
  A row or column named again starts a new part (``row 1 columns 1 to 2 and row 3 column 5`` is two parts)
  unless it continues a list (``row 1 and row 5, columns 2 to 4`` = ``rows 1 and 5, columns 2 to 4``).
* Cells: ``(2, 3)`` (row, column), ``cell 2 3``, several pairs, ``from (1, 1) to (1, 4)`` (the straight line
  between them: along a row, a column or a diagonal), corners (``the top left corner``), ``the center``; two
  bare numbers when nothing else names a place (``at 2, 3``).
* Lines and areas: ``the main diagonal`` (top left to bottom right), ``the anti-diagonal`` / ``the other
  diagonal`` / ``the diagonal from the top right to the bottom left``, ``both diagonals``; a diagonal with rows
  or columns is only that stretch of it (``the main diagonal from row 2 to row 4``); ``the border`` (the outer
  ring), ``the whole grid`` / ``every cell`` / ``everywhere``.

What makes a command *incomplete* (the drawer asks, it does not guess): no letter; no place; ``a row`` or
``the column`` without a number; ``row 2 and column 3`` (only the cell where they meet, or both whole lines?);
``the diagonal`` without saying which. What makes it *uninterpretable* (a correction): neither a letter nor a
place, two letters, two actions ("clear row 2 and put X in row 3"), a row pattern ("row 2: X.X.X"), words the
drawer cannot carry out ("except", "not", "move", "copy", ...), more than 300 characters. A place outside the grid (``row 7``) is
reported in :attr:`Command.bad` (a rule error for the game).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import product

from .grid import ALL_CELLS, BLANK, INDICES, SIZE, Cell

__all__ = ["MAX_COMMAND_CHARS", "Clause", "Command", "merge", "parse_command"]

#: Longer "commands" are not one command (and would be costly to relay in every later prompt).
MAX_COMMAND_CHARS = 300

MAIN = frozenset((i, i) for i in INDICES)
ANTI = frozenset((i, SIZE + 1 - i) for i in INDICES)
BORDER = frozenset(cell for cell in ALL_CELLS if 1 in cell or SIZE in cell)
_CORNERS = {"tl": (1, 1), "tr": (1, SIZE), "bl": (SIZE, 1), "br": (SIZE, SIZE)}
# A corner named together with a diagonal says which diagonal it is.
_CORNER_DIAG = {"tl": "main", "br": "main", "tr": "anti", "bl": "anti"}


# ----------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Clause:
    """One part of a place: rows and/or columns (``None`` = not named), optionally a diagonal."""

    rows: frozenset[int] | None = None
    cols: frozenset[int] | None = None
    rows_missing: bool = False  # "a row" without a number
    cols_missing: bool = False
    diag: str | None = None  # "main", "anti", "both", or "either" (a diagonal, but which one was not said)
    joined: bool = False  # "row 2 and column 3": the meeting cell, or both whole lines?

    def cells(self, join: str | None) -> frozenset[Cell] | None:
        """The clause's cells, or ``None`` while something is missing."""
        if self.rows_missing or self.cols_missing or self.diag == "either" or (self.joined and join is None):
            return None
        if self.diag is not None:
            line = {"main": MAIN, "anti": ANTI}.get(self.diag, MAIN | ANTI)
            return frozenset(c for c in line if (self.rows is None or c[0] in self.rows)
                             and (self.cols is None or c[1] in self.cols))
        if self.joined and join == "lines":
            return frozenset(product(self.rows or (), INDICES)) | frozenset(product(INDICES, self.cols or ()))
        if self.rows is None and self.cols is None:
            return frozenset()
        rows = INDICES if self.rows is None else self.rows
        cols = INDICES if self.cols is None else self.cols
        return frozenset(product(rows, cols))


@dataclass(frozen=True)
class Command:
    """A parsed command: what to write (``op``, ``letter``) and where (``clauses`` and ``extra`` cells)."""

    op: str  # "draw" or "clear"
    letter: str | None = None  # the capital letter to draw; None when not said (and always for "clear")
    clauses: tuple[Clause, ...] = ()
    extra: frozenset[Cell] = frozenset()  # cells named directly: pairs, corners, the border, the whole grid
    join: str | None = None  # how a joined clause was resolved: "cell" or "lines"
    loose: tuple[int, ...] = ()  # numbers said without "row" or "column" (answers use them)
    orientation: str | None = None  # a diagonal direction said anywhere (answers use it)
    bad: tuple[str, ...] = ()  # places outside the grid, e.g. "row 7"
    problem: str | None = None  # why the text is no command at all

    @property
    def has_location(self) -> bool:
        return bool(self.clauses or self.extra)

    @property
    def missing(self) -> tuple[str, ...]:
        """What the drawer must ask about, in the order it asks: letter, location, row, column, join,
        diagonal."""
        out = []
        if self.op == "draw" and self.letter is None:
            out.append("letter")
        if not self.has_location:
            out.append("location")
        if any(c.rows_missing for c in self.clauses):
            out.append("row")
        if any(c.cols_missing for c in self.clauses):
            out.append("column")
        if self.join is None and any(c.joined for c in self.clauses):
            out.append("join")
        if any(c.diag == "either" for c in self.clauses):
            out.append("diagonal")
        return tuple(out)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.problem

    @property
    def cells(self) -> frozenset[Cell] | None:
        """Every cell the command writes, or ``None`` while something is missing."""
        if not self.has_location:
            return None
        out = set(self.extra)
        for clause in self.clauses:
            cells = clause.cells(self.join)
            if cells is None:
                return None
            out |= cells
        return frozenset(out)

    @property
    def ink(self) -> str:
        """What the command writes into its cells: the letter, or ``.`` for clearing."""
        return BLANK if self.op == "clear" else (self.letter or BLANK)


# ---------------------------------------------------------------------------------------- normalising
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"))}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "last": SIZE}
_Q = "\"'\u201c\u201d\u2018\u2019`"
_QUOTED = re.compile(rf"[{_Q}]\s*([A-Za-z.])\s*[{_Q}]")
_LETTER_WORD = re.compile(r"\bletters?\s+([A-Za-z])\b")
_BARE_UPPER = re.compile(r"(?<![\w'\u2019.])([A-Z])(?:['\u2019]?s)?(?![\w'\u2019]|\.\w)")
_BARE_LOWER = re.compile(r"(?<![\w'\u2019.])([b-hj-z])(?:['\u2019]s)?(?![\w'\u2019]|\.\w)")
_RC = re.compile(r"\br\s*(\d+)\s*,?\s*c\s*(\d+)\b", re.IGNORECASE)
_UNSUPPORTED = re.compile(r"\b(except|but not|without|other than|apart from|not|don'?t|do not|unless|undo|"
                          r"move|shift|copy|mirror|rotate|swap|repeat|flip)\b")
_CLEAR_WORDS = re.compile(r"\b(clear|erase|remove|delete|empty|blank|blanks|wipe|dot|dots)\b")
# Five cells spelled out ("X.X.X", "X . X . X"): a row pattern, which the drawer does not take.
_PATTERN = re.compile(r"(?<![\w.])[A-Z.](?:[ \t]?[A-Z.]){4}(?![\w.])")
_DRAW_VERBS = re.compile(r"\b(put|write|draw|place|add|paint|mark|insert)\b")

_SIDE = r"(top|upper|bottom|lower)[\s-]*(left|right)"


def _corner(vert: str, horiz: str) -> str:
    return ("t" if vert in ("top", "upper") else "b") + horiz[0]


def _orientation_phrase(m: re.Match[str]) -> str:
    a, b = _corner(m.group(1), m.group(2)), _corner(m.group(3), m.group(4))
    kind = {frozenset({"tl", "br"}): "main", frozenset({"tr", "bl"}): "anti"}.get(frozenset({a, b}))
    return f" @{kind} " if kind else f" @{a} @{b} "


def _reorder_ordinals(m: re.Match[str]) -> str:
    # "#1 and #3 rows" -> "row 1 and 3": an ordinal names the row/column that follows it.
    return f" {m.group(2)} {m.group(1).replace('#', '')} "


def _span(start: int, count: int) -> str:
    end = min(SIZE, start + count - 1)
    return f"{start} to {end}"


# (pattern, replacement) in order; each step relies on the ones before it.
_Repl = str | Callable[[re.Match[str]], str]
_STEPS: tuple[tuple[re.Pattern[str], _Repl], ...] = tuple((re.compile(p), r) for p, r in (
    (r"\b(\d+)\s*[-\u2013\u2014]\s*(\d+)\b", r"\1 to \2"),
    (r"[(\[]\s*(\d+)\s*[,;]\s*(\d+)\s*[)\]]", r" @p\1_\2 "),
    (r"(?:#\d|\b(?:first|second|third|fourth|fifth|last))\s+one\b", lambda m: m.group(0).rsplit(" ", 1)[0]),
    (r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten)\b", lambda m: _NUMBER_WORDS[m.group(1)]),
    (r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|seventh|7th|last)\b",
     lambda m: f"#{_ORDINALS[m.group(1)]}"),
    (rf"(?:from\s+)?(?:the\s+)?{_SIDE}(?:[\s-]+(?:hand\s+)?corner)?\s+(?:down\s+|up\s+)?(?:to|towards)\s+"
     rf"(?:the\s+)?{_SIDE}(?:[\s-]+(?:hand\s+)?corner)?", _orientation_phrase),
    (rf"\b{_SIDE}(?:[\s-]+hand)?(?:\s+(?:corner|cell|square|spot|position))?",
     lambda m: f" @{_corner(m.group(1), m.group(2))} "),
    (r"\b(top|upper)\s+(?:edge|side)\b", " row 1 "),
    (r"\b(bottom|lower)\s+(?:edge|side)\b", f" row {SIZE} "),
    (r"\bleft\s+(?:edge|side)\b", " column 1 "),
    (r"\bright\s+(?:edge|side)\b", f" column {SIZE} "),
    (r"\b(?:top|upper)(?:most)?\s+(\d)\s+rows?\b", lambda m: f" row {_span(1, int(m.group(1)))} "),
    (r"\b(?:bottom|lower)(?:most)?\s+(\d)\s+rows?\b",
     lambda m: f" row {_span(max(1, SIZE + 1 - int(m.group(1))), int(m.group(1)))} "),
    (r"\bleft(?:most)?\s+(\d)\s+(?:columns?|cols?)\b", lambda m: f" column {_span(1, int(m.group(1)))} "),
    (r"\bright(?:most)?\s+(\d)\s+(?:columns?|cols?)\b",
     lambda m: f" column {_span(max(1, SIZE + 1 - int(m.group(1))), int(m.group(1)))} "),
    (r"#1\s+(\d)\s+(rows?|columns?|cols?)\b", lambda m: f" {m.group(2)} {_span(1, int(m.group(1)))} "),
    (rf"#{SIZE}\s+(\d)\s+(rows?|columns?|cols?)\b",
     lambda m: f" {m.group(2)} {_span(max(1, SIZE + 1 - int(m.group(1))), int(m.group(1)))} "),
    (r"\b(?:top|upper)(?:most)?\s+row\b", " row 1 "),
    (r"\b(?:bottom|lower)(?:most)?\s+row\b", f" row {SIZE} "),
    (r"\bleft(?:most)?(?:[\s-]+hand)?\s+(?:column|col)\b", " column 1 "),
    (r"\bright(?:most)?(?:[\s-]+hand)?\s+(?:column|col)\b", f" column {SIZE} "),
    (r"\b(?:middle|center|centre|central)\s+(rows?|columns?|cols?)\b", r" \1 3 "),
    (r"\b(?:the\s+)?(?:middle|center|centre)(?:\s+(?:cell|square))?\s+of\s+(?=(?:the\s+)?(?:rows?|col|columns?|#))",
     " @nth3 "),
    (r"\b(?:the\s+)?(?:middle|center|centre)\b(?:\s+(?:cell|square|spot|of\s+the\s+(?:grid|board)))?",
     " @center "),
    (r"\b(?:whole|entire|full|complete)\s+(?:grid|board|picture)\b", " @all "),
    (r"\b(?:of|in|on)\s+the\s+(?:grid|board)\b", " "),
    (r"\b(?:all|every)\s+(?:the\s+)?(?:cells?|squares?)\b(?!\s+(?:of|in|on|from|along|between)\b)", " @all "),
    (r"\beverywhere\b", " @all "),
    (r"\b(clear|erase|wipe|reset|empty)\s+(?:the\s+)?(?:grid|board|everything|all)\s*[.!]?\s*$", r"\1 @all"),
    (r"\b(?:borders?|frame|outline|perimeter|edges?|outer\s+ring|outside\s+ring|rim)\b", " @border "),
    (r"\banti[\s-]*diagonal\b|\bcounter[\s-]*diagonal\b|(?:\b(?:other|secondary|minor)|#2)\s+diagonal\b",
     " @diag @anti "),
    (r"(?:\b(?:main|principal|leading|major)|#1)\s+diagonal\b", " @diag @main "),
    (r"\b(?:both|two|2)\s+diagonals\b|\bdiagonals\b", " @diag @both "),
    (r"\bdiagonal(?:ly)?\b", " @diag "),
    (r"#(\d+)\s+(?:cell|square|position|spot|box|place)s?\b", r" @nth\1 "),
    (r"((?:#\d+\s*(?:,|and|or|to)?\s*)+)(rows?|columns?|cols?)\b", _reorder_ordinals),
    (r"\b(?:cols?|columns)\b", "column"),
    (r"\brows\b", "row"),
    (r"\b(?:through|thru|till|until|up\s+to)\b", " to "),
    (r"&|\bplus\b|\bas\s+well\s+as\b|\balso\b", " and "),
    (r"\b(?:all|every|each)\s+(?:of\s+the\s+|the\s+)?(row|column)\b", rf" \1 1 to {SIZE} "),
    (r"#(\d+)", r" \1 "),
    (r"\b(?:cell|square|position|spot|box)\s+(\d+)\s*[,\s]\s*(\d+)\b", r" @p\1_\2 "),
))
_TOKEN = re.compile(r"@[a-z]+\d*(?:_\d+)?|\d+|[a-z]+|[,;]")


def _normalise(text: str) -> list[str]:
    # "@" marks the parser's own tokens: a player's "@" must not forge one.
    s = _RC.sub(r" row \1 column \2 ", text.replace("@", " ")).lower()
    for pattern, repl in _STEPS:
        s = pattern.sub(repl, s)
    return _TOKEN.findall(s)


def _letters(text: str) -> set[str]:
    """The letters a command names (``.`` for a quoted dot), by the priority rules of the module docstring."""
    explicit = {m.group(1).upper() for m in _QUOTED.finditer(text)}
    explicit |= {m.group(1).upper() for m in _LETTER_WORD.finditer(text)}
    if explicit:
        return explicit
    bare = {m.group(1) for m in _BARE_UPPER.finditer(text)}
    bare |= {m.group(1).upper() for m in _BARE_LOWER.finditer(text)}
    return bare - {"A", "I"} if bare - {"A", "I"} else bare


# --------------------------------------------------------------------------------------------- scanning
@dataclass
class _Part:
    """A clause being read."""

    rows: set[int] | None = None
    cols: set[int] | None = None
    last: dict[str, int] = field(default_factory=dict)
    diag: str | None = None
    corners: list[str] = field(default_factory=list)
    nth: list[int] = field(default_factory=list)
    joined: bool = False

    def lines(self, axis: str) -> set[int] | None:
        return self.rows if axis == "row" else self.cols

    def mention(self, axis: str) -> None:
        if self.lines(axis) is None:
            if axis == "row":
                self.rows = set()
            else:
                self.cols = set()

    def add(self, axis: str, n: int, as_range: bool) -> None:
        self.mention(axis)
        target = self.lines(axis)
        assert target is not None
        last = self.last.get(axis)
        if as_range and last is not None:
            target.update(range(min(last, n), max(last, n) + 1))
        else:
            target.add(n)
        self.last[axis] = n

    @property
    def empty(self) -> bool:
        return self.rows is None and self.cols is None and self.diag is None and not self.corners

    def finish(self, extra: set[Cell]) -> Clause | None:
        rows, cols = self.rows, self.cols
        if self.nth:  # "the 2nd cell of row 3": a position along the named line
            if rows and cols is None:
                cols = set(self.nth)
            elif cols and rows is None:
                rows = set(self.nth)
        diag = self.diag
        for corner in self.corners:
            if diag is None:
                extra.add(_CORNERS[corner])
            elif diag == "either":
                diag = _CORNER_DIAG[corner]
            elif diag != _CORNER_DIAG[corner] and diag != "both":
                diag = "both"
        if rows is None and cols is None and diag is None:
            return None
        return Clause(rows=None if rows is None else frozenset(rows), cols=None if cols is None else frozenset(cols),
                      rows_missing=rows is not None and not rows, cols_missing=cols is not None and not cols,
                      diag=diag, joined=self.joined and diag is None and bool(rows) and bool(cols))


def _line_between(a: Cell, b: Cell) -> frozenset[Cell] | None:
    """The straight line from ``a`` to ``b`` along a row, a column or a diagonal; ``None`` if there is none."""
    dr, dc = b[0] - a[0], b[1] - a[1]
    if dr and dc and abs(dr) != abs(dc):
        return None
    steps = max(abs(dr), abs(dc))
    sr, sc = (dr > 0) - (dr < 0), (dc > 0) - (dc < 0)
    return frozenset((a[0] + k * sr, a[1] + k * sc) for k in range(steps + 1))


@dataclass
class _Scan:
    clauses: list[Clause] = field(default_factory=list)
    extra: set[Cell] = field(default_factory=set)
    loose: list[int] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    orientation: str | None = None
    lined: bool = False  # a "from (r, c) to (r, c)" line was drawn


def _in_grid(n: int) -> bool:
    return 1 <= n <= SIZE


def _scan(tokens: list[str]) -> _Scan:
    out = _Scan()
    part = _Part()
    axis: str | None = None
    as_range = False  # after "to": the next number of an axis closes a range
    joining = False  # after "and"/"or": a different axis here may mean "both whole lines"
    listing = False  # after "and"/"or"/",": the axis just named again continues its list ("row 1 and row 5")
    last_pair: Cell | None = None

    def close() -> None:
        nonlocal part
        clause = part.finish(out.extra)
        if clause is not None:
            out.clauses.append(clause)
        part = _Part()

    for tok in tokens:
        if tok in ("row", "column"):
            other = "column" if tok == "row" else "row"
            if part.lines(tok) is not None and not as_range and not (listing and tok == axis):
                close()  # the same axis again, not as a list ("row 1 and row 5") or a range: a new part
            elif joining and part.diag is not None:
                close()
            elif joining and part.lines(other) and part.lines(tok) is None:
                part.joined = True
            part.mention(tok)
            axis, joining, listing = tok, False, False
        elif tok.isdigit():
            n = int(tok)
            if axis is None:
                out.loose.append(n)
            elif not _in_grid(n):
                out.bad.append(f"{axis} {n}")
            else:
                part.add(axis, n, as_range)
            joining = listing = False
        elif tok == "to":
            as_range = True
        elif tok in ("and", "or"):
            as_range, joining, listing = False, True, True
        elif tok == ",":
            as_range, listing = False, True
        elif tok == ";":
            close()
            axis, as_range, joining = None, False, False
        elif tok == "@diag":
            if joining and not part.empty:
                close()
            part.diag = part.diag or "either"
            joining = False
        elif tok in ("@main", "@anti", "@both"):
            out.orientation = tok[1:]
            part.diag = tok[1:] if part.diag in (None, "either") else "both" if part.diag != tok[1:] else part.diag
        elif tok.startswith("@p"):
            r, c = (int(x) for x in tok[2:].split("_"))
            if not (_in_grid(r) and _in_grid(c)):
                out.bad.append(f"({r}, {c})")
                last_pair = None
                continue
            if as_range and last_pair is not None:
                line = _line_between(last_pair, (r, c))
                if line is None:
                    out.bad.append(f"a straight line from {last_pair} to {(r, c)}")
                else:
                    out.extra |= line
                    out.lined = True
                as_range = False
            else:
                out.extra.add((r, c))
            last_pair = (r, c)
        elif tok[1:] in _CORNERS:
            part.corners.append(tok[1:])
            out.orientation = out.orientation or _CORNER_DIAG[tok[1:]]
        elif tok == "@center":
            out.extra.add((3, 3))
        elif tok == "@all":
            out.extra |= ALL_CELLS
        elif tok == "@border":
            out.extra |= BORDER
        elif tok.startswith("@nth"):
            n = int(tok[4:])
            if _in_grid(n):
                part.nth.append(n)
            else:
                out.bad.append(f"position {n}")
    close()
    if out.lined:  # "the diagonal from (2, 2) to (4, 4)": the line itself says which diagonal
        out.clauses = [c for c in out.clauses if not (c.diag == "either" and c.rows is None and c.cols is None)]
    return out


# ---------------------------------------------------------------------------------------------- parsing
def parse_command(text: str) -> Command:
    """Read one command. Never raises: a text that is no command comes back with ``problem`` set."""
    text = text.strip()
    if len(text) > MAX_COMMAND_CHARS:
        return Command("draw", problem=f"it is {len(text)} characters long; give one short command "
                                       f"(at most {MAX_COMMAND_CHARS} characters)")
    lower = text.lower()
    unsupported = _UNSUPPORTED.search(lower)
    if unsupported:
        return Command("draw", problem=f"I cannot carry out '{unsupported.group(1)}': I can only put one letter "
                                       "into the cells you name, or clear them")
    if _PATTERN.search(text):
        return Command("draw", problem="a row pattern such as 'X.X.X' is not a command; name one letter and "
                                       "the cells it goes into")
    letters = _letters(_RC.sub(" ", text))
    clear = BLANK in letters or bool(_CLEAR_WORDS.search(lower))
    letters.discard(BLANK)
    if clear and letters and _DRAW_VERBS.search(lower):
        return Command("clear", problem="it asks for two things; give one command at a time, either putting "
                                        "one letter somewhere or clearing cells")
    if len(letters) > 1 and not clear:
        return Command("draw", problem=f"it names {len(letters)} letters ({', '.join(sorted(letters))}); "
                                       "use one letter per command")
    scan = _scan(_normalise(text))
    extra = set(scan.extra)
    if not scan.clauses and not extra and len(scan.loose) == 2:
        r, c = scan.loose
        if _in_grid(r) and _in_grid(c):
            extra.add((r, c))
        else:
            scan.bad.append(f"({r}, {c})")
    letter = None if clear else next(iter(letters), None)
    cmd = Command("clear" if clear else "draw", letter, tuple(scan.clauses), frozenset(extra),
                  loose=tuple(scan.loose), orientation=scan.orientation, bad=tuple(scan.bad))
    if not clear and letter is None and not cmd.has_location and not scan.bad:
        return replace(cmd, problem="it names neither a letter nor a place")
    return cmd


_CELL_WORDS = re.compile(r"\b(only|just|single|intersection|meet|meets|cross|crosses|crossing|one cell|"
                         r"the cell|that cell)\b")
_LINE_WORDS = re.compile(r"\b(all|whole|entire|full|both|lines|union|every)\b")
_MAIN_WORDS = re.compile(r"\b(main|principal|leading|major)\b")
_ANTI_WORDS = re.compile(r"\b(anti|other|second|secondary|minor)\b")


def _join_choice(text: str) -> str | None:
    cell, lines = bool(_CELL_WORDS.search(text)), bool(_LINE_WORDS.search(text))
    return "cell" if cell and not lines else "lines" if lines and not cell else None


def _orientation_choice(answer: Command, text: str) -> str | None:
    if answer.orientation:
        return answer.orientation
    main, anti = bool(_MAIN_WORDS.search(text)), bool(_ANTI_WORDS.search(text))
    return "main" if main and not anti else "anti" if anti and not main else None


def _numbers(answer: Command, axis: str) -> frozenset[int]:
    found: set[int] = set()
    for clause in answer.clauses:
        found |= (clause.rows if axis == "row" else clause.cols) or set()
    return frozenset(found)


def merge(cmd: Command, answer_text: str) -> Command:
    """``cmd`` completed by an answer to the drawer's question (or restated by it).

    The answer's letter replaces the letter; a missing row/column number is filled from the answer's rows /
    columns (or its bare numbers when only one of them is missing); otherwise a complete place in the answer
    replaces the place; "only the cell" / "the whole lines" resolves a joined clause; a direction resolves a diagonal.
    """
    ans = parse_command(answer_text)
    lower = answer_text.lower()
    letter = cmd.letter
    if cmd.op == "draw" and ans.letter is not None:
        letter = ans.letter
    clauses, extra, missing = cmd.clauses, cmd.extra, cmd.missing
    axes = [a for a in ("row", "column") if a in missing]
    if axes:
        filled = []
        for clause in clauses:
            rows, cols = _numbers(ans, "row"), _numbers(ans, "column")
            loose = frozenset(n for n in ans.loose if _in_grid(n)) if len(axes) == 1 else frozenset()
            if clause.rows_missing and (rows or (loose and axes == ["row"])):
                clause = replace(clause, rows=rows or loose, rows_missing=False)
            if clause.cols_missing and (cols or (loose and axes == ["column"])):
                clause = replace(clause, cols=cols or loose, cols_missing=False)
            filled.append(clause)
        clauses = tuple(filled)
    elif ans.has_location and ans.cells is not None and not {"join", "diagonal"} & set(missing):
        # a whole new place replaces the old one; a partial one is no answer, and a question about a
        # joined clause or a diagonal is answered by a choice ("only the cell", "from the top right")
        clauses, extra = ans.clauses, ans.extra
    join = cmd.join
    if "join" in missing:
        join = _join_choice(lower)
    if "diagonal" in missing:
        choice = _orientation_choice(ans, lower)
        if choice:
            clauses = tuple(replace(c, diag=choice) if c.diag == "either" else c for c in clauses)
    return Command(cmd.op, letter, clauses, extra, join=join, bad=ans.bad)
