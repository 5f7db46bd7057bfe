"""Prompt templates for repair. The learner is a language model: every rule and the exact reply format are
spelled out, with an example, because it sees nothing but these messages."""

from __future__ import annotations

from collections.abc import Sequence

#: The examples name apples, which are never items of the game: an example step or STATE is never a valid
#: move, and the example question never names a real item.
INSTRUCTOR_FORMAT = (
    "Reply with exactly one move line: 'INSTRUCT: <one step>' (for example 'INSTRUCT: put the red apple in "
    "slot 3', 'INSTRUCT: swap slot 2 and slot 4' or 'INSTRUCT: remove the red apple'), or 'DONE' alone on a "
    "line when the shelf matches the goal.")

BUILDER_FORMAT = (
    "Reply with exactly one move line: 'STATE: <every slot>' after carrying out the step (for example "
    "'STATE: 1=empty; 2=red apple; 3=empty'), or 'CLARIFY: <question>' if the step is unclear.")


def state_format(slots: int) -> str:
    example = "; ".join(f"{i}=empty" for i in range(1, slots + 1))
    return (f"List every slot from 1 to {slots} once, as 'slot=item' separated by ';', with 'empty' for an "
            f"empty slot, e.g. STATE: {example}")


def item_list(items: Sequence[str]) -> str:
    return ", ".join(items)


def _goal_lines(goal: Sequence[str | None]) -> str:
    return "\n".join(f"  slot {i}: {item or 'empty'}" for i, item in enumerate(goal, 1))


def instructor_intro(items: Sequence[str], goal: Sequence[str | None]) -> str:
    n = len(goal)
    return f"""\
Let's play Repair. You are the instructor. A builder arranges {len(items)} items on a shelf with {n} slots, \
numbered 1 to {n} from left to right. Only you know the goal arrangement; the builder cannot see it. All items \
start on the table, and the shelf is empty.

Items: {item_list(items)}.
Goal:
{_goal_lines(goal)}

Guide the builder one step at a time. Each reply is exactly one line, one of:
INSTRUCT: put the <item> in slot <n>     (an item already in that slot goes back to the table)
INSTRUCT: swap slot <n> and slot <m>
INSTRUCT: remove the <item>              (takes it back to the table)
DONE                                     (only when the shelf matches the goal)
Name every item by its colour and noun, exactly as listed ("the red apple"): "the apple" is unclear when \
there are two apples, and the builder will ask which one you mean. Answer such a question with a new \
INSTRUCT line that names the item in full.

After each step the builder says what it did and reports the whole shelf, for example:
I put the red apple in slot 3.
STATE: 1=empty; 2=empty; 3=red apple; 4=empty
The builder sometimes misunderstands a step: it may use the wrong slot, mix up left and right, or take the \
wrong item. Compare every report with the goal. When they differ, correct exactly what went wrong with a new \
step, e.g.
INSTRUCT: No, the red apple should be in slot 3, not slot 4: put the red apple in slot 3.
Every step counts. A step that changes nothing (the item is already there), takes a right item away, or \
names an item unclearly is wasted, and a wasted step costs you as much as a misunderstanding you leave \
uncorrected. So read each report before you give the next step.

Give your first instruction now."""


def builder_intro(items: Sequence[str], slots: int) -> str:
    example = "; ".join(f"{i}={'red apple' if i == 2 else 'empty'}" for i in range(1, slots + 1))
    return f"""\
Let's play Repair. You are the builder. You arrange {len(items)} items on a shelf with {slots} slots, numbered \
1 to {slots} from left to right. An instructor who knows the goal arrangement tells you one step at a time. All \
items start on the table, and the shelf is empty.

Items: {item_list(items)}.

Steps look like "put the red apple in slot 2" (an item already in that slot goes back to the table), "swap \
slot 2 and slot 4" or "take the red apple back to the table". Carry out each step exactly as said, then reply with \
exactly one line that reports the whole shelf: every slot from 1 to {slots} once, as slot=item separated by \
';', items by their full names, 'empty' for an empty slot. Items not on the shelf are on the table. Example:
STATE: {example}

If a step is unclear, for example "the apple" when there are two apples, do not guess. Ask instead, with one \
line that says what is unclear:
CLARIFY: Which apple do you mean: the red apple or the green apple?
Ask only when a step is unclear: a question costs you a step's worth of points unless it was needed, and a \
question that does not say what is unclear only gets the step repeated as it was said.

If the instructor says you did something other than it meant, change the shelf as it says and report the \
new STATE."""


# ---------------------------------------------------------------- messages during the game
def relay_instruction(text: str) -> str:
    return f"Instructor: {text}"


def relay_report(description: str, state_line: str) -> str:
    return f"Builder: {description}\n{state_line}" if description else f"Builder: {state_line}"


def relay_question(question: str) -> str:
    return f"Builder: CLARIFY: {question}"


REPEATED_CLARIFY = ("You have already asked about this step, and the instructor has answered. Carry it out "
                    "and report the shelf: STATE: ...")
ANSWER_WITHOUT_QUESTION = ("The builder did not ask anything. Say what to do with the item, e.g. "
                           "'INSTRUCT: put the red apple in slot 3'.")


def finished(correct: int, total: int) -> str:
    if correct == total:
        return f"The instructor says DONE. All {total} items are in their goal slots: the shelf is right."
    return (f"The instructor says DONE. Only {correct} of {total} items are in their goal slots: the shelf "
            "does not match the goal.")
