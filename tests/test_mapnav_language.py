"""mapnav's instruction language without episodes: parsing steps (bounded, hostile text), resolving a step
against a view, and parsing both roles' moves. Episodes on the hand-made house are in ``tests/test_mapnav.py``."""

from __future__ import annotations

import pytest
from playschool.games import FormatError
from playschool.games.mapnav import Step, View, parse_steps, resolve
from playschool.games.mapnav.language import MAX_STEPS
from playschool.games.mapnav.maps import room_types
from playschool.games.mapnav.moves import parse_follower, parse_instructor

ROOMS = frozenset(room_types())


# ------------------------------------------------------------------------------------------- language
@pytest.mark.parametrize(("text", "steps"), [
    ("go north into the hall, then east into the library", [Step("north", "hall"), Step("east", "library")]),
    ("Head east into the library and then go south.", [Step("east", "library"), Step("south")]),
    ("From the hall, go north twice, then west 3 times to the kitchen",
     [Step("north"), Step("north"), Step("west"), Step("west"), Step("west", "kitchen")]),
    ("Go north two times.", [Step("north"), Step("north")]),
    ("That was the wrong way. Go back south into the hall.", [Step("south", "hall")]),
    ("go back to the hall", [Step("back", "hall")]),
    ("go east, not north", [Step("east")]),
    ("Don't go to the attic. Go to the study.", [Step(room="study")]),
    ("You are in the hall now; go north to the library.", [Step("north", "library")]),
    ("the kitchen to the north", [Step("north", "kitchen")]),
    ("Take the north door, into the kitchen", [Step("north"), Step(room="kitchen")]),  # two parts: two steps
    ("go past the kitchen and into the library", [Step(room="library")]),
    ("Exit the kitchen through the north door", [Step("north")]),
    ("Go south; you will end up in the library.", [Step("south")]),
    ("Right, now go NORTHWARDS", [Step("north")]),
    ("turn left and go north", [Step("north")]),
    ("go left", [Step(unknown="left")]),
    ("hello there, how are you?", []),
    ("go to the dining room", []),  # not a room type of the vocabulary
])
def test_parse_steps(text: str, steps: list[Step]) -> None:
    assert parse_steps(text, ROOMS) == steps


def test_parse_steps_is_bounded() -> None:
    assert len(parse_steps("north " * 5000, ROOMS)) == MAX_STEPS + 1
    assert parse_steps("\ud800 \x00 \u202enorth", ROOMS) == [Step("north")]


HALL = View("hall", (("north", "kitchen"), ("east", "kitchen"), ("south", "library")))


@pytest.mark.parametrize(("step", "last", "situation", "direction", "message"), [
    (Step("south"), None, "clear", "south", ""),
    (Step("south", "library"), None, "clear", "south", ""),
    (Step(room="library"), None, "clear", "south", ""),
    (Step("back"), "north", "clear", "south", ""),
    (Step(room="kitchen"), None, "ambiguous", None, "Which door: north or east? Both lead to a kitchen."),
    (Step("south", "kitchen"), None, "contradiction", None,
     "The door to the south leads to a library, not a kitchen. The doors to the north or east lead to kitchens. "
     "Which way do you mean?"),
    (Step("north", "library"), None, "contradiction", None,
     "The door to the north leads to a kitchen, not a library. The door to the south leads to a library. "
     "Which way do you mean?"),
    (Step("north", "attic"), None, "contradiction", None,
     "The door to the north leads to a kitchen, not an attic. Which way do you mean?"),
    (Step("west"), None, "impossible", None, "There is no door to the west here."),
    (Step(room="attic"), None, "impossible", None, "No door here leads to an attic."),
    (Step(room="hall"), None, "impossible", None, "No door here leads to a hall. I am in a hall already."),
    (Step("back"), None, "impossible", None, "I have not moved yet, so I cannot go back."),
    (Step(unknown="left"), None, "impossible", None,
     "I don't know which way 'left' is: I only understand north, south, east and west, and room names."),
])
def test_resolve(step: Step, last: str | None, situation: str, direction: str | None, message: str) -> None:
    res = resolve(step, HALL, last)
    assert (res.situation, res.direction, res.message) == (situation, direction, message)


@pytest.mark.parametrize(("text", "kind", "body"), [
    ("INSTRUCT: go north", "instruct", "go north"),
    ("Sure!\n  instruct :  go north, then east  \nthanks", "instruct", "go north, then east"),
])
def test_parse_instructor(text: str, kind: str, body: str) -> None:
    move = parse_instructor(text)
    assert (move.kind, move.text) == (kind, body)


@pytest.mark.parametrize(("text", "kind", "body"), [
    ("MOVE: north", "move", "north"), ("move: East.", "move", "east"), ("MOVE: 'w'", "move", "west"),
    ("I'll take it.\nMOVE: south", "move", "south"), ("CLARIFY: which kitchen?", "clarify", "which kitchen?"),
    ("**MOVE:** *north*", "move", "north"), ("- CLARIFY : which one?", "clarify", "which one?"),
    ("MOVE: north\nbecause the hall is there", "move", "north"),
])
def test_parse_follower(text: str, kind: str, body: str) -> None:
    move = parse_follower(text)
    assert (move.kind, move.text) == (kind, body)


@pytest.mark.parametrize(("role", "text"), [
    ("instructor", ""), ("instructor", "go north"), ("instructor", "INSTRUCT:"), ("instructor", "MOVE: north"),
    ("instructor", "INSTRUCT: " + "north " * 200),
    ("follower", ""), ("follower", "north"), ("follower", "MOVE: northeast"), ("follower", "MOVE: the kitchen"),
    ("follower", "CLARIFY:"), ("follower", "CLARIFY: " + "?" * 400), ("follower", "INSTRUCT: go north"),
    # one move per reply: two move lines are a format error, whichever comes first
    ("follower", "MOVE: north\nMOVE: east"), ("follower", "CLARIFY: which?\nMOVE: east"),
    ("instructor", "INSTRUCT: go north\nINSTRUCT: go east"),
])
def test_parse_rejects(role: str, text: str) -> None:
    with pytest.raises(FormatError):
        (parse_instructor if role == "instructor" else parse_follower)(text)
