"""Cheap policies for mapnav: attacks on both learner roles, and honest short programs.

Every policy reads only the role's chat history (``View``): the follower its instructions, what it sees and
what the instructor says; the instructor the map in its instructions and the follower's reports and questions.
The attacks skip the role's collaborative work (asking until the partner says the step outright, copying the
example, instructing one fixed direction, dumping every room name or map line). The honest programs
(``degenerate=False``) do the work without any language skill beyond the game's small vocabulary: a route
solver that reads the map, and a literal follower of instruction keywords. Their scores show how much language
each role needs.
"""

from __future__ import annotations

import random
import re
from collections import deque

from ..policies import CheapPolicy, Policy, PolicyFactory, View, instruction_lines, last_message, stateless
from .maps import DIRECTIONS, OPPOSITE, room_types

__all__ = ["follower_policies", "instructor_policies"]

_DOOR = re.compile(r"\b(north|east|south|west) to an? ([a-z]+)")
_SAYS = re.compile(r'The instructor says: "(.*)"', re.DOTALL)
_WORD = re.compile(r"[a-z]+")
_ROOM_LINE = re.compile(r"^([A-Z]) \(([a-z]+)\): (.*)$")
_EXIT = re.compile(r"\b(north|east|south|west) to ([A-Z]) \(([a-z]+)\)")
_WHERE = re.compile(r"The follower is in room ([A-Z]) \(([a-z]+)\)\. The target is room ([A-Z]) \(([a-z]+)\)\.")
_WENT = re.compile(r"I went (north|east|south|west)\.")
_EXITS = re.compile(r"Exits: ([a-z, ]+)\.")
_ROOMS = frozenset(room_types())


# ------------------------------------------------------------------------------------------- follower side
def _doors(view: View) -> list[tuple[str, str]]:
    """The doors of the room the follower is in now: (direction, room type behind it)."""
    for msg in reversed(view):
        text = msg.get("content", "")
        if msg.get("role") == "user" and "You are in" in text:
            line = text[text.rindex("You are in"):].split("\n", 1)[0]
            return _DOOR.findall(line)
    return []


def _said(view: View) -> str:
    """What the instructor said last (empty before its first instruction)."""
    for msg in reversed(view):
        if msg.get("role") == "user":
            found = _SAYS.findall(msg.get("content", ""))
            if found:
                return str(found[-1]).lower()
    return ""


def _compass(text: str) -> str | None:
    return next((w for w in _WORD.findall(text) if w in DIRECTIONS), None)


def _my_moves(view: View) -> list[str]:
    return [m.get("content", "") for m in view if m.get("role") == "assistant"]


def _asked_last(view: View) -> bool:
    mine = _my_moves(view)
    return bool(mine) and mine[-1].startswith("CLARIFY")


def _last_direction(view: View) -> str | None:
    for text in reversed(_my_moves(view)):
        if text.startswith("MOVE: "):
            return text[len("MOVE: "):]
    return None


def _keyword_step(view: View, said: str) -> tuple[list[str], str | None]:
    """The doors the literal keyword reading of ``said`` allows: its first compass word (or ``back``), else
    the doors to the first room type it names. Returns (candidate doors, the room type if one was named)."""
    doors = _doors(view)
    words = _WORD.findall(said)
    direction = next((w for w in words if w in DIRECTIONS), None)
    if direction is None and "back" in words and (last := _last_direction(view)) is not None:
        direction = OPPOSITE[last]
    if direction is not None:
        return ([direction] if direction in dict(doors) else []), None
    room = next((w for w in words if w in _ROOMS), None)
    return [d for d, t in doors if t == room], room


def _keyword_follower(ask_when_unsure: bool, ask_always: bool) -> PolicyFactory:
    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            said = _said(view)
            if ask_always and not _asked_last(view):
                return "CLARIFY: Which door exactly?"
            candidates, room = _keyword_step(view, said)
            if len(candidates) == 1 or (candidates and not ask_when_unsure):
                return f"MOVE: {candidates[0]}"
            if candidates:
                return f"CLARIFY: Which {room}: {' or '.join(candidates)}?"
            return "CLARIFY: Which way should I go?"
        return policy
    return make


def _ask_until_told(question: str) -> PolicyFactory:
    """Move only through a door the instructor named by its compass word; otherwise ask (the v1 attack: the
    answer to any question was the exact next door)."""
    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            direction = _compass(_said(view))
            if direction is not None and direction in dict(_doors(view)):
                return f"MOVE: {direction}"
            return f"CLARIFY: {question}"
        return policy
    return make


def _ask_before_every_move(question: str) -> PolicyFactory:
    """Ask before every move, then take the compass word of the answer (or the first door)."""
    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            if not _asked_last(view):
                return f"CLARIFY: {question}"
            doors = [d for d, _ in _doors(view)]
            direction = _compass(_said(view))
            return f"MOVE: {direction if direction in doors else doors[0] if doors else 'north'}"
        return policy
    return make


def _enumerate_doors(_rng: random.Random) -> Policy:
    """Ask "Should I go <door>?" for each door in turn; take the door the answer confirms, or the first
    door once every door was asked about."""
    def policy(view: View) -> str:
        doors = [d for d, _ in _doors(view)] or ["north"]
        asked = 0  # questions in a row, all in this room (a move ends the run)
        for text in reversed(_my_moves(view)):
            if not text.startswith("CLARIFY"):
                break
            asked += 1
        if asked and _said(view).startswith("yes"):
            return f"MOVE: {doors[min(asked, len(doors)) - 1]}"
        if asked >= len(doors):
            return f"MOVE: {doors[0]}"
        return f"CLARIFY: Should I go {doors[asked]}?"
    return policy


def _walk(compass: bool, never_back: bool, at_random: bool) -> PolicyFactory:
    """Walkers that never ground a room name: the instructor's compass word (if ``compass`` and it names a
    door), else the first (or a random) door, not the way back if ``never_back`` allows another."""
    def make(rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            doors = [d for d, _ in _doors(view)] or ["north"]
            told = _compass(_said(view)) if compass else None
            if told in doors:
                return f"MOVE: {told}"
            last = _last_direction(view)
            ahead = [d for d in doors if not (never_back and last is not None and d == OPPOSITE[last])] or doors
            return f"MOVE: {rng.choice(ahead) if at_random else ahead[0]}"
        return policy
    return make


def _backtrack_when_told(rng: random.Random) -> Policy:
    """Walks at random without reading the instructions (never the way back), but turns back when the
    instructor's next words are "That was the wrong way": the re-planning preamble as a hot/cold signal."""
    def policy(view: View) -> str:
        doors = [d for d, _ in _doors(view)] or ["north"]
        last = _last_direction(view)
        if last is not None and _said(view).startswith("that was the wrong way") and OPPOSITE[last] in doors:
            return f"MOVE: {OPPOSITE[last]}"
        ahead = [d for d in doors if last is None or d != OPPOSITE[last]] or doors
        return f"MOVE: {rng.choice(ahead)}"
    return policy


def _ask_once_then_walk(rng: random.Random) -> Policy:
    """Takes a compass word when the instruction has one; otherwise asks "Which door?" once, then walks
    through a random door (not back) whatever the answer said about rooms."""
    def policy(view: View) -> str:
        doors = [d for d, _ in _doors(view)] or ["north"]
        told = _compass(_said(view))
        if told in doors:
            return f"MOVE: {told}"
        if not _asked_last(view):
            return "CLARIFY: Which door?"
        last = _last_direction(view)
        ahead = [d for d in doors if last is None or d != OPPOSITE[last]] or doors
        return f"MOVE: {rng.choice(ahead)}"
    return policy


def _room_names_only(rng: random.Random) -> Policy:
    """Honest program: the door to a room type the instruction names (a random one of several), compass
    words ignored; a random door when no room type of the instruction is next door."""
    def policy(view: View) -> str:
        doors = _doors(view) or [("north", "")]
        said = set(_WORD.findall(_said(view)))
        named = [d for d, t in doors if t in said]
        return f"MOVE: {rng.choice(named or [d for d, _ in doors])}"
    return policy


def _keep_going(_rng: random.Random) -> Policy:
    """Take the first compass word ever said, then repeat that move while a door allows it, else the first
    door: repeats its last move instead of listening."""
    def policy(view: View) -> str:
        doors = [d for d, _ in _doors(view)]
        last = _last_direction(view) or _compass(_said(view))
        return f"MOVE: {last if last in doors else doors[0] if doors else 'north'}"
    return policy


def follower_policies() -> list[CheapPolicy]:
    ask = "Which door exactly?"
    repeat = "Can you repeat that?"
    return [
        CheapPolicy("ask_until_told", f"moves only on a compass word of the instructor, else asks \"{ask}\"",
                    _ask_until_told(ask)),
        CheapPolicy("repeat_until_told", f"moves only on a compass word of the instructor, else asks "
                                         f"\"{repeat}\"", _ask_until_told(repeat)),
        CheapPolicy("ask_before_every_move", "asks before every move, then takes the compass word of the answer",
                    _ask_before_every_move(ask)),
        CheapPolicy("enumerate_doors", "asks \"Should I go <door>?\" door by door until one is confirmed",
                    _enumerate_doors),
        CheapPolicy("compass_only", "the instructor's compass word, room names ignored (else the first door)",
                    _walk(True, False, False)),
        CheapPolicy("compass_or_ahead", "the instructor's compass word, else the first door that does not "
                                        "lead back", _walk(True, True, False)),
        CheapPolicy("never_back", "ignores the instructions: the first door that does not lead back",
                    _walk(False, True, False)),
        CheapPolicy("random_never_back", "ignores the instructions: a random door that does not lead back",
                    _walk(False, True, True)),
        CheapPolicy("first_door", "always takes the first door it sees", _walk(False, False, False)),
        CheapPolicy("keep_going", "repeats its last move (the first compass word it was told) while it can",
                    _keep_going),
        CheapPolicy("backtrack_when_told", "ignores the instructions: a random door (not back), but turns back "
                                           "when the instructor starts with \"That was the wrong way\"",
                    _backtrack_when_told),
        CheapPolicy("ask_once_then_walk", "a compass word of the instructor, else asks \"Which door?\" once and "
                                          "then takes a random door (not back)", _ask_once_then_walk),
        CheapPolicy("room_names_only", "honest program: the door to a room type the instruction names (a random "
                                       "one of several), compass words ignored", _room_names_only,
                    degenerate=False),
        CheapPolicy("keyword_follower", "honest program: the instruction's compass word, else the door to the "
                                        "room type it names (guesses between several); never asks",
                    _keyword_follower(False, False), degenerate=False),
        CheapPolicy("keyword_follower_asks", "honest program: the same, but asks which door when several lead "
                                             "to the room type named", _keyword_follower(True, False),
                    degenerate=False),
        CheapPolicy("keyword_follower_always_asks", "honest program that also asks before every move (needless "
                                                    "questions cost)", _keyword_follower(True, True),
                    degenerate=False),
    ]


# ------------------------------------------------------------------------------------------- instructor side
def _plan(view: View) -> tuple[dict[str, dict[str, str]], dict[str, str], str, str]:
    """The map of the instructions: exits per room letter, room types, the start and the target."""
    exits: dict[str, dict[str, str]] = {}
    types: dict[str, str] = {}
    start = target = ""
    for line in instruction_lines(view):
        if m := _ROOM_LINE.match(line):
            types[m.group(1)] = m.group(2)
            exits[m.group(1)] = {d: b for d, b, _ in _EXIT.findall(m.group(3))}
        elif m := _WHERE.search(line):
            start, target = m.group(1), m.group(3)
    return exits, types, start, target


def _position(view: View, exits: dict[str, dict[str, str]], start: str) -> str:
    """Where the follower is, from its start and the moves it reported since."""
    here = start
    for msg in view[1:]:
        if msg.get("role") == "user":
            for direction in _WENT.findall(msg.get("content", "")):
                here = exits.get(here, {}).get(direction, here)
    return here


def _route(exits: dict[str, dict[str, str]], here: str, target: str) -> list[tuple[str, str]]:
    """A shortest route from ``here`` to ``target`` (breadth-first): (direction, room) per door."""
    back: dict[str, tuple[str, str] | None] = {here: None}
    queue = deque([here])
    while queue:
        room = queue.popleft()
        for d in DIRECTIONS:
            nxt = exits.get(room, {}).get(d)
            if nxt is not None and nxt not in back:
                back[nxt] = (room, d)
                queue.append(nxt)
    path: list[tuple[str, str]] = []
    node = target
    while (prev := back.get(node)) is not None:
        path.append((prev[1], node))
        node = prev[0]
    return path[::-1]


def _route_solver(with_rooms: bool) -> Policy:
    def policy(view: View) -> str:
        exits, types, start, target = _plan(view)
        path = _route(exits, _position(view, exits, start), target)
        if not path:
            return "INSTRUCT: go north"
        parts = [f"{d} into the {types[r]}" if with_rooms else d for d, r in path]
        return "INSTRUCT: go " + ", then ".join(parts)
    return policy


def _dump_rooms(view: View) -> str:
    _, types, _, _ = _plan(view)
    names = list(dict.fromkeys(types.values()))[:20]
    return "INSTRUCT: " + ", then ".join(f"go to the {t}" for t in names)


def _echo_room_lines(view: View) -> str:
    lines = [line for line in instruction_lines(view) if _ROOM_LINE.match(line)]
    return "INSTRUCT: " + " ".join(lines)[:600]


def _to_target(view: View) -> str:
    _, types, _, target = _plan(view)
    return f"INSTRUCT: go to the {types.get(target, 'hall')}"


def _cycle(replies: list[str]) -> PolicyFactory:
    def make(_rng: random.Random) -> Policy:
        turn = [0]

        def policy(_view: View) -> str:
            turn[0] += 1
            return replies[(turn[0] - 1) % len(replies)]
        return policy
    return make


def _wander_to_target(rng: random.Random) -> Policy:
    """Send the follower through a random exit it reported, then to the target's room type: a random walk
    that stops when the target is next door (uses the target line, never the map's doors)."""
    def policy(view: View) -> str:
        _, types, _, target = _plan(view)
        exits = _EXITS.findall(last_message(view))
        options = [e.strip() for e in exits[-1].split(",")] if exits else list(DIRECTIONS)
        return f"INSTRUCT: go {rng.choice(options)}, then go to the {types.get(target, 'hall')}"
    return policy


_CELL_STEP = {"north": (0, -1), "east": (1, 0), "south": (0, 1), "west": (-1, 0)}


def _cells(view: View) -> dict[str, tuple[int, int]]:
    """Room letter -> (x, y) grid cell, read off the drawing of the map (rooms on even columns and lines)."""
    lines = [m.get("content", "") for m in view if m.get("role") == "user"][:1]
    drawing = lines[0].split('"." is no room):\n', 1)[-1].split("\n\n", 1)[0].splitlines() if lines else []
    return {ch: (x // 2, y // 2) for y, row in enumerate(drawing) if y % 2 == 0
            for x, ch in enumerate(row) if x % 2 == 0 and ch.isupper()}


def _as_the_crow_flies(rng: random.Random) -> Policy:
    """Heads for the target as the crow flies: from the start cell and the follower's reported moves, the
    reported exit that brings it nearer the target's cell on the grid (else a random exit). Reads where the
    rooms are, never which doors connect them."""
    def policy(view: View) -> str:
        _, _, start, target = _plan(view)
        cells = _cells(view)
        x, y = cells.get(start, (0, 0))
        for msg in view[1:]:
            if msg.get("role") == "user":
                for d in _WENT.findall(msg.get("content", "")):
                    x, y = x + _CELL_STEP[d][0], y + _CELL_STEP[d][1]
        tx, ty = cells.get(target, (x, y))
        exits = _EXITS.findall(last_message(view))
        options = [e.strip() for e in exits[-1].split(",")] if exits else list(DIRECTIONS)
        nearer = [d for d in options if abs(tx - x - _CELL_STEP[d][0]) + abs(ty - y - _CELL_STEP[d][1])
                  < abs(tx - x) + abs(ty - y)]
        return f"INSTRUCT: go {(nearer or [rng.choice(options)])[0]}"
    return policy


def instructor_policies() -> list[CheapPolicy]:
    compass = [f"INSTRUCT: go {d}" for d in DIRECTIONS]
    return [
        CheapPolicy("always_north", "always \"INSTRUCT: go north\"", stateless(lambda _v: "INSTRUCT: go north")),
        CheapPolicy("cycle_compass", "go north, east, south, west in turn, one per instruction", _cycle(compass)),
        CheapPolicy("every_direction", "\"north, east, south, west\" in one instruction, every time",
                    stateless(lambda _v: "INSTRUCT: north, east, south, west")),
        CheapPolicy("dump_room_names", "\"go to the <type>\" for every room type on the map, in one instruction",
                    stateless(_dump_rooms)),
        CheapPolicy("echo_room_lines", "the map's room lines copied into one instruction",
                    stateless(_echo_room_lines)),
        CheapPolicy("go_to_target_type", "\"go to the <target's room type>\", every time", stateless(_to_target)),
        CheapPolicy("wander_to_target", "a random reported exit, then the target's room type (a random walk "
                                        "that never reads the map's doors)", _wander_to_target),
        CheapPolicy("as_the_crow_flies", "one step at a time toward the target's grid cell through a reported "
                                         "exit (reads where rooms are, not which doors connect them)",
                    _as_the_crow_flies),
        CheapPolicy("route_solver", "honest program: reads the map, instructs a shortest route with the room "
                                    "types", stateless(_route_solver(True)), degenerate=False),
        CheapPolicy("route_directions_only", "honest program: reads the map, instructs a shortest route as "
                                             "compass words only", stateless(_route_solver(False)),
                    degenerate=False),
    ]
