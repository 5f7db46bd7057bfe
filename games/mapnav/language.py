"""What the literal follower understands: instructions split into steps, and how a step resolves to a door.

The follower reads an instruction literally, with a small documented vocabulary (the game card repeats it):

* The text is cut into *parts* at ``, ; . ! ? :`` and line breaks and at the words ``then``, ``and``,
  ``next``, ``afterwards``.
* A part is skipped when it contains a negation (``not``, ``never``, ``avoid``, ``don't``, ...) or says where
  the follower is (``you are``, ``you're``): "go east, not north" means east.
* In a part, the compass words ``north south east west`` (also ``northward(s)`` ...) and ``back`` (the way
  the follower came) are directions; the room types of ``rooms.json`` are rooms. A room word right after
  ``from``, ``leave``/``leaving``, ``exit``/``exiting``, ``past``, ``in``, ``at`` or ``of`` (optionally
  followed by ``the``/``a``/``an``/``this``/``that``) names a room to leave or pass, not one to enter, and is
  ignored. ``back`` counts only when the part has no compass word ("go back south" is south).
* Left to right, each direction starts a step and a room joins the step before it when that step has a
  direction but no room yet, or starts a room-only step; a direction also joins a preceding room-only step of
  the same part ("the kitchen to the north"). ``twice``, ``thrice`` and ``<number> times`` (1-5, digits or
  words) repeat the step before them; a room named in that step goes with the last repetition.
* Anything else is ignored. Only when an instruction has no step at all, its first relative word (``left
  right forward forwards straight ahead``) becomes a step the follower cannot use ("go left": it says so).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from .maps import DIRECTIONS, OPPOSITE, View, article

__all__ = ["MAX_STEPS", "Resolution", "Step", "parse_steps", "resolve", "step_text"]

#: An instruction with more steps than this is refused: no route needs it, and it bounds the work per move.
MAX_STEPS = 20

_COMPASS = {d: d for d in DIRECTIONS} | {f"{d}ward": d for d in DIRECTIONS} | {f"{d}wards": d for d in DIRECTIONS}
_SEPARATOR_WORDS = frozenset({"then", "and", "next", "afterwards"})
_NEGATIONS = frozenset({"not", "never", "avoid", "don't", "dont", "cannot", "can't", "mustn't", "shouldn't",
                        "won't", "isn't", "doesn't", "didn't"})
_LEAVE_MARKERS = frozenset({"from", "leave", "leaving", "exit", "exiting", "past", "in", "at", "of"})
_DETERMINERS = frozenset({"the", "a", "an", "this", "that"})
_RELATIVE = frozenset({"left", "right", "forward", "forwards", "straight", "ahead"})
_NUMBERS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_REPEATS = {"once": 1, "twice": 2, "thrice": 3}

_PART_SPLIT = re.compile(r"[,;.!?:\n\r]+")
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")


@dataclass(frozen=True)
class Step:
    """One move the instruction asks for: through the door of ``direction`` (a compass word or ``back``),
    into a room of type ``room``, or both. ``unknown`` holds a relative word the follower cannot use."""

    direction: str | None = None
    room: str | None = None
    unknown: str | None = None


def step_text(step: Step) -> str:
    if step.unknown:
        return step.unknown
    return " ".join(w for w in (step.direction, f"to the {step.room}" if step.room else None) if w)


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return _TOKEN.findall(text)


def _parts(text: str) -> list[list[str]]:
    parts: list[list[str]] = []
    for chunk in _PART_SPLIT.split(text):
        current: list[str] = []
        for tok in _tokens(chunk):
            if tok in _SEPARATOR_WORDS:
                parts.append(current)
                current = []
            else:
                current.append(tok)
        parts.append(current)
    return [p for p in parts if p]


def _skipped(part: list[str]) -> bool:
    if any(t in _NEGATIONS for t in part):
        return True
    return "you're" in part or "youre" in part or any(a == "you" and b == "are" for a, b in zip(part, part[1:]))


def _left_behind(part: list[str], i: int) -> bool:
    """Whether the room word at ``i`` follows a marker of a room to leave or pass ("from the hall")."""
    j = i - 1
    if j >= 0 and part[j] in _DETERMINERS:
        j -= 1
    return j >= 0 and part[j] in _LEAVE_MARKERS


def _part_steps(part: list[str], rooms: frozenset[str]) -> list[Step]:
    compass = [t for t in part if t in _COMPASS]
    steps: list[Step] = []
    for i, tok in enumerate(part):
        if len(steps) > MAX_STEPS:
            break  # too many already: the instruction is refused, whatever follows
        last = steps[-1] if steps else None
        if tok in _COMPASS or (tok == "back" and not compass):
            direction = _COMPASS.get(tok, "back")
            if last is not None and last.direction is None and last.room is not None:
                steps[-1] = replace(last, direction=direction)
            else:
                steps.append(Step(direction=direction))
        elif tok in rooms and not _left_behind(part, i):
            if last is not None and last.direction is not None and last.room is None:
                steps[-1] = replace(last, room=tok)
            else:
                steps.append(Step(room=tok))
        elif last is not None and (tok in _REPEATS or (tok == "times" and i > 0 and part[i - 1] in _NUMBERS)):
            count = _REPEATS.get(tok) or _NUMBERS[part[i - 1]]
            base = replace(last, room=None)
            steps[-1:] = [base] * (count - 1) + [last] if count > 1 else [last]
    if not steps:
        relative = next((t for t in part if t in _RELATIVE), None)
        if relative is not None:
            steps.append(Step(unknown=relative))
    return steps


def parse_steps(text: str, rooms: frozenset[str]) -> list[Step]:
    """The steps of an instruction, in order (see the module docstring). Never raises; may be empty. At most
    ``MAX_STEPS + 1`` steps are returned: more than ``MAX_STEPS`` means the instruction is too long."""
    steps: list[Step] = []
    for part in _parts(text):
        if not _skipped(part):
            steps.extend(_part_steps(part, rooms))
        if len(steps) > MAX_STEPS:
            break  # the caller refuses the instruction; no need to read the rest of a huge text
    usable = [s for s in steps if s.unknown is None]
    # A relative word matters only when nothing else does: "right, go north" is north, "go left" is a step
    # the follower cannot take (and says so).
    return (usable or steps[:1])[: MAX_STEPS + 1]


# ------------------------------------------------------------------ resolving a step against what is seen
@dataclass(frozen=True)
class Resolution:
    """How the follower can carry out a step from where it stands.

    ``situation``: ``clear`` (exactly one door fits: ``direction``), ``ambiguous`` (several doors lead to the
    named room type), ``contradiction`` (the named door leads to another type of room) or ``impossible``
    (no such door, no such room next door, or a word it cannot use). ``candidates``: the doors a mover could
    reasonably take (the named door and the doors to the named room type). ``message``: what the follower
    says when it cannot simply go.
    """

    situation: str
    direction: str | None = None
    candidates: tuple[str, ...] = ()
    message: str = ""


def _either(directions: tuple[str, ...]) -> str:
    return directions[0] if len(directions) == 1 else ", ".join(directions[:-1]) + " or " + directions[-1]


def resolve(step: Step, view: View, last_move: str | None) -> Resolution:
    """Resolve ``step`` using only what the follower sees (``view``) and the way it came (``last_move``)."""
    if step.unknown:
        return Resolution("impossible", message=f"I don't know which way '{step.unknown}' is: I only "
                                                 "understand north, south, east and west, and room names.")
    direction = step.direction
    if direction == "back":
        if last_move is None:
            return Resolution("impossible", message="I have not moved yet, so I cannot go back.")
        direction = OPPOSITE[last_move]
    room = step.room
    if direction is not None:
        behind = view.behind(direction)
        if behind is None:
            return Resolution("impossible", message=f"There is no door to the {direction} here.")
        if room is None or behind == room:
            return Resolution("clear", direction, (direction,))
        others = view.leading_to(room)
        where = (f" The door to the {others[0]} leads to {article(room)}." if len(others) == 1 else
                 f" The doors to the {_either(others)} lead to {room}s." if others else "")
        return Resolution("contradiction", None, (direction, *others),
                          f"The door to the {direction} leads to {article(behind)}, not {article(room)}.{where} "
                          "Which way do you mean?")
    assert room is not None
    matches = view.leading_to(room)
    if len(matches) == 1:
        return Resolution("clear", matches[0], matches)
    if len(matches) > 1:
        both = "Both lead" if len(matches) == 2 else "They all lead"
        return Resolution("ambiguous", None, matches, f"Which door: {_either(matches)}? {both} to {article(room)}.")
    here = f" I am in {article(room)} already." if view.room_type == room else ""
    return Resolution("impossible", message=f"No door here leads to {article(room)}.{here}")
