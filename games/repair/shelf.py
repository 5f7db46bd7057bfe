"""The shelf and what can be done to it: actions, their literal execution, and the builder's misunderstandings.

Pure functions on immutable states. The episode, both teachers and the tests share them, so what the rules
say a step does is defined exactly once.

A state is a tuple with one cell per slot (index 0 is slot 1): an item name or ``None`` for an empty slot.
Items not on the shelf are on the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..episode import RuleError
from .catalogue import Catalogue, colour_of, noun_of

__all__ = ["Action", "Misreading", "Put", "Remove", "State", "Swap", "describe", "distance", "empty",
           "execute", "harms", "legal_actions", "misread", "placed", "render_action", "render_state",
           "slot_of"]

State = tuple[str | None, ...]


@dataclass(frozen=True)
class Put:
    """Put ``item`` into ``slot`` (1-based); an item already there goes back to the table."""

    item: str
    slot: int


@dataclass(frozen=True)
class Remove:
    """Take ``item`` off the shelf, back to the table."""

    item: str


@dataclass(frozen=True)
class Swap:
    """Exchange the contents of two slots (one of them may be empty)."""

    a: int
    b: int


Action = Put | Remove | Swap


def empty(slots: int) -> State:
    return (None,) * slots


def slot_of(state: State, item: str) -> int | None:
    """The 1-based slot holding ``item``, or ``None`` when it is on the table."""
    return state.index(item) + 1 if item in state else None


def placed(state: State, goal: State) -> int:
    """How many items sit in their goal slot."""
    return sum(1 for have, want in zip(state, goal) if want is not None and have == want)


def render_state(state: State) -> str:
    """``STATE: 1=red cup; 2=empty; ...``: the one notation of the game, used by both roles."""
    return "STATE: " + "; ".join(f"{i}={item or 'empty'}" for i, item in enumerate(state, 1))


def render_action(action: Action) -> str:
    """An instruction that names items in full: the teachers' wording, and it parses back to ``action``."""
    if isinstance(action, Put):
        return f"put the {action.item} in slot {action.slot}"
    if isinstance(action, Remove):
        return f"take the {action.item} back to the table"
    return f"swap slot {action.a} and slot {action.b}"


def execute(state: State, action: Action) -> State:
    """The literal result of ``action``; raises :class:`RuleError` for a step that is impossible or changes
    nothing (the builder says why, so the instructor can repair)."""
    cells = list(state)
    if isinstance(action, Put):
        if state[action.slot - 1] == action.item:
            raise RuleError(f"The {action.item} is already in slot {action.slot}. Give another step "
                            "(INSTRUCT: ...) or reply DONE if the shelf matches the goal.")
        source = slot_of(state, action.item)
        if source is not None:
            cells[source - 1] = None
        cells[action.slot - 1] = action.item  # whatever was there goes back to the table
        return tuple(cells)
    if isinstance(action, Remove):
        source = slot_of(state, action.item)
        if source is None:
            raise RuleError(f"The {action.item} is already on the table, not on the shelf. Give another "
                            "step (INSTRUCT: ...).")
        cells[source - 1] = None
        return tuple(cells)
    if action.a == action.b:
        raise RuleError(f"Swapping slot {action.a} with itself changes nothing. Name two different slots.")
    if state[action.a - 1] is None and state[action.b - 1] is None:
        raise RuleError(f"Slots {action.a} and {action.b} are both empty: swapping them changes nothing.")
    cells[action.a - 1], cells[action.b - 1] = state[action.b - 1], state[action.a - 1]
    return tuple(cells)


def describe(state: State, action: Action) -> str:
    """What the builder says it did (before its STATE line), in the first person."""
    if isinstance(action, Put):
        source = slot_of(state, action.item)
        where = f"moved the {action.item} from slot {source} to" if source else f"put the {action.item} in"
        text = f"I {where} slot {action.slot}"
        bumped = state[action.slot - 1]
        if bumped is not None and bumped != action.item:
            text += f" and took the {bumped} back to the table"
        return text + "."
    if isinstance(action, Remove):
        return f"I took the {action.item} off slot {slot_of(state, action.item)} and put it on the table."
    return f"I swapped slot {action.a} and slot {action.b}."


# ------------------------------------------------------------------------------------ misunderstandings
@dataclass(frozen=True)
class Misreading:
    """A put step the builder got wrong: what it did instead of ``meant``."""

    kind: str  # "slot", "mirror" or "item"
    meant: Put
    done: Put


def _confusables(item: str, items: Sequence[str], catalogue: Catalogue) -> list[str]:
    """Items the builder may take for ``item``, likeliest first: same noun, a look-alike noun of the same
    colour, any look-alike noun, the same colour. Ties keep the instance's item order."""
    colour, noun = colour_of(item), noun_of(item)
    group = catalogue.group_of(noun)

    def rank(other: str) -> int:
        same_colour, other_noun = colour_of(other) == colour, noun_of(other)
        if other_noun == noun:
            return 0
        if other_noun in group:
            return 1 if same_colour else 2
        return 3 if same_colour else 9

    ranked = sorted((rank(o), i, o) for i, o in enumerate(items) if o != item)
    return [o for r, _, o in ranked if r < 9]


def _nearest_free(state: State, centre: int, exclude: set[int], side: str) -> int | None:
    free = [s for s in range(1, len(state) + 1) if state[s - 1] is None and s not in exclude]
    if not free:
        return None
    # Off by one to the preferred side first: ties go to the right for side "right", to the left otherwise.
    return min(free, key=lambda s: (abs(s - centre), s < centre if side == "right" else s > centre))


def misread(state: State, meant: Put, kind: str, side: str, items: Sequence[str],
            catalogue: Catalogue) -> Misreading | None:
    """How the builder misunderstands the put step ``meant`` in ``state``, or ``None`` if no misreading of
    this kind (nor its fallback) fits: a wrong slot needs a free slot, a wrong item a confusable item.

    ``slot``: the nearest free slot to the meant one; ``mirror``: left and right swapped (slot n+1-s, or
    the free slot nearest to it); ``item``: the likeliest confusable item into the meant slot. A wrong-slot
    kind falls back to a wrong item and vice versa, so the misunderstanding happens whenever it can.
    """
    source = slot_of(state, meant.item)
    exclude = {meant.slot} | ({source} if source else set())

    def wrong_slot(centre: int) -> Put | None:
        slot = _nearest_free(state, centre, exclude, side)
        return Put(meant.item, slot) if slot is not None else None

    def wrong_item() -> Put | None:
        for other in _confusables(meant.item, items, catalogue):
            if state[meant.slot - 1] != other:
                return Put(other, meant.slot)
        return None

    if kind == "item":
        order = [("item", wrong_item), ("slot", lambda: wrong_slot(meant.slot))]
    else:
        centre = len(state) + 1 - meant.slot if kind == "mirror" else meant.slot
        order = [(kind, lambda: wrong_slot(centre)), ("item", wrong_item)]
    for name, attempt in order:
        done = attempt()
        if done is not None:
            return Misreading(name, meant, done)
    return None


# ------------------------------------------------------------------------------------ progress
def distance(state: State, goal: State) -> int:
    """How far ``state`` is from ``goal``: goal items not in their slot, plus items on the shelf out of place.
    Every useful step lowers it: placing an item in its goal slot, or clearing a wrong item away."""
    return sum((want is not None and have != want) + (have is not None and have != want)
               for have, want in zip(state, goal))


def harms(before: State, after: State, goal: State) -> bool:
    """Whether going from ``before`` to ``after`` takes an item out of its goal slot (never needed: no goal
    slot holds two items)."""
    return any(want is not None and had == want and has != want
               for had, has, want in zip(before, after, goal))


def legal_actions(state: State, items: Sequence[str]) -> list[Action]:
    """Every action that changes ``state``: a put of any item into any slot it is not in, a remove of any
    item on the shelf, a swap of two slots not both empty."""
    slots = range(1, len(state) + 1)
    out: list[Action] = [Put(item, s) for item in items for s in slots if state[s - 1] != item]
    out += [Remove(item) for item in items if item in state]
    out += [Swap(a, b) for a in slots for b in slots if a < b and (state[a - 1] or state[b - 1])]
    return out
