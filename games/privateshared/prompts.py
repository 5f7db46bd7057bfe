"""Every text the privateshared game master sends: instructions per role, relayed turns, probes, feedback.

Kept in one place so the wording can be reviewed (and versioned: a changed prompt is a changed game) without
reading the rules. The examples use a made-up ice-cream form, never an instance's own fields or values, so an
example can neither give an answer away nor be copied into a move that scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenarios import Form, Scenario

CUSTOMER_FORMAT = ("Reply with exactly one line: 'ANSWER: <your answer>' to a question, or 'PROBE: yes' / "
                   "'PROBE: no' to a probe. For example: ANSWER: Chocolate, please.")
FORM_FORMAT = ("The form is one line 'FORM: field=value; field=value; ...' with every field once, each value "
               "one of the field's options or unknown.")
AGENT_FORMAT = ("Reply with exactly one line: 'QUESTION: <a question about one field>', "
                "'FORM: field=value; field=value; ...' when you are done, or 'PROBE: yes' / 'PROBE: no' to a "
                "probe. For example: QUESTION: Which flavour would you like?")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# ------------------------------------------------------------------------------------------ instructions
def customer_instructions(scenario: Scenario, form: Form, facts: Mapping[str, str], listed: Sequence[str]) -> str:
    """The customer's rules and private details (in the ``listed`` order, which is not the order the agent's
    form has, so the list does not tell which detail is asked next)."""
    agent = scenario.agent_label
    names = {s.id: s.name for s in form.slots}
    facts_text = "\n".join(f"- {names[sid]}: {facts[sid]}" for sid in listed)
    return (
        f"{scenario.customer_intro} The {agent} will ask you questions to fill in a form.\n"
        f"Your private information (the {agent} does not know any of it yet):\n{facts_text}\n\n"
        f"Answer each question of the {agent} with the one detail it asks for, named with the exact words above: "
        f"the {agent} only understands those. Keep your other details to yourself until you are asked for them: "
        "an answer that gives a detail you were not asked for, a wrong value or no value at all counts against "
        f"you. If the {agent}'s first question is an open one (such as \"How can I help you?\"), answer with one "
        "or two of your details.\n"
        f"From time to time the game asks you privately (the {agent} does not see it) whether the {agent} "
        f"already knows one of your details. It does once you have told it the exact value in an answer it "
        f"understood; if the {agent} asked you again because it did not understand, it does not know it yet.\n\n"
        "Reply with exactly one line, in one of two formats:\n"
        f"ANSWER: <your answer>      to a question of the {agent}\n"
        "PROBE: yes   or   PROBE: no      to a probe\n"
        f'Example with a made-up ice-cream order: when the {agent} asks "Which flavour would you like?", '
        "you reply\n"
        "ANSWER: Chocolate, please.\n"
        f'and when the game then asks "Does the {agent} already know your flavour?", you reply\n'
        "PROBE: yes"
    )


def agent_instructions(scenario: Scenario, form: Form, max_questions: int) -> str:
    customer = scenario.customer_label
    fields = "\n".join(f"- {s.id}{'' if s.name == s.id else f' ({s.name})'}: one of {', '.join(s.options)}"
                       for s in form.slots)
    blanks = "; ".join(f"{s.id}=<value>" for s in form.slots)
    return (
        f"{scenario.agent_intro} Find out the {customer}'s details and fill in this form:\n{fields}\n\n"
        f"Ask the {customer} questions, one field at a time, and name the field you ask about (for example "
        '"Which flavour would you like?" on an ice-cream form). Your first question may instead be an open one, such as '
        f'"How can I help you?". You may ask at most {max_questions} questions. If an answer is vague or '
        "unclear, ask again.\n"
        f"From time to time the game asks you privately (the {customer} does not see it) whether the "
        f"{customer} has already told you one of the details: yes once an answer of theirs named the value, no "
        "if it has not (a vague answer does not count).\n"
        "When you know everything, submit the form; this ends the dialogue. Use the options above exactly, and "
        "write unknown for a field you could not find out.\n\n"
        "Reply with exactly one line, in one of three formats:\n"
        f"QUESTION: <your question to the {customer}>\n"
        f"FORM: {blanks}\n"
        "PROBE: yes   or   PROBE: no      to a probe\n"
        "Example with a made-up ice-cream form with the fields flavour and cone: you ask\n"
        "QUESTION: Which flavour would you like?\n"
        f'the {customer} answers "Chocolate, please."; the game asks "Has the {customer} already told you '
        'their cone?" and you reply\n'
        "PROBE: no\n"
        "and when you know all you can find out, you reply\n"
        "FORM: flavour=chocolate; cone=unknown"
    )


# ------------------------------------------------------------------------------------------ the dialogue
def relay(label: str, text: str) -> str:
    return f"{_cap(label)}: {text}"


def no_slot(form: Form) -> str:
    return ("Sorry, I'm not sure what you are asking. You can ask me about my "
            f"{_names([s.name for s in form.slots])}.")


def several_slots(names: Sequence[str]) -> str:
    alternatives = " or my ".join(names)
    return f"Sorry, do you want to know my {alternatives}? Please ask about one thing at a time."


def last_question(max_questions: int) -> str:
    return f"That was your last question ({max_questions} asked). Now submit the form: FORM: field=value; ..."


def no_questions_left(max_questions: int) -> str:
    return (f"You have already asked {max_questions} questions, the most allowed. Submit the form now. "
            + FORM_FORMAT)


def clarify(name: str, candidates: Sequence[str]) -> str:
    """The teacher agent's clarification request: it names the slot, so it is a question about that slot."""
    if len(candidates) >= 2:
        return f"Sorry, which {name} did you mean: {' or '.join(candidates[:3])}?"
    return f"Sorry, I didn't catch that. Which {name} did you mean?"


MOVE_ON = "Never mind, let's move on. "
AS_I_SAID = "As I said: "


# ------------------------------------------------------------------------------------------ probes
def customer_probe(scenario: Scenario, name: str) -> str:
    return (f"PROBE (private, the {scenario.agent_label} does not see this): Does the {scenario.agent_label} "
            f"already know your {name}? Reply PROBE: yes or PROBE: no.")


def agent_probe(scenario: Scenario, name: str) -> str:
    return (f"PROBE (private, the {scenario.customer_label} does not see this): Has the "
            f"{scenario.customer_label} already told you their {name}? Reply PROBE: yes or PROBE: no.")


PROBE_RIGHT = "Right."


def customer_probe_wrong(scenario: Scenario, name: str, truth: bool, noted: str | None, fact: str) -> str:
    agent = scenario.agent_label
    if truth:
        return f"Not quite: the {agent} does know your {name}, you told it {fact}."
    if noted is not None:
        return f"Not quite: the {agent} does not know your {name}: it noted {noted}, but yours is {fact}."
    return f"Not quite: the {agent} does not know your {name} yet; you have not told it in a way it understood."


def agent_probe_wrong(scenario: Scenario, name: str, truth: bool) -> str:
    customer = scenario.customer_label
    if truth:
        return f"Not quite: the {customer} has already told you their {name}. Look back at their answers."
    return f"Not quite: the {customer} has not told you their {name} yet."


PROBE_PENDING = "First answer the probe: reply PROBE: yes or PROBE: no."
NO_PROBE = "No probe is pending, so there is nothing to answer with PROBE."


# ------------------------------------------------------------------------------------------ the form
def unknown_field(key: str, form: Form) -> str:
    return (f"'{key[:40]}' is not a field of the form. The fields are {', '.join(form.ids)}. " + FORM_FORMAT)


def not_an_option(slot_id: str, value: str, form: Form) -> str:
    options = ", ".join(form.slot(slot_id).options)
    return (f"'{value[:40]}' is not an option for {slot_id}. The options are: {options} (or unknown). "
            + FORM_FORMAT)


def missing_fields(missing: Sequence[str]) -> str:
    return (f"Your form lacks the field(s) {', '.join(missing)}. Fill every field; write unknown where you do "
            "not know the value. " + FORM_FORMAT)


def _wrong(form: Form, values: Mapping[str, str], facts: Mapping[str, str]) -> list[str]:
    return [f"{sid} is {facts[sid]}, not {values[sid]}" for sid in form.ids if values[sid] != facts[sid]]


def form_result_agent(scenario: Scenario, form: Form, values: Mapping[str, str],
                      facts: Mapping[str, str]) -> str:
    n = len(form.ids)
    correct = sum(values[s] == facts[s] for s in form.ids)
    wrong = _wrong(form, values, facts)
    detail = "" if not wrong else " Wrong: " + "; ".join(wrong) + "."
    return f"Form submitted: {correct} of {n} fields are correct.{detail} The dialogue is over."


def form_result_customer(scenario: Scenario, form: Form, values: Mapping[str, str],
                         facts: Mapping[str, str]) -> str:
    n = len(form.ids)
    correct = sum(values[s] == facts[s] for s in form.ids)
    filled = "; ".join(f"{form.slot(s).name}: {values[s]}" for s in form.ids)
    return (f"The {scenario.agent_label} has filled in the form ({filled}): {correct} of {n} of your details "
            "are correct. The dialogue is over.")
