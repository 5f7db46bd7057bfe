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


def _layout(objects: Sequence[Obj], target: int) -> str:
    """The speaker's view: the objects in reading order of the grid (not the listener's numbering)."""
    order = sorted(range(len(objects)), key=lambda i: (_ROWS.index(objects[i]["row"]),
                                                       _COLUMNS.index(objects[i]["column"]), i))
    lines = []
    for i in order:
        mark = "   <-- TARGET" if i == target else ""
        lines.append(f"- {position(objects[i])}: {describe_object(objects[i])}{mark}")
    return "\n".join(lines)


def speaker_instructions(objects: Sequence[Obj], target: int, max_questions: int) -> str:
    return (
        "Let's play a reference game. You are the SPEAKER.\n"
        f"Below is a scene of {len(objects)} objects. One of them is the TARGET (marked). Your partner, the "
        "listener, sees the same objects, numbered in another order and without the mark. Describe the target "
        "so that the listener picks it.\n"
        f"Each object has {_attributes()}.\n"
        "The listener understands only these attribute words (and a few synonyms such as big, round, spotted; "
        "'not' excludes a value). It does not understand object numbers, the order of the list or relations "
        "between objects (next to, above). It keeps the objects that fit everything you have said so far. "
        "If exactly one fits, it selects it. If several fit, it asks you a question (at most "
        f"{max_questions} times); answer with another description. If none fits, you are told so and may "
        "describe again.\n"
        "One description that fits only the target is best: every extra round lowers your score.\n"
        "Reply with exactly one line:\n"
        "DESCRIPTION: <your description>\n"
        "Example: if the target is the only small green object, a good reply is\n"
        "DESCRIPTION: the small green one\n\n"
        f"The scene:\n{_layout(objects, target)}"
    )


def listener_instructions(objects: Sequence[Obj], max_questions: int) -> str:
    return (
        "Let's play a reference game. You are the LISTENER.\n"
        f"You see a scene of {len(objects)} numbered objects. The speaker knows which one is the target and "
        f"describes it. Each object has {_attributes()}.\n"
        "If exactly one object fits the description, select it. If several objects fit, ask the speaker a "
        f"question first: it will answer with more about the target. You may ask at most {max_questions} "
        "questions. A question that was not needed costs a little; selecting a wrong object ends the game.\n"
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


def speaker_success(obj: Obj) -> str:
    return f"The listener selected {_named(obj)}: that is the target. Well described! The game is over."


def speaker_failure(obj: Obj) -> str:
    return f"The listener selected {_named(obj)}: that is not the target. The game is over."


def listener_success(number: int) -> str:
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
