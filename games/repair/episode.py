"""The repair episode: instructor and builder take turns, and the programmatic teacher plays either.

When the learner is the instructor, the teacher builder misreads the seeded put steps and the episode tracks
the cells each misreading left wrong until the instructor repairs them, and which of the instructor's steps
were wasted (changed nothing, undid a right item, or named an item unclearly). When the learner is the
builder, the teacher instructor follows its plan (some steps worded ambiguously), answers questions that say
what is unclear, restates the step for any other question, and checks every reported shelf against what it
meant, correcting the builder until they agree.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ..episode import Episode, FormatError, RuleError
from . import prompts
from .catalogue import noun_of
from .language import (
    Ambiguous,
    Clarify,
    Done,
    Instruct,
    Instruction,
    Report,
    Scene,
    interpret,
    mentions,
    parse_builder,
    parse_instructor,
    resolve,
)
from .shelf import (
    Action,
    Put,
    Remove,
    State,
    describe,
    distance,
    empty,
    execute,
    harms,
    legal_actions,
    placed,
    render_action,
    render_state,
    slot_of,
)
from .teacher import Teachers
from .tracking import Execution, OpenRepair, Plan, fixes_named, intention, readings

if TYPE_CHECKING:
    from .game import Repair

__all__ = ["RepairEpisode", "intention"]

#: Builder rewards: a question that says what is unclear about an unclear step / any other question; a report
#: that carries out the step as meant at once (asking first when it was unclear) / after a correction / by a
#: lucky guess on an unclear step.
CLARIFY_REWARD, WASTED_QUESTION = 0.5, -0.3
GROUNDED_REWARD, REPAIRED_REWARD, GUESS_REWARD = 1.0, 0.5, 0.0
#: Instructor rewards: per item newly in its goal slot, bonus for mending a misread cell, a wasted step.
PLACED_REWARD, REPAIR_BONUS, WASTED_STEP = 0.2, 0.3, -0.3
#: The random players' odds of DONE (instructor) and of a question (builder) instead of a random action.
RANDOM_DONE, RANDOM_QUESTION = 0.1, 0.15


class RepairEpisode(Teachers, Episode):
    game: Repair

    def start(self) -> None:
        p = self.params
        self.scene = Scene(tuple(str(i) for i in p["items"]), int(p["slots"]), self.game.catalogue)
        self.goal: State = tuple(None if g is None else str(g) for g in p["goal"])
        self.state: State = empty(self.scene.slots)  # the shelf as the builder last reported it
        #: The step the builder must carry out now: an action, or an unclear step it should ask about.
        self.current: Action | Ambiguous | None = None
        self.awaiting_answer = False  # the builder asked about the current step
        self.question_named_trouble = False  # ... and its question said what is unclear
        self.asked = 0  # builder questions since its last report
        # Learner instructor: the teacher builder misreads these put steps (1-based count of put steps).
        self.misreadings: list[dict[str, Any]] = sorted(
            (dict(m) for m in p.get("misreadings", [])), key=lambda m: int(m["step"]))
        self.puts = 0
        self.repairs: list[OpenRepair] = []
        self.execution: Execution | None = None
        self.unanswered: OpenRepair | None = None  # a reported misreading the instructor has not yet answered
        # Learner builder: the teacher instructor's plan and what it means after each step.
        self.plan: list[str] = [str(i) for i in p.get("plan", [])]
        self.ambiguous_steps = {int(i) for i in p.get("ambiguous_steps", [])}
        self.progress = Plan()
        self.intended: State = intention(self.goal, self.plan, 0)
        self.named: Action | None = None  # the one fix the teacher instructor's correction named
        self.tell("instructor", prompts.instructor_intro(self.scene.items, self.goal), "instruction")
        self.tell("builder", prompts.builder_intro(self.scene.items, self.scene.slots), "instruction")
        self.expect("instructor")

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
        unclear = isinstance(target, Ambiguous)
        after = before if isinstance(target, Ambiguous) else execute(before, target)  # RuleError if idle
        notes: dict[str, Any] = {"unclear_reference": unclear}
        consistent = _agrees_with_report(instruction, target, before)
        if consistent is not None:
            notes["consistent"] = consistent
        if self.learner_role == "builder":
            repair = self.progress.given and not answering
            if not self.progress.given:  # a new plan step
                self.progress.strayed = False
            if not self.progress.given or repair:  # a new plan step or a correction: what the builder must do
                self.progress.unclear, self.progress.asked = unclear, False
            self.progress.given = True
            if repair and not unclear:
                self.named = target if isinstance(target, (Put, Remove)) else None
            wasted = False
        else:
            # Read literally from the shelf the builder reported: a step that does not bring it closer to the
            # goal, or takes a right item away, or leaves the builder asking which item is meant, is wasted.
            wasted = unclear or distance(after, self.goal) >= distance(before, self.goal) or \
                harms(before, after, self.goal)
            mended = [r for r in self.repairs if r.credit(before, after)]  # credit every repair it mends
            repair = bool(mended)
            if self.unanswered is not None and not unclear:
                # The move answering a reported misreading: a true repair mends exactly that misreading.
                notes["repaired"] = self.unanswered in mended and not wasted
                self.unanswered = None
            notes["wasted"] = wasted
        notes["act"] = "repair" if repair else ("answer" if answering else "instruct")
        if answering and self.is_teacher("instructor"):
            notes["restated"] = not self.question_named_trouble
        self.note(**notes)
        self.current, self.awaiting_answer = target, False
        self.tell("builder", prompts.relay_instruction(text), "correction" if repair else "instruction",
                  speaker="instructor")
        self.expect("builder")
        if self.is_teacher("instructor"):
            return 0.0  # teacher moves are not trained on
        if wasted:
            return WASTED_STEP
        gain = placed(after, self.goal) - placed(before, self.goal)
        return round(PLACED_REWARD * gain + (REPAIR_BONUS if repair else 0.0), 6)

    def _done(self) -> float:
        correct, total = placed(self.state, self.goal), sum(g is not None for g in self.goal)
        notes: dict[str, Any] = {"act": "done"}
        if self.unanswered is not None:  # DONE right after a misreading was reported leaves it unrepaired
            notes["repaired"] = False
        self.note(**notes)
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
        current = self.current
        unclear = isinstance(current, Ambiguous)
        if not unclear and self.asked >= 1:
            raise RuleError(prompts.REPEATED_CLARIFY)
        # A question says what is unclear when it mentions an item the unclear step may mean (by noun, colour
        # or name): only such a question is needed, and only it gets a more explicit answer.
        targeted = isinstance(current, Ambiguous) and bool(mentions(question, self.scene)
                                                           & current.candidates)
        self.asked += 1
        self.awaiting_answer, self.question_named_trouble = True, targeted
        if self.learner_role == "builder":
            self.progress.asked |= targeted
            self.progress.strayed |= not targeted
        self.note(act="clarify", ambiguous=unclear, targeted=targeted)
        self.tell("instructor", prompts.relay_question(question), "clarification", speaker="builder")
        self.expect("instructor")
        if self.is_teacher("builder"):
            return 0.0
        return CLARIFY_REWARD if targeted else WASTED_QUESTION

    def _report(self, report: Report) -> float:
        before, state = self.state, report.state
        unclear = isinstance(self.current, Ambiguous)
        execution, self.execution = self.execution, None
        notes: dict[str, Any] = {"act": "report", "ambiguous": unclear,
                                 "consistent": state in readings(before, self.current, self.scene)}
        if self.learner_role == "builder":
            if self.named is not None:  # the report answers a correction that named one fix
                notes["act"], notes["repaired"] = "repair", fixes_named(state, self.named)
                self.named = None
            reward = self._check_intention(state, notes)
        else:
            reward = 0.0
            if execution is not None and execution.after == state:
                self._count_execution(before, execution, notes)
            fixes = 0
            for r in self.repairs:
                if not r.done and r.fixed(state):
                    r.done, fixes = True, fixes + 1
            notes["fixes"] = fixes
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
            self.unanswered = self.repairs[-1]
            notes["needs_repair"] = 1

    def _check_intention(self, state: State, notes: dict[str, Any]) -> float:
        """Learner builder: compare the report with what the teacher instructor meant. A step is grounded
        when the builder's first move on it was right: the right report for a clear step; for an unclear one a
        question that says what is unclear, then the right report."""
        plan = self.progress
        wrong = sum(1 for a, b in zip(state, self.intended) if a != b)
        notes["matches"] = not wrong
        if wrong:
            if not plan.open_repair:
                plan.open_repair = True
                notes["needs_repair"] = 1
            return max(-1.0, round(-0.2 * wrong, 6))
        grounded = not plan.open_repair and not plan.strayed and (plan.asked or not plan.unclear)
        notes["grounded"] = grounded
        if plan.open_repair:
            notes["fixes"] = 1
        reward = GROUNDED_REWARD if grounded else (REPAIRED_REWARD if plan.open_repair else GUESS_REWARD)
        plan.step, plan.given, plan.open_repair = plan.step + 1, False, False
        if plan.step < len(self.plan):
            self.intended = intention(self.goal, self.plan, plan.step)
        return reward

    # ------------------------------------------------------------------------------ random player
    def random_move(self, role: str, rng: random.Random) -> str:
        """A random legal move: the instructor a random step that changes the reported shelf (or, now and
        then, DONE); the builder the reported shelf after a random such step (or, now and then, a question
        about a random item)."""
        if role == "instructor":
            if rng.random() < RANDOM_DONE:
                return "DONE"
            return "INSTRUCT: " + render_action(rng.choice(legal_actions(self.state, self.scene.items)))
        if rng.random() < RANDOM_QUESTION:
            return f"CLARIFY: Which {noun_of(rng.choice(self.scene.items))} do you mean?"
        return render_state(execute(self.state, rng.choice(legal_actions(self.state, self.scene.items))))


def _agrees_with_report(instruction: Instruction, target: Action | Ambiguous, state: State) -> bool | None:
    """Whether a step that says where its item is now ("move the red cup from slot 4 to slot 3") agrees
    with the builder's last report; ``None`` for a step that says no such thing."""
    if not instruction.sources or not instruction.refs or not isinstance(target, (Put, Remove)):
        return None
    return slot_of(state, target.item) in instruction.sources


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
