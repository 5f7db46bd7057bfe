"""Cheap policies against privateshared, and honest short programs (``PrivateShared.cheap_policies``).

Each policy reads only what its role is told (the chat view): the customer its private details and the
relayed questions, the agent its form with the options and the relayed answers. The degenerate ones skip the
role's work: they dump every private detail, answer the same detail to every question, say the details in
the order they were listed, copy the instructions' examples, ask a fixed generic question, submit the form
without asking, and answer every probe yes (or no). The honest ones do the role's work with string matching
only (they are not bounded); their scores show how much language the role needs.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from ..policies import CheapPolicy, Policy, PolicyFactory, View, instruction_lines, last_message

__all__ = ["agent_policies", "customer_policies"]

#: A probe answer strategy: (view, the probed field's name) -> yes?
ProbeRule = Callable[[View, str], bool]

_PROBE = re.compile(r"(?:already know your|already told you their) (.+?)\?")
_FACT = re.compile(r"^- (.+?): (.+)$")
_FIELD = re.compile(r"^- (\w+)(?: \((.+?)\))?: one of (.+)$")
_GENERIC_QUESTION = "QUESTION: Could you tell me a bit more about what you need?"


# ------------------------------------------------------------------------------------------- reading the view
def probed_field(view: View) -> str | None:
    """The field name of the pending probe (the last line the role was told asks one), else ``None``."""
    lines = [line for line in last_message(view).splitlines() if line.strip()]
    if not lines:
        return None
    if "First answer the probe" in lines[-1]:
        # A rule correction after a move made while a probe was pending: the probe is further up.
        lines = [line for line in lines if _PROBE.search(line)]
        if not lines:
            return None
    m = _PROBE.search(lines[-1])
    return m.group(1) if m else None


def private_facts(view: View) -> list[tuple[str, str]]:
    """The customer's private details (name, value), in the order its instructions list them."""
    return [(m.group(1), m.group(2)) for line in instruction_lines(view) if (m := _FACT.match(line))
            and "one of" not in line]


def form_fields(view: View) -> list[tuple[str, str, list[str]]]:
    """The agent's form: (field id, field name, options), in form order."""
    out = []
    for line in instruction_lines(view):
        m = _FIELD.match(line)
        if m:
            out.append((m.group(1), m.group(2) or m.group(1), [o.strip() for o in m.group(3).split(",")]))
    return out


def _received(view: View) -> list[str]:
    """Every message the role received after its instructions."""
    return [m.get("content", "") for m in view if m.get("role") == "user"][1:]


def _said(view: View) -> str:
    """Everything the role itself wrote."""
    return "\n".join(m.get("content", "") for m in view if m.get("role") == "assistant")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.casefold()))


def _mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option.casefold())}(?![\w-])", text.casefold()) is not None


def heard_values(view: View) -> dict[str, str]:
    """Field id -> the one option of that field the partner's relayed answers named (the agent's reading)."""
    fields = form_fields(view)
    heard: dict[str, str] = {}
    for message in _received(view):
        for line in message.splitlines():
            if "PROBE" in line or line.startswith(("Not quite", "Right", "Sorry")):
                continue
            for fid, _name, options in fields:
                named = [o for o in options if _mentions(line, o)]
                if len(named) == 1:
                    heard[fid] = named[0]
    return heard


# ------------------------------------------------------------------------------------------- building blocks
def _constant_probe(yes: bool) -> ProbeRule:
    return lambda _view, _name: yes


def _with_probes(move: Callable[[View], str], probe: ProbeRule) -> Policy:
    """A policy that answers a pending probe with ``probe`` and otherwise makes ``move``."""

    def policy(view: View) -> str:
        name = probed_field(view)
        if name is not None:
            return f"PROBE: {'yes' if probe(view, name) else 'no'}"
        return move(view)
    return policy


def _factory(move: Callable[[View], str], probe: ProbeRule) -> PolicyFactory:
    return lambda _rng: _with_probes(move, probe)


def _example(view: View, keyword: str) -> str:
    """The instructions' example move of ``keyword`` (the ice-cream example)."""
    lines = [line for line in instruction_lines(view) if line.upper().startswith(keyword + ":")
             and "<" not in line]
    return lines[0] if lines else f"{keyword}: yes"


def _copy_examples(view: View) -> str:
    if probed_field(view) is not None:
        return _example(view, "PROBE")
    return _example(view, "ANSWER") if private_facts(view) else _example(view, "QUESTION")


# ------------------------------------------------------------------------------------------- customer
def _dump(view: View) -> str:
    return "ANSWER: " + ", ".join(value for _, value in private_facts(view)) + "."


def _first_fact(view: View) -> str:
    facts = private_facts(view)
    return f"ANSWER: {facts[0][1] if facts else 'yes'}."


def _echo_question(view: View) -> str:
    lines = [line for line in last_message(view).splitlines() if line.strip()]
    text = lines[-1].split(": ", 1)[-1] if lines else "yes"
    return f"ANSWER: {text[:200]}"


def _next_unsaid(view: View) -> str:
    """The first private detail it has not said yet, in the order the instructions list them."""
    said = _said(view)
    facts = private_facts(view)
    fresh = [v for _, v in facts if not _mentions(said, v)]
    return f"ANSWER: {(fresh or [v for _, v in facts] or ['yes'])[0]}."


def _said_it(view: View, name: str) -> bool:
    value = dict(private_facts(view)).get(name)
    return value is not None and _mentions(_said(view), value)


def _matching_fact(view: View) -> str:
    """The detail whose name shares a word with the question; else the first one not said yet."""
    question = _words(last_message(view).splitlines()[-1] if last_message(view).strip() else "")
    for name, value in private_facts(view):
        if _words(name) & question - {"my", "your", "the", "a"}:
            return f"ANSWER: {value}."
    return _next_unsaid(view)


def _name_or_next(view: View) -> str:
    """The detail whose whole name the question contains ("What is your departure city?"); else the first
    detail not said yet, a guess."""
    question = last_message(view).casefold()
    for name, value in private_facts(view):
        if name.casefold() in question:
            return f"ANSWER: {value}."
    return _next_unsaid(view)


def _stall_then_match(view: View) -> str:
    """Stalls until a (re-asked) question names one of its details, then gives that detail."""
    question = last_message(view).casefold()
    for name, value in private_facts(view):
        if name.casefold() in question:
            return f"ANSWER: {value}."
    return "ANSWER: Sorry, could you say that again?"


def _grounded(view: View, name: str) -> bool:
    """Yes iff an answer of its own named the detail and the agent did not ask again right after it."""
    value = dict(private_facts(view)).get(name)
    if value is None:
        return False
    grounded = named_last = False
    for msg in view:
        text = msg.get("content", "")
        if msg.get("role") == "assistant" and text.startswith("ANSWER:"):
            named_last = _mentions(text, value)
            grounded = grounded or named_last
        elif msg.get("role") == "user" and named_last and "Sorry" in text:
            grounded = named_last = False
    return grounded


def customer_policies() -> list[CheapPolicy]:
    """Attacks on the customer, and honest programs."""
    yes, no = _constant_probe(True), _constant_probe(False)
    return [
        CheapPolicy("dump_facts_yes", "every answer lists all private details; every probe yes",
                    _factory(_dump, yes)),
        CheapPolicy("dump_facts_no", "every answer lists all private details; every probe no",
                    _factory(_dump, no)),
        CheapPolicy("dump_facts_track", "every answer lists all private details; probe yes iff it said it",
                    _factory(_dump, _said_it)),
        CheapPolicy("first_fact_yes", "answers every question with its first private detail; probes yes",
                    _factory(_first_fact, yes)),
        CheapPolicy("echo_question_yes", "answers with the question it was asked; probes yes",
                    _factory(_echo_question, yes)),
        CheapPolicy("in_order_track", "says its details in the listed order, one per answer, whatever is "
                    "asked; probe yes iff it said it", _factory(_next_unsaid, _said_it)),
        CheapPolicy("stall_then_match", "stalls until a re-asked question names one of its details, then gives "
                    "it; probe: said and not re-asked", _factory(_stall_then_match, _grounded)),
        CheapPolicy("copy_examples", "copies the instructions' example answer and example probe answer",
                    lambda _rng: _copy_examples),
        CheapPolicy("keyword_matcher", "answers the detail whose name shares a word with the question (else "
                    "the next unsaid); probe: said and not re-asked", _factory(_matching_fact, _grounded),
                    degenerate=False),
        CheapPolicy("name_or_next", "answers the detail whose whole name is in the question (else guesses the "
                    "next unsaid); probe: said and not re-asked", _factory(_name_or_next, _grounded),
                    degenerate=False),
    ]


# ------------------------------------------------------------------------------------------- agent
def _form(values: dict[str, str], view: View, fallback: Callable[[list[str]], str]) -> str:
    return "FORM: " + "; ".join(f"{fid}={values.get(fid, fallback(opts))}" for fid, _n, opts in form_fields(view))


def _asked(view: View) -> int:
    return sum(1 for m in view if m.get("role") == "assistant" and m.get("content", "").startswith("QUESTION:"))


def _out_of_questions(view: View) -> bool:
    return any("That was your last question" in m for m in _received(view))


def _form_now(fill: Callable[[list[str]], str]) -> Callable[[View], str]:
    return lambda view: _form({}, view, fill)


def _ask_then_form(questions: Callable[[View], str | None], fill: Callable[[list[str]], str],
                   use_answers: bool) -> Callable[[View], str]:
    """Ask what ``questions`` says (``None``: done), then submit the options heard (if ``use_answers``)."""

    def move(view: View) -> str:
        question = None if _out_of_questions(view) else questions(view)
        if question is not None:
            return question
        return _form(heard_values(view) if use_answers else {}, view, fill)
    return move


def _generic(limit: int) -> Callable[[View], str | None]:
    return lambda view: _GENERIC_QUESTION if _asked(view) < limit else None


def _each_field(view: View) -> str | None:
    fields = form_fields(view)
    n = _asked(view)
    return f"QUESTION: What is your {fields[n][1]}?" if n < len(fields) else None


def _solver_question(view: View) -> str | None:
    """Ask about the first field not heard yet, at most three times each."""
    heard = heard_values(view)
    asked = [m.get("content", "") for m in view if m.get("role") == "assistant"]
    for fid, name, _opts in form_fields(view):
        question = f"QUESTION: What is your {name}?"
        if fid not in heard and asked.count(question) < 3:
            return question
    return None


def _heard_probe(view: View, name: str) -> bool:
    fid = next((f for f, n, _o in form_fields(view) if n == name or f == name), None)
    return fid is not None and fid in heard_values(view)


def _asked_probe(view: View, name: str) -> bool:
    """Yes iff one of its own questions named the field: remembers what it asked, not what it was told."""
    return name.casefold() in _said(view).casefold()


def agent_policies() -> list[CheapPolicy]:
    """Attacks on the agent, and honest programs."""
    yes, no = _constant_probe(True), _constant_probe(False)

    def first(opts: list[str]) -> str:
        return opts[0]

    def unknown(_opts: list[str]) -> str:
        return "unknown"

    def random_fill(rng: random.Random) -> Callable[[list[str]], str]:
        return lambda opts: rng.choice(opts)

    return [
        CheapPolicy("form_unknown", "submits the form at once, every field unknown",
                    _factory(_form_now(unknown), yes)),
        CheapPolicy("form_first_options", "submits the form at once, the first option of every field",
                    _factory(_form_now(first), yes)),
        CheapPolicy("form_random_options", "submits the form at once, a random option for every field",
                    lambda rng: _with_probes(_form_now(random_fill(rng)), yes)),
        CheapPolicy("generic_question_yes", "asks one fixed generic question until out of questions, probes "
                    "yes, then submits what it heard (first options elsewhere)",
                    _factory(_ask_then_form(_generic(100), first, True), yes)),
        CheapPolicy("open_then_form_no", "one open question, probes no, then submits what it heard (first "
                    "options elsewhere)", _factory(_ask_then_form(_generic(1), first, True), no)),
        CheapPolicy("open_then_form_track", "one open question, probe yes iff it heard the field, then submits "
                    "what it heard (first options elsewhere)",
                    _factory(_ask_then_form(_generic(1), first, True), _heard_probe)),
        CheapPolicy("open_then_unknown_track", "one open question, probe yes iff it heard the field, then "
                    "submits what it heard (unknown elsewhere)",
                    _factory(_ask_then_form(_generic(1), unknown, True), _heard_probe)),
        CheapPolicy("ask_fields_ignore_answers", "asks about every field by name, probes yes, then submits the "
                    "first options", _factory(_ask_then_form(_each_field, first, False), yes)),
        CheapPolicy("copy_examples", "copies the instructions' example question and example probe answer",
                    lambda _rng: _copy_examples),
        CheapPolicy("form_solver_yes", "asks each field by name until an option is heard, submits what it "
                    "heard; every probe yes (the form half only)",
                    _factory(_ask_then_form(_solver_question, unknown, True), yes), degenerate=False),
        CheapPolicy("form_solver", "asks each field by name until an option is heard, submits what it heard; "
                    "probe yes iff an option of the field was heard",
                    _factory(_ask_then_form(_solver_question, unknown, True), _heard_probe), degenerate=False),
        CheapPolicy("form_solver_asked", "the same form; probe yes iff it has asked about the field (its own "
                    "questions, not the answers)",
                    _factory(_ask_then_form(_solver_question, unknown, True), _asked_probe), degenerate=False),
    ]
