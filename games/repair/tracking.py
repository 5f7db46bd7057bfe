"""What the episode keeps track of between moves: open repairs, the teacher builder's last execution, the
teacher instructor's plan, and the readings a step allows (for the builder's consistency note).

Plain data and pure functions on shelves; the episode owns the instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..episode import MoveError
from .language import Ambiguous, Instruction, Scene, resolve
from .shelf import Action, Misreading, Put, Remove, State, execute

__all__ = ["Execution", "OpenRepair", "Plan", "fixes_named", "intention", "readings"]


@dataclass
class OpenRepair:
    """The cells a misreading left wrong, each with what counts as fixed: its goal item, or (for a cell
    that only held a wrong item) also empty."""

    cells: dict[int, tuple[str | None, bool]]
    done: bool = False  # all cells were fixed once: the misreading counts as repaired
    credited: set[tuple[int, str]] = field(default_factory=set)  # (cell, "cleared"/"filled") already repaired

    def ok(self, state: State, slot: int) -> bool:
        want, empty_ok = self.cells[slot]
        return state[slot - 1] == want or (empty_ok and state[slot - 1] is None)

    def fixed(self, state: State) -> bool:
        return all(self.ok(state, c) for c in self.cells)

    def credit(self, before: State, after: State) -> bool:
        """Whether going from ``before`` to ``after`` mends one of the cells in a new way: the cell loses
        the wrong item it held ("cleared") or gets its goal item ("filled"). Each way counts once per cell,
        so undoing and redoing a fix is no repair."""
        mended: set[tuple[int, str]] = set()
        for slot in [] if self.done else self.cells:
            want, had, has = self.cells[slot][0], before[slot - 1], after[slot - 1]
            if had != want and had is not None and has in (None, want):
                mended.add((slot, "cleared"))
            if had != want and has == want:
                mended.add((slot, "filled"))
        mended -= self.credited
        self.credited |= mended
        return bool(mended)


@dataclass
class Execution:
    """The teacher builder's last carried-out step, handed from ``teacher_move`` to ``apply``."""

    action: Action
    after: State
    misreading: Misreading | None = None
    queue_index: int = -1


def intention(goal: State, plan: list[str], step: int) -> State:
    """The shelf the teacher instructor means after plan step ``step`` (0-based): the plan's first
    ``step + 1`` items in their goal slots, everything else on the table."""
    done = set(plan[: step + 1])
    return tuple(item if item in done else None for item in goal)


@dataclass
class Plan:
    """The teacher instructor's memory: its progress through the plan (learner builder) and its last step."""

    step: int = 0
    given: bool = False  # the current step was instructed and is not yet confirmed
    open_repair: bool = False  # the builder's report of this step differed from the intention
    meant: Action | None = None  # what the teacher instructor last asked for (either policy)
    said: str = ""  # the current step as the teacher instructor worded it (restated on a vague question)
    unclear: bool = False  # the current plan step named its item unclearly
    asked: bool = False  # the builder asked a question that says what is unclear about it
    strayed: bool = False  # the builder asked a question that was not needed about this plan step


def readings(state: State, step: Action | Ambiguous | None, scene: Scene) -> set[State]:
    """The shelves a builder may report after ``step`` from ``state``: its literal result, or for an unclear
    item the result of each item it may mean. A report outside these contradicts the builder's own last
    report or the step it was given."""
    if step is None:
        return {state}
    if isinstance(step, Ambiguous):
        out: set[State] = set()
        for item in sorted(step.candidates):
            refs = list(step.instruction.refs)
            refs[step.index] = frozenset({item})
            ins = step.instruction
            action = _resolved(Instruction(ins.kind, tuple(refs), ins.slots, ins.sources), state, scene)
            if action is not None:
                out |= readings(state, action, scene)
        return out
    try:
        return {execute(state, step)}
    except MoveError:
        return set()


def _resolved(instruction: Instruction, state: State, scene: Scene) -> Action | None:
    try:
        target = resolve(instruction, state, scene)
    except MoveError:
        return None
    return None if isinstance(target, Ambiguous) else target


def fixes_named(state: State, named: Action) -> bool:
    """Whether a reported ``state`` carries out the one fix a correction named (an item into a slot, or an
    item back to the table)."""
    if isinstance(named, Put):
        return state[named.slot - 1] == named.item
    if isinstance(named, Remove):
        return named.item not in state
    return True
