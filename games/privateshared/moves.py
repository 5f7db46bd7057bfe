"""Parsing replies into moves, and checking a submitted form against the instance's form.

The move grammar is the Playpen's one (``games/grammar.py``): exactly one move line per reply, chatter around it
ignored, Markdown decoration forgiven. This module keeps only the game's keywords and what their bodies mean.
customer: ``ANSWER: <text>`` or ``PROBE: yes|no``. agent: ``QUESTION: <text>``, ``FORM: slot=value; ...`` or
``PROBE: yes|no``. A ``FORM`` is the rest of its line and the following lines up to the first one without
``=``, entries separated by ``;`` or new lines. Anything else is a :class:`FormatError`. Whether a move is
allowed *now* (a probe is pending, questions are left, the form's fields and options) is a rule, checked by
the episode (:func:`read_form`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..episode import FormatError, RuleError
from ..grammar import MoveLine, body, find_move, strip_wrapping
from . import prompts
from .scenarios import Form, normalise

__all__ = ["AGENT_KEYWORDS", "CUSTOMER_KEYWORDS", "UNKNOWN", "Answer", "FormMove", "Move", "Probe", "Question",
           "parse_agent", "parse_customer", "read_form"]

CUSTOMER_KEYWORDS = ("ANSWER", "PROBE")
AGENT_KEYWORDS = ("QUESTION", "FORM", "PROBE")
MAX_ANSWER_CHARS = 500
MAX_QUESTION_CHARS = 300
MAX_FORM_ENTRIES = 20
#: The value an agent writes for a field it could not find out; it never counts as correct.
UNKNOWN = "unknown"

_YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class Answer:
    text: str


@dataclass(frozen=True)
class Probe:
    yes: bool


@dataclass(frozen=True)
class Question:
    text: str


@dataclass(frozen=True)
class FormMove:
    entries: tuple[tuple[str, str], ...]


Move = Answer | Probe | Question | FormMove


def _probe(line: MoveLine, fmt: str) -> Probe:
    word = strip_wrapping(body(line, what="probe answer", limit=20, fmt=fmt)).casefold()
    if word not in _YES_NO:
        raise FormatError(f"A probe is answered with exactly yes or no. {fmt}")
    return Probe(_YES_NO[word])


def parse_customer(text: str) -> Move:
    line = find_move(text, CUSTOMER_KEYWORDS, fmt=prompts.CUSTOMER_FORMAT)
    if line.keyword == "PROBE":
        return _probe(line, prompts.CUSTOMER_FORMAT)
    return Answer(body(line, what="ANSWER", limit=MAX_ANSWER_CHARS, fmt=prompts.CUSTOMER_FORMAT))


def parse_agent(text: str) -> Move:
    line = find_move(text, AGENT_KEYWORDS, fmt=prompts.AGENT_FORMAT)
    if line.keyword == "PROBE":
        return _probe(line, prompts.AGENT_FORMAT)
    if line.keyword == "QUESTION":
        return Question(body(line, what="QUESTION", limit=MAX_QUESTION_CHARS, fmt=prompts.AGENT_FORMAT))
    return _form(line)


def _form(line: MoveLine) -> FormMove:
    # Entries may continue on the following lines; the first line that is not an entry ends the form.
    lines = [line.body]
    for following in line.following:
        if following.strip() and "=" not in following:
            break
        lines.append(following)
    entries: list[tuple[str, str]] = []
    for part in re.split(r"[;\n]", "\n".join(lines)):
        part = part.strip().lstrip("-*").strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise FormatError(f"'{part[:40]}' is not a 'field=value' entry. " + prompts.FORM_FORMAT)
        entries.append((key.strip(), value.strip()))
        if len(entries) > MAX_FORM_ENTRIES:
            raise FormatError("Your form has far too many entries. " + prompts.FORM_FORMAT)
    if not entries:
        raise FormatError("Your FORM has no entries. " + prompts.FORM_FORMAT)
    return FormMove(tuple(entries))


def read_form(move: FormMove, form: Form) -> dict[str, str]:
    """Field id -> canonical option (or ``unknown``) for a form move; a :class:`RuleError` names what is wrong.

    A field may be named by its id or its name ("month" or "travel month"); every field of the form must be
    filled exactly once, with one of its options or ``unknown``.
    """
    by_key: dict[str, str] = {}
    for slot in form.slots:
        for key in (slot.id, slot.name, slot.name.replace(" ", "_")):
            by_key[normalise(key)] = slot.id
    values: dict[str, str] = {}
    for key, value in move.entries:
        sid = by_key.get(normalise(key))
        if sid is None:
            raise RuleError(prompts.unknown_field(key, form))
        if sid in values:
            raise RuleError(f"You filled the field {sid} twice. Fill each field once. " + prompts.FORM_FORMAT)
        if normalise(value) == UNKNOWN:
            values[sid] = UNKNOWN
            continue
        option = form.slot(sid).canonical(value)
        if option is None:
            raise RuleError(prompts.not_an_option(sid, value, form))
        values[sid] = option
    missing = [sid for sid in form.ids if sid not in values]
    if missing:
        raise RuleError(prompts.missing_fields(missing))
    return {sid: values[sid] for sid in form.ids}
