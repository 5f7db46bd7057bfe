"""Every text the drawing game master sends: instructions per role, relayed moves, feedback, corrections.

Kept in one place so the wording can be reviewed (and versioned: a changed prompt is a changed game) without
reading the rules. The learner is a language model: the grid conventions, the exact reply format and an
example are spelled out, because it sees nothing but these messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from .grid import Grid, labelled

_CONVENTIONS = ("Rows are numbered 1 to 5 from top to bottom, columns 1 to 5 from left to right; (2, 3) means "
                "row 2, column 3. '.' is an empty cell.")

_EXAMPLES = """\
  put X in row 2                            a whole row (also: the top row, rows 1 and 5, rows 2 to 4)
  put O in column 3                         a whole column (also: the second column, the rightmost column)
  put X in row 2 from column 1 to column 3
  put X in column 4, rows 2 to 5
  put X in rows 1 and 5, columns 2 to 4     every cell where these rows and columns meet
  put B at row 3, column 4                  one cell; also: put B at (3, 4)
  put Z at (1, 2), (3, 4) and (5, 1)        several cells, each as (row, column)
  put X from (3, 1) to (1, 3)               the straight line between two cells: (3, 1), (2, 2), (1, 3)
  put X on the main diagonal                (1, 1) to (5, 5); the anti-diagonal is (1, 5) to (5, 1); \
"the main diagonal from row 2 to row 4" is part of it
  put X on the border                       every cell of the outer ring
  put X in the whole grid
  clear row 2  /  clear (3, 4)              make cells empty again"""


def instructor_instructions(target: Grid, max_commands: int) -> str:
    return (
        "Let's play a drawing game. You are the INSTRUCTOR. You see a target picture on a 5x5 grid. The "
        "drawer cannot see it: it starts with an empty grid and carries out your commands literally, one at "
        f"a time. Get the drawer's grid to match the target with as few commands as you can (at most "
        f"{max_commands}).\n"
        f"{_CONVENTIONS}\n\n"
        f"The target:\n{labelled(target)}\n\n"
        "Reply with exactly one of these lines:\n"
        "COMMAND: <one command>\n"
        "ANSWER: <your answer>      (only right after the drawer asked you a question)\n"
        "DONE                       (when the drawer's grid matches the target; this ends the game)\n\n"
        "A command writes one letter into cells (replacing what is there) or clears cells. Name the letter "
        "as a capital letter and say where. The drawer understands commands like these:\n"
        f"{_EXAMPLES}\n"
        "Use one letter per command. \"row 2, column 3\" is one cell; \"row 2 and column 3\" is unclear (the "
        "cell, or the whole row and the whole column?). If a command is unclear or leaves something out, the "
        "drawer asks (CLARIFY: ...); answer with ANSWER: <what it needs>, e.g. ANSWER: X. After each command "
        "the drawer shows you its grid.\n\n"
        "Example reply:\n"
        "COMMAND: put X in row 1 from column 1 to column 5"
    )


def drawer_instructions() -> str:
    return (
        "Let's play a drawing game. You are the DRAWER. You have a 5x5 grid that starts empty. An "
        "instructor, who sees a target picture that you cannot see, gives you commands one at a time. Carry "
        "out each command exactly as it says and change nothing else.\n"
        f"{_CONVENTIONS} A command writes one letter into cells (replacing what is there) or clears them. "
        "For example:\n"
        "  \"put X in row 2\"                          all 5 cells of row 2\n"
        "  \"put O in column 3 from row 2 to row 4\"   (2, 3), (3, 3) and (4, 3)\n"
        "  \"put X in rows 1 and 5, columns 2 to 4\"   every cell where these rows and columns meet: 6 cells\n"
        "  \"put B at (3, 4)\"                         row 3, column 4\n"
        "  \"put X from (3, 1) to (1, 3)\"             the straight line between them: (3, 1), (2, 2), (1, 3)\n"
        "  \"put X on the main diagonal\"              (1, 1), (2, 2), (3, 3), (4, 4), (5, 5); the "
        "anti-diagonal is (1, 5), (2, 4), (3, 3), (4, 2), (5, 1)\n"
        "  \"put X on the border\"                     the 16 cells of the outer ring\n"
        "  \"clear row 2\"                             row 2 becomes empty\n\n"
        "After each command, reply with your whole grid in exactly this format: the line GRID: and then 5 "
        "lines of 5 characters, each a capital letter or '.', and nothing else. For example, after \"put X in "
        "row 1\" and then \"put O at (3, 3)\":\n"
        "GRID:\nXXXXX\n.....\n..O..\n.....\n.....\n\n"
        "If a command does not say which letter, or where, or could mean two different things (such as \"row "
        "2 and column 3\": only the cell where they meet, or the whole row and the whole column?), do not "
        "guess. Ask, with one line\n"
        "CLARIFY: <your question>\n"
        "for example: CLARIFY: Which letter should I put in row 2?\n"
        "The instructor answers (ANSWER: ...), and then you reply with your grid. Ask only when you need to, "
        "and at most once per command."
    )


# ------------------------------------------------------------------------------------- format errors
INSTRUCTOR_FORMAT = ("Reply with exactly one line: COMMAND: <command>, ANSWER: <answer> (only after the drawer "
                     "asked a question), or DONE. Example:\nCOMMAND: put X in row 2")
DRAWER_FORMAT = ("Reply with your whole grid (the line GRID: and then 5 lines of 5 characters, each a capital "
                 "letter or '.'), or ask about the command with one line CLARIFY: <question>. Example:\n"
                 "GRID:\nXXXXX\n.....\n..O..\n.....\n.....")


def not_understood(command: str, problem: str) -> str:
    shown = command if len(command) <= 80 else command[:77] + "..."
    return (f"The drawer could not understand \"{shown}\": {problem}. Say it like this: put X in row 2, "
            "column 3 / put O in column 1 / put X in row 2 from column 1 to column 3 / clear row 4. "
            "Reply COMMAND: <command>.")


# --------------------------------------------------------------------------------------- rule errors
def outside(places: Sequence[str]) -> str:
    return (f"There is no {', '.join(places)} on the grid: rows and columns are numbered 1 to 5. "
            "Give the command again: COMMAND: <command>")


NO_QUESTION = ("The drawer has not asked you anything, so there is nothing to answer. Reply COMMAND: <command>, "
               "or DONE.")
ASKED_ALREADY = ("You have already asked about this command and got an answer. Carry it out and reply with "
                 "your whole grid: GRID: and then 5 lines.")


def not_an_answer(question: str) -> str:
    return (f"That does not answer the drawer's question: {question} Reply ANSWER: <what it needs>, or give a "
            "new COMMAND: <command>.")


# ------------------------------------------------------------------------------------ during the game
def relay_command(text: str) -> str:
    return f"COMMAND: {text}"


def relay_answer(text: str) -> str:
    return f"ANSWER: {text}"


def relay_question(question: str) -> str:
    return f"CLARIFY: {question}\n(The drawer asks. Reply ANSWER: <your answer>.)"


def shown_grid(grid: Grid) -> str:
    return f"The drawer's grid:\n{labelled(grid)}"


def status(differ: int, left: int) -> str:
    if differ == 0:
        return "The drawer's grid matches the target. Reply DONE to finish."
    return (f"{differ} cell{'s' if differ != 1 else ''} still differ{'s' if differ == 1 else ''} from the target; "
            f"{left} command{'s' if left != 1 else ''} left. Reply COMMAND: <command>, or DONE.")


_WHAT = {"letter": "which letter", "location": "where", "row": "which row", "column": "which column",
         "join": "whether it meant one cell or whole lines", "diagonal": "which diagonal"}


def missed_question(missing: Sequence[str]) -> str:
    what = " or ".join(_WHAT.get(m, m) for m in missing)
    return (f"You drew without asking, but that command did not say {what}. When a command leaves something "
            "out, ask first: CLARIFY: <question>. Your grid stays as you wrote it.")


def deviation(count: int) -> str:
    # How many cells, not which: the correction says that the drawer strayed from the words, and the
    # instructor, who sees the grid, repairs it with new commands. Naming the cells and their letters would
    # hand the drawer the command's meaning without its reading the command.
    return (f"Your grid does not do exactly what the command said: {count} cell{'s' if count != 1 else ''} "
            f"differ{'s' if count == 1 else ''} from carrying it out literally on your previous grid. Your grid "
            "stays as you wrote it; the instructor goes on from it.")


def result(reason: str, right: int, wanted: int, extra: int, score: float) -> str:
    stray = f"; {extra} other filled cell{'s are' if extra != 1 else ' is'} wrong" if extra else ""
    return (f"{reason} The game is over. The final grid has {right} of the {wanted} target cells right{stray}. "
            f"Agreement with the target above chance: {score:.2f} (1.00 is the target itself).")
