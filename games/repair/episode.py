"""The repair episode: instructor and builder take turns, and the programmatic teacher plays either.

When the learner is the instructor, the teacher builder misreads the seeded put steps and the episode tracks
the cells each misreading left wrong until the instructor repairs them. When the learner is the builder, the
teacher instructor follows its plan (some steps worded ambiguously) and checks every reported shelf against
what it meant, correcting the builder until they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..episode import Episode, FormatError, RuleError
from . import prompts
from .language import (
    Ambiguous,
    Clarify,
    Done,
    Instruct,
    Instruction,
    Report,
    Scene,
    interpret,
    parse_builder,
    parse_instructor,
    resolve,
    which_question,
)
from .shelf import (
    Action,
    Misreading,
    Put,
    Remove,
    State,
    describe,
    empty,
    execute,
    misread,
    placed,
    render_action,
    render_state,
    slot_of,
)

if TYPE_CHECKING:
    from .game import Repair

__all__ = ["RepairEpisode", "intention"]

#: Builder reward for a clarification question about an ambiguous step / about a clear one.
CLARIFY_REWARD, NEEDLESS_CLARIFY = 0.5, -0.2
#: Instructor reward per item newly in its goal slot, bonus for a repair, penalty for an unclear step.
PLACED_REWARD, REPAIR_BONUS, UNCLEAR_PENALTY = 0.2, 0.3, -0.1


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
class _Plan:
    """The teacher instructor's memory: its progress through the plan (learner builder) and its last step."""

    step: int = 0
    given: bool = False  # the current step was instructed and is not yet confirmed
    open_repair: bool = False  # the builder's report of this step differed from the intention
    meant: Action | None = None  # what the teacher instructor last asked for (either policy)


class RepairEpisode(Episode):
    game: Repair

    def start(self) -> None:
        p = self.params
        self.scene = Scene(tuple(str(i) for i in p["items"]), int(p["slots"]), self.game.catalogue)
        self.goal: State = tuple(None if g is None else str(g) for g in p["goal"])
        self.state: State = empty(self.scene.slots)
        #: The step the builder must carry out now: an action, or an unclear step it should ask about.
        self.current: Action | Ambiguous | None = None
        self.awaiting_answer = False  # the builder asked about the current step
        self.asked = 0  # builder questions since its last report
        # Learner instructor: the teacher builder misreads these put steps (1-based count of put steps).
        self.misreadings: list[dict[str, Any]] = sorted(
            (dict(m) for m in p.get("misreadings", [])), key=lambda m: int(m["step"]))
        self.puts = 0
        self.repairs: list[OpenRepair] = []
        self.execution: Execution | None = None
        # Learner builder: the teacher instructor's plan and what it means after each step.
        self.plan: list[str] = [str(i) for i in p.get("plan", [])]
        self.ambiguous_steps = {int(i) for i in p.get("ambiguous_steps", [])}
        self.progress = _Plan()
        self.intended: State = intention(self.goal, self.plan, 0)
        self.tell("instructor", prompts.instructor_intro(self.scene.items, self.goal), "instruction")
        self.tell("builder", prompts.builder_intro(self.scene.items, self.scene.slots), "instruction")
        self.expect("instructor")

    @property
    def builder_misreads(self) -> bool:
        """The teacher builder misreads seeded steps only when the learner instructs: it is the instructor's
        task to notice. As the builder's reference player it follows steps literally."""
        return self.learner_role == "instructor"

    # ------------------------------------------------------------------------------------ parse
    def parse(self, role: str, text: str) -> Any:
        return parse_instructor(text) if role == "instructor" else parse_builder(text, self.scene)

    def apply(self, role: str, move: Any) -> float:
        if isinstance(move, Done):
            return self._done()
        if isinstance(move, Instruct):
            return self._instruct(move.text)
        if isinstance(move, Clarify):
            return self._clarify(move.question)
        return self._report(move)

    # ------------------------------------------------------------------------------ instructor
    def _instruct(self, text: str) -> float:
        instruction = interpret(text, self.scene)
        answering = self.awaiting_answer
        if instruction.kind == "answer":
            if not (answering and isinstance(self.current, Ambiguous)):
                raise FormatError(prompts.ANSWER_WITHOUT_QUESTION)
            instruction = _fill(self.current, instruction)
        target = resolve(instruction, self.state, self.scene)
        before = self.state
        after = before if isinstance(target, Ambiguous) else execute(before, target)  # RuleError if idle
        if self.learner_role == "builder":
            repair = self.progress.given and not answering
            self.progress.given = True
        else:
            repair = any([r.credit(before, after) for r in self.repairs])  # a list: credit every repair
        act = "repair" if repair else ("answer" if answering else "instruct")
        self.note(act=act, unclear_reference=isinstance(target, Ambiguous))
        self.current, self.awaiting_answer = target, False
        self.tell("builder", prompts.relay_instruction(text), "correction" if repair else "instruction",
                  speaker="instructor")
        self.expect("builder")
        if self.is_teacher("instructor"):
            return 0.0  # teacher moves are not trained on
        if isinstance(target, Ambiguous):
            return UNCLEAR_PENALTY
        gain = placed(after, self.goal) - placed(before, self.goal)
        return round(PLACED_REWARD * gain + (REPAIR_BONUS if repair else 0.0), 6)

    def _done(self) -> float:
        correct, total = placed(self.state, self.goal), sum(g is not None for g in self.goal)
        self.note(act="done")
        text = prompts.finished(correct, total)
        for role in self.game.roles:
            self.tell(role, text, "environment")
        won = self.state == self.goal
        self.finish("success" if won else "lose", f"DONE with {correct}/{total} items in place")
        if self.is_teacher("instructor"):
            return 0.0
        return 1.0 if won else round(correct / max(total, 1) - 1.0, 6)

    # --------------------------------------------------------------------------------- builder
    def _clarify(self, question: str) -> float:
        unclear = isinstance(self.current, Ambiguous)
        if not unclear and self.asked >= 1:
            raise RuleError(prompts.REPEATED_CLARIFY)
        self.asked += 1
        self.awaiting_answer = True
        self.note(act="clarify", ambiguous=unclear)
        self.tell("instructor", prompts.relay_question(question), "clarification", speaker="builder")
        self.expect("instructor")
        if self.is_teacher("builder"):
            return 0.0
        return CLARIFY_REWARD if unclear else NEEDLESS_CLARIFY

    def _report(self, report: Report) -> float:
        before, state = self.state, report.state
        unclear = isinstance(self.current, Ambiguous)
        execution, self.execution = self.execution, None
        notes: dict[str, Any] = {"act": "report", "ambiguous": unclear}
        if self.learner_role == "builder":
            reward = self._check_intention(state, notes)
        else:
            reward = 0.0
            if execution is not None and execution.after == state:
                self._count_execution(before, execution, notes)
            repaired = 0
            for r in self.repairs:
                if not r.done and r.fixed(state):
                    r.done, repaired = True, repaired + 1
            notes["repaired"] = repaired
        self.note(**notes)
        self.state, self.current, self.awaiting_answer, self.asked = state, None, False, 0
        description = describe(before, execution.action if execution.misreading is None
                               else execution.misreading.done) if execution and execution.after == state else ""
        self.tell("instructor", prompts.relay_report(description, render_state(state)), "observation",
                  speaker="builder")
        self.expect("instructor")
        return 0.0 if self.is_teacher("builder") else reward

    def _count_execution(self, before: State, execution: Execution, notes: dict[str, Any]) -> None:
        """Book a step the teacher builder carried out: count puts, and open a repair for a misreading."""
        if isinstance(execution.action, Put):
            self.puts += 1
        mis = execution.misreading
        if mis is None:
            return
        del self.misreadings[execution.queue_index]
        meant = execute(before, mis.meant)
        cells: dict[int, tuple[str | None, bool]] = {}
        for slot in range(1, len(before) + 1):
            have, want = execution.after[slot - 1], self.goal[slot - 1]
            if meant[slot - 1] != have and have != want:
                # A cell that lost its item, or the meant slot, needs the goal item back; a cell that only
                # holds a wrong item is fixed once that item is gone.
                cells[slot] = (want, have is not None and slot != mis.meant.slot)
        notes["misreading"] = mis.kind
        if cells:
            self.repairs.append(OpenRepair(cells))
            notes["needs_repair"] = 1

    def _check_intention(self, state: State, notes: dict[str, Any]) -> float:
        """Learner builder: compare the report with what the teacher instructor meant."""
        plan = self.progress
        wrong = sum(1 for a, b in zip(state, self.intended) if a != b)
        notes["matches"] = not wrong
        if wrong:
            if not plan.open_repair:
                plan.open_repair = True
                notes["needs_repair"] = 1
            return max(-1.0, round(-0.2 * wrong, 6))
        if plan.open_repair:
            notes["repaired"] = 1
        plan.step, plan.given, plan.open_repair = plan.step + 1, False, False
        if plan.step < len(self.plan):
            self.intended = intention(self.goal, self.plan, plan.step)
        return 1.0

    # --------------------------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        if role == "builder":
            return self._builder_move()
        if self.awaiting_answer and self.progress.meant is not None:
            meant = self.progress.meant
            item = meant.item if isinstance(meant, (Put, Remove)) else ""
            head = f"I mean the {item}: " if item else ""
            return f"INSTRUCT: {head}{render_action(meant)}."
        if self.learner_role == "builder":
            return self._plan_move()
        return self._goal_move()

    def _builder_move(self) -> str:
        """Carry out the step literally (misreading it when it is due), or ask which item is meant."""
        current = self.current
        if isinstance(current, Ambiguous):
            return f"CLARIFY: {which_question(current.candidates)}"
        if current is None:  # not reachable: the builder moves only after a step
            return render_state(self.state)
        action: Action = current
        mis, index = self._due_misreading(current) if isinstance(current, Put) else (None, -1)
        done = mis.done if mis is not None else action
        after = execute(self.state, done)
        self.execution = Execution(action, after, mis, index)
        return f"{describe(self.state, done)}\n{render_state(after)}"

    def _due_misreading(self, meant: Put) -> tuple[Misreading | None, int]:
        if not self.builder_misreads:
            return None, -1
        for i, m in enumerate(self.misreadings):
            if int(m["step"]) <= self.puts + 1:
                # A misreading that does not fit this step (no free slot, no look-alike) waits for the next.
                mis = misread(self.state, meant, str(m["kind"]), str(self.params.get("side", "right")),
                              self.scene.items, self.scene.catalogue)
                return (mis, i) if mis is not None else (None, -1)
        return None, -1

    def _plan_move(self) -> str:
        """Teacher instructor with a learner builder: the next plan step, or a correction."""
        plan = self.progress
        if not plan.given:
            if plan.step >= len(self.plan):
                return "DONE"
            item = self.plan[plan.step]
            slot = self.goal.index(item) + 1
            plan.meant = Put(item, slot)
            if plan.step in self.ambiguous_steps:
                return f"INSTRUCT: Put the {item.split(' ', 1)[-1]} in slot {slot}."
            return f"INSTRUCT: Put the {item} in slot {slot}."
        slot = next(s for s in range(1, self.scene.slots + 1) if self.state[s - 1] != self.intended[s - 1])
        want, have = self.intended[slot - 1], self.state[slot - 1]
        if want is not None:
            plan.meant = Put(want, slot)
            where = slot_of(self.state, want)
            unlike = f", not slot {where}" if where else (f", not the {have}" if have else "")
            return (f"INSTRUCT: That's not what I meant: the {want} goes in slot {slot}{unlike}. "
                    f"Put the {want} in slot {slot}.")
        assert have is not None
        home = slot_of(self.intended, have)
        if home is not None:
            plan.meant = Put(have, home)
            return (f"INSTRUCT: That's not what I meant: the {have} goes in slot {home}, not slot {slot}. "
                    f"Put the {have} in slot {home}.")
        plan.meant = Remove(have)
        return (f"INSTRUCT: That's not what I meant: the {have} stays on the table for now. "
                f"Take the {have} back to the table.")

    def _goal_move(self) -> str:
        """Reference instructor: repair the first misplaced item, else place the next one, else DONE.
        It uses only the goal and the builder's reports."""
        for slot, have in enumerate(self.state, 1):
            if have is not None and have != self.goal[slot - 1]:
                if have in self.goal:
                    home = self.goal.index(have) + 1
                    self.progress.meant = Put(have, home)
                    return (f"INSTRUCT: No, the {have} should be in slot {home}, not slot {slot}: "
                            f"put the {have} in slot {home}.")
                self.progress.meant = Remove(have)
                return f"INSTRUCT: No, the {have} does not belong on the shelf: remove the {have}."
        for slot, want in enumerate(self.goal, 1):
            if want is not None and self.state[slot - 1] != want:
                self.progress.meant = Put(want, slot)
                return f"INSTRUCT: Put the {want} in slot {slot}."
        return "DONE"


def _fill(pending: Ambiguous, answer: Instruction) -> Instruction:
    """Complete an unclear step with the answer to "which one?": the candidates both agree on, or the one
    item the answer names; when that is still unclear the builder asks again."""
    candidates = pending.candidates
    for ref in answer.refs:
        both = candidates & ref
        choice = both if both else (ref if len(ref) == 1 else frozenset())
        if choice:
            refs = list(pending.instruction.refs)
            refs[pending.index] = choice
            return Instruction(pending.instruction.kind, tuple(refs), pending.instruction.slots,
                               pending.instruction.sources)
    return pending.instruction
