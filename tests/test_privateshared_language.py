"""privateshared without episodes: parsing both roles' moves and the form, and the scenario data (what each
question asks, what each answer mentions). Episodes, probes and scoring are in ``tests/test_privateshared.py``."""

from __future__ import annotations

from itertools import combinations

import pytest
from playschool.games import (
    FormatError,
    RuleError,
)
from playschool.games.privateshared import prompts
from playschool.games.privateshared.moves import (
    Answer,
    FormMove,
    Probe,
    Question,
    parse_agent,
    parse_customer,
    read_form,
)
from playschool.games.privateshared.scenarios import Form, form_for, load_scenarios


# ------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(("text", "move"), [
    ("ANSWER: Rome, please.", Answer("Rome, please.")),
    ("  answer :  Rome  ", Answer("Rome")),
    ("**ANSWER:** Rome", Answer("Rome")),
    ("Sure, here it is.\nANSWER: Rome", Answer("Rome")),  # chatter around the move line is ignored
    ("ANSWER: Rome\nThat's all from me.", Answer("Rome")),
    ("PROBE: yes", Probe(True)),
    ("probe: No.", Probe(False)),
    ("- **PROBE:** `yes`", Probe(True)),
])
def test_parse_customer_accepts(text: str, move: object) -> None:
    assert parse_customer(text) == move


@pytest.mark.parametrize("text", ["", "Rome", "ANSWER:", "ANSWER:   \n  ", "PROBE: maybe", "PROBE: yes no",
                                  "QUESTION: where to?", "FORM: destination=Rome", "Hello! ANSWER: Rome",
                                  "ANSWER: " + "x" * 600, "Assistant: ANSWER: Rome",
                                  "ANSWER: Rome\nPROBE: yes",  # two move lines: one move per reply
                                  "ANSWER:\n\nRome, please.",  # the body goes on the move line
                                  "PROBE:\nyes"])
def test_parse_customer_rejects(text: str) -> None:
    with pytest.raises(FormatError):
        parse_customer(text)


@pytest.mark.parametrize(("text", "move"), [
    ("QUESTION: Where to?", Question("Where to?")),
    ("PROBE: no", Probe(False)),
    ("I think I know enough.\nFORM: destination=Rome; month=June; seat=aisle",
     FormMove((("destination", "Rome"), ("month", "June"), ("seat", "aisle")))),
    ("FORM:\n- destination = Rome\n- month = June;\n seat=aisle \nThank you for your time!",
     FormMove((("destination", "Rome"), ("month", "June"), ("seat", "aisle")))),
])
def test_parse_agent_accepts(text: str, move: object) -> None:
    assert parse_agent(text) == move


@pytest.mark.parametrize("text", ["", "Where to?", "QUESTION:", "ANSWER: Rome", "FORM:", "FORM: Rome",
                                  "FORM: destination=", "FORM: =Rome", "QUESTION: " + "x" * 400,
                                  "FORM: " + "; ".join(f"f{i}=v" for i in range(30)),
                                  "QUESTION: Where to?\nPROBE: no"])
def test_parse_agent_rejects(text: str) -> None:
    with pytest.raises(FormatError):
        parse_agent(text)


TRAVEL = form_for("travel", ("destination", "month", "seat"))


@pytest.mark.parametrize(("text", "expected"), [
    ("FORM: destination=rome; month=JUNE; seat=Aisle", {"destination": "Rome", "month": "June", "seat": "aisle"}),
    ("FORM: travel month=June; seat preference=unknown; destination=Oslo",
     {"destination": "Oslo", "month": "June", "seat": "unknown"}),
    ("FORM: destination=Paris; month=June; seat=aisle", "not an option for destination"),
    ("FORM: destination=Rome; month=June", "lacks the field(s) seat"),
    ("FORM: destination=Rome; month=June; seat=aisle; meal=vegan", "'meal' is not a field"),
    ("FORM: destination=Rome; destination=Oslo; month=June; seat=aisle", "twice"),
])
def test_read_form(text: str, expected: dict[str, str] | str) -> None:
    move = parse_agent(text)
    assert isinstance(move, FormMove)
    if isinstance(expected, dict):
        assert read_form(move, TRAVEL) == expected
    else:
        with pytest.raises(RuleError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            read_form(move, TRAVEL)


# ------------------------------------------------------------------------------------------- scenarios
def test_scenario_data_is_consistent() -> None:
    """Every teacher text is understood as meant: questions name exactly their slot, answers communicate
    exactly their value, vague answers, openings and requests name nothing."""
    scenarios = load_scenarios()
    assert sorted(scenarios) == ["food", "interview", "travel"]
    for sc in scenarios.values():
        form = Form(sc, tuple(s.id for s in sc.slots))
        for text in (sc.opening, sc.request):
            assert form.asked(text) == [] and form.mentions(text) == {}, (sc.id, text)
        for s in sc.slots:
            for q in (*s.questions, f"What is your {s.name}?", prompts.clarify(s.name, []),
                      prompts.MOVE_ON + s.questions[0]):
                assert form.asked(q) == [s.id], (sc.id, q)
                assert form.mentions(q) == {}, (sc.id, q)
            for a, b in combinations(s.options, 2):
                assert form.asked(prompts.clarify(s.name, [a, b])) == [s.id]
            for v in s.vague:
                assert form.mentions(v) == {}, (sc.id, v)
            for template in s.answers:
                for option in s.options:
                    assert form.mentions(template.format(value=option)) == {s.id: [option]}


@pytest.mark.parametrize(("question", "slots"), [
    ("Where are you flying from?", ["departure"]),
    ("Where are you flying?", ["destination"]),
    ("Would you like a window seat?", ["seat"]),
    ("Any dietary requirements?", ["meal"]),
    ("Would you like to fly from Berlin?", ["departure"]),  # an option names its slot too
    ("When are you going to fly to Rome?", ["destination", "month"]),
    ("How many people?", []),
])
def test_asked(question: str, slots: list[str]) -> None:
    form = Form(load_scenarios()["travel"], tuple(s.id for s in load_scenarios()["travel"].slots))
    assert form.asked(question) == slots


@pytest.mark.parametrize(("answer", "mentions"), [
    ("I want to fly to rome in JUNE.", {"destination": ["Rome"], "month": ["June"]}),
    ("Rome or maybe Lisbon", {"destination": ["Rome", "Lisbon"]}),
    ("Rome\u200b, Romeo, Romes", {"destination": ["Rome"]}),
    ("non-vegan gluten-free", {"meal": ["gluten-free"]}),
    ("somewhere warm", {}),
])
def test_mentions(answer: str, mentions: dict[str, list[str]]) -> None:
    form = Form(load_scenarios()["travel"], tuple(s.id for s in load_scenarios()["travel"].slots))
    assert form.mentions(answer) == mentions
