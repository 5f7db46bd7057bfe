"""Repair: the game card (:class:`Repair`), the instance generator and the scorer."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, ClassVar

from ..episode import Episode, MoveError
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord
from ..seeding import cycle_pick
from .catalogue import Catalogue, load_catalogue, noun_of
from .episode import RepairEpisode
from .language import Clarify, Report, Scene, parse_builder
from .policies import builder_policies, instructor_policies
from .shelf import State, empty, placed

__all__ = ["Level", "Repair"]

MISREADING_KINDS = ("slot", "mirror", "item")


@dataclass(frozen=True)
class Level:
    """What an experiment draws: items, pairs of items sharing a noun, a look-alike noun of the same colour,
    misread steps (learner instructor) and ambiguously worded steps (learner builder)."""

    items: int
    twins: int
    lookalike: bool
    misreadings: int
    ambiguous: int


LEVELS: dict[str, Level] = {
    "easy": Level(items=4, twins=1, lookalike=False, misreadings=1, ambiguous=1),
    "medium": Level(items=5, twins=2, lookalike=False, misreadings=2, ambiguous=2),
    "hard": Level(items=7, twins=2, lookalike=True, misreadings=3, ambiguous=3),
}


class Repair(Game):
    """Repair: arrange items on a shelf by instructions, noticing and repairing the builder's misunderstandings.

    Roles
        ``instructor`` and ``builder``; a learner may play either, the programmatic teacher plays the other.
        The instructor knows the goal arrangement and gives one step at a time; the builder carries out
        each step on a shelf of numbered slots and reports the whole shelf.

    Experiments
        ``easy``: 4 items, 5 slots, one pair of items sharing a noun (red cup, blue cup), 1 misread step,
        1 ambiguous step. ``medium``: 5 items, 6 slots, two such pairs, 2 misread, 2 ambiguous steps.
        ``hard``: 7 items, 8 slots, two pairs plus a look-alike noun of the same colour (red cup, blue cup,
        red mug), 3 misread, 3 ambiguous steps.

    Instances
        ``params = {"items": [...], "slots": n, "goal": [item or null per slot], "plan": [items in the
        teacher instructor's order], "ambiguous_steps": [plan indices worded by noun only],
        "misreadings": [{"step": k, "kind": "slot"|"mirror"|"item"}], "side": "left"|"right"}``. Items are
        ``"<colour> <noun>"`` from ``catalogue.json`` (11 colours; 85 one-word nouns in 42 groups of
        look-alikes, some of one noun). Whole noun groups are assigned to splits by ``split_of``, so test
        items never appear in training instances; the first shared noun (hard: the look-alike group) of
        each instance is drawn with ``cycle_pick`` (no repeats before the split's are used up), the rest
        with the instance rng. All items start on the table. An instance is one item for the learner per
        goal arrangement (``instance_key``: the goal, which names every item and slot); a split never holds
        a goal twice, and test goals never occur in train or validation (their nouns do not). 32 test
        instances per experiment (96 per role).

    Action format (the one move grammar of ``games/grammar.py``: exactly one move line per reply, other
    lines ignored, Markdown decoration forgiven; keywords are case-insensitive)
        instructor: ``INSTRUCT: <one step>`` or ``DONE`` alone on its line. Steps are free text read by
        keywords: put/place/move ITEM in/to slot N ("put the red cup in slot 3"), swap slot N and slot M (or
        two items), remove ITEM / take ITEM back to the table / clear slot N. "from slot N" and negated
        parts ("not slot 4", "not the blue cup") are not part of the step, so "No, the red cup should be in
        slot 3, not slot 4: put the red cup in slot 3." is one put step. An answer to the builder's question
        may name just the item ("INSTRUCT: the red one"). A colour before a word that names no item ("the
        red apple") is no item here (a rule error), not "the red one". Putting an item into a taken slot
        sends the item there to the table.
        builder: ``STATE: 1=red cup; 2=empty; ...`` listing every slot once with full item names, or
        ``CLARIFY: <question>``.
        Format errors (no move line or two, nothing to do, two steps in one, a STATE that leaves out slots)
        and rule errors (no such slot or item, a step that changes nothing, swapping an item on the table,
        an item reported twice, a second question about a clear step) get a ``correction``; the third
        invalid reply of a kind in a row aborts the episode. The prompts' examples name apples, which are
        never items: an example step or STATE is never a valid move, and the example question says nothing
        that is unclear about a real step (it gets the step restated).

    Flow
        instructor step -> builder STATE (or CLARIFY -> instructor answers -> builder) -> next step ...
        -> DONE. An item named by noun (or colour) only when several items fit ("the cup" with two cups)
        is unclear: the teacher builder asks "CLARIFY: Which cup do you mean: the red cup or the blue cup?"
        and waits for the answer.

    Teacher
        builder (learner instructor): carries out each step literally, except the seeded put steps
        (``misreadings``: the k-th put step it carries out, counting repairs): ``slot`` puts the item into
        the nearest free slot (off by one towards ``side``), ``mirror`` swaps left and right (slot n+1-s or
        the free slot nearest to it), ``item`` takes a confusable item (same noun, else a look-alike noun)
        into the slot. A misreading that does not fit falls back to the other sort, or waits for the next
        put. It reports honestly what it did ("I put the red cup in slot 4.") and the whole shelf.
        builder (reference for the learner's builder role): carries out every step literally and asks on
        every unclear step, naming the candidates; it never misreads.
        instructor (learner builder): gives the plan's steps, one per item, naming the item by noun only
        on ``ambiguous_steps``. It answers a question that says what is unclear (mentions the unclear
        item's noun, a colour of a candidate, or a candidate: "which cup?", "the red one?") by naming the
        item ("I mean the red cup: put the red cup in slot 3."); any other question ("Can you say that
        again?", any question about a clear step) gets the step restated as it was said ("I said: put the
        cup in slot 3."), never a more explicit one. It checks every reported shelf against what it meant
        and, on the first differing slot, corrects: "That's not what I meant: the red cup goes in slot 3,
        not slot 4. Put the red cup in slot 3." (or, for an item it does not want yet, "... stays on the
        table for now. Take the red mug back to the table."). It says DONE after the last step is reported
        right.
        instructor (reference for the learner's instructor role): repairs the first misplaced item of the
        latest report ("No, the red cup should be in slot 3, not slot 4: put the red cup in slot 3."),
        else places the next missing goal item, else says DONE. It uses only the goal and the reports.

    Feedback kinds
        ``instruction`` (rules, items and goal; each step relayed to the builder), ``observation`` (the
        builder's report relayed to the instructor), ``clarification`` (the builder's question relayed to
        the instructor), ``correction`` (a repair step relayed to the builder, e.g. the teacher's "That's
        not what I meant: ..."; format and rule errors), ``environment`` (DONE: how many items are right).

    Episode end
        ``success`` when the instructor says DONE and every item is in its goal slot; ``lose`` on DONE
        with a wrong shelf or at ``max_moves`` (60, both roles together: questions and their answers use up
        moves too); ``aborted`` after the third invalid reply of a kind in a row.

    Scores (from the record: params and the moves' texts and ``parse`` notes)
        ``final_correct``: share of items in their goal slot in the last reported shelf (at DONE or the
        move limit). ``repairs_needed``: learner instructor: misreadings that left a cell wrong; learner
        builder: steps whose first report differed from the instructor's intention. ``repairs_made``: of
        these, the ones fixed later (every cell the misreading left wrong holds its goal item, or is empty
        if it only held a wrong item; or the builder's report came to match the intention).
        ``repair_rate`` = repairs_made / repairs_needed (1 when none were needed). ``clarifications``:
        the builder's questions; ``instructions``: the instructor's accepted steps.
        instructor ``main`` = 100 x final_correct x max(0, repairs_made - wasted_steps) / repairs_needed
        (without a misreading: 100 for a right shelf with no step wasted, else 0, so that stopping before the
        first misreading comes due earns nothing). ``wasted_steps``: the instructor's steps that, read
        literally from the shelf the builder reported, do not bring it closer to the goal (fewer goal items
        missing plus items out of place) or take an item out of its goal slot, steps naming an item
        unclearly, and steps the rules turned down (a step that changes nothing, no such slot or item). A
        wasted step counts as much as a misreading left unrepaired: both show an instructor that lost track
        of what the builder reported.
        builder ``main`` = 100 x max(0, grounded_steps - needless_questions) / plan steps.
        ``grounded_steps``: plan steps whose first builder move was right: the report the instructor meant
        for a clear step; for an unclear one a question that says what is unclear, then that report.
        ``needless_questions``: every other question (about a clear step, a vague one about an unclear
        step, one turned down). A wrong report loses its step; a question alone cannot (the builder reports
        right after the answer), so each needless question costs a step of its own: questions are not free.
        0 when aborted.

    Rewards (every learner move; teacher moves get 0)
        instructor: a step earns 0.2 x (items newly in their goal slot) + 0.3 when it repairs a cell a
        misreading left wrong (clearing a wrong item out of a cell and filling in its goal item count once
        each per cell); a wasted step -0.3; DONE +1 on a right shelf, else (share of items in place - 1).
        builder: a report of a grounded step +1, a right report after a correction +0.5, any other right
        report (a lucky guess on an unclear step, or after a needless question) 0, a wrong report -0.2 per
        differing slot (at least -1); a question that says what is unclear about an unclear step +0.5, any
        other -0.3. Format error -1, rule error -0.5.

    Notes for CLU2 (on the moves' ``parse``; only the learner's count)
        ``act``: instructor ``instruct`` | ``repair`` (mends a cell a misreading left wrong; the teacher's
        corrections of a learner builder) | ``answer`` (to the builder's question) | ``done``; builder
        ``report`` | ``clarify`` | ``repair`` (the report answering the teacher's correction).
        ``ambiguous`` (builder moves, both roles' builders): the step being carried out names an item that
        several items fit and no answer has said which: the ground truth of when a question is the right
        move. Set on every accepted builder move (a builder can always ask); never on instructor moves (the
        instructor cannot ask). ``targeted`` on questions: it says what is unclear.
        ``repaired``: learner instructor: on the instructor's first executed move (or DONE) after a report
        that shows a new misreading: True iff, read literally, it mends a cell of exactly that misreading
        and is not wasted; its ``act`` is ``repair`` when it mends one. Learner builder: on the report
        answering a correction: True iff the shelf carries out the one fix the correction named (the item
        in the named slot, or back on the table).
        ``consistent``: builder reports: the shelf is what the step does to the builder's own previous
        report (for an unclear item, under any item it may mean): nothing moved that the step did not
        move; False on the teacher builder's misreadings. Instructor steps that say where an item is now
        ("move the red cup from slot 4 to slot 3"): the builder's last report has it there.
        Also: instructor ``unclear_reference``, ``wasted``, ``restated`` (the teacher's answer was a
        restatement); builder ``misreading``, ``needs_repair``, ``fixes``, ``matches``, ``grounded``.

    Cheap policies (``policies.py``; the measured table is in the rendered card)
        instructor: ignore the reports, send every step twice, send all steps in two passes, repeat the
        last move, put every item into every slot, plus the generic ones (copy the example, DONE at once,
        ...). builder: ask about every step (by noun, vaguely, or listing every item) and then execute the
        answer, report the empty shelf, repeat the last report, carry out nothing but what a correction
        spells out (every step ends right, so the episode succeeds, and no step is grounded: 0), plus the
        generic ones. Honest programs: an instructor that compares each STATE line with the goal (the
        reference's policy: the role needs little language beyond reading the report), one that never reads
        the STATE line but sends its step again when the builder's sentence about what it did differs (76:
        it misses an item a misread put sent back to the table), a literal builder that guesses on unclear
        items (what asking is worth), one that asks whenever a step's noun is shared, colour said or not
        (47: a needless question costs more than a guess), one that asks exactly when a step's noun fits
        several items, and the same with one regular expression per kind of step (100: the builder role
        needs little more than the step's item and slot, and noticing a bare shared noun).

    Version history
        v1: first version.
        v2: clarifications cost: a needless question costs a step in the builder's main score (and
        moves), and a question that does not say what is unclear gets the step restated, not made
        explicit, as an open "what?" gets a repetition in conversation; before, asking about every step
        until the teacher restated it in full scored 100. A step counts for the builder only when its
        first move was right (no credit for a lucky guess on an unclear step). The instructor's main score
        counts repairs against wasted steps, so repeating every step blindly (86 in v1) or ignoring the
        reports (48 in v1) scores 0: the instructor must notice the misreading and repair just that. One
        move grammar (exactly one move line; DONE alone on its line). Random legal moves for both roles.
        Instance key = the goal arrangement; 32 test instances per experiment. Prompt examples use apples
        (never items), and "the red apple" is read as an unknown item, no longer as "the red one". Notes for
        CLU2:
        ``repaired`` True/False on the move answering a reported misreading or a correction,
        ``consistent``, ``targeted``; the count of finished repairs moved from ``repaired`` to ``fixes``.
    """

    name = "repair"
    version = 2
    roles = ("instructor", "builder")
    learner_roles = ("instructor", "builder")
    experiments = tuple(LEVELS)
    max_moves: ClassVar[int] = 60
    #: 32 test instances per experiment: 96 per role, enough for a 95% interval of +-10 points on the mean
    #: main score even for a learner whose episodes score 0 or 100 at even odds (SD 50).
    split_sizes: ClassVar[dict[str, int]] = {"train": 100, "validation": 20, "test": 32}
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"instructor": ("INSTRUCT", "DONE"),
                                                            "builder": ("STATE", "CLARIFY")}
    bare_keywords: ClassVar[tuple[str, ...]] = ("DONE",)
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "final_correct": (0.0, 1.0),
        "repairs_needed": (0.0, float(max_moves)),
        "repairs_made": (0.0, float(max_moves)),
        "repair_rate": (0.0, 1.0),
        "clarifications": (0.0, float(max_moves)),
        "instructions": (0.0, float(max_moves)),
        "grounded_steps": (0.0, float(max_moves)),
        "needless_questions": (0.0, float(max_moves)),
        "wasted_steps": (0.0, float(max_moves)),
    }

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self.catalogue = catalogue or load_catalogue()

    # ------------------------------------------------------------------------------- instances
    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        level = LEVELS[experiment]
        groups = self.catalogue.split_groups(split)
        colours = list(self.catalogue.colours)
        items: list[str] = []
        used: set[str] = set()
        if level.lookalike:
            pairs = [g for g in groups if len(g) > 1]
            if not pairs:
                raise ValueError(f"repair: no look-alike nouns in split {split!r}")
            group = cycle_pick(pairs, index, key=f"{self.versioned_id}/{split}/{experiment}/lookalike")
            first, second = rng.sample(list(group), 2)
            c1, c2 = rng.sample(colours, 2)
            items += [f"{c1} {first}", f"{c2} {first}", f"{c1} {second}"]
            used |= set(group)
            twins = level.twins - 1
        else:
            nouns = sorted(n for g in groups for n in g)
            first = cycle_pick(nouns, index, key=f"{self.versioned_id}/{split}/{experiment}/twin")
            items += [f"{c} {first}" for c in rng.sample(colours, 2)]
            used.add(first)
            twins = level.twins - 1
        free = sorted(n for g in groups for n in g if n not in used)
        singles = level.items - len(items) - 2 * twins
        if len(free) < twins + singles:
            raise ValueError(f"repair: split {split!r} has too few nouns for {experiment!r}")
        for noun in rng.sample(free, twins):
            items += [f"{c} {noun}" for c in rng.sample(colours, 2)]
            free.remove(noun)
        for noun in rng.sample(free, singles):
            items.append(f"{rng.choice(colours)} {noun}")
        rng.shuffle(items)
        slots = level.items + 1
        goal: list[str | None] = [None] * slots
        for item, slot in zip(items, rng.sample(range(slots), len(items))):
            goal[slot] = item
        plan = rng.sample(items, len(items))
        shared = [i for i, item in enumerate(plan)
                  if sum(noun_of(o) == noun_of(item) for o in items) > 1]
        ambiguous = sorted(rng.sample(shared, min(level.ambiguous, len(shared))))
        steps = sorted(rng.sample(range(1, len(items) + 1), level.misreadings))
        return {
            "items": items, "slots": slots, "goal": goal, "plan": plan, "ambiguous_steps": ambiguous,
            "misreadings": [{"step": k, "kind": rng.choice(MISREADING_KINDS)} for k in steps],
            "side": rng.choice(("left", "right")),
        }

    def instance_key(self, params: dict[str, Any]) -> str:
        """The goal arrangement (which names every item and the number of slots): two instances with the same
        goal are one item for either role, whatever the plan order or the seeded misreadings."""
        return json.dumps(params["goal"])

    def episode_class(self) -> type[Episode]:
        return RepairEpisode

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return instructor_policies() if role == "instructor" else builder_policies()

    # --------------------------------------------------------------------------------- scoring
    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        params = record.instance.get("params", {})
        goal: State = tuple(params.get("goal", []))
        scene = Scene(tuple(params.get("items", [])), len(goal), self.catalogue)
        final: State = empty(len(goal))
        needed = made = clarifications = instructions = grounded = needless = wasted = 0
        for t in record.turns:
            parse = t.parse or {}
            if t.kind != "move":
                continue
            if not parse.get("ok"):
                # A step or question the rules turned down still took a turn of the dialogue.
                if parse.get("error") == "rule":
                    if t.speaker == "instructor":
                        wasted += 1
                    elif isinstance(_read_builder(t.text, scene), Clarify):
                        needless += 1
                continue
            if t.speaker == "builder":
                needed += int(parse.get("needs_repair", 0))
                made += int(parse.get("fixes", 0))
                clarifications += parse.get("act") == "clarify"
                needless += parse.get("act") == "clarify" and not parse.get("targeted")
                grounded += parse.get("grounded") is True
                move = _read_builder(t.text, scene)
                if isinstance(move, Report):
                    final = move.state
            elif t.speaker == "instructor":
                instructions += parse.get("act") in ("instruct", "repair", "answer")
                wasted += parse.get("wasted") is True
        total = sum(g is not None for g in goal)
        final_correct = placed(final, goal) / total if total else 0.0
        common = {"final_correct": final_correct, "repairs_needed": float(needed),
                  "repairs_made": float(made), "repair_rate": made / needed if needed else 1.0,
                  "clarifications": float(clarifications), "instructions": float(instructions)}
        if record.learner_role == "builder":
            steps = len(params.get("plan", [])) or 1
            main = 100.0 * max(0, grounded - needless) / steps
            return {"main": main, **common, "grounded_steps": float(grounded),
                    "needless_questions": float(needless)}
        # Each wasted step counts as much as a misreading left unrepaired: both lose track of the shelf.
        # Without a misreading there was nothing to repair: only a finished shelf with no step wasted counts,
        # so stopping before the first misreading comes due earns nothing.
        quality = max(0, made - wasted) / needed if needed else float(wasted == 0 and final_correct == 1.0)
        return {"main": 100.0 * final_correct * quality, **common, "wasted_steps": float(wasted)}


def _read_builder(text: str, scene: Scene) -> Report | Clarify | None:
    try:
        return parse_builder(text, scene)
    except MoveError:  # cannot happen for a move accepted live; a hand-edited record is no crash
        return None
