"""The programmatic teachers of repair: the builder (literal, misreading seeded steps for a learner
instructor) and the instructor (its plan with a learner builder, or the reference policy that reads reports).

A mixin of :class:`~playschool.games.repair.episode.RepairEpisode`: the teachers read the episode's state
(the shelf as last reported, the step being carried out) and reply through the same parser and rules as any
player.
"""

from __future__ import annotations

from typing import Any

from .language import Ambiguous, Scene, which_question
from .shelf import (
    Action,
    Misreading,
    Put,
    Remove,
    State,
    describe,
    execute,
    misread,
    render_action,
    render_state,
    slot_of,
)
from .tracking import Execution, Plan

__all__ = ["Teachers"]


class Teachers:
    """The teacher's moves for either role. The attributes are the episode's (see ``RepairEpisode.start``)."""

    params: dict[str, Any]
    learner_role: str
    scene: Scene
    goal: State
    state: State
    current: Action | Ambiguous | None
    awaiting_answer: bool
    question_named_trouble: bool
    misreadings: list[dict[str, Any]]
    puts: int
    execution: Execution | None
    plan: list[str]
    ambiguous_steps: set[int]
    progress: Plan
    intended: State

    @property
    def builder_misreads(self) -> bool:
        """The teacher builder misreads seeded steps only when the learner instructs: it is the instructor's
        task to notice. As the builder's reference player it follows steps literally."""
        return self.learner_role == "instructor"

    def teacher_move(self, role: str) -> str:
        if role == "builder":
            return self._builder_move()
        if self.awaiting_answer and self.progress.meant is not None:
            return self._answer()
        if self.learner_role == "builder":
            return self._plan_move()
        return self._goal_move()

    # ------------------------------------------------------------------------------------- builder
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

    # ---------------------------------------------------------------------------------- instructor
    def _answer(self) -> str:
        """Answer the builder's question. A question that says what is unclear (names the item's noun, a
        colour or a candidate) gets the item; any other question gets the step restated as it was said,
        no more explicit than before: a vague "say that again?" earns a repetition, as in conversation."""
        meant = self.progress.meant
        assert meant is not None
        if self.question_named_trouble and isinstance(meant, (Put, Remove)):
            return f"INSTRUCT: I mean the {meant.item}: {render_action(meant)}."
        return f"INSTRUCT: I said: {self.progress.said}."

    def _plan_move(self) -> str:
        """Teacher instructor with a learner builder: the next plan step, or a correction."""
        plan = self.progress
        if not plan.given:
            if plan.step >= len(self.plan):
                return "DONE"
            item = self.plan[plan.step]
            slot = self.goal.index(item) + 1
            plan.meant = Put(item, slot)
            named = item.split(" ", 1)[-1] if plan.step in self.ambiguous_steps else item
            plan.said = f"put the {named} in slot {slot}"
            return f"INSTRUCT: Put the {named} in slot {slot}."
        slot = next(s for s in range(1, self.scene.slots + 1) if self.state[s - 1] != self.intended[s - 1])
        want, have = self.intended[slot - 1], self.state[slot - 1]
        if want is not None:
            plan.meant = Put(want, slot)
            where = slot_of(self.state, want)
            unlike = f", not slot {where}" if where else (f", not the {have}" if have else "")
            text = (f"INSTRUCT: That's not what I meant: the {want} goes in slot {slot}{unlike}. "
                    f"Put the {want} in slot {slot}.")
        else:
            assert have is not None
            home = slot_of(self.intended, have)
            if home is not None:
                plan.meant = Put(have, home)
                text = (f"INSTRUCT: That's not what I meant: the {have} goes in slot {home}, "
                        f"not slot {slot}. Put the {have} in slot {home}.")
            else:
                plan.meant = Remove(have)
                text = (f"INSTRUCT: That's not what I meant: the {have} stays on the table for now. "
                        f"Take the {have} back to the table.")
        plan.said = render_action(plan.meant)
        return text

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
