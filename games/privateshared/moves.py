"""Parsing replies into moves, and checking a submitted form against the instance's form.

customer: ``ANSWER: <text>`` or ``PROBE: yes|no``. agent: ``QUESTION: <text>``, ``FORM: slot=value; ...`` or
``PROBE: yes|no``. The first line that starts with one of the role's keywords counts (case, surrounding
spaces and Markdown emphasis such as ``**ANSWER:**`` are forgiven); text before it is ignored. An ``ANSWER``
or ``QUESTION`` is the rest of its line (or the next line, when that is empty); a ``FORM`` is the rest of
its line and the following lines up to the first one without ``=``, entries separated by ``;`` or new
lines. Anything else is a :class:`FormatError`. Whether a move is allowed *now* (a probe is pending,
questions are left, the form's fields and options) is a rule, checked by the episode (:func:`read_form`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..episode import FormatError, RuleError
from . import prompts
from .scenarios import Form, normalise

__all__ = ["UNKNOWN", "Answer", "FormMove", "Move", "Probe", "Question", "parse_agent", "parse_customer",
           "read_form"]

MAX_ANSWER_CHARS = 500
MAX_QUESTION_CHARS = 300
MAX_FORM_ENTRIES = 20
#: The value an agent writes for a field it could not find out; it never counts as correct.
UNKNOWN = "unknown"

_LINE = re.compile(r"[\s*_`#>]*([A-Za-z]+)[\s*_`]*:[\s*_`]*(.*)", re.DOTALL)
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


def _find(text: str, keywords: tuple[str, ...]) -> tuple[str, str, list[str]] | None:
    """(keyword, rest of its line, the lines after it) for the first line that starts with a keyword."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _LINE.fullmatch(line)
        if m and m.group(1).upper() in keywords:
            return m.group(1).upper(), m.group(2).strip().rstrip("*_`").strip(), lines[i + 1:]
    return None


def _line_body(body: str, following: list[str]) -> str:
    """The text of a one-line move; "ANSWER:" alone on its line takes the next non-empty line."""
    if body:
        return body
    return next((line.strip() for line in following if line.strip()), "")


def _probe(body: str, problem_format: str) -> Probe:
    word = body.strip().strip(".!\"'*` ").casefold()
    if word not in _YES_NO:
        raise FormatError(f"A probe is answered with exactly yes or no. {problem_format}")
    return Probe(_YES_NO[word])


def parse_customer(text: str) -> Move:
    found = _find(text, ("ANSWER", "PROBE"))
    if found is None:
        raise FormatError(prompts.CUSTOMER_FORMAT)
    keyword, first, following = found
    body = _line_body(first, following)
    if keyword == "PROBE":
        return _probe(body, prompts.CUSTOMER_FORMAT)
    if not body:
        raise FormatError("Your ANSWER is empty. " + prompts.CUSTOMER_FORMAT)
    if len(body) > MAX_ANSWER_CHARS:
        raise FormatError(f"Your answer is too long; keep it under {MAX_ANSWER_CHARS} characters. "
                          + prompts.CUSTOMER_FORMAT)
    return Answer(body)


def parse_agent(text: str) -> Move:
    found = _find(text, ("QUESTION", "FORM", "PROBE"))
    if found is None:
        raise FormatError(prompts.AGENT_FORMAT)
    keyword, first, following = found
    body = _line_body(first, following)
    if keyword == "PROBE":
        return _probe(body, prompts.AGENT_FORMAT)
    if keyword == "QUESTION":
        if not body:
            raise FormatError("Your QUESTION is empty. " + prompts.AGENT_FORMAT)
        if len(body) > MAX_QUESTION_CHARS:
            raise FormatError(f"Your question is too long; keep it under {MAX_QUESTION_CHARS} characters. "
                              + prompts.AGENT_FORMAT)
        return Question(body)
    # Entries may continue on the following lines; the first line that is not an entry ends the form.
    lines = [first]
    for line in following:
        if line.strip() and "=" not in line:
            break
        lines.append(line)
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
