"""Every text the reference game master sends: instructions per role, relayed words, feedback, corrections.

Kept in one place so the wording can be reviewed (and versioned: a changed prompt is a changed game)
without reading the rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from .scene import Obj, describe_object, load_vocabulary, position

_ROWS = ("top", "bottom")
_COLUMNS = ("left", "middle", "right")


def _attributes() -> str:
    values = load_vocabulary().values
    return (f"a colour ({', '.join(values['colour'])}), a shape ({', '.join(values['shape'])}), "
            f"a size ({' or '.join(values['size'])}), a pattern ({', '.join(values['pattern'])}) and a place "
            "in a grid of two rows (top, bottom) and three columns (left, middle, right); several objects "
            "may share a place")


def _numbered(objects: Sequence[Obj]) -> str:
    return "\n".join(f"{i}. {describe_object(o)} ({position(o)})" for i, o in enumerate(objects, 1))


#: Columns of the speaker's scene table, in the order attributes are said ("the large red striped circle").
_TABLE_DIMS = ("size", "colour", "pattern", "shape", "row", "column")


def labels(count: int) -> list[str]:
    """The speaker's object labels: A, B, C, ... (letters, so they never read as the listener's numbers)."""
    return [chr(ord("A") + i) for i in range(count)]


def reading_order(objects: Sequence[Obj]) -> list[int]:
    """Object indices in reading order of the grid (top row first, left to right), then params order."""
    return sorted(range(len(objects)), key=lambda i: (_ROWS.index(objects[i]["row"]),
                                                      _COLUMNS.index(objects[i]["column"]), i))


def _table(objects: Sequence[Obj], target: int) -> str:
    """The speaker's view: a table of the objects' attributes in reading order, labelled A, B, ...; the
    target is named by its label only, so no line of the prompt is a ready-made description of it."""
    rows = ["| object | " + " | ".join(_TABLE_DIMS) + " |", "|---" * (len(_TABLE_DIMS) + 1) + "|"]
    order = reading_order(objects)
    for label, i in zip(labels(len(objects)), order):
        rows.append(f"| {label} | " + " | ".join(objects[i][d] for d in _TABLE_DIMS) + " |")
    return "\n".join(rows) + f"\n\nThe target is object {labels(len(objects))[order.index(target)]}."


def speaker_instructions(objects: Sequence[Obj], target: int, max_questions: int) -> str:
    return (
        "Let's play a reference game. You are the SPEAKER.\n"
        f"Below is a scene of {len(objects)} objects, one per row of the table, labelled with letters. One of "
        "them is the target. Your partner, the listener, sees the same objects, numbered in another order and "
        "without the letters or the table. Describe the target so that the listener picks it.\n"
        f"Each object has {_attributes()}.\n"
        "The listener understands only these attribute words (and a few synonyms such as big, round, spotted; "
        "'not' excludes a value). It does not understand letters, object numbers, the order of the list or "
        "relations between objects (next to, above). It keeps the objects that fit everything you have said "
        "so far. If exactly one fits, it selects it. If several fit, it asks you a question (at most "
        f"{max_questions} times); answer with another description. If none fits, you are told so and may "
        "describe again.\n"
        "Be as informative as needed and no more: the best description fits only the target and names as "
        "few attributes as that takes. Every attribute beyond the fewest that single the target out halves "
        "your score, and every round beyond the first (the listener had to ask, or nothing fitted) quarters "
        "it.\n"
        "Reply with exactly one line:\n"
        "DESCRIPTION: <your description>\n"
        "Example: if the target is the only small green object, and neither the only small one nor the only "
        "green one, a good reply is\n"
        "DESCRIPTION: the small green one\n\n"
        f"The scene:\n{_table(objects, target)}"
    )


def listener_instructions(objects: Sequence[Obj], max_questions: int) -> str:
    return (
        "Let's play a reference game. You are the LISTENER.\n"
        f"You see a scene of {len(objects)} numbered objects. The speaker knows which one is the target and "
        f"describes it. Each object has {_attributes()}.\n"
        "If exactly one object fits the description, select it. If several objects fit, ask the speaker a "
        f"question first: it will answer with more about the target. You may ask at most {max_questions} "
        "questions. Ask exactly when you need to: a question asked when only one object fitted what you "
        "had heard, or a selection while several objects still fitted (a guess, even a lucky one), earns "
        "nothing; selecting a wrong object ends the game.\n"
        "Reply with exactly one line, either\n"
        "SELECT: <number of the object>\n"
        "or\n"
        "CLARIFY: <your question>\n"
        "Example: if the speaker says \"the red circle\" and objects 2 and 5 are both red circles, one large "
        "and one small, a good reply is\n"
        "CLARIFY: The large one or the small one?\n\n"
        f"The scene:\n{_numbered(objects)}"
    )


# ------------------------------------------------------------------ relayed words
def relay_description(text: str, first: bool) -> str:
    verb = "says" if first else "answers"
    return f'The speaker {verb}: "{text}"\nReply SELECT: <number> or CLARIFY: <question>.'


def relay_question(question: str) -> str:
    return f'The listener asks: "{question}"\nAnswer with one line: DESCRIPTION: <your description>'


NOT_UNDERSTOOD = "I did not understand any colour, shape, size, pattern or position in that."


# ------------------------------------------------------------------ outcomes
def _named(obj: Obj) -> str:
    return f"{describe_object(obj)} ({position(obj)})"


def speaker_success(obj: Obj, rounds: int, named: int, fewest: int) -> str:
    """The speaker's result, with what Gricean quantity made of it: rounds, and attributes beyond the fewest."""
    head = f"The listener selected {_named(obj)}: that is the target."
    if rounds <= 1 and named <= fewest:
        return f"{head} Well described: one description naming no more attributes than needed. The game is over."
    parts = [f"it took {rounds} rounds"] if rounds > 1 else []
    if named > fewest:
        parts.append(f"you named {named} attributes where {fewest} single the target out")
    return f"{head} But {' and '.join(parts)}, which lowers your score. The game is over."


def speaker_failure(obj: Obj) -> str:
    return f"The listener selected {_named(obj)}: that is not the target. The game is over."


def listener_success(number: int, guessed: bool = False, needless: bool = False) -> str:
    if guessed:
        return (f"Object {number} is the target, but several objects still fitted what you had heard: that was "
                "a guess, and a guess earns nothing. The game is over.")
    if needless:
        return (f"Object {number} is the target, but you asked a question when only one object fitted what "
                "you had heard: that earns nothing. The game is over.")
    return f"Object {number} is the target. Correct! The game is over."


def listener_failure(number: int, target: int) -> str:
    return f"Object {number} is not the target: the speaker meant object {target}. The game is over."


# ------------------------------------------------------------------ corrections
SPEAKER_FORMAT = ('Reply with exactly one line that starts with "DESCRIPTION:", for example '
                  '"DESCRIPTION: the small green one".')
LISTENER_FORMAT = ('Reply with exactly one line: "SELECT: <number>" (for example "SELECT: 3") or '
                   '"CLARIFY: <your question>".')


def no_match(text: str, understood: str, before: Sequence[str]) -> str:
    """The listener's correction when no object fits: alone, or together with what was said before."""
    if before:
        said = "; ".join(f'"{t}"' for t in before)
        head = f'No object fits "{text}" together with what you said before ({said}).'
    else:
        head = f'No object matches "{text}".'
    return (f"{head} (I understood: {understood}.) Describe the target again so that it fits. "
            "Reply with one line: DESCRIPTION: <your description>")


def no_such_object(number: int, count: int) -> str:
    return f"There is no object {number}: select a number from 1 to {count}. " + LISTENER_FORMAT


def no_questions_left(max_questions: int) -> str:
    return (f"You have already asked {max_questions} questions, the most allowed. Select an object now: "
            "SELECT: <number>")
