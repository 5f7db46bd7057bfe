"""Drawing: the game card (:class:`Drawing`), the instance generator, the scorer and the episode state machine."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, ClassVar

from ..episode import Episode, FormatError, RuleError
from ..game import Game
from ..records import EpisodeRecord
from . import planner, prompts, shapes
from .commands import Command, merge, parse_command
from .grid import (
    BLANK,
    EMPTY,
    Grid,
    agreement,
    cell_accuracy,
    cell_kappa,
    cell_score,
    differing,
    is_grid,
    paint,
)
from .moves import (
    DRAWER_KEYWORDS,
    INSTRUCTOR_KEYWORDS,
    DrawerMove,
    InstructorMove,
    parse_drawer,
    parse_instructor,
)
from .wording import question

if TYPE_CHECKING:
    from ..policies import CheapPolicy

__all__ = ["Drawing", "DrawingEpisode"]

#: Commands per episode (answers to the drawer's questions do not count).
MAX_COMMANDS = 20
#: Chance that the teacher instructor leaves something out of a command on purpose (hard, learner drawer) ...
P_INCOMPLETE = 0.4
#: ... and the most times it does so in one episode, so that most commands still come whole.
MAX_OMISSIONS = 3
#: Shaping: the instructor's command needed a question; the drawer asked when it had to (+) or needlessly (-);
#: the drawer drew without asking when it had to (-); the instructor ended with the right (+) or wrong (-) grid.
INCOMPLETE_PENALTY = -0.05
CLARIFY_BONUS = 0.1
MISSED_PENALTY = -0.1
DONE_BONUS = 0.2
#: How often the random player asks (drawer) or stops (instructor) instead of drawing or commanding.
RANDOM_CLARIFY = 0.2
RANDOM_DONE = 0.05
_RANDOM_QUESTIONS = ("Which letter?", "Where should it go?", "Which row?", "Which column?", "Which diagonal?",
                     "Do you mean only the cell, or the whole lines?")
_RANDOM_CHOICES = ("only the cell", "the whole row and the whole column", "the main one", "from the top right")


class Drawing(Game):
    """Drawing: an instructor who sees a 5x5 letter picture talks a drawer into copying it, command by command.

    Roles
        ``instructor`` and ``drawer``; the learner may play either, the programmatic teacher plays the other.

    Experiments
        ``easy``: one letter in 1-4 whole rows/columns. ``medium``: one letter in a hand-drawn figure
        (``shapes.json``: 84 figures, e.g. letters and digits drawn with cells, a heart, a boat, stairs), turned,
        mirrored or shifted (457 distinct forms), which needs stretches of rows and columns, diagonals and single
        cells. ``hard``: a figure plus 3-5 scattered cells of a second letter and, half of the time, 1-2 cells
        of a third; with a learner drawer, the teacher instructor leaves something out of a command on purpose
        (chance 0.4 per command, at most 3 times per episode).

    Instances
        ``params = {"target": [5 strings of 5 chars], "family": "lines"|"figures", "shape": str,
        "letter": the shape's letter, "letters": [the letters in the target], "max_commands": 20,
        "p_incomplete": 0.0 or 0.4}``. A picture is a shape (a line union, or a figure form: ``name~t<k>``
        turned/mirrored, ``+<down>,<right>`` shifted) painted with a letter from B-Z without I (a capital A or I
        standing alone reads as a word). Each picture belongs to one split by a hash of its family of forms
        (the least of its 8 turns and mirror images) and its letter (``split_of``): no test picture, nor a
        turn or mirror image of one, is a training picture. Pictures are drawn with the instance rng, so another
        instance seed draws another test set (the test pools hold about 1,560 line and 1,590 figure pictures;
        two seeds share on average 0.6 of their 60 test pictures); hard instances add the scattered cells with
        the same rng. The instance key is the target: no picture twice in a split. Test: 20 per experiment.

    Action format (the Playpen's move grammar: one move line, keywords case-insensitive, chatter and markdown
    around it ignored)
        instructor: ``COMMAND: <command>``, ``ANSWER: <answer>`` (only after the drawer's question) or ``DONE``
        alone on its line. Commands are free text in the grammar of ``commands.py``: a letter (a capital
        letter, or quoted) and a place: rows, columns and where they meet (``put X in row 2 from column 1 to
        column 3``, ``fill the second column with O``, ``put X in rows 1 and 5, columns 2 to 4``), cells
        (``put B at row 3 col 4``, ``put Z at (1, 2) and (5, 1)``), a straight line (``from (3, 1) to (1,
        3)``), ``the main diagonal`` / ``the anti-diagonal`` (or a stretch: ``from row 2 to row 4``), ``the
        border``, ``the whole grid``, corners, ``the center``; ordinal and number words are understood;
        ``clear``/``erase``/``remove`` empties cells.
        drawer: ``GRID:`` then 5 lines of 5 characters, each a letter or ``.`` (spaces between cells
        allowed), e.g. ``GRID:\\nXXXXX\\n.....\\n..O..\\n.....\\n.....``; or ``CLARIFY: <question>``.

    Flow
        instructor command -> the drawer carries it out and shows its grid (or asks first if the command is
        incomplete) -> the instructor's next command ... until DONE or 20 commands. A question goes to the
        instructor, whose ANSWER completes the command (a new COMMAND instead drops it).

    Feedback kinds
        ``instruction``: the rules (the instructor's include the target); commands and answers relayed to
        the drawer. ``observation``: the drawer's grid shown to the instructor after each executed command.
        ``clarification``: the drawer's question relayed to the instructor. ``correction``: a format error (no
        move line; an uninterpretable command: "The drawer could not understand ...: it names neither a
        letter nor a place"; two letters or two actions in one command; unsupported words such as "except";
        a bad grid) or a rule error (a place outside the grid, ANSWER with no open question or one that does
        not supply what was asked, a second CLARIFY after the answer) - each with a chance to repair; and, for
        the drawer, a grid that does not carry out the command literally ("... 2 cells differ from carrying it
        out literally ...": how many, not which) or that was drawn without asking when the command was
        incomplete ("... did not say which letter ...") - that grid stands, and the instructor goes on from
        it. ``environment``: after each grid the instructor hears how many cells still differ and how many
        commands are left; at the end both hear the result.

    Incomplete commands (the drawer asks exactly then; otherwise it carries the command out)
        no letter ("fill row 2"); no place ("put X there"); a row or column without a number ("put X in a row,
        from column 1 to column 3"); ``row 2 and column 3`` (only the meeting cell, or both whole lines?);
        ``the diagonal`` without saying which. The teacher drawer's questions: "Which letter should I put in
        row 2?", "Where should I put X?", "Which row should X go in?", "Do you mean only the cells where row 2
        and column 3 meet, or all of row 2 and all of column 3?", "Which diagonal: ...?". A question buys
        only what its command left out: the answer to a question about a complete command restates the
        command word for word.

    Teacher
        drawer: reads only the command and answer texts it was given, with the same parser; asks exactly when
        the command is incomplete, else applies it literally to its own grid. instructor: sees the target and
        the grid the drawer showed; each turn it answers an open question (supplying what it left out, or
        restating the command), or says DONE when the grids match, or gives the greedy command that fixes the
        most differing cells without spoiling any (``planner.py``: whole grid, rows, columns, stretches,
        blocks, diagonals, short diagonal strokes, the border, else up to 3 cells), phrased with a template
        chosen by the episode rng.
        Both play the learner's role as the reference player (main 100 on the test split).

    Random player (the chance floor)
        drawer: asks now and then (while it may), else writes a letter it has heard (or clears) into a random
        place any command can name, on its own grid. instructor: a random command in the teacher's words (a
        letter of the target, or clearing, in a random place), DONE now and then, a random answer when asked.
        Both score about 5-7.

    Episode end
        ``success`` when the game ends (DONE, or the 20th command carried out) with the drawer's grid equal to
        the target; ``lose`` otherwise, also at 100 moves; ``aborted`` after the third invalid move in a row of
        one kind (format or rule).

    Rewards (every learner move; "agreement" is the main score's measure below, 0-1)
        instructor: a command: the change in agreement its literal execution brings (-0.05 instead if it needs
        a question); an answer: the change in agreement of the completed command; DONE: +0.2 with the grid
        right, -0.2 otherwise. drawer: a grid: the change in agreement (-0.1 more if the command was
        incomplete); a question: +0.1 if the command was incomplete, -0.1 if not. Format error -1, rule
        error -0.5.

    Scores (recomputed from the record: the params' target, the drawer's grid texts, the moves' notes)
        ``main`` = 100 x agreement of the final grid with the target: Cohen's kappa over the 25 cells (labels:
        blank and each letter), ``(p_o - p_e) / (1 - p_e)`` with ``p_o`` the share of cells right and ``p_e``
        the share a grid with the same mix of labels would get right by chance, counted as 0 below chance.
        Filling every cell with the target's letter, leaving the grid empty, or any grid drawn without regard
        to the target scores about 0; only the target scores 100. ``cell_kappa`` (signed), ``cell_accuracy``,
        ``cell_f1`` with ``cell_precision`` (filled cells holding the target's letter / filled cells) and
        ``cell_recall`` (target cells holding their letter / target cells); ``exact`` (0/1); ``commands`` (the
        instructor's commands); ``clarifications`` (the drawer's questions); ``missed_clarifications`` (grids
        drawn for incomplete commands before asking); ``unneeded_clarifications`` (questions about complete
        commands); ``deviations`` (grids that do not carry out a complete command literally).

    Cheap policies and honest programs (``attacks.py``; the rendered card lists every score)
        No degenerate policy reaches 15 (mean main, 10 test instances per experiment): the instructor filling
        every cell with the target's letter scores 0 (v1: 59.9), the drawer filling every cell with the letter
        it hears 0 (v1: 52.4), copying the corrections 0 (v1: 100), the letter on the border whatever the
        command 11.5, the letter on the fixed shape that fits the train split's pictures best 9.8, asking for
        the cells of every command first 10 (the answer restates the command), the instructor's letter on
        the border and the middle lines whatever the picture 10, its rows smuggled in as patterns 14 (the
        drawer takes no row pattern). Honest programs: ``cell_lister`` (an instructor listing each letter's
        cells as (row, column) pairs) 100, so the instructor role needs coordinates rather than rich
        language; ``first_cells`` (an instructor naming the first 6 target cells, then DONE) 51: agreement
        pays a part of the picture in proportion to the part; ``coordinates_only`` (a drawer reading only
        pairs and row/column numbers) 69; ``digit_pairs`` (a drawer reading only the digits, two by two, as
        cells) 29, mostly on the hard level's lists of scattered cells, whose digits are pairs.

    Notes for CLU2 (``Episode.note``, on valid moves)
        ``act``: instructor ``instruct`` / ``answer`` / ``done``; drawer ``draw`` / ``clarify``.
        ``ambiguous`` (drawer, on each grid or question while it may still ask about the command in force, i.e.
        not after the answer): the command is incomplete by the grammar (no letter, no place, a row or column
        without its number, ``row 2 and column 3``, ``the diagonal``), i.e. asking was the right move; every
        complete command has exactly one literal reading, so asking about it is unneeded. The instructor
        cannot ask and gets no ``ambiguous``.
        ``repaired`` (instructor, on its first valid move after the drawer's question about an incomplete
        command, which names what the command left out): ``True`` for the ANSWER (it is accepted only if it
        supplies what was asked), ``False`` for a new COMMAND or DONE that leaves the gap unfilled. The drawer
        gets none: it has no turn to redo a grid (the instructor repairs a deviation with new commands).
        ``consistent``: drawer, on each grid after a complete (or completed) command: the grid is its previous
        grid with exactly that command carried out (it keeps what it drew before and does what was said);
        instructor, on DONE: the grid it was shown matches the target (it was shown the grid and told how
        many cells differ).

    Version history
        v1: first version.
        v2: (1) ``main`` is chance-corrected cell agreement (kappa) instead of cell F1, and the rewards follow
        it. F1 paid partial credit for doing nothing: one command filling the whole grid with the target's
        letter earned the instructor 59.9, and a drawer filling every cell with the letter it heard 52.4, with
        no success; agreement beyond what the mix of labels gives by chance is what copying a picture means.
        (2) The drawer's correction after a grid that strays from the command says how many cells differ, not
        which cells should hold which letter: v1 spelled out up to 3 cells per correction, and a drawer that
        never read a command but copied them scored 100 (the game master did the listening for it). (3) One
        move grammar (``games/grammar.py``) for both roles. (4) A random player of legal moves (the chance
        floor). (5) Pictures drawn with the instance rng from pools split by family of forms; figures in every
        turn, mirror image and shift (42 new figures; 6 that were turns of others dropped), line shapes of up
        to 4 lines; the instance key is the target. (6) ``ambiguous`` is left out once the drawer may no
        longer ask; ``repaired`` and ``consistent`` notes for the instructor.
    """

    name = "drawing"
    version = 2
    roles = ("instructor", "drawer")
    learner_roles = ("instructor", "drawer")
    experiments = ("easy", "medium", "hard")
    max_moves: ClassVar[int] = 100
    split_sizes: ClassVar[dict[str, int]] = {"train": 100, "validation": 20, "test": 20}
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"instructor": INSTRUCTOR_KEYWORDS,
                                                            "drawer": DRAWER_KEYWORDS}
    bare_keywords: ClassVar[tuple[str, ...]] = ("DONE",)
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "cell_kappa": (-1.0, 1.0), "cell_accuracy": (0.0, 1.0), "cell_f1": (0.0, 1.0),
        "cell_precision": (0.0, 1.0), "cell_recall": (0.0, 1.0), "exact": (0.0, 1.0),
        "commands": (0.0, float(MAX_COMMANDS)), "clarifications": (0.0, float(max_moves)),
        "missed_clarifications": (0.0, float(max_moves)), "unneeded_clarifications": (0.0, float(max_moves)),
        "deviations": (0.0, float(max_moves)),
    }

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        family = "lines" if experiment == "easy" else "figures"
        # Drawn with the instance rng: another instance seed draws other pictures (a private test set).
        key = rng.choice(shapes.pool(family, split))
        shape, letter = key.split("/")
        target, letters = shapes.picture(family, key), [letter]
        if experiment == "hard":
            target, letters = shapes.scatter(target, rng, letters)
        return {"target": list(target), "family": family, "shape": shape, "letter": letter, "letters": letters,
                "max_commands": MAX_COMMANDS, "p_incomplete": P_INCOMPLETE if experiment == "hard" else 0.0}

    def instance_key(self, params: dict[str, Any]) -> str:
        # The picture is the item: the same target is the same task, whichever shape name drew it.
        return "/".join(params.get("target", ()))

    def episode_class(self) -> type[Episode]:
        return DrawingEpisode

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        from .attacks import drawer_policies, instructor_policies

        return drawer_policies() if role == "drawer" else instructor_policies()

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        raw = record.instance.get("params", {}).get("target")
        target: Grid = tuple(raw) if is_grid(raw) else EMPTY
        grid = EMPTY
        commands = clarifications = missed = unneeded = deviations = 0
        for t in record.turns:
            parse = t.parse or {}
            if t.kind != "move" or not parse.get("ok"):
                continue
            if t.speaker == "instructor":
                commands += parse.get("act") == "instruct"
                continue
            try:
                move = parse_drawer(t.text)
            except FormatError:  # cannot happen for a move accepted live; a hand-edited record is no crash
                continue
            if move.kind == "grid":
                grid = move.grid
                missed += parse.get("ambiguous") is True
                deviations += parse.get("consistent") is False
            else:
                clarifications += 1
                unneeded += parse.get("ambiguous") is False
        score = cell_score(grid, target)
        return {"main": 100.0 * agreement(grid, target), "cell_kappa": round(cell_kappa(grid, target), 6),
                "cell_accuracy": cell_accuracy(grid, target), "cell_f1": score.f1,
                "cell_precision": score.precision, "cell_recall": score.recall, "exact": float(grid == target),
                "commands": float(commands), "clarifications": float(clarifications),
                "missed_clarifications": float(missed), "unneeded_clarifications": float(unneeded),
                "deviations": float(deviations)}


class DrawingEpisode(Episode):
    """One drawing episode. State: the drawer's grid as last shown, the command in force, an open question."""

    game: Drawing

    def start(self) -> None:
        p = self.params
        self.target: Grid = tuple(p["target"])
        if not is_grid(self.target):
            raise ValueError(f"drawing: malformed target {p['target']!r}")
        self.max_commands = int(p.get("max_commands", MAX_COMMANDS))
        self.p_incomplete = float(p.get("p_incomplete", 0.0))
        self.grid: Grid = EMPTY  # the drawer's grid, as it last showed it
        self.commands = 0
        self.current: Command | None = None  # the instructor's command in force, completed by answers
        self.open_question: str | None = None  # the drawer's question, until the instructor replies
        self.answered = False  # the instructor answered a question about the current command
        # The teacher instructor's memory: its answer to a question about its last command; omissions so far.
        self.teacher_answer = ""
        self.omissions = 0
        # What the drawer has been told about the current command: the command text, then any answer. The
        # teacher drawer reads only this (and its own grid).
        self.heard: list[str] = []
        # The letters the drawer has been told so far (the random drawer draws with these).
        self.letters_heard: list[str] = []
        self.tell("instructor", prompts.instructor_instructions(self.target, self.max_commands), "instruction")
        self.tell("drawer", prompts.drawer_instructions(), "instruction")
        self.expect("instructor")

    # ---------------------------------------------------------------- moves
    def parse(self, role: str, text: str) -> InstructorMove | DrawerMove:
        return parse_instructor(text) if role == "instructor" else parse_drawer(text)

    def apply(self, role: str, move: Any) -> float:
        if isinstance(move, InstructorMove):
            if move.kind == "done":
                return self._done()
            if move.kind == "answer":
                return self._answer(move.text)
            assert move.command is not None
            return self._command(move.text, move.command)
        if move.kind == "clarify":
            return self._clarify(move.question)
        return self._draw(move.grid)

    def _gain(self, cmd: Command) -> float:
        """The change in the main score's agreement that carrying out ``cmd`` literally would bring."""
        after = paint(self.grid, cmd.cells or frozenset(), cmd.ink)
        return round(agreement(after, self.target) - agreement(self.grid, self.target), 4)

    def _gap_asked(self) -> bool:
        """Whether the drawer's open question is about a command that left something out."""
        return self.open_question is not None and self.current is not None and not self.current.complete

    def _hear(self, cmd: Command) -> None:
        if cmd.letter and cmd.letter not in self.letters_heard:
            self.letters_heard.append(cmd.letter)

    def _command(self, text: str, cmd: Command) -> float:
        if cmd.bad:
            raise RuleError(prompts.outside(cmd.bad))
        # A new command while the drawer's question about a gap is open leaves the gap unfilled.
        abandoned = self._gap_asked()
        self.commands += 1
        self.current, self.open_question, self.answered = cmd, None, False
        self.heard = [text]
        self._hear(cmd)
        self.note(act="instruct", complete=cmd.complete, missing=list(cmd.missing),
                  **({"repaired": False} if abandoned else {}))
        self.tell("drawer", prompts.relay_command(text), "instruction", speaker="instructor")
        self.expect("drawer")
        return self._gain(cmd) if cmd.complete else INCOMPLETE_PENALTY

    def _answer(self, text: str) -> float:
        if self.open_question is None or self.current is None:
            raise RuleError(prompts.NO_QUESTION)
        merged = merge(self.current, text)
        if merged.bad:
            raise RuleError(prompts.outside(merged.bad))
        if not merged.complete:
            raise RuleError(prompts.not_an_answer(self.open_question))
        # A question about an incomplete command names what is missing; an accepted answer supplies exactly
        # that (else it is a rule error). A question about a complete command names no gap: nothing to repair.
        gap = not self.current.complete
        self.current, self.open_question, self.answered = merged, None, True
        self.heard.append(text)
        self._hear(merged)
        self.note(act="answer", **({"repaired": True} if gap else {}))
        self.tell("drawer", prompts.relay_answer(text), "instruction", speaker="instructor")
        self.expect("drawer")
        return self._gain(merged)

    def _done(self) -> float:
        right = self.grid == self.target
        # The instructor was shown the drawer's grid: DONE claims it matches the target.
        self.note(act="done", consistent=right, **({"repaired": False} if self._gap_asked() else {}))
        self._end("The instructor said DONE.")
        return DONE_BONUS if right else -DONE_BONUS

    def _clarify(self, text: str) -> float:
        assert self.current is not None  # the drawer only moves after a command
        if self.answered:
            raise RuleError(prompts.ASKED_ALREADY)
        needed = not self.current.complete
        self.open_question = text
        self.note(act="clarify", ambiguous=needed)
        self.tell("instructor", prompts.relay_question(text), "clarification", speaker="drawer")
        self.expect("instructor")
        return CLARIFY_BONUS if needed else -CLARIFY_BONUS

    def _draw(self, grid: Grid) -> float:
        cmd = self.current
        assert cmd is not None  # the drawer only moves after a command
        needed = not cmd.complete
        before = agreement(self.grid, self.target)
        literal = None if needed else paint(self.grid, cmd.cells or (), cmd.ink)
        self.grid = grid
        reward = round(agreement(grid, self.target) - before + (MISSED_PENALTY if needed else 0.0), 4)
        # Asking was a possible move only until the question about this command was answered.
        could_ask = {} if self.answered else {"ambiguous": needed}
        if literal is None:
            self.note(act="draw", **could_ask)
        else:
            self.note(act="draw", consistent=grid == literal, **could_ask)
        self.tell("instructor", prompts.shown_grid(grid), "observation", speaker="drawer")
        if needed:
            self.tell("drawer", prompts.missed_question(cmd.missing), "correction")
        elif literal != grid:
            assert literal is not None
            self.tell("drawer", prompts.deviation(len(differing(grid, literal))), "correction")
        if self.commands >= self.max_commands:
            self._end(f"That was the last of the {self.max_commands} commands.")
        else:
            self.tell("instructor", prompts.status(len(differing(grid, self.target)),
                                                  self.max_commands - self.commands), "environment")
            self.expect("instructor")
        return reward

    def _end(self, reason: str) -> None:
        score = cell_score(self.grid, self.target)
        kappa = agreement(self.grid, self.target)
        text = prompts.result(reason, score.right, score.wanted, score.drawn - score.right, kappa)
        for role in self.game.roles:
            self.tell(role, text, "environment")
        exact = self.grid == self.target
        self.finish("success" if exact else "lose", f"{reason} cell agreement {kappa:.2f}")

    # -------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        return self._instructor_move() if role == "instructor" else self._drawer_move()

    def _instructor_move(self) -> str:
        if self.open_question is not None:
            return prompts.relay_answer(self.teacher_answer)
        step = planner.next_step(self.grid, self.target)
        if step is None:
            return "DONE"
        omit = None
        if (self.learner_role == "drawer" and self.omissions < MAX_OMISSIONS and self.p_incomplete > 0
                and planner.omissions(step) and self.rng.random() < self.p_incomplete):
            omit = self.rng.choice(planner.omissions(step))
            self.omissions += 1
        text, self.teacher_answer = planner.phrase(step, self.rng, omit)
        return prompts.relay_command(text)

    def _drawer_move(self) -> str:
        if not self.heard:  # cannot happen: the drawer moves only after a command
            return "GRID:\n" + "\n".join(self.grid)
        cmd = parse_command(self.heard[0])
        for answer in self.heard[1:]:
            cmd = merge(cmd, answer)
        if not cmd.complete and len(self.heard) == 1:
            return f"CLARIFY: {question(cmd)}"
        grid = paint(self.grid, cmd.cells or (), cmd.ink) if cmd.complete else self.grid
        return "GRID:\n" + "\n".join(grid)

    # -------------------------------------------------------------- random player
    def random_move(self, role: str, rng: random.Random) -> str:
        """A random legal move, blind to where the target's cells are. Drawer: a question (while it may still ask), else its
        grid with one random place (any the commands can name) written with a letter it has heard, or
        cleared. Instructor: an answer when asked, else DONE now and then, else a random command in the
        teacher's own words: a letter of the target (or clearing) in a random place."""
        if role == "drawer":
            if not self.answered and rng.random() < RANDOM_CLARIFY:
                return "CLARIFY: " + rng.choice(_RANDOM_QUESTIONS)
            area = rng.choice(planner.AREAS)[0]
            ink = rng.choice([BLANK, *(self.letters_heard or ["X"])])
            return "GRID:\n" + "\n".join(paint(self.grid, area.cell_set(), ink))
        letters = sorted({ch for row in self.target for ch in row} - {BLANK})
        if self.open_question is not None:
            area = rng.choice(planner.AREAS)[0]
            return "ANSWER: " + rng.choice([*letters, *_RANDOM_CHOICES, rng.choice(planner.wheres(area))])
        if rng.random() < RANDOM_DONE:
            return "DONE"
        step = planner.Step(rng.choice([*letters, BLANK]), rng.choice(planner.AREAS)[0])
        return prompts.relay_command(planner.phrase(step, rng)[0])
