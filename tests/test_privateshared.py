"""privateshared: parsing, the scenario data, move tables for both learner roles, when clarifications happen,
probe scoring (Cohen's kappa), a golden transcript, reference vs random players and the game contract.

Regenerate the golden transcript after an intended change of behaviour (which also bumps the game version):
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_privateshared.py -k golden``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, learner_moves, moves_of, play_script
from playschool.games import EpisodeRecord, FormatError, Instance, RuleError, check_game, split_of
from playschool.games.privateshared import PrivateShared, prompts
from playschool.games.privateshared.game import facts_key
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
from playschool.games.privateshared.scoring import cohen_kappa

GOLDEN = GOLDEN_DIR / "privateshared.json"

FACTS = {"destination": "Rome", "month": "June", "seat": "aisle"}
# After answer 1: destination, month; after 2: month, seat; after 3: seat, destination.
PROBES = [[1, "destination"], [1, "month"], [2, "month"], [2, "seat"], [3, "seat"], [3, "destination"]]


@pytest.fixture(scope="module")
def game() -> PrivateShared:
    return PrivateShared()


def instance(*, experiment: str = "easy", facts: dict[str, str] | None = None, probes: list | None = None,
             max_questions: int = 10, open_question: bool = False, vague: Sequence[str] = (),
             volunteer: Sequence[str] = (), seed: int = 7) -> Instance:
    facts = dict(FACTS if facts is None else facts)
    params: dict[str, Any] = {"scenario": "travel", "slots": list(facts), "facts": facts,
                              "probes": PROBES if probes is None else probes, "max_questions": max_questions,
                              "open": open_question, "vague": list(vague), "volunteer": list(volunteer)}
    return Instance(id="hand/travel", game="privateshared-v1", split="test", experiment=experiment, seed=seed,
                    params=params)


def kinds_after(rec: EpisodeRecord) -> list[str]:
    """The kind of the first message the learner got after each of its moves ("-" when none came)."""
    role = rec.learner_role
    return [next((t.kind for t in rec.turns[m.index + 1:] if t.to == role), "-") for m in learner_moves(rec)]


# ------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(("text", "move"), [
    ("ANSWER: Rome, please.", Answer("Rome, please.")),
    ("  answer :  Rome  ", Answer("Rome")),
    ("**ANSWER:** Rome", Answer("Rome")),
    ("Sure, here it is.\nANSWER: Rome\nPROBE: yes", Answer("Rome")),
    ("ANSWER:\n\nRome, please.", Answer("Rome, please.")),
    ("PROBE: yes", Probe(True)),
    ("probe: No.", Probe(False)),
    ("PROBE:\nyes", Probe(True)),
])
def test_parse_customer_accepts(text: str, move: object) -> None:
    assert parse_customer(text) == move


@pytest.mark.parametrize("text", ["", "Rome", "ANSWER:", "ANSWER:   \n  ", "PROBE: maybe", "PROBE: yes no",
                                  "QUESTION: where to?", "FORM: destination=Rome", "Hello! ANSWER: Rome",
                                  "ANSWER: " + "x" * 600, "Assistant: ANSWER: Rome"])
def test_parse_customer_rejects(text: str) -> None:
    with pytest.raises(FormatError):
        parse_customer(text)


@pytest.mark.parametrize(("text", "move"), [
    ("QUESTION: Where to?", Question("Where to?")),
    ("PROBE: no", Probe(False)),
    ("FORM: destination=Rome; month=June; seat=aisle",
     FormMove((("destination", "Rome"), ("month", "June"), ("seat", "aisle")))),
    ("FORM:\n- destination = Rome\n- month = June;\n seat=aisle \nThank you for your time!",
     FormMove((("destination", "Rome"), ("month", "June"), ("seat", "aisle")))),
])
def test_parse_agent_accepts(text: str, move: object) -> None:
    assert parse_agent(text) == move


@pytest.mark.parametrize("text", ["", "Where to?", "QUESTION:", "ANSWER: Rome", "FORM:", "FORM: Rome",
                                  "FORM: destination=", "FORM: =Rome", "QUESTION: " + "x" * 400,
                                  "FORM: " + "; ".join(f"f{i}=v" for i in range(30))])
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
    exactly their value, vague answers and openings name nothing."""
    scenarios = load_scenarios()
    assert sorted(scenarios) == ["food", "interview", "travel"]
    for sc in scenarios.values():
        form = Form(sc, tuple(s.id for s in sc.slots))
        assert form.asked(sc.opening) == [] and form.mentions(sc.opening) == {}
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


# ------------------------------------------------------------------------------------------- instances
def test_instances(game: PrivateShared) -> None:
    for split in ("train", "validation", "test"):
        insts = game.generate(split, n=9)
        for inst in insts:
            p = inst.params
            assert split_of(facts_key(p["scenario"], p["facts"])) == split  # held out by facts
            n = 3 if inst.experiment == "easy" else 5
            assert len(p["slots"]) == n == len(set(p["slots"])) and list(p["facts"]) == p["slots"]
            assert len(p["probes"]) == 2 * n and p["max_questions"] == 3 * n + 1
            assert p["open"] == (inst.experiment == "hard")
            assert (len(p["vague"]), len(p["volunteer"])) == ((2, 2) if inst.experiment == "hard" else (0, 0))
            assert not set(p["vague"]) & set(p["volunteer"])
            json.dumps(p)
        # the scenario cycles, so every experiment sees every scenario
        for exp in game.experiments:
            assert {i.params["scenario"] for i in insts if i.experiment == exp} == set(load_scenarios())
    train = {facts_key(i.params["scenario"], i.params["facts"]) for i in game.generate("train")}
    test = {facts_key(i.params["scenario"], i.params["facts"]) for i in game.generate("test")}
    assert not train & test


def test_card_documents_every_score(game: PrivateShared) -> None:
    card = game.card
    assert card.startswith("Private/shared:")
    for word in ("customer", "agent", "easy", "medium", "hard", "ANSWER:", "QUESTION:", "FORM:", "PROBE:",
                 "clarification", "correction", "Version history", "main", *game.score_ranges):
        assert word in card, word


# ------------------------------------------------------------------------------------------- customer
PERFECT_CUSTOMER = ["ANSWER: Rome, please.", "PROBE: yes", "PROBE: no", "ANSWER: In June.", "PROBE: yes",
                    "PROBE: no", "ANSWER: Aisle, please.", "PROBE: yes", "PROBE: yes"]

CUSTOMER_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("perfect", PERFECT_CUSTOMER,
     {"outcome": "success", "main": 100.0, "rewards": [0.5] * 9}),
    ("format-error-repaired", ["I want Rome", *PERFECT_CUSTOMER],
     {"outcome": "success", "main": 100.0, "rewards": [-1.0] + [0.5] * 9, "first_kind": "correction"}),
    ("rule-error-answer-during-probe", ["ANSWER: Rome", "ANSWER: June", *PERFECT_CUSTOMER[1:]],
     {"outcome": "success", "main": 100.0, "rewards": [0.5, -0.5] + [0.5] * 8, "rule_errors": 1.0}),
    ("rule-error-probe-without-probe", ["PROBE: yes", *PERFECT_CUSTOMER],
     {"outcome": "success", "rewards": [-0.5] + [0.5] * 9, "first_kind": "correction"}),
    ("abort-after-three-format-errors", ["", "hello", "ANSWER:"],
     {"outcome": "aborted", "main": 0.0, "rewards": [-1.0, -1.0, -1.0]}),
    # always "yes": right 4 times of 6, but no better than chance -> kappa 0, main = (1 + 0) / 2
    ("always-yes", ["ANSWER: Rome", "PROBE: yes", "PROBE: yes", "ANSWER: June", "PROBE: yes", "PROBE: yes",
                    "ANSWER: aisle", "PROBE: yes", "PROBE: yes"],
     {"outcome": "success", "main": 50.0, "probe_accuracy": 4 / 6, "probe_kappa": 0.0}),
    # a value that contradicts the facts is taken as said: the agent never asks again and the form is wrong
    ("wrong-value-lose", ["ANSWER: Lisbon", "PROBE: no", "PROBE: no", "ANSWER: June", "PROBE: yes",
                          "PROBE: no", "ANSWER: aisle", "PROBE: yes", "PROBE: no"],
     {"outcome": "lose", "main": pytest.approx(100 * (2 / 3 + 1) / 2), "slot_accuracy": 2 / 3,
      "rewards": [-0.5] + [0.5] * 8}),
    # two slots in one answer: the agent skips the month; the probes due after answer 3 come at the end
    ("volunteer-two-slots", ["ANSWER: Rome in June", "PROBE: yes", "PROBE: yes", "ANSWER: aisle",
                             "PROBE: yes", "PROBE: yes", "PROBE: yes", "PROBE: yes"],
     {"outcome": "success", "main": 100.0, "probe_kappa": 1.0, "questions": 2.0,
      "rewards": [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]}),
]


@pytest.mark.parametrize(("replies", "expect"), [pytest.param(r, e, id=i) for i, r, e in CUSTOMER_TABLE])
def test_customer_sequences(game: PrivateShared, replies: list[str], expect: dict[str, Any]) -> None:
    rec = play_script(game, instance(), "customer", replies)
    assert rec.outcome == expect["outcome"]
    moves = learner_moves(rec)
    assert all(t.reward is not None for t in moves)
    if "rewards" in expect:
        assert [t.reward for t in moves] == pytest.approx(expect["rewards"])
    if "first_kind" in expect:
        assert kinds_after(rec)[0] == expect["first_kind"]
    for key in ("main", "slot_accuracy", "probe_accuracy", "probe_kappa", "questions", "rule_errors"):
        if key in expect:
            assert rec.scores[key] == pytest.approx(expect[key]), key


def test_customer_messages(game: PrivateShared) -> None:
    rec = play_script(game, instance(), "customer",
                      ["ANSWER: Lisbon", "PROBE: yes", "PROBE: no", "ANSWER: June", "PROBE: yes", "PROBE: no",
                       "ANSWER: aisle", "PROBE: yes", "PROBE: yes"])
    to_customer = [t for t in rec.turns if t.to == "customer"]
    assert to_customer[0].kind == "instruction" and "- destination: Rome" in to_customer[0].text
    assert to_customer[1].kind == "observation" and to_customer[1].text.startswith("Travel agent: ")
    wrong = next(t for t in to_customer if t.kind == "correction")
    assert wrong.text == ("Not quite: the travel agent does not know your destination: it noted Lisbon, but "
                          "yours is Rome.")
    assert to_customer[-1].kind == "environment" and "2 of 3 of your details are correct" in to_customer[-1].text
    # the last probe (destination) is answered "yes" although the agent noted the wrong value
    assert rec.scores["probe_accuracy"] == pytest.approx(4 / 6)
    answer = learner_moves(rec)[0]
    assert answer.parse is not None and answer.parse["consistent"] is False


@pytest.mark.parametrize(("answer", "clarification"), [
    ("ANSWER: Rome, please.", None),
    ("ANSWER: rome", None),
    ("ANSWER: Somewhere warm.", "Travel agent: Sorry, I didn't catch that. Which destination did you mean?"),
    ("ANSWER: Rome or Lisbon, I can't decide.",
     "Travel agent: Sorry, which destination did you mean: Rome or Lisbon?"),
    ("ANSWER: In June.", "Travel agent: Sorry, I didn't catch that. Which destination did you mean?"),
])
def test_agent_clarifies_exactly_when_the_slot_was_not_communicated(game: PrivateShared, answer: str,
                                                                    clarification: str | None) -> None:
    ep = game.new_episode(instance(probes=[]), "customer")
    ep.act(answer)
    turn = ep.pending()
    assert turn is not None
    last = [t for t in ep.turns if t.to == "customer"][-1]
    if clarification is None:
        assert last.kind == "observation" and "destination" not in last.text.lower()
    else:
        assert (last.kind, last.text) == ("clarification", clarification)
        assert ep.turns[-2].parse is not None and ep.turns[-2].parse["act"] == "clarify"


def test_agent_gives_up_after_three_questions(game: PrivateShared) -> None:
    rec = play_script(game, instance(probes=[]), "customer",
                      ["ANSWER: Rome", "ANSWER: hmm", "ANSWER: no idea", "ANSWER: pass", "ANSWER: aisle"])
    agent = moves_of(rec, "agent")
    assert agent[2].startswith("QUESTION: Sorry, I didn't catch that. Which travel month did you mean?")
    assert agent[4].startswith("QUESTION: Never mind, let's move on. ")
    assert agent[-1] == "FORM: destination=Rome; month=unknown; seat=aisle"
    assert rec.outcome == "lose" and rec.scores["slot_accuracy"] == pytest.approx(2 / 3)
    assert rec.scores["clarifications"] == 2.0
    assert [t.reward for t in learner_moves(rec)] == [0.5, -0.2, -0.2, -0.2, 0.5]
    assert "probe_kappa" not in rec.scores and rec.scores["main"] == pytest.approx(100 / 3)


def test_open_question_in_hard(game: PrivateShared) -> None:
    rec = play_script(game, instance(experiment="hard", open_question=True), "customer",
                      ["ANSWER: I'd like to go to Rome in June, sitting by the aisle.", "PROBE: yes",
                       "PROBE: yes", "PROBE: yes", "PROBE: yes", "PROBE: yes", "PROBE: yes"])
    assert moves_of(rec, "agent")[0] == "QUESTION: Hello, welcome to Sunway Travel! How can I help you today?"
    assert rec.outcome == "success" and rec.scores["main"] == 100.0 and rec.scores["questions"] == 1.0
    assert learner_moves(rec)[0].reward == 1.5
    # every truth and every answer is "yes": kappa is undefined and taken as the accuracy
    assert rec.scores["probe_kappa"] == 1.0


# ------------------------------------------------------------------------------------------- agent
Q_DEST, Q_MONTH, Q_SEAT = ("QUESTION: Where would you like to travel to?", "QUESTION: When would you like to "
                           "travel?", "QUESTION: What is your seat preference?")
FORM_OK = "FORM: destination=Rome; month=June; seat=aisle"
PERFECT_AGENT = [Q_DEST, "PROBE: yes", "PROBE: no", Q_MONTH, "PROBE: yes", "PROBE: no", Q_SEAT, "PROBE: yes",
                 "PROBE: yes", FORM_OK]

AGENT_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("perfect", PERFECT_AGENT,
     {"outcome": "success", "main": 100.0, "rewards": [0.1, 0.5, 0.5] * 3 + [1.5]}),
    ("format-error-repaired", ["Where are you going?", *PERFECT_AGENT],
     {"outcome": "success", "main": 100.0, "first": (-1.0, "correction")}),
    ("rule-error-form-during-probe", [Q_DEST, FORM_OK, *PERFECT_AGENT[1:]],
     {"outcome": "success", "main": 100.0, "rule_errors": 1.0}),
    ("rule-error-bad-option", [*PERFECT_AGENT[:-1], "FORM: destination=Paris; month=June; seat=aisle", FORM_OK],
     {"outcome": "success", "rule_errors": 1.0}),
    ("abort-after-three-rule-errors", ["PROBE: yes", "PROBE: no", "FORM: destination=Rome"],
     {"outcome": "aborted", "main": 0.0, "rewards": [-0.5, -0.5, -0.5]}),
    ("wrong-and-unknown-fields-lose", [*PERFECT_AGENT[:-1], "FORM: destination=Oslo; month=June; seat=unknown"],
     {"outcome": "lose", "main": pytest.approx(100 * (1 / 3 + 1) / 2), "last": -0.0}),
    # an open first question gets two facts; a later question naming nothing is clarified by the customer
    ("open-then-unclear", ["QUESTION: How can I help you?", "PROBE: yes", "PROBE: yes", "QUESTION: What else?",
                           Q_SEAT, "PROBE: yes", "PROBE: yes", FORM_OK],
     {"outcome": "success", "main": 100.0, "rewards": [0.0, 0.5, 0.5, -0.2, 0.1, 0.5, 0.5, 1.5],
      "unclear_questions": 1.0, "clarifications": 1.0}),
    # asking again costs 0.1; guessing the month right in the form still counts
    ("redundant-question", [Q_DEST, "PROBE: yes", "PROBE: no", "QUESTION: What is your destination?",
                            "PROBE: no", "PROBE: no", FORM_OK],
     {"outcome": "success", "rewards": [0.1, 0.5, 0.5, -0.1, 0.5, 0.5, 1.5]}),
    ("submit-at-once", ["FORM: destination=Rome; month=unknown; seat=unknown"],
     {"outcome": "lose", "main": pytest.approx(100 / 6), "probes": 0.0}),
]


@pytest.mark.parametrize(("replies", "expect"), [pytest.param(r, e, id=i) for i, r, e in AGENT_TABLE])
def test_agent_sequences(game: PrivateShared, replies: list[str], expect: dict[str, Any]) -> None:
    rec = play_script(game, instance(), "agent", replies)
    assert rec.outcome == expect["outcome"]
    moves = learner_moves(rec)
    assert all(t.reward is not None for t in moves)
    if "rewards" in expect:
        assert [t.reward for t in moves] == pytest.approx(expect["rewards"])
    if "first" in expect:
        assert (moves[0].reward, kinds_after(rec)[0]) == expect["first"]
    if "last" in expect:
        assert moves[-1].reward == pytest.approx(expect["last"])
    for key in ("main", "rule_errors", "unclear_questions", "clarifications", "probes"):
        if key in expect:
            assert rec.scores[key] == pytest.approx(expect[key]), key


@pytest.mark.parametrize(("question", "kind", "text"), [
    ("QUESTION: What is your destination?", "observation", None),
    ("QUESTION: Tell me more.", "clarification",
     "Sorry, I'm not sure what you are asking. You can ask me about my destination, travel month and seat "
     "preference."),
    ("QUESTION: When and where do you want to go?", "clarification",
     "Sorry, do you want to know my destination or my travel month? Please ask about one thing at a time."),
    ("QUESTION: Do you want the aisle seat?", "observation", None),
])
def test_customer_clarifies_exactly_unclear_questions(game: PrivateShared, question: str, kind: str,
                                                      text: str | None) -> None:
    ep = game.new_episode(instance(probes=[]), "agent")
    ep.act("QUESTION: What is your seat preference?")  # the first question: never taken as an open one here
    ep.act(question)
    last = [t for t in ep.turns if t.to == "agent"][-1]
    assert last.kind == kind and last.speaker == "customer"
    if text is not None:
        assert last.text == text
        assert ep.turns[-2].parse is not None and ep.turns[-2].parse["unclear"] is True


def test_hard_customer_is_vague_and_volunteers(game: PrivateShared) -> None:
    inst = instance(experiment="hard", vague=["month"], volunteer=["destination", "seat"], probes=[
        [1, "seat"], [2, "month"]])
    rec = play_script(game, inst, "agent", [Q_DEST, "PROBE: yes", Q_MONTH, "PROBE: yes", Q_MONTH, FORM_OK])
    customer = moves_of(rec, "customer")
    assert "Rome" in customer[0] and "aisle" in customer[0].lower()  # two slots in one answer
    assert customer[1] in {f"ANSWER: {v}" for v in load_scenarios()["travel"].slot("month").vague}
    assert "June" in customer[2]
    notes = [t.parse for t in learner_moves(rec)]
    # the re-ask after the vague answer is a clarification in an ambiguous situation
    assert [(n["act"], n.get("ambiguous")) for n in notes if n and n.get("act") in ("ask", "clarify")] == \
        [("ask", False), ("ask", False), ("clarify", True)]
    assert [t.kind for t in rec.turns if t.to == "customer" and t.speaker == "agent"] == \
        ["observation", "observation", "clarification"]
    wrong = next(t for t in rec.turns if t.to == "agent" and t.kind == "correction")
    assert wrong.text == "Not quite: the customer has not told you their travel month yet."
    assert rec.outcome == "success" and rec.scores["probe_accuracy"] == 0.5


def test_question_limit(game: PrivateShared) -> None:
    rec = play_script(game, instance(probes=[], max_questions=2), "agent",
                      [Q_DEST, Q_MONTH, Q_SEAT, "FORM: destination=Rome; month=June; seat=unknown"])
    assert [t.reward for t in learner_moves(rec)] == [0.1, 0.1, -0.5, 1.0]
    assert any(t.kind == "instruction" and t.text.startswith("That was your last question") for t in rec.turns)
    assert rec.outcome == "lose"


# ------------------------------------------------------------------------------------------- scores
@pytest.mark.parametrize(("pairs", "kappa"), [
    ([], 0.0),
    ([(True, True), (False, False)], 1.0),
    ([(True, False), (False, True)], -1.0),
    ([(True, True), (True, True)], 1.0),  # degenerate: all one label -> accuracy
    ([(True, True), (True, True), (False, True), (False, False)], 0.5),
    ([(True, True), (False, True), (True, True), (False, True)], 0.0),  # always yes
])
def test_cohen_kappa(pairs: list[tuple[bool, bool]], kappa: float) -> None:
    assert cohen_kappa(pairs) == pytest.approx(kappa)


def test_scores_survive_round_trip(game: PrivateShared) -> None:
    for inst in game.generate("test", n=2):
        for role, replies in (("customer", PERFECT_CUSTOMER), ("agent", PERFECT_AGENT)):
            ep = game.new_episode(inst, role)
            todo = iter(replies * 3)
            while ep.pending() is not None:
                ep.act(next(todo, ""))
            rec = ep.record()
            assert game.score(EpisodeRecord.from_json(rec.to_json())) == rec.scores


# ------------------------------------------------------------------------------------------- golden
GOLDEN_REPLIES = [
    "Let me ask about the location first.",                         # format error -> correction
    "QUESTION: Where would you like to be based?",                  # location: Glasgow
    "PROBE: no",                                                    # language: right
    "PROBE: yes",                                                   # start month: wrong -> correction
    "QUESTION: Anything else?",                                     # names no slot -> clarification
    "QUESTION: What is your highest qualification?",                # vague answer
    "PROBE: no",                                                    # start month: right
    "PROBE: no",                                                    # qualification: right (vague)
    "QUESTION: Sorry, which qualification do you mean exactly?",    # clarification -> doctorate
    "PROBE: no",                                                    # position: right
    "PROBE: no",                                                    # start month: right
    "QUESTION: Which position are you applying for?",               # architect, and Italian volunteered
    "PROBE: no",                                                    # start month: right
    "PROBE: yes",                                                   # position: right
    "QUESTION: When could you start?",                              # vague again
    "PROBE: no",                                                    # start month: right
    "PROBE: yes",                                                   # position: right
    "FORM: location=Glasgow; qualification=doctorate; position=architect; language=Italian; start=unknown",
]


def test_golden_transcript(game: PrivateShared) -> None:
    inst = next(i for i in game.generate("test", n=1) if i.experiment == "hard")
    assert inst.params["facts"] == {"location": "Glasgow", "qualification": "doctorate", "position": "architect",
                                    "language": "Italian", "start": "April"}, \
        "the test split changed: rewrite GOLDEN_REPLIES, then the golden"
    rec = play_script(game, inst, "agent", GOLDEN_REPLIES)
    turns = golden_turns(rec)
    check_golden(GOLDEN, {"instance_id": rec.instance_id, "outcome": rec.outcome, "turns": turns})
    assert sum(t["kind"] == "clarification" for t in turns) >= 2
    assert sum(t["kind"] == "correction" for t in turns) >= 2
    assert rec.outcome == "lose" and rec.scores["slot_accuracy"] == pytest.approx(0.8)


# ------------------------------------------------------------------------------------------- players
def test_reference_and_random_players(game: PrivateShared) -> None:
    """Reference (the teacher in the learner's role) mean main >= 90 per role; random <= 10."""
    from playschool.players import RandomPlayer, ReferencePlayer
    from playschool.runner import EpisodeTask, Runner

    tasks = [EpisodeTask(game, inst, role) for inst in game.generate("test") for role in game.learner_roles]
    for player, check in ((ReferencePlayer(), lambda m: m >= 90.0), (RandomPlayer(0), lambda m: m <= 10.0)):
        records = Runner({"learner": player}).run(tasks).records
        assert len(records) == len(tasks)
        for role in game.learner_roles:
            mains = [r.scores["main"] for r in records if r.learner_role == role]
            assert check(sum(mains) / len(mains)), (player.name, role, sum(mains) / len(mains))


def test_check_game(game: PrivateShared) -> None:
    results = check_game(game)
    assert all(r.passed for r in results)
    assert any("1000/role" in r.detail for r in results)
