"""mapnav (the instruction language: ``tests/test_mapnav_language.py``): the follower's view, move tables for both learner roles on a hand-made
house, the teachers' clarification behaviour (costed questions, cooperative answers), the notes for CLU2, the
cheap policies, the generator, golden transcripts and the game contract.

Regenerate the golden transcripts after an intended change of behaviour (which also bumps the game version):
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_mapnav.py -k golden``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, learner_rewards, play_script
from playschool.games import RANDOM, TEACHER, EpisodeRecord, Instance, check_game, split_of
from playschool.games.mapnav import House, MapNav, Step, View
from playschool.games.mapnav.answers import answer, engages
from playschool.games.mapnav.generator import LEVELS, SLACK, ambiguity_points, choice_bits
from playschool.games.mapnav.language import Resolution
from playschool.games.mapnav.maps import DIRECTIONS, room_types
from playschool.games.mapnav.policies import follower_policies
from playschool.games.policies import Policy, score_policies

from playschool.players import RandomPlayer, ReferencePlayer
from playschool.runner import EpisodeTask, Runner

ROOMS = frozenset(room_types())


@pytest.fixture(scope="module")
def game() -> MapNav:
    return MapNav()


# The hand-made house of the move tables (north is up):
#
#   A-B-C      A kitchen, B hall, C kitchen
#     | |      D study,   E library
#     D-E
#
# Start D, target C, two doors apart (north-east or east-north). In the hall B, "go to the kitchen" is
# ambiguous: the west and the east doors both lead to a kitchen.
def hand_instance(**overrides: Any) -> Instance:
    params: dict[str, Any] = {
        "rooms": [{"id": "A", "x": 0, "y": 0, "type": "kitchen"}, {"id": "B", "x": 1, "y": 0, "type": "hall"},
                  {"id": "C", "x": 2, "y": 0, "type": "kitchen"}, {"id": "D", "x": 1, "y": 1, "type": "study"},
                  {"id": "E", "x": 2, "y": 1, "type": "library"}],
        "doors": [["A", "B"], ["B", "C"], ["B", "D"], ["C", "E"], ["D", "E"]],
        "start": "D", "target": "C", "shortest": 2, "max_steps": 8, "max_instructions": 10,
        # The teacher instructor names only the room wherever that is ambiguous, never where it is not.
        "p_ambiguous": 1.0, "p_room_only": 0.0,
    }
    params.update(overrides)
    return Instance(id="hand/abcde", game="mapnav-v2", split="test", experiment="small", seed=11, params=params)


def run(game: MapNav, role: str, replies: Sequence[str], instance: Instance | None = None) -> EpisodeRecord:
    """:func:`gamekit.play_script` on ``instance``, by default the hand-made house."""
    return play_script(game, instance or hand_instance(), role, replies)


def kinds_to(rec: EpisodeRecord, role: str) -> list[str]:
    """The kinds of the messages ``role`` got, without the views and reports that follow every move (unlike
    :func:`gamekit.kinds_to`, which keeps every message)."""
    return [t.kind for t in rec.turns if t.to == role and t.kind != "observation"
            and not (t.kind == "environment" and t.text.startswith("You are in"))]


def check_expected(rec: EpisodeRecord, expected: dict[str, Any]) -> None:
    assert rec.outcome == expected["outcome"], rec.reason
    for key, value in expected.items():
        if key == "rewards":
            assert learner_rewards(rec) == pytest.approx(value)
        elif key == "kinds":
            assert kinds_to(rec, rec.learner_role) == value
        elif key != "outcome":
            assert rec.scores[key] == pytest.approx(value), key


# ------------------------------------------------------------------------------------------- the view
def test_view_and_drawing() -> None:
    house = House.from_params(hand_instance().params)
    assert house.view("B") == View("hall", (("east", "kitchen"), ("south", "study"), ("west", "kitchen")))
    assert house.drawing() == "A-B-C\n  | |\n. D-E"
    assert house.route("D", "C") == ["north", "east"]
    assert house.distances("C") == {"C": 0, "B": 1, "E": 1, "A": 2, "D": 2}


# ------------------------------------------------------------------------------------------- learner follower
FOLLOWER_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("asks at the ambiguous step, then wins", ["MOVE: north", "CLARIFY: Which kitchen?", "MOVE: east"],
     {"outcome": "success", "main": 100.0, "clarifications": 1, "missed_clarifications": 0, "charged_questions": 0,
      "rewards": [0.1, 0.2, 1.0], "kinds": ["instruction"] * 4 + ["environment"]}),
    ("guesses right: wins, but missed a question", ["MOVE: north", "MOVE: east"],
     {"outcome": "success", "main": 100.0, "missed_clarifications": 1, "rewards": [0.1, 0.9]}),
    ("guesses wrong: correction, back, asks, wins",
     ["MOVE: north", "MOVE: west", "MOVE: east", "CLARIFY: Which door?", "MOVE: east"],
     {"outcome": "success", "main": 50.0, "efficiency": 0.5, "wrong_moves": 1, "missed_clarifications": 1,
      "clarifications": 1, "rewards": [0.1, -0.3, 0.1, 0.2, 1.0],
      "kinds": ["instruction"] * 3 + ["correction", "instruction", "instruction", "environment"]}),
    ("other shortest route: no correction", ["MOVE: east", "MOVE: north"],
     {"outcome": "success", "main": 100.0, "wrong_moves": 0, "rewards": [0.1, 1.0]}),
    # A question about a clear step costs as much as a move: efficiency 2 / (2 moves + 1 charged question).
    ("needless question costs a move", ["CLARIFY: Are you sure?", "MOVE: north", "CLARIFY: Which one?",
                                        "MOVE: east"],
     {"outcome": "success", "main": 66.666667, "clarifications": 2, "unneeded_clarifications": 1,
      "charged_questions": 1, "rewards": [-0.2, 0.1, 0.2, 1.0]}),
    # "Can you repeat that?" at the ambiguous step gets the instruction again, not the door; it is not charged
    # (the step was unclear), and the question that names the problem gets it resolved.
    ("content-free question, then a real one", ["MOVE: north", "CLARIFY: Can you repeat that?",
                                                "CLARIFY: Which kitchen?", "MOVE: east"],
     {"outcome": "success", "main": 100.0, "clarifications": 2, "unneeded_clarifications": 0,
      "charged_questions": 0, "rewards": [0.1, 0.2, 0.2, 1.0]}),
    ("format error, then repaired", ["go north", "MOVE: north", "MOVE: east"],
     {"outcome": "success", "format_errors": 1, "rewards": [-1.0, 0.1, 0.9],
      "kinds": ["instruction", "instruction", "correction", "instruction", "environment"]}),
    ("rule error: no door there", ["MOVE: west", "MOVE: north", "MOVE: east"],
     {"outcome": "success", "rule_errors": 1, "main": 100.0, "rewards": [-0.5, 0.1, 0.9]}),
    ("three format errors abort", ["north", "MOVE: up", "CLARIFY:"],
     {"outcome": "aborted", "main": 0.0, "format_errors": 3, "rewards": [-1.0, -1.0, -1.0],
      "kinds": ["instruction", "instruction", "correction", "correction", "environment"]}),
    ("wandering loses after max_steps moves", ["MOVE: north"] + ["MOVE: west", "MOVE: east"] * 3 + ["MOVE: west"],
     {"outcome": "lose", "main": 0.0, "follower_moves": 8, "efficiency": 0.25, "wrong_moves": 4}),
]


@pytest.mark.parametrize(("name", "replies", "expected"), FOLLOWER_TABLE, ids=[r[0] for r in FOLLOWER_TABLE])
def test_learner_follower(game: MapNav, name: str, replies: list[str], expected: dict[str, Any]) -> None:
    check_expected(run(game, "follower", replies), expected)


def test_follower_texts(game: MapNav) -> None:
    rec = run(game, "follower", ["MOVE: north", "MOVE: west", "MOVE: east", "CLARIFY: Which door?", "MOVE: east"])
    to_follower = [t.text for t in rec.turns if t.to == "follower"]
    assert to_follower[1] == "You are in a study. Doors: north to a hall, east to a library."
    assert to_follower[4] == 'The instructor says: "Go to the kitchen."'  # deliberately ambiguous
    assert 'The instructor says: "That was the wrong way. Go back."' in to_follower
    # The answer resolves the ambiguity asked about (which kitchen), nothing more.
    assert 'The instructor says: "I mean the kitchen to the east."' in to_follower
    assert to_follower[-1] == "This kitchen is the target room: you have arrived. The game is over."
    views = [t.kind for t in rec.turns if t.to == "follower" and t.text.startswith("You are in")]
    assert views == ["observation"] + ["environment"] * 3  # the first view, then what each move led to
    clar = next(t for t in rec.turns if t.kind == "clarification")
    assert clar.to == "instructor" and clar.speaker == "follower" and '"Which door?"' in clar.text


def test_instruction_limit_ends_a_follower_that_only_asks(game: MapNav) -> None:
    rec = run(game, "follower", ["CLARIFY: Where?"] * 10)
    assert rec.outcome == "lose" and rec.scores["instructions"] == 10
    assert rec.turns[-1].text.startswith("The instructor has given 10 instructions")


# ------------------------------------------------------------------------------------------- learner instructor
INSTRUCTOR_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("whole route, unambiguous", ["INSTRUCT: go north into the hall, then east into the kitchen"],
     {"outcome": "success", "main": 100.0, "instructions": 1, "clarifications": 0, "rewards": [1.2]}),
    ("the other shortest route", ["INSTRUCT: east to the library and north"],
     {"outcome": "success", "main": 100.0, "rewards": [1.2]}),
    ("a detour costs efficiency", ["INSTRUCT: north, west, east, east"],
     {"outcome": "success", "main": 50.0, "follower_moves": 4, "wrong_moves": 1, "rewards": [1.2]}),
    # Every question an instruction makes necessary costs the instructor as much as a move: 2 / (2 + 1).
    ("ambiguous room: the follower asks", ["INSTRUCT: go north, then to the kitchen", "INSTRUCT: east"],
     {"outcome": "success", "main": 66.666667, "clarifications": 1, "charged_questions": 1, "rewards": [-0.1, 1.1],
      "kinds": ["instruction", "clarification", "environment"]}),
    ("contradiction: the follower asks", ["INSTRUCT: go north into the library", "INSTRUCT: north, then east"],
     {"outcome": "success", "main": 66.666667, "clarifications": 1, "invalid_instructions": 0,
      "rewards": [-0.2, 1.2], "kinds": ["instruction", "clarification", "environment"]}),
    ("no such door: the follower corrects", ["INSTRUCT: go west", "INSTRUCT: north, east"],
     {"outcome": "success", "main": 66.666667, "invalid_instructions": 1, "rule_errors": 0,
      "rewards": [-0.2, 1.2], "kinds": ["instruction", "correction", "environment"]}),
    ("stops where a later step is impossible", ["INSTRUCT: north, then north", "INSTRUCT: east"],
     {"outcome": "success", "main": 66.666667, "invalid_instructions": 1, "rewards": [-0.1, 1.1]}),
    ("back before any move", ["INSTRUCT: go back", "INSTRUCT: north, east"],
     {"outcome": "success", "main": 66.666667, "invalid_instructions": 1, "rewards": [-0.2, 1.2]}),
    ("format error, then repaired", ["go north, then east", "INSTRUCT: north, east"],
     {"outcome": "success", "main": 100.0, "format_errors": 1, "rewards": [-1.0, 1.2],
      "kinds": ["instruction", "correction", "environment"]}),
    ("rule error: nothing to do", ["INSTRUCT: hello, how are you?", "INSTRUCT: north, east"],
     {"outcome": "success", "rule_errors": 1, "invalid_instructions": 1, "rewards": [-0.5, 1.2]}),
    ("too many steps is a rule error", ["INSTRUCT: " + "north " * 21, "INSTRUCT: north, east"],
     {"outcome": "success", "rule_errors": 1}),
    ("three rule errors abort", ["INSTRUCT: hello", "INSTRUCT: go up", "INSTRUCT: stop"],
     {"outcome": "aborted", "main": 0.0, "rule_errors": 3, "invalid_instructions": 3}),
    ("useless instructions lose at the instruction limit", ["INSTRUCT: go left"] * 10,
     {"outcome": "lose", "main": 0.0, "instructions": 10, "invalid_instructions": 10, "follower_moves": 0}),
    ("going back and forth loses at the move limit", ["INSTRUCT: east, then west"] * 4,
     {"outcome": "lose", "main": 0.0, "follower_moves": 8, "rewards": [0.0] * 4}),
]


@pytest.mark.parametrize(("name", "replies", "expected"), INSTRUCTOR_TABLE, ids=[r[0] for r in INSTRUCTOR_TABLE])
def test_learner_instructor(game: MapNav, name: str, replies: list[str], expected: dict[str, Any]) -> None:
    check_expected(run(game, "instructor", replies), expected)


def test_instructor_sees_reports_and_questions(game: MapNav) -> None:
    rec = run(game, "instructor", ["INSTRUCT: go north, then to the kitchen", "INSTRUCT: east"])
    to_instructor = [(t.kind, t.text) for t in rec.turns if t.to == "instructor"]
    assert "The follower is in room D (study). The target is room C (kitchen)." in to_instructor[0][1]
    assert "A-B-C\n  | |\n. D-E" in to_instructor[0][1]
    assert to_instructor[1] == ("observation", "I went north. I am in a hall. Exits: east, south, west.")
    assert to_instructor[2] == ("clarification", 'The follower asks: "Which door: east or west? Both lead to a '
                                                 'kitchen." Reply with a new instruction: INSTRUCT: <instruction>')
    follower_moves = [t.text for t in rec.turns if t.kind == "move" and t.speaker == "follower"]
    assert follower_moves == ["MOVE: north", "CLARIFY: Which door: east or west? Both lead to a kitchen.",
                              "MOVE: east"]


# ------------------------------------------------------------------------------------------- clarification policy
@pytest.mark.parametrize(("instruction", "reply"), [
    ("north", "MOVE: north"),
    ("go to the hall", "MOVE: north"),
    ("go to the library", "MOVE: east"),
    ("go east into the hall",
     "CLARIFY: The door to the east leads to a library, not a hall. The door to the north leads to a hall. "
     "Which way do you mean?"),
    ("go to the kitchen", "CLARIFY: No door here leads to a kitchen. Which way should I go?"),
    ("go south", "CLARIFY: There is no door to the south here. Which way should I go?"),
])
def test_teacher_follower_asks_exactly_when_unclear(game: MapNav, instruction: str, reply: str) -> None:
    ep = game.new_episode(hand_instance(), "instructor")
    ep.act(f"INSTRUCT: {instruction}")
    first = next(t for t in ep.turns if t.kind == "move" and t.speaker == "follower")
    assert first.text == reply
    assert first.parse is not None and first.parse["ambiguous"] == reply.startswith("CLARIFY")


def test_reference_follower_asks_exactly_at_ambiguous_steps(game: MapNav) -> None:
    """On every test instance, the teacher follower asks exactly when the step it faces is not clear, and the
    teacher instructor's room-only instructions are ambiguous only in the experiments with repeated types."""
    asked = {e: 0 for e in game.experiments}
    for inst in game.generate("test"):
        rec = game.new_episode(inst, "follower", {r: TEACHER for r in game.roles}).record()
        assert rec.scores["unneeded_clarifications"] == 0 and rec.scores["missed_clarifications"] == 0
        assert rec.scores["wrong_moves"] == 0 and rec.scores["main"] == 100.0
        asked[inst.experiment] += int(rec.scores["clarifications"])
        for i, t in enumerate(rec.turns):
            if t.kind == "move" and t.speaker == "follower" and t.text.startswith("CLARIFY"):
                instruction = next(u.text for u in reversed(rec.turns[:i]) if u.to == "follower"
                                   and u.kind in ("instruction", "correction") and u.speaker == "instructor")
                assert instruction.startswith('The instructor says: "Go to the ')
                assert t.text.startswith("CLARIFY: Which door:")
    assert asked["small"] == 0 and asked["medium"] > 0 and asked["large"] > asked["medium"]


# ------------------------------------------------------------------------------------------- answers to questions
KITCHENS = Resolution("ambiguous", None, ("east", "west"), "Which door: east or west? Both lead to a kitchen.")
HALL_CLEAR = Resolution("clear", "north", ("north",))


@pytest.mark.parametrize(("question", "engaged"), [
    ("Which kitchen?", True), ("Which one?", True), ("Where to?", True), ("The east one?", True),
    ("Should I go west?", True), ("Is it the kitchen?", True), ("What door do you mean?", True),
    ("Can you repeat that?", False), ("Pardon?", False), ("Say that again, more precisely.", False),
    ("Should I go north?", False),  # north is not one of the doors in question
])
def test_engages(question: str, engaged: bool) -> None:
    assert engages(question, Step(room="kitchen"), KITCHENS) is engaged


@pytest.mark.parametrize(("question", "step", "res", "said", "reply"), [
    # an unclear step, and a question about it: resolved, exactly that
    ("Which kitchen?", Step(room="kitchen"), KITCHENS, "Go to the kitchen.",
     ("I mean the kitchen to the east.", "resolve")),
    # a content-free question: restated, even though the step was unclear
    ("Can you repeat that?", Step(room="kitchen"), KITCHENS, "Go to the kitchen.",
     ("As I said: go to the kitchen.", "restate")),
    # a clear step: nothing to resolve, whatever the question asks
    ("Which door exactly?", Step(room="hall"), HALL_CLEAR, "Go to the hall.",
     ("As I said: go to the hall. There is only one such door.", "restate")),
    ("Which way?", Step("north"), HALL_CLEAR, "Go north.", ("As I said: go north.", "restate")),
    ("Where now?", Step("north", "hall"), HALL_CLEAR, "I mean the hall to the north.",
     ("As I said: I mean the hall to the north.", "restate")),
    # an impossible step asked about: the instructor re-plans
    ("Which way?", Step("west"), Resolution("impossible", message="There is no door to the west here."),
     "Go west.", ("Sorry, my mistake: go east into the kitchen.", "resolve")),
])
def test_answer(question: str, step: Step, res: Resolution, said: str, reply: tuple[str, str]) -> None:
    assert answer(question, step, res, said, "east", "kitchen") == reply


def play_policy(game: MapNav, role: str, policy: Policy, instance: Instance) -> EpisodeRecord:
    ep = game.new_episode(instance, role)
    while (turn := ep.pending()) is not None:
        ep.act(policy(turn.messages))
    return ep.record()


def test_asking_until_told_no_longer_pays(game: MapNav) -> None:
    """The v1 exploit: ask until the instructor says the door, then take it. In the hand house the teacher
    now names rooms ("Go to the hall."); asking about a clear step gets the instruction restated, never a
    compass word, so the asker that will not ground the room name never moves and loses."""
    inst = hand_instance(p_room_only=1.0)
    asker = next(p for p in follower_policies() if p.name == "ask_until_told").make(random.Random(0))
    rec = play_policy(game, "follower", asker, inst)
    assert rec.outcome == "lose" and rec.scores["main"] == 0.0 and rec.scores["follower_moves"] == 0
    answers = [t.text for t in rec.turns if t.kind == "move" and t.speaker == "instructor"][1:]
    assert answers and all(a == "INSTRUCT: As I said: go to the hall. There is only one such door." for a in answers)
    assert not any(d in a for a in answers for d in DIRECTIONS)
    assert rec.scores["charged_questions"] == rec.scores["clarifications"] == 10


def test_asking_then_grounding_costs_a_move_per_needless_question(game: MapNav) -> None:
    """The same questions from a follower that does ground the room name: it arrives, but every question
    about a clear step costs as much as a move."""
    rec = run(game, "follower", ["CLARIFY: Which door exactly?", "MOVE: north", "CLARIFY: Which kitchen?",
                                 "MOVE: east"], hand_instance(p_room_only=1.0))
    assert rec.outcome == "success"
    assert (rec.scores["charged_questions"], rec.scores["unneeded_clarifications"]) == (1.0, 1.0)
    assert rec.scores["main"] == pytest.approx(100 * 2 / 3)


def test_v1_attacks_lose_and_honest_programs_are_listed(game: MapNav) -> None:
    """On the test split (as ``check_game`` measures): the attacks that won v1 (asking until told, walking
    without reading, a random walk ending in the target's type) and the other cheap ones stay far below the
    reference; the honest programs show what each role needs."""
    table = score_policies(game)
    rows = {(role, r.name): r for role, rs in table.roles.items() for r in rs}
    for role in game.learner_roles:
        assert table.reference[role].main == 100.0
        assert table.random[role].main <= 10.0
    attacks = [("follower", "ask_until_told"), ("follower", "repeat_until_told"),
               ("follower", "ask_before_every_move"), ("follower", "enumerate_doors"),
               ("follower", "never_back"), ("follower", "compass_or_ahead"), ("follower", "copy_example"),
               ("instructor", "copy_example"), ("instructor", "always_north"),
               ("instructor", "dump_room_names"), ("instructor", "echo_room_lines"),
               ("instructor", "wander_to_target"),
               # Found by red-teaming v2: the "wrong way" preamble as a hot/cold signal, asking once and then
               # walking at random, and heading for the target's cell without reading the doors.
               ("follower", "backtrack_when_told"), ("follower", "ask_once_then_walk"),
               ("instructor", "as_the_crow_flies")]
    for key in attacks:
        assert rows[key].degenerate and rows[key].main <= 25.0, key
    assert rows[("instructor", "route_solver")].main == 100.0 and not rows[("instructor", "route_solver")].degenerate
    assert rows[("follower", "keyword_follower_asks")].main == 100.0
    # Grounding room names alone (compass words ignored, guessing between two doors) is part of the work.
    assert not rows[("follower", "room_names_only")].degenerate
    assert rows[("follower", "room_names_only")].main < rows[("follower", "keyword_follower")].main
    # Guessing instead of asking, and asking needlessly, both cost.
    assert rows[("follower", "keyword_follower")].main < 100.0
    assert rows[("follower", "keyword_follower_always_asks")].main < rows[("follower", "keyword_follower")].main


# ------------------------------------------------------------------------------------------- notes for CLU2
def notes(rec: EpisodeRecord, role: str) -> list[dict[str, Any]]:
    return [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == role and (t.parse or {}).get("ok")]


def test_follower_notes(game: MapNav) -> None:
    rec = run(game, "follower", ["MOVE: north", "MOVE: west", "MOVE: east", "CLARIFY: Which door?", "MOVE: east"])
    got = [(n["act"], n["ambiguous"], n.get("consistent"), n.get("repaired")) for n in notes(rec, "follower")]
    assert got == [
        ("move", False, True, None),      # "Go north.": the door named
        ("move", True, True, None),       # "Go to the kitchen." (two): a guess, but a door the words allow
        ("move", False, True, True),      # "That was the wrong way. Go back.": back it goes (a repair)
        ("clarify", True, None, None),    # "Go to the kitchen." again: asking was right
        ("move", False, True, None),      # "I mean the kitchen to the east."
    ]
    wrong = run(game, "follower", ["MOVE: east", "MOVE: north"], hand_instance(p_room_only=1.0))
    assert notes(wrong, "follower")[0]["consistent"] is False  # told "Go to the hall.", went to the library


def test_follower_repair_names_the_door(game: MapNav) -> None:
    """After "That was the wrong way. Go back.", a move through another door is no repair, even if it
    happens to lead on."""
    rec = run(game, "follower", ["MOVE: north", "MOVE: west", "MOVE: east", "MOVE: east"])
    assert [n.get("repaired") for n in notes(rec, "follower")] == [None, None, True, None]
    # Back into the study (wrong), told "Go back" (north), it goes east: closer to the target, but not the
    # door the correction named.
    other = run(game, "follower", ["MOVE: north", "MOVE: south", "MOVE: east", "MOVE: north"])
    assert [(n.get("repaired"), n["closer"]) for n in notes(other, "follower")] == [
        (None, True), (None, False), (False, True), (None, True)]


def test_instructor_notes(game: MapNav) -> None:
    rec = run(game, "instructor", ["INSTRUCT: go west", "INSTRUCT: north, then to the kitchen",
                                   "INSTRUCT: the kitchen to the east"])
    got = [(n.get("consistent"), n.get("repaired")) for n in notes(rec, "instructor")]
    # no west door from the study: inconsistent with the map; then an ambiguous stop (consistent) that repairs
    # the reported problem; then the answer to "which kitchen?", which resolves it
    assert got == [(False, None), (True, True), (True, True)]
    unresolved = run(game, "instructor", ["INSTRUCT: north, then to the kitchen", "INSTRUCT: the kitchen",
                                          "INSTRUCT: east"])
    assert [n.get("repaired") for n in notes(unresolved, "instructor")] == [None, False, True]
    assert "ambiguous" not in {k for n in notes(rec, "instructor") for k in n}  # the instructor cannot ask


# ------------------------------------------------------------------------------------------- random player
@pytest.mark.parametrize("role", ["instructor", "follower"])
def test_random_player_makes_legal_moves(game: MapNav, role: str) -> None:
    for inst in game.generate("test", n=3):
        ep = game.new_episode(inst, role, {r: (RANDOM if r == role else TEACHER) for r in game.roles})
        rec = ep.record()
        mine = [t for t in rec.turns if t.kind == "move" and t.speaker == role]
        assert mine and all((t.parse or {}).get("ok") for t in mine), [t.text for t in mine if not t.parse]


# ------------------------------------------------------------------------------------------- instances
def test_instances(game: MapNav) -> None:
    for split in ("train", "validation", "test"):
        for inst in game.generate(split, n=10):
            p = inst.params
            assert json.loads(json.dumps(p)) == p
            level = LEVELS[inst.experiment]
            house = House.from_params(p)
            assert level.min_rooms <= len(house.rooms) <= level.max_rooms
            cells = [(r["x"], r["y"]) for r in p["rooms"]]
            assert cells == sorted(cells, key=lambda c: (c[1], c[0]))
            assert [r["id"] for r in p["rooms"]] == [chr(ord("A") + i) for i in range(len(cells))]
            # held out: the layout (cells and doors, without types) decides the split
            doors = sorted((house.rooms[a].x, house.rooms[a].y, house.rooms[b].x, house.rooms[b].y)
                           for a, b in p["doors"])
            assert split_of(f"mapnav-layout:{cells}:{doors}") == split
            assert len(house.distances(p["target"])) == len(house.rooms)  # connected
            assert p["shortest"] == house.distances(p["target"])[p["start"]] >= level.min_distance
            assert p["max_steps"] == p["shortest"] + SLACK
            assert ambiguity_points(house, p["start"], p["target"]) >= level.ambiguity_points
            assert choice_bits(house, p["start"], p["target"]) >= level.min_choice_bits
            types = [r["type"] for r in p["rooms"]]
            assert all(t in ROOMS for t in types)
            if inst.experiment == "small":
                assert len(set(types)) == len(types)  # no repeated types: no ambiguity at all
            else:
                assert len(set(types)) < len(types)


def test_room_counts_spread_evenly(game: MapNav) -> None:
    sizes = [len(i.params["rooms"]) for i in game.generate("train", n=8) if i.experiment == "medium"]
    assert sorted(sizes) == [14, 14, 15, 15, 16, 16, 17, 17]


def test_choice_bits() -> None:
    """From D, both doors start a shortest route to C (0 bits); in the hall, of the two doors ahead only the
    east one does (1 bit). A follower that never turns back but ignores the instructions: chance 1/2."""
    house = House.from_params(hand_instance().params)
    assert choice_bits(house, "D", "C") == 1.0
    assert choice_bits(house, "A", "B") == 0.0  # the far kitchen has one door: nothing to choose
    assert choice_bits(house, "A", "C") == 1.0  # ... but in the hall: east (right) or south (wrong)


def test_instance_key_is_the_map_and_the_route(game: MapNav) -> None:
    base = hand_instance().params
    assert game.instance_key({**base, "p_room_only": 0.5}) == game.instance_key(base)  # wording odds: not the item
    assert game.instance_key({**base, "target": "A"}) != game.instance_key(base)
    retyped = [dict(r, type="attic") if r["id"] == "E" else r for r in base["rooms"]]
    assert game.instance_key({**base, "rooms": retyped}) != game.instance_key(base)


def test_test_split_is_distinct_and_held_out(game: MapNav) -> None:
    """Every test item is a different house and route, none occurs in train or validation (their layouts
    are held out too), and another instance seed gives other houses with the same experiment mix."""
    test = game.generate("test")
    keys = [game.instance_key(i.params) for i in test]
    assert len(keys) == len(set(keys)) == 3 * game.split_sizes["test"]
    layouts = {json.dumps([[(r["x"], r["y"]) for r in i.params["rooms"]], i.params["doors"]]) for i in test}
    others = {json.dumps([[(r["x"], r["y"]) for r in i.params["rooms"]], i.params["doors"]])
              for split in ("train", "validation") for i in game.generate(split)}
    assert not layouts & others
    private = game.generate("test", seed=12345)
    assert not {game.instance_key(i.params) for i in private} & set(keys)
    assert sorted(i.experiment for i in private) == sorted(i.experiment for i in test)


def test_card_documents_every_score(game: MapNav) -> None:
    card = game.card
    assert card.startswith("Map navigation:")
    for word in ("instructor", "follower", "small", "medium", "large", "INSTRUCT:", "MOVE:", "CLARIFY:",
                 "clarification", "correction", "observation", "environment", "Version history", "main",
                 *game.score_ranges):
        assert word in card, word


# ------------------------------------------------------------------------------------------- golden
GOLDEN_SCRIPTS: dict[str, list[str]] = {
    # test/medium/0002: the follower starts in F (library), the target is C (attic), 5 doors away; from the
    # larder J two doors lead to an attic (south and west).
    "follower": [
        "I will go south.",                           # format error -> correction
        "MOVE: south",                                # "Go to the larder." -> larder
        "CLARIFY: Can you repeat that?",              # "Go to the attic." is ambiguous; a plea to repeat ...
        "**CLARIFY:** Which attic, south or west?",   # ... gets it restated; naming the problem resolves it
        "MOVE: west",                                 # "I mean the attic to the west."
        "CLARIFY: Which way is the gallery?",         # needless (one door leads to a gallery): costs a move
        "MOVE: west",                                 # gallery
        "MOVE: south",                                # wrong way (cellar) -> "Go back to the gallery."
        "MOVE: west",                                 # no door -> correction
        "MOVE: north",                                # back into the gallery: the repair
        "MOVE: west",                                 # foyer
        "MOVE: north",                                # the attic: arrived in 7 moves (+1 charged question)
    ],
    "instructor": [
        "Go south to the larder.",                                                # format error
        "INSTRUCT: go up",                                                        # nothing to do: rule error
        "INSTRUCT: go south into the larder, then to the attic",                  # the follower asks at J
        "INSTRUCT: west into the attic, then west, then west, then west",        # no 3rd west door: it stops
        "INSTRUCT: go north into the attic",                                      # arrives
    ],
}


@pytest.mark.parametrize("role", ["follower", "instructor"])
def test_golden_transcript(game: MapNav, role: str) -> None:
    inst = next(i for i in game.generate("test", n=3) if i.id == "test/medium/0002")
    assert (inst.params["start"], inst.params["target"]) == ("F", "C"), \
        "the test split changed: rewrite GOLDEN_SCRIPTS, then the golden files"
    rec = run(game, role, GOLDEN_SCRIPTS[role], inst)
    turns = golden_turns(rec)
    got = {"instance_id": rec.instance_id, "learner_role": role, "outcome": rec.outcome, "turns": turns}
    check_golden(GOLDEN_DIR / f"mapnav_{role}.json", got)
    assert rec.outcome == "success"
    assert {"clarification", "correction"} <= {t["kind"] for t in turns}
    # Both roles pay for the questions they caused: the follower for its needless one, the instructor for
    # the two stops its instructions made necessary.
    assert rec.scores["charged_questions"] == (1.0 if role == "follower" else 2.0)
    assert rec.scores["main"] == pytest.approx(100 * 5 / (7 + 1) if role == "follower" else 100 * 5 / (5 + 2))


# ------------------------------------------------------------------------------------------- contract
def test_check_game(game: MapNav) -> None:
    results = check_game(game)
    assert all(r.passed for r in results)
    assert any("1000/role" in r.detail for r in results)


@pytest.mark.parametrize("role", ["instructor", "follower"])
def test_reference_beats_random(game: MapNav, role: str) -> None:
    """Thresholds: the reference player (the teacher in the learner's role) averages >= 95 on the test split,
    the random player <= 10."""
    tasks = [EpisodeTask(game, inst, role) for inst in game.generate("test")]
    ref = Runner({"learner": ReferencePlayer()}).run(tasks).records
    rnd = Runner({"learner": RandomPlayer(0)}).run(tasks).records
    assert len(ref) == len(rnd) == 3 * game.split_sizes["test"]
    assert sum(r.scores["main"] for r in ref) / len(ref) >= 95.0
    assert sum(r.scores["main"] for r in rnd) / len(rnd) <= 10.0


def test_scores_from_record_only(game: MapNav) -> None:
    for role, replies in (("follower", FOLLOWER_TABLE[2][1]), ("instructor", INSTRUCTOR_TABLE[3][1])):
        rec = run(game, role, replies)
        back = EpisodeRecord.from_json(rec.to_json())
        assert game.score(back) == rec.scores
