"""Repair: parsing tables, shelf rules and misreadings, move tables for both learner roles, when the teacher
asks and corrects, golden transcripts, reference vs random players and the game contract.

Attacks by cheap policies, the notes for CLU2 and the instances are tested in ``test_repair_policies.py``.
Regenerate the golden transcripts after an intended change of behaviour (which also bumps the game version):
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_repair.py -k golden``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, kinds_to, learner_rewards, moves_of, play_script
from playschool.games import TEACHER, EpisodeRecord, FormatError, Instance, MoveError, RuleError, check_game
from playschool.games.repair import Repair
from playschool.games.repair.catalogue import load_catalogue, noun_of
from playschool.games.repair.game import LEVELS
from playschool.games.repair.language import (
    Ambiguous,
    Clarify,
    Done,
    Instruct,
    Report,
    Scene,
    interpret,
    parse_builder,
    parse_instructor,
    resolve,
    which_question,
)
from playschool.games.repair.shelf import Put, Remove, Swap, execute, misread

from playschool.players import RandomPlayer, ReferencePlayer
from playschool.runner import EpisodeTask, Runner

ITEMS = ("red cup", "blue cup", "red mug", "green book")
# Goal: 1 green book, 2 empty, 3 red cup, 4 blue cup, 5 red mug. The teacher builder misreads the 2nd put
# step (off by one slot, to the right); the teacher instructor words steps 0 and 2 by noun only.
HAND_PARAMS: dict[str, Any] = {
    "items": list(ITEMS), "slots": 5, "goal": ["green book", None, "red cup", "blue cup", "red mug"],
    "plan": ["red cup", "green book", "blue cup", "red mug"], "ambiguous_steps": [0, 2],
    "misreadings": [{"step": 2, "kind": "slot"}], "side": "right",
}
EMPTY5 = "STATE: 1=empty; 2=empty; 3=empty; 4=empty; 5=empty"


@pytest.fixture(scope="module")
def game() -> Repair:
    return Repair()


def hand(**changes: Any) -> Instance:
    return Instance(id="hand/1", game="repair-v2", split="test", experiment="easy", seed=1,
                    params={**HAND_PARAMS, **changes})


def scene(slots: int = 5) -> Scene:
    return Scene(ITEMS, slots, load_catalogue())


def run(game: Repair, role: str, replies: Sequence[str], instance: Instance | None = None) -> EpisodeRecord:
    """:func:`gamekit.play_script` on ``instance``, by default the hand-made shelf."""
    return play_script(game, instance or hand(), role, replies)


def check_expected(rec: EpisodeRecord, expected: dict[str, Any]) -> None:
    assert rec.outcome == expected["outcome"], rec.reason
    for key, value in expected.items():
        if key == "rewards":
            assert learner_rewards(rec) == pytest.approx(value), key
        elif key != "outcome":
            assert rec.scores[key] == pytest.approx(value), key


# ---------------------------------------------------------------------------------------- reading steps
STEP_TABLE: list[tuple[str, object]] = [
    ("put the red cup in slot 3", Put("red cup", 3)),
    ("Place the blue cup in the second slot.", Put("blue cup", 2)),
    ("move the mug to slot five", Put("red mug", 5)),  # the only mug
    ("put the red cup in slot 2, not slot 4", Put("red cup", 2)),
    ("No, the red cup should be in slot 3, not slot 4: put the red cup in slot 3.", Put("red cup", 3)),
    ("That's not what I meant: the red cup goes in slot 3, not the blue cup. Put the red cup in slot 3.",
     Put("red cup", 3)),
    ("I mean the red cup: put the red cup in slot 2.", Put("red cup", 2)),
    ("put the cup, the red cup, in slot 2", Put("red cup", 2)),
    ("move the green book from slot 1 to slot 4", Put("green book", 4)),
    ("move slot 1 to slot 2", Put("green book", 2)),
    ("swap slot 1 and slot 3", Swap(1, 3)),
    ("switch the green book and the red mug", Swap(1, 3)),
    ("remove the red mug", Remove("red mug")),
    ("take the red mug back to the table", Remove("red mug")),
    ("take the red mug off the shelf", Remove("red mug")),
    ("clear slot 1", Remove("green book")),
]
STATE = ("green book", None, "red mug", None, None)


@pytest.mark.parametrize(("text", "action"), STEP_TABLE, ids=[t for t, _ in STEP_TABLE])
def test_interpret_steps(text: str, action: object) -> None:
    assert resolve(interpret(text, scene()), STATE, scene()) == action


@pytest.mark.parametrize(("text", "candidates"), [
    ("put the cup in slot 3", {"red cup", "blue cup"}),
    ("put the red one in slot 2", {"red cup", "red mug"}),
    ("put the red in slot 2, please", {"red cup", "red mug"}),
])
def test_unclear_references(text: str, candidates: set[str]) -> None:
    target = resolve(interpret(text, scene()), STATE, scene())
    assert isinstance(target, Ambiguous) and target.candidates == candidates


def test_which_question() -> None:
    assert which_question(frozenset({"red cup", "blue cup"})) == \
        "Which cup do you mean: the blue cup or the red cup?"
    assert which_question(frozenset({"red cup", "red mug", "blue cup"})) == \
        "Which one do you mean: the blue cup, the red cup or the red mug?"


@pytest.mark.parametrize(("text", "error", "match"), [
    ("hello there", FormatError, "cannot tell what to do"),
    ("put it in slot three", FormatError, "Which item should go to slot 3"),
    ("put the red cup in slot 2 and the blue cup in slot 4", FormatError, "One step at a time"),
    ("swap the red cup", FormatError, "To swap"),
    ("remove", FormatError, "Say which item"),
    ("put the purple cup in slot 2", RuleError, "There is no purple cup"),
    ("put the vase in slot 2", RuleError, "There is no vase"),
    # a colour before a word that is no item names no item: not "the red one"
    ("put the red apple in slot 2", RuleError, "There is no red apple"),
    ("put the red cup in slot 9", RuleError, "There is no slot 9"),
    ("swap the red cup and the blue cup", RuleError, "on the table"),
    ("clear slot 2", RuleError, "Slot 2 is empty"),
])
def test_bad_steps(text: str, error: type[MoveError], match: str) -> None:
    with pytest.raises(error, match=match):
        resolve(interpret(text, scene()), STATE, scene())


@pytest.mark.parametrize(("text", "move"), [
    ("INSTRUCT: put the red cup in slot 3", Instruct("put the red cup in slot 3")),
    ("Sure.\n**INSTRUCT:** put the red cup in slot 3\nThat should do it.", Instruct("put the red cup in slot 3")),
    ("DONE", Done()), ("done.", Done()), ("**DONE**", Done()),
])
def test_parse_instructor(text: str, move: object) -> None:
    assert parse_instructor(text) == move


@pytest.mark.parametrize("text", ["", "put the red cup in slot 3", "I think we are DONE", "INSTRUCT:",
                                  "INSTRUCT: " + "x" * 400, "STATE: 1=empty", "CLARIFY: which one?",
                                  "INSTRUCT: put the red cup in slot 3\nINSTRUCT: put the blue cup in slot 4",
                                  "DONE\nINSTRUCT: put the red cup in slot 3", "DONE, but first the red cup"])
def test_parse_instructor_rejects(text: str) -> None:
    with pytest.raises(FormatError):
        parse_instructor(text)


@pytest.mark.parametrize(("text", "move"), [
    ("STATE: 1=red cup; 2=empty; 3=blue cup; 4=empty; 5=empty",
     Report(("red cup", None, "blue cup", None, None))),
    ("I did it.\nSTATE: 1=Red Cup, 2=-, 3=the blue cup, 4=, 5=empty.", Report(("red cup", None, "blue cup", None, None))),
    ("**STATE:** slot 1: green book; slot 2: empty; 3=empty; 4=empty; 5=red mug",
     Report(("green book", None, None, None, "red mug"))),
    ("CLARIFY: Which cup?", Clarify("Which cup?")),
])
def test_parse_builder(text: str, move: object) -> None:
    assert parse_builder(text, scene()) == move


@pytest.mark.parametrize(("text", "error", "match"), [
    ("I put it there.", FormatError, "STATE"),
    ("STATE: 1=red cup", FormatError, "leaves out slot"),
    ("STATE: 1=red cup; 1=empty; 2=empty; 3=empty; 4=empty; 5=empty", FormatError, "listed twice"),
    ("STATE: red cup, blue cup", FormatError, "Cannot read"),
    ("CLARIFY:", FormatError, "empty"),
    ("CLARIFY: Which cup?\nSTATE: 1=red cup; 2=empty; 3=empty; 4=empty; 5=empty", FormatError, "2 move lines"),
    ("STATE: 1=cup; 2=empty; 3=empty; 4=empty; 5=empty", RuleError, "no 'cup'"),
    ("STATE: 1=red cup; 2=red cup; 3=empty; 4=empty; 5=empty", RuleError, "two slots"),
])
def test_parse_builder_rejects(text: str, error: type[MoveError], match: str) -> None:
    with pytest.raises(error, match=match):
        parse_builder(text, scene())


# ---------------------------------------------------------------------------------------- the shelf
def test_execute() -> None:
    s = ("green book", None, "red mug", None, None)
    assert execute(s, Put("red cup", 3)) == ("green book", None, "red cup", None, None)  # mug to the table
    assert execute(s, Put("green book", 2)) == (None, "green book", "red mug", None, None)
    assert execute(s, Remove("red mug")) == ("green book", None, None, None, None)
    assert execute(s, Swap(1, 4)) == (None, None, "red mug", "green book", None)
    for action, match in [(Put("green book", 1), "already in slot 1"), (Remove("red cup"), "already on the table"),
                          (Swap(2, 4), "both empty"), (Swap(3, 3), "itself")]:
        with pytest.raises(RuleError, match=match):
            execute(s, action)


@pytest.mark.parametrize(("state", "meant", "kind", "side", "done", "as_kind"), [
    ((None,) * 5, Put("red cup", 3), "slot", "right", Put("red cup", 4), "slot"),
    ((None,) * 5, Put("red cup", 3), "slot", "left", Put("red cup", 2), "slot"),
    ((None, None, None, "green book", None), Put("red cup", 3), "slot", "right", Put("red cup", 2), "slot"),
    ((None,) * 5, Put("red cup", 2), "mirror", "right", Put("red cup", 4), "mirror"),
    # the middle slot mirrors onto itself: the nearest free slot instead
    ((None,) * 5, Put("red cup", 3), "mirror", "left", Put("red cup", 2), "mirror"),
    ((None,) * 5, Put("red cup", 3), "item", "right", Put("blue cup", 3), "item"),  # same noun first
    ((None,) * 5, Put("red mug", 3), "item", "right", Put("red cup", 3), "item"),  # then a look-alike
    ((None,) * 5, Put("green book", 1), "item", "right", Put("green book", 2), "slot"),  # no look-alike
    # no free slot left but the meant one: a wrong item instead
    (("green book", "blue cup", None, "red mug"), Put("red cup", 3), "slot", "right", Put("blue cup", 3), "item"),
])
def test_misread(state: tuple[str | None, ...], meant: Put, kind: str, side: str, done: Put, as_kind: str) -> None:
    mis = misread(state, meant, kind, side, ITEMS, load_catalogue())
    assert mis is not None and (mis.done, mis.kind, mis.meant) == (done, as_kind, meant)


def test_misread_needs_room() -> None:
    assert misread(("green book", "red cup", None), Put("red mug", 3), "slot", "right", ("green book", "red cup",
                   "red mug"), load_catalogue()) is not None  # red cup is a look-alike of red mug
    assert misread(("green book", None), Put("red cup", 2), "slot", "right", ("green book", "red cup"),
                   load_catalogue()) is None


# ---------------------------------------------------------------------------------------- instances
def test_instances(game: Repair) -> None:
    cat = load_catalogue()
    for split in ("train", "validation", "test"):
        split_nouns = {n for g in cat.split_groups(split) for n in g}
        for inst in game.generate(split, n=30):
            p, level = inst.params, LEVELS[inst.experiment]
            items = p["items"]
            assert len(items) == len(set(items)) == level.items
            assert {noun_of(i) for i in items} <= split_nouns  # held-out nouns stay held out
            assert p["slots"] == level.items + 1
            assert sorted(i for i in p["goal"] if i) == sorted(items) and len(p["goal"]) == p["slots"]
            assert sorted(p["plan"]) == sorted(items)
            assert len(p["misreadings"]) == level.misreadings
            assert len(p["ambiguous_steps"]) == level.ambiguous
            for step in p["ambiguous_steps"]:  # an ambiguous step really has two items to choose from
                assert sum(noun_of(i) == noun_of(p["plan"][step]) for i in items) > 1
            assert json.loads(json.dumps(p)) == p
    splits = [{n for g in cat.split_groups(s) for n in g} for s in ("train", "validation", "test")]
    assert not (splits[0] & splits[2]) and not (splits[1] & splits[2])


def test_card(game: Repair) -> None:
    card = game.card
    assert card.startswith("Repair:")
    for word in ("instructor", "builder", "easy", "medium", "hard", "INSTRUCT:", "DONE", "STATE:", "CLARIFY:",
                 "clarification", "correction", "observation", "environment", "Version history", "main",
                 *game.score_ranges):
        assert word in card, word


# ---------------------------------------------------------------------------------------- learner instructor
STEPS = ["INSTRUCT: put the red cup in slot 3", "INSTRUCT: put the green book in slot 1"]
REPAIR = "INSTRUCT: No, the green book should be in slot 1, not slot 2: put the green book in slot 1."
REST = ["INSTRUCT: put the blue cup in slot 4", "INSTRUCT: put the red mug in slot 5"]

INSTRUCTOR_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("notices the misreading and repairs it", [*STEPS, REPAIR, *REST, "DONE"],
     {"outcome": "success", "main": 100.0, "repairs_needed": 1, "repairs_made": 1, "repair_rate": 1.0,
      "wasted_steps": 0, "rewards": [0.2, 0.2, 0.5, 0.2, 0.2, 1.0], "instructions": 5}),
    ("ignores the misreading: nothing for the items placed", [*STEPS, *REST, "DONE"],
     {"outcome": "lose", "main": 0.0, "final_correct": 0.75, "repairs_needed": 1, "repairs_made": 0,
      "rewards": [0.2, 0.2, 0.2, 0.2, -0.25]}),
    ("repairs late, after placing the rest", [*STEPS, *REST, REPAIR, "DONE"],
     {"outcome": "success", "main": 100.0, "repairs_made": 1, "rewards": [0.2, 0.2, 0.2, 0.2, 0.5, 1.0]}),
    ("DONE at once", ["DONE"], {"outcome": "lose", "main": 0.0, "repairs_needed": 0, "rewards": [-1.0]}),
    ("every step twice: the repeats are wasted and cancel the repair",
     [s for step in [*STEPS, *REST] for s in (step, step)] + ["DONE"],
     {"outcome": "success", "main": 0.0, "repairs_made": 1, "wasted_steps": 3, "rule_errors": 3,
      "rewards": [0.2, -0.5, 0.2, 0.5, 0.2, -0.5, 0.2, -0.5, 1.0]}),
    ("repairs in two steps: clear the wrong slot, then place", [*STEPS, "INSTRUCT: remove the green book",
                                                               "INSTRUCT: put the green book in slot 1", *REST,
                                                               "DONE"],
     {"outcome": "success", "main": 100.0, "repairs_made": 1, "rewards": [0.2, 0.2, 0.3, 0.5, 0.2, 0.2, 1.0]}),
    ("undoing a fix is wasted, and redoing it earns no second bonus",
     [*STEPS, "INSTRUCT: remove the green book", "INSTRUCT: put the green book in slot 2",
      "INSTRUCT: remove the green book", "INSTRUCT: put the green book in slot 1", *REST, "DONE"],
     {"outcome": "success", "main": 0.0, "repairs_made": 1, "wasted_steps": 1,
      "rewards": [0.2, 0.2, 0.3, -0.3, 0.0, 0.5, 0.2, 0.2, 1.0]}),
    ("an unclear item: the builder asks, the instructor answers; the unclear step is wasted",
     ["INSTRUCT: put the cup in slot 3", "INSTRUCT: the red one", STEPS[1], REPAIR, *REST, "DONE"],
     {"outcome": "success", "main": 0.0, "clarifications": 1, "wasted_steps": 1,
      "rewards": [-0.3, 0.2, 0.2, 0.5, 0.2, 0.2, 1.0]}),
    ("format error, then repaired", ["put the red cup in slot 3", STEPS[0], STEPS[1], REPAIR, *REST, "DONE"],
     {"outcome": "success", "main": 100.0, "format_errors": 1, "rewards": [-1.0, 0.2, 0.2, 0.5, 0.2, 0.2, 1.0]}),
    ("rule errors (no such slot, a step that changes nothing) are wasted steps",
     [STEPS[0], "INSTRUCT: put the red cup in slot 7", "INSTRUCT: put the red cup in slot 3", STEPS[1], REPAIR,
      *REST, "DONE"],
     {"outcome": "success", "main": 0.0, "rule_errors": 2, "wasted_steps": 2,
      "rewards": [0.2, -0.5, -0.5, 0.2, 0.5, 0.2, 0.2, 1.0]}),
    ("three format errors abort", ["put the red cup in slot 3", "INSTRUCT: hello", "INSTRUCT:"],
     {"outcome": "aborted", "main": 0.0, "format_errors": 3}),
    ("three rule errors abort", ["INSTRUCT: put the red cup in slot 7", "INSTRUCT: swap slot 1 and slot 2",
                                 "INSTRUCT: put the purple cup in slot 1"],
     {"outcome": "aborted", "main": 0.0, "rule_errors": 3, "rewards": [-0.5, -0.5, -0.5]}),
    ("an answer without a question is a format error", ["INSTRUCT: the red one", *STEPS, REPAIR, *REST, "DONE"],
     {"outcome": "success", "main": 100.0, "format_errors": 1}),
    ("the move limit ends an endless episode",
     [f"INSTRUCT: put the red cup in slot {3 + i % 2}" for i in range(30)],
     {"outcome": "lose", "final_correct": 0.0, "main": 0.0}),
]


@pytest.mark.parametrize(("name", "replies", "expected"), INSTRUCTOR_TABLE, ids=[r[0] for r in INSTRUCTOR_TABLE])
def test_learner_instructor(game: Repair, name: str, replies: list[str], expected: dict[str, Any]) -> None:
    check_expected(run(game, "instructor", replies), expected)


def test_instructor_transcript(game: Repair) -> None:
    rec = run(game, "instructor", ["INSTRUCT: put the cup in slot 3", "INSTRUCT: the red one", STEPS[1], REPAIR,
                                   *REST, "DONE"])
    assert moves_of(rec, "builder")[:3] == [
        "CLARIFY: Which cup do you mean: the blue cup or the red cup?",
        "I put the red cup in slot 3.\nSTATE: 1=empty; 2=empty; 3=red cup; 4=empty; 5=empty",
        "I put the green book in slot 2.\nSTATE: 1=empty; 2=green book; 3=red cup; 4=empty; 5=empty",  # misread
    ]
    assert kinds_to(rec, "instructor") == ["instruction", "clarification"] + ["observation"] * 5 + ["environment"]
    assert kinds_to(rec, "builder")[:5] == ["instruction"] * 4 + ["correction"]  # the repair is a correction
    acts = [(t.parse or {}).get("act") for t in rec.turns if t.kind == "move" and t.speaker == "instructor"]
    assert acts == ["instruct", "answer", "instruct", "repair", "instruct", "instruct", "done"]
    notes = [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == "builder"]
    assert [n.get("misreading") for n in notes] == [None, None, "slot", None, None, None]
    assert [n.get("ambiguous") for n in notes] == [True, False, False, False, False, False]
    assert [n.get("consistent") for n in notes] == [None, True, False, True, True, True]  # the misreading
    mine = [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == "instructor"]
    assert [n.get("wasted") for n in mine[:-1]] == [True, False, False, False, False, False]
    # The move right after the misread report repairs exactly that misreading.
    assert [n.get("repaired") for n in mine] == [None, None, None, True, None, None, None]


def test_misreadings_wait_for_a_fitting_step(game: Repair) -> None:
    # Seeded on step 1 as a wrong item: the green book has no look-alike and the first step is the book, so
    # the builder falls back to a wrong slot.
    inst = hand(misreadings=[{"step": 1, "kind": "item"}])
    rec = run(game, "instructor", ["INSTRUCT: put the green book in slot 1", "DONE"], inst)
    assert moves_of(rec, "builder")[0].startswith("I put the green book in slot 2.")


def test_teacher_builder_misreads_only_for_a_learner_instructor(game: Repair) -> None:
    for inst in game.generate("test"):
        for role in game.learner_roles:
            ep = game.new_episode(inst, role, {r: TEACHER for r in game.roles})
            rec = ep.record()
            misread_steps = [t for t in rec.turns if t.kind == "move" and (t.parse or {}).get("misreading")]
            assert len(misread_steps) == (len(inst.params["misreadings"]) if role == "instructor" else 0)
            assert rec.outcome == "success"


# ---------------------------------------------------------------------------------------- learner builder
def state(**cells: str) -> str:
    return "STATE: " + "; ".join(f"{i}={cells.get(f's{i}', 'empty')}" for i in range(1, 6))


S1 = state(s3="red cup")
S2 = state(s1="green book", s3="red cup")
S3 = state(s1="green book", s3="red cup", s4="blue cup")
S4 = state(s1="green book", s3="red cup", s4="blue cup", s5="red mug")
ASK = "CLARIFY: Which cup do you mean?"

VAGUE = "CLARIFY: Can you say that again?"

BUILDER_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("asks on unclear steps and wins", [ASK, S1, S2, ASK, S3, S4],
     {"outcome": "success", "main": 100.0, "clarifications": 2, "repairs_needed": 0, "grounded_steps": 4,
      "needless_questions": 0, "rewards": [0.5, 1.0, 1.0, 0.5, 1.0, 1.0]}),
    ("guesses the wrong cup, is corrected, repairs: the step is lost", [state(s3="blue cup"), S1, S2, ASK, S3, S4],
     {"outcome": "success", "main": 75.0, "repairs_needed": 1, "repairs_made": 1, "grounded_steps": 3,
      "rewards": [-0.2, 0.5, 1.0, 0.5, 1.0, 1.0]}),
    ("guesses right without asking: no credit for a lucky guess", [S1, S2, S3, S4],
     {"outcome": "success", "main": 50.0, "clarifications": 0, "grounded_steps": 2,
      "rewards": [0.0, 1.0, 0.0, 1.0]}),
    ("asks about every step: each needless question costs a step", [ASK, S1, ASK, S2, ASK, S3, ASK, S4],
     {"outcome": "success", "main": 0.0, "grounded_steps": 2, "needless_questions": 2,
      "rewards": [0.5, 1.0, -0.3, 0.0, 0.5, 1.0, -0.3, 0.0]}),
    ("a vague question gets the step restated; then a question that says what is unclear",
     [VAGUE, ASK, S1, S2, ASK, S3, S4],
     {"outcome": "success", "main": 50.0, "grounded_steps": 3, "needless_questions": 1,
      "rewards": [-0.3, 0.5, 0.0, 1.0, 0.5, 1.0, 1.0]}),
    ("a needless question, then a second one is a rule error; both cost", [ASK, S1, ASK, ASK, S2, ASK, S3, S4],
     {"outcome": "success", "main": 25.0, "rule_errors": 1, "needless_questions": 2,
      "rewards": [0.5, 1.0, -0.3, -0.5, 0.0, 0.5, 1.0, 1.0]}),
    ("format error, then repaired", ["I put the red cup in slot 3.", ASK, S1, S2, ASK, S3, S4],
     {"outcome": "success", "main": 100.0, "format_errors": 1, "rewards": [-1.0, 0.5, 1.0, 1.0, 0.5, 1.0, 1.0]}),
    ("unknown items and doubles are rule errors", [ASK, state(s3="cup"), state(s3="red cup", s4="red cup"), S1,
                                                   S2, ASK, S3, S4],
     {"outcome": "success", "main": 100.0, "rule_errors": 2}),
    ("three format errors abort", ["ok", "STATE: 3=red cup", "CLARIFY:"], {"outcome": "aborted", "main": 0.0}),
    ("never fixes the shelf: lose at the move limit", [EMPTY5] * 30,
     {"outcome": "lose", "main": 0.0, "repairs_needed": 1, "repairs_made": 0, "repair_rate": 0.0}),
]


@pytest.mark.parametrize(("name", "replies", "expected"), BUILDER_TABLE, ids=[r[0] for r in BUILDER_TABLE])
def test_learner_builder(game: Repair, name: str, replies: list[str], expected: dict[str, Any]) -> None:
    check_expected(run(game, "builder", replies), expected)


def test_builder_corrections(game: Repair) -> None:
    wrong = state(s1="red cup", s3="green book")  # both items of step 1 in the wrong slot
    rec = run(game, "builder", [ASK, S1, wrong, state(s1="green book"), S2, ASK, S3, S4])
    teacher = moves_of(rec, "instructor")
    assert teacher[:5] == [
        "INSTRUCT: Put the cup in slot 3.",
        "INSTRUCT: I mean the red cup: put the red cup in slot 3.",
        "INSTRUCT: Put the green book in slot 1.",
        "INSTRUCT: That's not what I meant: the green book goes in slot 1, not slot 3. Put the green book in slot 1.",
        "INSTRUCT: That's not what I meant: the red cup goes in slot 3. Put the red cup in slot 3.",
    ]
    # the rules, a step and its answer, a step, two corrections, two steps and an answer, the end
    assert kinds_to(rec, "builder") == ["instruction"] * 4 + ["correction"] * 2 + ["instruction"] * 3 + \
        ["environment"]
    assert learner_rewards(rec) == [0.5, 1.0, -0.4, -0.2, 0.5, 0.5, 1.0, 1.0]
    assert rec.scores["repairs_needed"] == 1 and rec.scores["repairs_made"] == 1
    # Each report answering a correction carries out the one fix it named (the green book in slot 1, then the
    # red cup in slot 3), though the first still leaves the shelf short of the intention.
    notes = [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == "builder"]
    assert [n.get("repaired") for n in notes] == [None, None, None, True, True, None, None, None]
    assert [n.get("act") for n in notes][3:5] == ["repair", "repair"]
    assert [n.get("matches") for n in notes][3:5] == [False, True]
    # A report that leaves the named fix undone is no repair.
    rec = run(game, "builder", [ASK, S1, wrong, wrong, state(s1="green book"), S2, ASK, S3, S4])
    notes = [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == "builder"]
    assert [n.get("repaired") for n in notes][3:6] == [False, True, True]
    # An item the instructor does not want yet goes back to the table.
    rec = run(game, "builder", [ASK, state(s3="red cup", s5="red mug"), S1, S2, ASK, S3, S4])
    assert moves_of(rec, "instructor")[2] == ("INSTRUCT: That's not what I meant: the red mug stays on the table "
                                             "for now. Take the red mug back to the table.")


def test_teacher_clarifies_exactly_when_unclear(game: Repair) -> None:
    """The teacher builder asks iff a step names an item several items fit; its questions, and nothing else,
    reach the instructor as clarifications."""
    for inst in game.generate("test"):
        ep = game.new_episode(inst, "builder", {r: TEACHER for r in game.roles})
        rec = ep.record()
        unclear = [bool((t.parse or {}).get("unclear_reference")) for t in rec.turns
                   if t.kind == "move" and t.speaker == "instructor" and (t.parse or {}).get("act") != "done"]
        asked = [t for t in rec.turns if t.kind == "move" and t.speaker == "builder"
                 and t.text.startswith("CLARIFY:")]
        assert sum(unclear) == len(asked) == len(inst.params["ambiguous_steps"])
        assert all((t.parse or {}).get("ambiguous") for t in asked)
        assert kinds_to(rec, "instructor").count("clarification") == len(asked)
        assert "correction" not in kinds_to(rec, "builder")  # a literal builder is never corrected


# ---------------------------------------------------------------------------------------- golden
GOLDEN_SCRIPTS: dict[str, list[str]] = {
    "instructor": [
        "Let's start with the drum.",  # no move line: correction
        "INSTRUCT: put the green drum in slot 1",
        "INSTRUCT: put the orange candle in slot 3",
        "INSTRUCT: put the grey scarf in slot 4",  # misread: the builder puts it in slot 5
        "INSTRUCT: No, the grey scarf should be in slot 4, not slot 5: put the grey scarf in slot 4.",  # repair
        "INSTRUCT: put the brown drum in slot 5",
        "DONE",
    ],
    "builder": [
        "STATE: 1=empty; 2=empty; 3=empty; 4=empty; 5=brown drum",
        "Done, I put the orange candle in slot 3.",  # no STATE line: correction
        "STATE: 1=empty; 2=empty; 3=orange candle; 4=empty; 5=brown drum",
        "STATE: 1=empty; 2=empty; 3=orange candle; 4=empty; 5=grey scarf",  # replaced the brown drum: correction
        "STATE: 1=empty; 2=empty; 3=orange candle; 4=grey scarf; 5=empty",  # the named fix only: correction again
        "STATE: 1=empty; 2=empty; 3=orange candle; 4=grey scarf; 5=brown drum",
        "CLARIFY: Can you say that again?",  # "the drum": a vague question gets the step restated
        "CLARIFY: Which drum do you mean: the green drum or the brown drum?",  # says what is unclear: answered
        "STATE: 1=green drum; 2=empty; 3=orange candle; 4=grey scarf; 5=brown drum",
    ],
}
#: What each golden script scores: the instructor's is a model run; the builder lost step 3 to a
#: misunderstanding and step 4 to a vague question, which also costs a step of its own.
GOLDEN_SCORES = {"instructor": {"main": 100.0, "repairs_made": 1.0, "wasted_steps": 0.0},
                 "builder": {"main": 25.0, "repairs_made": 1.0, "grounded_steps": 2.0, "needless_questions": 1.0}}


@pytest.mark.parametrize("role", ["instructor", "builder"])
def test_golden_transcript(game: Repair, role: str) -> None:
    inst = game.generate("test", n=1)[0]
    assert inst.id == "test/easy/0000" and inst.params["goal"] == \
        ["green drum", None, "orange candle", "grey scarf", "brown drum"], "the test split changed: rewrite the scripts"
    rec = run(game, role, GOLDEN_SCRIPTS[role], inst)
    turns = golden_turns(rec)
    got = {"instance_id": rec.instance_id, "learner_role": role, "outcome": rec.outcome, "turns": turns}
    check_golden(GOLDEN_DIR / f"repair_{role}.json", got)
    assert rec.outcome == "success"
    for key, value in GOLDEN_SCORES[role].items():
        assert rec.scores[key] == value, key
    kinds = {t["kind"] for t in turns}
    assert {"correction", "observation", "environment", "instruction"} <= kinds
    assert ("clarification" in kinds) == (role == "builder")


# ---------------------------------------------------------------------------------------- players and contract
def test_check_game(game: Repair) -> None:
    results = check_game(game)
    assert all(r.passed for r in results)
    assert any("1000/role" in r.detail for r in results)


@pytest.mark.parametrize("role", ["instructor", "builder"])
def test_reference_beats_random(game: Repair, role: str) -> None:
    """Reference (the teacher in the learner's role) >= 95 and random <= 5 mean main on the test split."""
    tasks = [EpisodeTask(game, inst, role) for inst in game.generate("test")]
    means = {}
    for name, player in (("reference", ReferencePlayer()), ("random", RandomPlayer(0))):
        records = Runner({"learner": player}).run(tasks).records
        assert len(records) == len(tasks)
        means[name] = sum(r.scores["main"] for r in records) / len(records)
    assert means["reference"] >= 95.0, means
    assert means["random"] <= 5.0, means


def test_repairing_matters(game: Repair) -> None:
    """An instructor that places every item but never reads the reports places most items right, and still
    earns nothing: the instructor's score is about the misreadings it noticed and repaired."""
    for inst in game.generate("test", n=10):
        steps = [f"INSTRUCT: put the {item} in slot {i}" for i, item in enumerate(inst.params["goal"], 1) if item]
        rec = run(game, "instructor", [*steps, "DONE"], inst)
        assert rec.scores["repairs_needed"] == len(inst.params["misreadings"]) and rec.scores["repairs_made"] == 0
        assert rec.scores["final_correct"] >= 0.25 and rec.scores["main"] == 0.0


def test_scores_from_record_only(game: Repair) -> None:
    for role, script in GOLDEN_SCRIPTS.items():
        rec = run(game, role, script, game.generate("test", n=1)[0])
        back = EpisodeRecord.from_json(rec.to_json())
        assert game.score(back) == rec.scores
    rec = run(game, "instructor", [*STEPS, *REST, "DONE"])
    assert game.score(EpisodeRecord.from_json(rec.to_json())) == rec.scores
