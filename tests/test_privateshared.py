"""privateshared episodes (parsing and the scenario data: ``tests/test_privateshared_language.py``): move tables
for both learner roles, when clarifications happen,
the balanced probes and their scoring (Cohen's kappa), golden transcripts of both roles, reference vs random
players and the game contract.

The exploits that v1 paid and v2 must not (cheap policies that read only the learner's view) are in
``tests/test_privateshared_policies.py``.

Regenerate the golden transcripts after an intended change of behaviour (which also bumps the game version):
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_privateshared.py -k golden``.
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Sequence
from typing import Any

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, learner_moves, moves_of, play_script
from playschool.games import (
    LEARNER,
    RANDOM,
    TEACHER,
    EpisodeRecord,
    Instance,
    check_game,
    split_of,
)
from playschool.games.checks import play
from playschool.games.privateshared import PrivateShared
from playschool.games.privateshared.game import facts_key
from playschool.games.privateshared.scenarios import load_scenarios
from playschool.games.privateshared.scoring import answer_score, cohen_kappa, form_score

FACTS = {"destination": "Rome", "month": "June", "seat": "aisle"}
# The truth each probe should have: after answer 1 yes, no; after 2 no, yes; after 3 yes, yes (by then every
# slot is common ground, so a "no" could not be served).
PROBES = [[1, "yes"], [1, "no"], [2, "no"], [2, "yes"], [3, "yes"], [3, "yes"]]


@pytest.fixture(scope="module")
def game() -> PrivateShared:
    return PrivateShared()


def instance(*, experiment: str = "easy", facts: dict[str, str] | None = None, probes: list | None = None,
             max_questions: int = 10, open_question: bool = False, vague: Sequence[str] = (),
             volunteer: Sequence[str] = (), listed: Sequence[str] = ("seat", "destination", "month"),
             seed: int = 7) -> Instance:
    facts = dict(FACTS if facts is None else facts)
    params: dict[str, Any] = {"scenario": "travel", "slots": list(facts), "facts": facts, "listed": list(listed),
                              "probes": PROBES if probes is None else probes, "max_questions": max_questions,
                              "open": open_question, "vague": list(vague), "volunteer": list(volunteer)}
    return Instance(id="hand/travel", game="privateshared-v2", split="test", experiment=experiment, seed=seed,
                    params=params)


def kinds_after(rec: EpisodeRecord) -> list[str]:
    """The kind of the first message the learner got after each of its moves ("-" when none came)."""
    role = rec.learner_role
    return [next((t.kind for t in rec.turns[m.index + 1:] if t.to == role), "-") for m in learner_moves(rec)]


def notes(rec: EpisodeRecord, act: str) -> list[dict[str, Any]]:
    """The parse notes of the learner's accepted moves with ``act`` (probe answers excluded)."""
    return [t.parse for t in learner_moves(rec)
            if t.parse and t.parse.get("ok") and t.parse.get("act") == act and not t.parse.get("probe")]


# ------------------------------------------------------------------------------------------- instances
def test_instances(game: PrivateShared) -> None:
    for split in ("train", "validation", "test"):
        insts = game.generate(split, n=9)
        for inst in insts:
            p = inst.params
            assert split_of(facts_key(p["scenario"], p["facts"])) == split  # held out by facts
            n = 3 if inst.experiment == "easy" else 5
            assert len(p["slots"]) == n == len(set(p["slots"])) and list(p["facts"]) == p["slots"]
            # the customer's list is the same details in another order than the agent asks for them
            assert sorted(p["listed"]) == sorted(p["slots"]) and p["listed"] != p["slots"]
            assert [t for t, _ in p["probes"]] == [t for t in range(1, n + 1) for _ in range(2)]
            labels = [label for _, label in p["probes"]]
            assert set(labels) <= {"yes", "no"} and set(labels[:4]) == {"yes", "no"}
            assert p["max_questions"] == 3 * n + 1
            assert p["open"] == (inst.experiment == "hard")
            assert (len(p["vague"]), len(p["volunteer"])) == ((2, 2) if inst.experiment == "hard" else (0, 0))
            assert not set(p["vague"]) & set(p["volunteer"])
            json.dumps(p)
        # the scenario cycles, so every experiment sees every scenario
        for exp in game.experiments:
            assert {i.params["scenario"] for i in insts if i.experiment == exp} == set(load_scenarios())


def test_instances_are_distinct_held_out_and_reseedable(game: PrivateShared) -> None:
    keys = {s: [game.instance_key(i.params) for i in game.generate(s)] for s in ("train", "validation", "test")}
    for split, ks in keys.items():
        assert len(ks) == len(set(ks)), split
    assert not set(keys["test"]) & (set(keys["train"]) | set(keys["validation"]))
    assert len(keys["test"]) == 3 * game.split_sizes["test"] == 60
    # a private test set: another instance seed, other items, the same experiment mix
    base, other = game.generate("test"), game.generate("test", seed=12345)
    assert not {game.instance_key(i.params) for i in base} & {game.instance_key(i.params) for i in other}
    assert sorted(i.experiment for i in base) == sorted(i.experiment for i in other)
    # the key ignores what does not make another item: form order, listed order, probes
    p = dict(base[0].params)
    shuffled = {**p, "slots": list(reversed(p["slots"])), "listed": list(p["slots"]), "probes": []}
    assert game.instance_key(shuffled) == game.instance_key(p)


def test_test_split_is_large_enough_for_the_interval(game: PrivateShared) -> None:
    """The 95% bootstrap half-width of the reference player's mean main, and of the paired difference
    reference - random, over the whole test split is at most 10 points per role."""
    insts = game.generate("test")
    rng = random.Random(0)

    def half_width(xs: list[float], b: int = 400) -> float:
        means = sorted(statistics.fmean(rng.choices(xs, k=len(xs))) for _ in range(b))
        return (means[int(0.975 * b)] - means[int(0.025 * b)]) / 2

    for role in game.learner_roles:
        ref = [play(game.new_episode(i, role, {r: TEACHER for r in game.roles}), {}).record().scores["main"]
               for i in insts]
        rnd = [play(game.new_episode(i, role, {r: (RANDOM if r == role else TEACHER) for r in game.roles}),
                    {}).record().scores["main"] for i in insts]
        assert half_width(ref) <= 10 and half_width([a - b for a, b in zip(ref, rnd)]) <= 10, role


def test_card_documents_every_score(game: PrivateShared) -> None:
    card = game.card
    assert card.startswith("Private/shared:")
    for word in ("customer", "agent", "easy", "medium", "hard", "ANSWER:", "QUESTION:", "FORM:", "PROBE:",
                 "clarification", "correction", "Version history", "v2:", "main", "ambiguous", "repaired",
                 "consistent", *game.score_ranges):
        assert word in card, word


# ------------------------------------------------------------------------------------------- customer
PERFECT_CUSTOMER = ["ANSWER: Rome, please.", "PROBE: yes", "PROBE: no", "ANSWER: In June.", "PROBE: no",
                    "PROBE: yes", "ANSWER: Aisle, please.", "PROBE: yes", "PROBE: yes"]
ALL_YES = ["PROBE: yes"] * 6

CUSTOMER_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("perfect", PERFECT_CUSTOMER,
     {"outcome": "success", "main": 100.0, "rewards": [0.5] * 9, "answer_score": 1.0, "probe_kappa": 1.0}),
    ("format-error-repaired", ["I want Rome", *PERFECT_CUSTOMER],
     {"outcome": "success", "main": 100.0, "rewards": [-1.0] + [0.5] * 9, "first_kind": "correction"}),
    ("two-moves-in-one-reply", ["ANSWER: Rome\nPROBE: yes", *PERFECT_CUSTOMER],
     {"outcome": "success", "main": 100.0, "format_errors": 1.0, "first_kind": "correction"}),
    ("rule-error-answer-during-probe", ["ANSWER: Rome", "ANSWER: June", *PERFECT_CUSTOMER[1:]],
     {"outcome": "success", "main": 100.0, "rewards": [0.5, -0.5] + [0.5] * 8, "rule_errors": 1.0}),
    ("rule-error-probe-without-probe", ["PROBE: yes", *PERFECT_CUSTOMER],
     {"outcome": "success", "rewards": [-0.5] + [0.5] * 9, "first_kind": "correction"}),
    ("abort-after-three-format-errors", ["", "hello", "ANSWER:"],
     {"outcome": "aborted", "main": 0.0, "rewards": [-1.0, -1.0, -1.0]}),
    # always "yes": right 4 times of 6, but no better than chance -> kappa 0, the probe half is lost
    ("always-yes", ["ANSWER: Rome", "PROBE: yes", "PROBE: yes", "ANSWER: June", "PROBE: yes", "PROBE: yes",
                    "ANSWER: aisle", "PROBE: yes", "PROBE: yes"],
     {"outcome": "success", "main": 50.0, "probe_accuracy": 4 / 6, "probe_kappa": 0.0}),
    # over-sharing: the month comes unasked, so the agent skips it, but that answer was off topic (v1: 100)
    ("overshare-two-slots", ["ANSWER: Rome in June", "PROBE: yes", "PROBE: no", "ANSWER: aisle",
                             *ALL_YES[:4]],
     {"outcome": "success", "main": 0.0, "answer_score": 0.0, "overshared": 1.0, "probe_kappa": 1.0,
      "questions": 2.0, "rewards": [-0.5, 0.5, 0.5, 0.5] + [0.5] * 4}),
    # every detail at once: the agent is done, every probe then asks about common ground, truths do not
    # vary and kappa is 0 (v1 counted it 1.0: main 100)
    ("dump-every-detail", ["ANSWER: Rome, June and aisle.", *ALL_YES],
     {"outcome": "success", "main": 0.0, "answer_score": 0.0, "overshared": 2.0, "probe_kappa": 0.0,
      "probe_accuracy": 1.0}),
    ("dump-every-detail-probes-no", ["ANSWER: Rome, June and aisle.", *(["PROBE: no"] * 6)],
     {"outcome": "success", "main": 0.0, "probe_accuracy": 0.0}),
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
    for key in ("main", "slot_accuracy", "probe_accuracy", "probe_kappa", "questions", "rule_errors",
                "format_errors", "answer_score", "overshared"):
        if key in expect:
            assert rec.scores[key] == pytest.approx(expect[key]), key


def said_truthfully(view: tuple[dict[str, str], ...], name: str) -> bool:
    """A test oracle for the customer's probes: the field's true value was said in an answer that the
    agent did not ask about again right after (independent of the game's bookkeeping)."""
    value = {"destination": "Rome", "travel month": "June", "seat preference": "aisle"}[name]
    known = False
    for msg in view:
        text = msg["content"]
        if msg["role"] == "assistant" and text.startswith("ANSWER:"):
            said = value.lower() in text.lower()
            known = known or said
        elif msg["role"] == "user" and "Sorry" in text and known and said:
            known = False
    return known


def play_customer(game: PrivateShared, inst: Instance, answers: list[str]) -> EpisodeRecord:
    """The customer gives ``answers`` in order and answers each probe with the oracle."""
    ep = game.new_episode(inst, "customer")
    todo = list(answers)
    while (turn := ep.pending()) is not None:
        last = turn.messages[-1]["content"].splitlines()[-1]
        if last.startswith("PROBE ("):
            name = last.split("your ", 1)[1].split("?")[0]
            ep.act(f"PROBE: {'yes' if said_truthfully(turn.messages, name) else 'no'}")
        else:
            ep.act(todo.pop(0))
    assert not todo
    return ep.record()


def test_customer_messages_and_a_wrong_value(game: PrivateShared) -> None:
    # After answer 3 only the destination (noted as Lisbon) is not common ground: the scheduled "no" asks it.
    rec = play_script(game, instance(probes=[[1, "no"], [2, "yes"], [3, "no"]]), "customer",
                      ["ANSWER: Lisbon", "PROBE: yes", "ANSWER: June", "PROBE: yes", "ANSWER: aisle", "PROBE: yes"])
    to_customer = [t for t in rec.turns if t.to == "customer"]
    assert to_customer[0].kind == "instruction" and "- destination: Rome" in to_customer[0].text
    assert to_customer[1].kind == "observation" and to_customer[1].text.startswith("Travel agent: ")
    assert to_customer[-1].kind == "environment" and "2 of 3 of your details are correct" in to_customer[-1].text
    # a value that contradicts the facts is taken as said: the agent never asks again and the form is wrong
    assert rec.outcome == "lose" and rec.scores["slot_accuracy"] == pytest.approx(2 / 3)
    first = notes(rec, "answer")[0]
    assert first["consistent"] is False and first["on_topic"] is False
    assert rec.scores["answer_score"] == pytest.approx(1 / 3)  # (2 right - 1 wrong) / 3 answers
    wrong = [t.text for t in to_customer if t.kind == "correction"]
    assert wrong[-1] == "Not quite: the travel agent does not know your destination: it noted Lisbon, but yours " \
        "is Rome."
    assert rec.scores["probe_accuracy"] == pytest.approx(1 / 3)


def test_customer_instructions_list_the_details_out_of_asking_order(game: PrivateShared) -> None:
    ep = game.new_episode(instance(), "customer")
    text = ep.turns[0].text
    assert text.index("- seat preference: aisle") < text.index("- destination: Rome") < text.index(
        "- travel month: June")
    assert "Rome" not in text.split("Your private information")[1].split("\n\n", 1)[1]  # no example of its own


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


def test_answers_to_a_reasked_question_note_the_repair(game: PrivateShared) -> None:
    rec = play_script(game, instance(probes=[]), "customer",
                      ["ANSWER: Somewhere warm.", "ANSWER: Rome.", "ANSWER: June", "ANSWER: hmm", "ANSWER: pass",
                       "ANSWER: no idea"])
    answers = notes(rec, "answer")
    # the first answer was not a reply to a re-ask; the re-asked destination is repaired, the seat never
    assert "repaired" not in answers[0] and answers[1]["repaired"] is True
    assert [a.get("repaired") for a in answers[2:]] == [None, None, False, False]


def test_stalling_earns_nothing(game: PrivateShared) -> None:
    """Non-answers until the agent gives up count against the customer: answers right minus the others."""
    rec = play_script(game, instance(probes=[]), "customer",
                      ["ANSWER: Rome", "ANSWER: hmm", "ANSWER: no idea", "ANSWER: pass", "ANSWER: aisle"])
    agent = moves_of(rec, "agent")
    assert agent[2].startswith("QUESTION: Sorry, I didn't catch that. Which travel month did you mean?")
    assert agent[4].startswith("QUESTION: Never mind, let's move on. ")
    assert agent[-1] == "FORM: destination=Rome; month=unknown; seat=aisle"
    assert rec.outcome == "lose" and rec.scores["slot_accuracy"] == pytest.approx(2 / 3)
    assert rec.scores["clarifications"] == 2.0
    assert [t.reward for t in learner_moves(rec)] == [0.5, -0.5, -0.5, -0.5, 0.5]
    assert "probe_kappa" not in rec.scores and rec.scores["main"] == 0.0  # (2 - 3) / 5 -> 0


@pytest.mark.parametrize(("opening", "main", "overshared"), [
    ("ANSWER: I'd like to go to Rome in June.", 100.0, 0.0),  # one or two details: on topic
    ("ANSWER: I'd like to go to Rome in June, sitting by the aisle.", 0.0, 1.0),  # three: over-sharing
])
def test_open_question_in_hard(game: PrivateShared, opening: str, main: float, overshared: float) -> None:
    rec = play_customer(game, instance(experiment="hard", open_question=True), [opening, "ANSWER: Aisle, please."]
                        if overshared == 0 else [opening])
    assert moves_of(rec, "agent")[0] == "QUESTION: Hello, welcome to Sunway Travel! How can I help you today?"
    assert rec.outcome == "success" and rec.scores["main"] == main
    assert rec.scores["overshared"] == overshared and rec.scores["probes"] == 6.0


# ------------------------------------------------------------------------------------------- agent
Q_DEST, Q_MONTH, Q_SEAT = ("QUESTION: Where would you like to travel to?", "QUESTION: When would you like to "
                           "travel?", "QUESTION: What is your seat preference?")
FORM_OK = "FORM: destination=Rome; month=June; seat=aisle"
PERFECT_AGENT = [Q_DEST, "PROBE: yes", "PROBE: no", Q_MONTH, "PROBE: no", "PROBE: yes", Q_SEAT, "PROBE: yes",
                 "PROBE: yes", FORM_OK]

AGENT_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("perfect", PERFECT_AGENT,
     {"outcome": "success", "main": 100.0, "rewards": [0.1, 0.5, 0.5] * 3 + [1.5], "form_score": 1.0}),
    ("format-error-repaired", ["Where are you going?", *PERFECT_AGENT],
     {"outcome": "success", "main": 100.0, "first": (-1.0, "correction")}),
    ("rule-error-form-during-probe", [Q_DEST, FORM_OK, *PERFECT_AGENT[1:]],
     {"outcome": "success", "main": 100.0, "rule_errors": 1.0}),
    ("rule-error-bad-option", [*PERFECT_AGENT[:-1], "FORM: destination=Paris; month=June; seat=aisle", FORM_OK],
     {"outcome": "success", "rule_errors": 1.0}),
    ("abort-after-three-rule-errors", ["PROBE: yes", "PROBE: no", "FORM: destination=Rome"],
     {"outcome": "aborted", "main": 0.0, "rewards": [-0.5, -0.5, -0.5]}),
    ("unknown-field", [*PERFECT_AGENT[:-1], "FORM: destination=Rome; month=June; seat=unknown"],
     {"outcome": "lose", "main": pytest.approx(100 * 2 / 3), "form_score": pytest.approx(2 / 3), "last": 1.0}),
    # a wrong field costs what a right one earns (v1: 67)
    ("wrong-and-unknown-fields-lose", [*PERFECT_AGENT[:-1], "FORM: destination=Oslo; month=June; seat=unknown"],
     {"outcome": "lose", "main": 0.0, "slot_accuracy": pytest.approx(1 / 3), "last": -0.0}),
    # an open first question gets what the customer came for, no detail; a later question naming nothing is
    # clarified by the customer
    ("open-then-unclear", ["QUESTION: How can I help you?", "PROBE: no", "PROBE: no", "QUESTION: What else?",
                           Q_DEST, "PROBE: yes", "PROBE: no", Q_MONTH, "PROBE: yes", "PROBE: yes", Q_SEAT, FORM_OK],
     {"outcome": "success", "main": 100.0,
      "rewards": [0.0, 0.5, 0.5, -0.2, 0.1, 0.5, 0.5, 0.1, 0.5, 0.5, 0.1, 1.5],
      "unclear_questions": 1.0, "clarifications": 1.0}),
    # asking again costs 0.1; guessing the month and seat right in the form still counts
    ("redundant-question", [Q_DEST, "PROBE: yes", "PROBE: no", "QUESTION: What is your destination?",
                            "PROBE: no", "PROBE: yes", FORM_OK],
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
    for key in ("main", "rule_errors", "unclear_questions", "clarifications", "probes", "form_score",
                "slot_accuracy"):
        if key in expect:
            assert rec.scores[key] == pytest.approx(expect[key]), key


def test_agent_notes(game: PrivateShared) -> None:
    rec = play_script(game, instance(), "agent", AGENT_TABLE[7][1])  # open-then-unclear
    asks = notes(rec, "ask")
    # the question after the customer's "not sure what you are asking" names one slot: a repair
    assert [a.get("repaired") for a in asks] == [None, None, True, None, None]
    assert [a.get("consistent") for a in asks] == [None, None, True, True, True]
    submit = notes(rec, "submit")[0]
    assert submit["consistent"] is True and submit["ambiguous"] is False
    redundant = play_script(game, instance(), "agent", AGENT_TABLE[8][1])
    assert [a.get("consistent") for a in notes(redundant, "ask")] == [True, False]
    # a form that drops a communicated value does not square with the dialogue
    dropped = play_script(game, instance(), "agent", [*PERFECT_AGENT[:-1],
                                                      "FORM: destination=unknown; month=June; seat=aisle"])
    assert notes(dropped, "submit")[0]["consistent"] is False


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
    inst = instance(experiment="hard", vague=["month"], volunteer=["destination", "seat"],
                    probes=[[1, "yes"], [2, "no"]])
    rec = play_script(game, inst, "agent", [Q_DEST, "PROBE: yes", Q_MONTH, "PROBE: yes", Q_MONTH, FORM_OK])
    customer = moves_of(rec, "customer")
    assert "Rome" in customer[0] and "aisle" in customer[0].lower()  # two slots in one answer
    assert customer[1] in {f"ANSWER: {v}" for v in load_scenarios()["travel"].slot("month").vague}
    assert "June" in customer[2]
    # the re-ask after the vague answer is a clarification in an ambiguous situation
    asked = [(n["act"], n.get("ambiguous")) for n in notes(rec, "ask") + notes(rec, "clarify")]
    assert sorted(asked) == [("ask", False), ("ask", False), ("clarify", True)]
    assert [t.kind for t in rec.turns if t.to == "customer" and t.speaker == "agent"] == \
        ["observation", "observation", "clarification"]
    wrong = next(t for t in rec.turns if t.to == "agent" and t.kind == "correction")
    assert wrong.text == "Not quite: the customer has not told you their travel month yet."
    assert rec.outcome == "success" and rec.scores["probe_accuracy"] == 0.5


def test_partner_answers_an_open_question_with_no_detail(game: PrivateShared) -> None:
    ep = game.new_episode(instance(experiment="hard", open_question=True, probes=[]), "agent")
    ep.act("QUESTION: How can I help you?")
    answer = [t for t in ep.turns if t.speaker == "customer" and t.kind == "move"][-1]
    assert answer.text == f"ANSWER: {load_scenarios()['travel'].request}"
    assert answer.parse is not None and answer.parse["communicated"] == []


def test_reference_customer_opens_with_a_detail_it_was_told_to_list_first(game: PrivateShared) -> None:
    """The reference customer uses only what its role is told: asked an open question, it gives the first
    detail of its own list, not the first field of the agent's form (whose order it never sees)."""
    inst = instance(experiment="hard", open_question=True, probes=[])
    assert inst.params["slots"][0] != inst.params["listed"][0]
    ep = game.new_episode(inst, "customer", {"customer": TEACHER, "agent": LEARNER})
    ep.act("QUESTION: How can I help you?")
    answer = [t for t in ep.turns if t.speaker == "customer" and t.kind == "move"][-1]
    assert answer.parse is not None and answer.parse["communicated"] == [inst.params["listed"][0]]
    assert answer.parse["on_topic"] is True


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
    ([(True, True), (True, True)], 0.0),  # undefined (truths and answers all alike): chance, never 1.0
    ([(False, False)] * 5, 0.0),
    ([(True, True), (True, False)], 0.0),  # truths alike, answers vary: kappa is 0 anyway
    ([(True, True), (True, True), (False, True), (False, False)], 0.5),
    ([(True, True), (False, True), (True, True), (False, True)], 0.0),  # always yes
])
def test_cohen_kappa(pairs: list[tuple[bool, bool]], kappa: float) -> None:
    assert cohen_kappa(pairs) == pytest.approx(kappa)


@pytest.mark.parametrize(("on_topic", "answers", "score"), [(0, 0, 0.0), (3, 3, 1.0), (2, 3, 1 / 3), (1, 2, 0.0),
                                                             (1, 3, 0.0), (4, 5, 0.6)])
def test_answer_score(on_topic: int, answers: int, score: float) -> None:
    assert answer_score(on_topic, answers) == pytest.approx(score)


@pytest.mark.parametrize(("correct", "wrong", "fields", "score"), [(3, 0, 3, 1.0), (2, 0, 3, 2 / 3), (2, 1, 3, 1 / 3),
                                                                   (1, 2, 3, 0.0), (0, 0, 0, 0.0)])
def test_form_score(correct: int, wrong: int, fields: int, score: float) -> None:
    assert form_score(correct, wrong, fields) == pytest.approx(score)


def test_probe_truths_vary_and_constant_answers_are_chance(game: PrivateShared) -> None:
    """On every test instance and both roles, the reference's probe truths take both values, and answering
    every probe alike gets kappa 0 (v1: 1.0 wherever the truths did not vary)."""
    for inst in game.generate("test", n=4):
        for role in game.learner_roles:
            rec = play(game.new_episode(inst, role, {r: TEACHER for r in game.roles}), {}).record()
            truths = [t.parse["truth"] for t in learner_moves(rec) if t.parse and t.parse.get("probe")]
            assert set(truths) == {True, False}, (inst.id, role)
            assert cohen_kappa([(t, True) for t in truths]) == 0.0
            assert cohen_kappa([(t, False) for t in truths]) == 0.0
            assert rec.scores["main"] == 100.0


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
GOLDEN_AGENT = [
    "Let me start with an open question.",                          # format error -> correction
    "QUESTION: Good morning! What brings you here today?",          # open: the applicant says why it came
    "PROBE: no", "PROBE: yes",                                      # right; wrong -> correction
    "QUESTION: Tell me everything.",                                # names no slot -> clarification
    "QUESTION: When could you start?",                              # a repair: July, and Cardiff volunteered
    "PROBE: yes", "PROBE: yes",
    "QUESTION: Which position are you applying for?",               # vague answer
    "PROBE: no", "PROBE: yes",
    "QUESTION: **Sorry, which position do you mean exactly?**",     # clarification -> accountant
    "PROBE: yes", "PROBE: no",
    "QUESTION: What is your highest qualification?",                # vague again
    "PROBE: no", "PROBE: yes",
    "QUESTION: Which foreign language do you speak?",               # moves on instead of clarifying
    "PROBE: yes",                                                   # no probe pending -> rule correction
    "QUESTION: And your highest qualification, exactly?",           # doctorate
    "FORM: location=Cardiff; position=accountant; qualification=doctorate; language=Italian; start=July",
]
GOLDEN_CUSTOMER = [
    "ANSWER: I'd like to work in Cardiff, as an accountant.",       # open question: two details, on topic
    "PROBE: no", "PROBE: yes",                                      # right; wrong -> correction
    "Let me think about that.",                                     # format error -> correction
    "ANSWER: I have a degree.",                                     # vague -> the recruiter asks again
    "PROBE: yes", "PROBE: yes",
    "ANSWER: A doctorate.",                                         # repaired
    "PROBE: no", "PROBE: yes",
    "**ANSWER:** Italian, and some Spanish from school.",           # two options -> "Italian or Spanish?"
    "PROBE: yes", "PROBE: no",
    "ANSWER: Italian.",                                             # repaired
    "PROBE: no", "PROBE: yes",
    "ANSWER: I could start in July.",                               # the form is complete
]
FACTS_HARD_0 = {"location": "Cardiff", "position": "accountant", "qualification": "doctorate",
                "language": "Italian", "start": "July"}


@pytest.mark.parametrize(("role", "replies", "main"), [("agent", GOLDEN_AGENT, 90.0),
                                                       ("customer", GOLDEN_CUSTOMER, 30.0)])
def test_golden_transcript(game: PrivateShared, role: str, replies: list[str], main: float) -> None:
    inst = next(i for i in game.generate("test", n=1) if i.experiment == "hard")
    assert inst.params["facts"] == FACTS_HARD_0, "the test split changed: rewrite the golden replies"
    rec = play_script(game, inst, role, replies)
    turns = golden_turns(rec)
    name = "privateshared.json" if role == "agent" else "privateshared_customer.json"
    check_golden(GOLDEN_DIR / name, {"instance_id": rec.instance_id, "outcome": rec.outcome, "turns": turns})
    assert rec.outcome == "success" and rec.scores["main"] == pytest.approx(main)
    assert sum(t["kind"] == "clarification" for t in turns) >= 1
    assert sum(t["kind"] == "correction" for t in turns) >= 2


# ------------------------------------------------------------------------------------------- players
def test_reference_and_random_players(game: PrivateShared) -> None:
    """Reference (the teacher in the learner's role) mean main >= 90 per role; random legal moves <= 10."""
    from playschool.players import RandomPlayer, ReferencePlayer
    from playschool.runner import EpisodeTask, Runner

    tasks = [EpisodeTask(game, inst, role) for inst in game.generate("test") for role in game.learner_roles]
    for player, check in ((ReferencePlayer(), lambda m: m >= 90.0), (RandomPlayer(0), lambda m: m <= 10.0)):
        records = Runner({"learner": player}).run(tasks).records
        assert len(records) == len(tasks)
        for role in game.learner_roles:
            mains = [r.scores["main"] for r in records if r.learner_role == role]
            assert check(sum(mains) / len(mains)), (player.name, role, sum(mains) / len(mains))


def test_random_moves_are_legal(game: PrivateShared) -> None:
    """The chance floor plays the game: its moves parse, and they break no rule."""
    for inst in game.generate("test", n=3):
        for role in game.learner_roles:
            rec = play(game.new_episode(inst, role, {r: (RANDOM if r == role else TEACHER) for r in game.roles}),
                       {}).record()
            assert rec.outcome in ("success", "lose")
            assert rec.scores["format_errors"] == rec.scores["rule_errors"] == 0.0, (inst.id, role)


def test_check_game(game: PrivateShared) -> None:
    results = check_game(game)
    assert all(r.passed for r in results)
    assert any("1000/role" in r.detail for r in results)
