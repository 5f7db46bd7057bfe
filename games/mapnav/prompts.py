"""Every text the mapnav game master sends: role instructions, what the follower sees, reports, corrections,
and the teacher instructor's phrasings. One place, so the wording can be reviewed (a changed prompt is a
changed game: bump the version)."""

from __future__ import annotations

from .maps import House, View, article

# ------------------------------------------------------------------ role instructions
INSTRUCTOR = """\
Let's play Map Navigation. You are the INSTRUCTOR.
You see the map of a house; your partner, the FOLLOWER, does not. Guide the follower from its start room to \
the target room in as few moves as possible.

The house (north is up; letters are rooms, "-" and "|" are doors, "." is no room):
{drawing}

Rooms and their doors:
{rooms}

The follower is in room {start} ({start_type}). The target is room {target} ({target_type}).

How the follower understands you: it sees only the room it is in and, through each door, the type of the room \
beyond it; it does not know the room letters. It follows your instruction literally, part by part (parts are \
separated by commas, full stops, "and" or "then"):
- a compass direction (north, south, east, west) takes that door: "go north";
- a room type takes the one door that leads to a room of that type: "go to the library". If two doors lead to \
such a room, the follower asks you which one;
- a direction with a room must agree: "go east into the library" (if the east door does not lead to a \
library, the follower asks what you mean);
- "back" means the way it came; "twice" or "3 times" repeats a move;
- it skips parts with "not" or "don't", and ignores a room named after "from", "in", "past" or "leave" \
("from the hall, go north" is one move: north). It does not know "left" or "right".
The follower stops when it reaches the target (you both win), when it cannot follow a part (it tells you \
why) or when a part is unclear (it asks you). After each move it tells you where it is. Every time it has to \
stop and ask costs as much as an extra move.

The follower may make at most {max_steps} moves, and you may give at most {max_instructions} instructions.

Reply with exactly one line:
INSTRUCT: <your instruction>
Example:
INSTRUCT: go north into the hall, then east into the library"""

FOLLOWER = """\
Let's play Map Navigation. You are the FOLLOWER.
You are in a house. Your partner, the INSTRUCTOR, sees the map and knows which room you must reach; you do \
not. You see only the room you are in and, through each door, the type of the room beyond it.
The instructor tells you where to go. Carry out the instructions one move at a time. Reply with exactly one \
line, either
MOVE: <direction>
to go through the door in that direction (north, south, east or west), or
CLARIFY: <question>
to ask the instructor when an instruction does not tell you which door to take (for example "go to the \
kitchen" when two doors lead to a kitchen) or cannot be followed from where you are.
A wrong move costs moves, and a question about an instruction that was already clear costs as much as a \
move (the instructor will only repeat it): ask when an instruction really leaves the door open or cannot be \
followed, and say what is unclear. The game ends when you enter the target room, or after {max_steps} moves.
Example: you are in a hall with doors north to a kitchen and east to a library, and the instructor says \
"Go to the library." Reply:
MOVE: east"""


def room_list(house: House) -> str:
    lines = []
    for rid, room in house.rooms.items():
        doors = ", ".join(f"{d} to {b} ({house.rooms[b].type})" for d, b in house.exits[rid].items())
        lines.append(f"{rid} ({room.type}): {doors}")
    return "\n".join(lines)


def instructor_intro(house: House, start: str, target: str, max_steps: int, max_instructions: int) -> str:
    return INSTRUCTOR.format(drawing=house.drawing(), rooms=room_list(house), start=start,
                             start_type=house.rooms[start].type, target=target,
                             target_type=house.rooms[target].type, max_steps=max_steps,
                             max_instructions=max_instructions)


# ------------------------------------------------------------------ during the game
def view_text(view: View) -> str:
    doors = ", ".join(f"{d} to {article(t)}" for d, t in view.doors)
    return f"You are in {article(view.room_type)}. Doors: {doors}."


def report(direction: str, view: View) -> str:
    """The follower's report to the instructor after a move (the exits, not what lies behind them)."""
    return f"I went {direction}. I am in {article(view.room_type)}. Exits: {', '.join(view.exits)}."


def relay_instruction(text: str) -> str:
    return f'The instructor says: "{text}"'


CONTINUE = "Carry on with the instruction: MOVE: <direction> or CLARIFY: <question>."


def relay_question(text: str, impossible: bool) -> str:
    lead = "The follower cannot go on" if impossible else "The follower asks"
    return f'{lead}: "{text}" Reply with a new instruction: INSTRUCT: <instruction>'


def success_instructor(target: str, room_type: str, moves: int, shortest: int) -> str:
    return (f"The follower reached the target room {target} ({room_type}) in {moves} move"
            f"{'' if moves == 1 else 's'} (the shortest route has {shortest}). The game is over.")


def success_follower(room_type: str) -> str:
    return f"This {room_type} is the target room: you have arrived. The game is over."


def out_of_moves(max_steps: int) -> str:
    return f"The follower has made {max_steps} moves without reaching the target room. The game is over."


def out_of_instructions(max_instructions: int) -> str:
    return (f"The instructor has given {max_instructions} instructions and the follower has not reached the "
            "target room. The game is over.")


# ------------------------------------------------------------------ corrections
INSTRUCTOR_FORMAT = ('Reply with exactly one line "INSTRUCT: <your instruction>", for example '
                     '"INSTRUCT: go north into the hall, then east into the library".')
FOLLOWER_FORMAT = ('Reply with exactly one line: "MOVE: <direction>" with one of north, south, east, west '
                   '(for example "MOVE: north"), or "CLARIFY: <your question>".')

NO_STEPS = ("The follower found nothing it can do in your instruction. Each part needs a compass direction "
            "(north, south, east, west), a room type, or both, for example \"go north into the hall\". "
            "The follower has not moved. " + INSTRUCTOR_FORMAT)


def too_many_steps(limit: int) -> str:
    return f"Your instruction asks for more than {limit} moves; give a shorter one. " + INSTRUCTOR_FORMAT


def no_door(direction: str, view: View) -> str:
    return (f"There is no door to the {direction} here. You are in {article(view.room_type)}; doors: "
            f"{', '.join(view.exits)}. Reply MOVE: <direction> or CLARIFY: <question>.")


# ------------------------------------------------------------------ the teacher instructor's phrasings
def go_direction(direction: str) -> str:
    return f"Go {direction}."


def go_direction_room(direction: str, room_type: str) -> str:
    return f"Go {direction} into the {room_type}."


def go_back(room_type: str | None) -> str:
    return f"Go back to the {room_type}." if room_type else "Go back."


def go_room(room_type: str) -> str:
    return f"Go to the {room_type}."


#: The teacher's preamble when the follower's last move did not bring it closer.
WRONG_WAY = "That was the wrong way."


def route(steps: list[tuple[str, str]]) -> str:
    """The whole route in one instruction: "Go north into the hall, then east into the library."."""
    return "Go " + ", then ".join(f"{d} into the {t}" for d, t in steps) + "."
