"""Cheap policies for repair: attacks on both learner roles, and honest short programs.

Every policy reads only the role's chat history (``View``): the instructor its goal and the builder's reports
and questions, the builder its items and the instructor's steps. The attacks skip the role's collaborative
work: the instructor sends steps without reading the reports (once, twice each, or in two passes), repeats
its first step, or stops at once; the builder asks about every step until the instructor says it outright,
reports the empty shelf, or repeats its last report. The honest programs (``degenerate=False``) do the work
with the game's own small vocabulary: an instructor that compares each STATE line with the goal, a builder
that executes steps literally and guesses when a step is unclear, and one that asks exactly when a step names
a noun two items share. Their scores show how much language each role needs.

Added by the red team (issue 8): the builder ``wait_for_correction`` (never carries out a step, only what a
correction spells out: the partner does the work); honest programs ``ask_on_shared_noun`` (a literal builder
that asks whenever the step's noun is one two items share, whether or not the colour was said: over-asking
costs it more than never asking does), ``regex_reader`` (one regular expression for "put the <item> in slot
<n>" and "take the <item> back", asking when the item is a bare noun several items share: the builder role
needs no more than that) and, for the instructor, ``echo_check`` (never reads the STATE line, only the builder's "I put
the red cup in slot 4." against its own step, and sends the step again when they differ: noticing a
misreading from what the builder says it did is the role's work; it misses what a bumped item did).
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Callable

from ..episode import MoveError
from ..policies import CheapPolicy, Policy, PolicyFactory, View, instruction_lines, last_message
from .catalogue import load_catalogue, noun_of
from .language import Ambiguous, Scene, interpret, resolve
from .shelf import Action, State, empty, execute, render_state

__all__ = ["builder_policies", "instructor_policies"]

_GOAL_LINE = re.compile(r"^slot (\d+): (.+)$")
_STATE_LINE = re.compile(r"STATE: (.*)$", re.MULTILINE)
_ITEMS = re.compile(r"^Items: (.*)\.$")
_SLOTS = re.compile(r"shelf with (\d+) slots")
_SAID = "Instructor: "


# ------------------------------------------------------------------------------------------- instructor side
def _goal(view: View) -> list[str | None]:
    """The goal arrangement the instructor is shown (one entry per slot)."""
    goal: dict[int, str | None] = {}
    for line in instruction_lines(view):
        m = _GOAL_LINE.match(line)
        if m:
            goal[int(m.group(1))] = None if m.group(2) == "empty" else m.group(2)
    return [goal[s] for s in sorted(goal)]


def _reported(view: View, slots: int) -> State:
    """The shelf as the builder's newest report gives it (empty before the first report)."""
    for msg in reversed(view[1:]):  # the instructions' example STATE line is no report
        if msg.get("role") != "user":
            continue
        found = _STATE_LINE.findall(msg.get("content", ""))
        if found:
            cells = [c.split("=", 1)[-1].strip() for c in found[-1].split(";")]
            return tuple(None if c == "empty" else c for c in cells[:slots])
    return empty(slots)


def _goal_steps(view: View) -> list[str]:
    return [f"INSTRUCT: put the {item} in slot {s}" for s, item in enumerate(_goal(view), 1) if item]


def _scripted(steps: Callable[[View], list[str]]) -> PolicyFactory:
    """A policy that sends a fixed list of moves (computed from the first view), then DONE."""
    def make(_rng: random.Random) -> Policy:
        todo: list[str] = []
        started = [False]

        def policy(view: View) -> str:
            if not started[0]:
                todo.extend(steps(view))
                started[0] = True
            return todo.pop(0) if todo else "DONE"
        return policy
    return make


def _every_put(view: View) -> list[str]:
    goal = _goal(view)
    items = [item for item in goal if item]
    return [f"INSTRUCT: put the {item} in slot {s}" for item in items for s in range(1, len(goal) + 1)]


def _repeat_first(view: View) -> str:
    steps = _goal_steps(view)
    return steps[0] if steps else "DONE"


def _report_reader(view: View) -> str:
    """Compare the newest STATE line with the goal: move the first misplaced item home, else place the next
    missing item, else DONE. The reference instructor's policy, as a program reading the chat."""
    goal = _goal(view)
    shelf = _reported(view, len(goal))
    for have in shelf:
        if have is not None and have in goal and goal.index(have) != shelf.index(have):
            return f"INSTRUCT: put the {have} in slot {goal.index(have) + 1}"
        if have is not None and have not in goal:
            return f"INSTRUCT: remove the {have}"
    for slot, want in enumerate(goal, 1):
        if want is not None and shelf[slot - 1] != want:
            return f"INSTRUCT: put the {want} in slot {slot}"
    return "DONE"


_STEP = re.compile(r"put the ([a-z]+(?: [a-z]+)?) in slot (\d+)", re.IGNORECASE)
_DID = re.compile(r"I (?:put|moved) the ([a-z]+ [a-z]+) (?:in|from slot \d+ to) slot (\d+)")


def _echo_check(_rng: random.Random) -> Policy:
    """Honest: sends the goal steps in slot order; when the builder's sentence about what it did ("I put the
    red cup in slot 4.") differs from the step, sends the step again. It never reads the STATE line."""
    todo: list[str] = []
    last: list[str] = []
    started = [False]

    def policy(view: View) -> str:
        if not started[0]:
            started[0] = True
            todo.extend(_goal_steps(view))
        did = _DID.search(last_message(view))
        meant = _STEP.search(last[0]) if last else None
        if did and meant and (did.group(1), int(did.group(2))) != (meant.group(1), int(meant.group(2))):
            return last[0]
        if todo:
            last[:] = [todo.pop(0)]
            return last[0]
        return "DONE"
    return policy


def instructor_policies() -> list[CheapPolicy]:
    return [
        CheapPolicy("ignore_reports", "places every goal item once, in slot order, never reading the "
                    "reports; then DONE", _scripted(_goal_steps)),
        CheapPolicy("every_step_twice", "sends every goal step twice in a row, whatever the report says; "
                    "then DONE", _scripted(lambda v: [s for step in _goal_steps(v) for s in (step, step)])),
        CheapPolicy("two_passes", "places every goal item, then sends all the steps again; then DONE",
                    _scripted(lambda v: _goal_steps(v) * 2)),
        CheapPolicy("repeat_last_move", "repeats its previous move (its first goal step) every turn",
                    lambda _rng: _repeat_first),
        CheapPolicy("enumerate_puts", "puts every item into every slot in turn, never reading the reports; "
                    "then DONE", _scripted(_every_put)),
        CheapPolicy("report_reader", "honest program: compares the newest STATE line with the goal and fixes "
                    "the first difference", lambda _rng: _report_reader, degenerate=False),
        CheapPolicy("echo_check", "honest program: never reads the STATE line; sends its step again when the "
                    "builder says it did something else", _echo_check, degenerate=False),
    ]


# ------------------------------------------------------------------------------------------- builder side
def _scene(view: View) -> Scene:
    items: tuple[str, ...] = ()
    slots = 0
    for line in instruction_lines(view):
        if m := _ITEMS.match(line):
            items = tuple(i.strip() for i in m.group(1).split(","))
        if m2 := _SLOTS.search(line):
            slots = int(m2.group(1))
    return Scene(items, slots, load_catalogue())


def _said(view: View) -> str:
    """The instructor's newest words in the last message (empty if it holds none)."""
    text = last_message(view)
    return text[text.rindex(_SAID) + len(_SAID):].strip() if _SAID in text else ""


def _read(step: str, shelf: State, scene: Scene, guess: bool) -> Action | Ambiguous | None:
    """What the literal builder makes of ``step``: an action, the unclear step, or ``None`` when it cannot
    follow it. With ``guess`` an unclear item is taken to be the first candidate (alphabetically)."""
    try:
        target = resolve(interpret(step, scene), shelf, scene)
        if isinstance(target, Ambiguous) and guess:
            refs = list(target.instruction.refs)
            refs[target.index] = frozenset({sorted(target.candidates)[0]})
            target = resolve(type(target.instruction)(target.instruction.kind, tuple(refs),
                                                      target.instruction.slots, target.instruction.sources),
                             shelf, scene)
        return target
    except MoveError:
        return None


def _ask(step: str, scene: Scene) -> str:
    noun = next((noun_of(i) for i in scene.items if re.search(rf"\b{noun_of(i)}\b", step.lower())), "")
    return f"CLARIFY: Which {noun} do you mean?" if noun else "CLARIFY: Which one do you mean?"


def _builder(decide: Callable[[str, State, Scene, bool], str | None]) -> PolicyFactory:
    """A builder that keeps its own shelf and executes what ``decide`` leaves to it. ``decide(step, shelf,
    scene, answered)`` returns a move to send instead (a question), or ``None`` to execute the step (guessing
    on an unclear item); ``answered`` says whether its last move was a question."""
    def make(_rng: random.Random) -> Policy:
        shelf: list[State] = []
        asked = [False]

        def policy(view: View) -> str:
            scene = _scene(view)
            if not shelf:
                shelf.append(empty(scene.slots))
            step = _said(view)
            if step:
                move = decide(step, shelf[0], scene, asked[0])
                if move is not None:
                    asked[0] = True
                    return move
                target = _read(step, shelf[0], scene, guess=True)
                if target is not None and not isinstance(target, Ambiguous):
                    with contextlib.suppress(MoveError):  # a step that changes nothing leaves the shelf
                        shelf[0] = execute(shelf[0], target)
            asked[0] = False
            return render_state(shelf[0])
        return policy
    return make


def _always_ask(step: str, shelf: State, scene: Scene, answered: bool) -> str | None:
    return None if answered else _ask(step, scene)


def _ask_vaguely(step: str, shelf: State, scene: Scene, answered: bool) -> str | None:
    return None if answered else "CLARIFY: Can you say that again, more precisely?"


def _ask_listing(step: str, shelf: State, scene: Scene, answered: bool) -> str | None:
    return None if answered else "CLARIFY: Do you mean " + " or ".join(f"the {i}" for i in scene.items) + "?"


def _never_ask(step: str, shelf: State, scene: Scene, answered: bool) -> str | None:
    return None


def _ask_when_unclear(step: str, shelf: State, scene: Scene, answered: bool) -> str | None:
    target = _read(step, shelf, scene, guess=False)
    if isinstance(target, Ambiguous) and not answered:
        return _ask(step, scene)
    return None


def _ask_on_shared_noun(step: str, shelf: State, scene: Scene, answered: bool) -> str | None:
    """Asks whenever the step names a noun that several items share, whether or not it said the colour."""
    if answered:
        return None
    shared = [noun for noun in {noun_of(i) for i in scene.items}
              if sum(noun_of(i) == noun for i in scene.items) > 1 and re.search(rf"\b{noun}\b", step.lower())]
    return f"CLARIFY: Which {shared[0]} do you mean?" if shared else None


def _wait_for_correction(_rng: random.Random) -> Policy:
    """Never carries out a step: it reports the shelf unchanged until the instructor's correction spells out
    the one thing to do ("That's not what I meant: ... Put the red cup in slot 3."), and does only that."""
    shelf: list[State] = []

    def policy(view: View) -> str:
        scene = _scene(view)
        if not shelf:
            shelf.append(empty(scene.slots))
        said = _said(view)
        if said.startswith("That's not what I meant"):
            target = _read(said, shelf[0], scene, guess=True)
            if target is not None and not isinstance(target, Ambiguous):
                with contextlib.suppress(MoveError):
                    shelf[0] = execute(shelf[0], target)
        return render_state(shelf[0])
    return policy


_PUT_ITEM = re.compile(r"put the ([a-z]+(?: [a-z]+)?) in slot (\d+)", re.IGNORECASE)
_TAKE_ITEM = re.compile(r"take the ([a-z]+(?: [a-z]+)?) back", re.IGNORECASE)


def _regex_reader(_rng: random.Random) -> Policy:
    """Honest: one regular expression per kind of step the teacher uses; asks once when the item named is a
    bare noun that several items share, else carries the step out on its own shelf."""
    shelf: list[list[str | None]] = []
    asked = [False]

    def policy(view: View) -> str:
        scene = _scene(view)
        if not shelf:
            shelf.append([None] * scene.slots)
        said = _said(view)
        put, take = _PUT_ITEM.findall(said), _TAKE_ITEM.findall(said)
        name = (put[-1][0] if put else take[-1] if take else "").lower()
        if name and name not in scene.items:
            fits = sorted(i for i in scene.items if noun_of(i) == name)
            if len(fits) > 1 and not asked[0]:
                asked[0] = True
                return f"CLARIFY: Which {name} do you mean?"
            name = fits[0] if fits else ""
        if name:
            cells = shelf[0]
            if name in cells:
                cells[cells.index(name)] = None
            if put:
                cells[int(put[-1][1]) - 1] = name
        asked[0] = False
        return render_state(tuple(shelf[0]))
    return policy


def _empty_report(view: View) -> str:
    return render_state(empty(_scene(view).slots))


def _repeat_report(view: View) -> str:
    mine = [m.get("content", "") for m in view if m.get("role") == "assistant"]
    return mine[-1] if mine else _empty_report(view)


def builder_policies() -> list[CheapPolicy]:
    return [
        CheapPolicy("ask_every_step", "asks 'Which <noun> do you mean?' about every step, then executes what "
                    "the instructor answers", _builder(_always_ask)),
        CheapPolicy("ask_vaguely_every_step", "asks 'Can you say that again, more precisely?' about every "
                    "step, then executes the answer", _builder(_ask_vaguely)),
        CheapPolicy("ask_listing_items", "asks 'Do you mean the <every item>?' about every step, then "
                    "executes the answer", _builder(_ask_listing)),
        CheapPolicy("empty_shelf", "reports the empty shelf every turn", lambda _rng: _empty_report),
        CheapPolicy("repeat_report", "repeats its previous reply (the empty shelf first)",
                    lambda _rng: _repeat_report),
        CheapPolicy("ask_on_shared_noun", "honest program: executes steps literally, but asks whenever the "
                    "step's noun is shared by several items, colour said or not", _builder(_ask_on_shared_noun),
                    degenerate=False),
        CheapPolicy("wait_for_correction", "never carries out a step; does only what a correction spells out",
                    _wait_for_correction),
        CheapPolicy("literal_guesser", "honest program: executes each step literally, guessing the first "
                    "candidate when an item is unclear, and follows corrections", _builder(_never_ask),
                    degenerate=False),
        CheapPolicy("asks_when_unclear", "honest program: executes each step literally and asks exactly "
                    "when the step names an item several items fit", _builder(_ask_when_unclear),
                    degenerate=False),
        CheapPolicy("regex_reader", "honest program: one regular expression per kind of step; asks when the item "
                    "is a bare noun several items share", _regex_reader, degenerate=False),
    ]
