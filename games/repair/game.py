"""Repair: the game card (:class:`Repair`), the instance generator and the scorer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

from ..episode import Episode, MoveError
from ..game import Game
from ..records import EpisodeRecord
from ..seeding import cycle_pick
from .catalogue import Catalogue, load_catalogue, noun_of
from .episode import RepairEpisode
from .language import Report, Scene, parse_builder
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
        with the instance rng. All items start on the table.

    Action format (the first matching line counts; keywords are case-insensitive)
        instructor: ``INSTRUCT: <one step>`` or ``DONE``. Steps are free text read by keywords: put/place/
        move ITEM in/to slot N ("put the red cup in slot 3"), swap slot N and slot M (or two items),
        remove ITEM / take ITEM back to the table / clear slot N. "from slot N" and negated parts ("not slot
        4", "not the blue cup") are ignored, so "No, the red cup should be in slot 3, not slot 4: put the
        red cup in slot 3." is one put step. An answer to the builder's question may name just the item
        ("INSTRUCT: the red one"). Putting an item into a taken slot sends the item there to the table.
        builder: ``STATE: 1=red cup; 2=empty; ...`` listing every slot once with full item names, or
        ``CLARIFY: <question>``.
        Format errors (no such line, nothing to do, two steps in one, a STATE that leaves out slots) and
        rule errors (no such slot or item, a step that changes nothing, swapping an item on the table,
        an item reported twice, a second question about a clear step) get a ``correction``; the third
        invalid reply of a kind in a row aborts the episode.

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
        every unclear step; it never misreads.
        instructor (learner builder): gives the plan's steps, one per item, naming the item by noun only
        on ``ambiguous_steps``; answers a question by restating the step in full ("I mean the red cup:
        put the red cup in slot 3."). It checks every reported shelf against what it meant and, on the
        first differing slot, corrects: "That's not what I meant: the red cup goes in slot 3, not slot 4.
        Put the red cup in slot 3." (or, for an item it does not want yet, "... stays on the table for
        now. Take the red mug back to the table."). It says DONE after the last step is reported right.
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
        with a wrong shelf or at ``max_moves`` (60, both roles together); ``aborted`` after the third
        invalid reply of a kind in a row.

    Rewards (every learner move; teacher moves get 0)
        instructor: a step earns 0.2 x (items newly in their goal slot, read literally; negative when it
        moves a right item away) + 0.3 when it repairs a cell a misreading left wrong (clearing a wrong
        item out of a cell and filling in its goal item count once each per cell); an unclear step
        -0.1; DONE +1 on a right shelf, else (share of items in place - 1). builder: a STATE matching
        what the instructor meant +1 (also after a correction), else -0.2 per differing slot (at least
        -1); CLARIFY +0.5 about an unclear step, -0.2 about a clear one. Format error -1, rule error -0.5.

    Scores (from the record: params and the moves' texts and ``parse`` notes)
        ``final_correct``: share of items in their goal slot in the last reported shelf (at DONE or the
        move limit). ``repairs_needed``: learner instructor: misreadings that left a cell wrong; learner
        builder: steps whose first report differed from the instructor's intention. ``repairs_made``: of
        these, the ones fixed later (every cell the misreading left wrong holds its goal item, or is empty
        if it only held a wrong item; or the builder's report came to match the intention).
        ``repair_rate`` = repairs_made / repairs_needed (1 when none were needed). ``clarifications``:
        the builder's questions; ``instructions``: the instructor's accepted steps.
        ``main`` = final_correct x (80 + 20 x repair_rate): 100 for a right shelf, partial credit for a
        partly right one, more of it when the misunderstandings were repaired; 0 when aborted.
        Notes on moves: instructor ``act`` = ``instruct`` | ``repair`` (fixes a cell a misreading left
        wrong, or corrects the builder) | ``answer`` | ``done``, ``unclear_reference``; builder ``act`` =
        ``report`` | ``clarify``, ``ambiguous`` (whether the step was unclear), ``misreading``,
        ``needs_repair``, ``repaired``, ``matches``.

    Version history
        v1: first version.
    """

    name = "repair"
    version = 1
    roles = ("instructor", "builder")
    learner_roles = ("instructor", "builder")
    experiments = tuple(LEVELS)
    max_moves: ClassVar[int] = 60
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "final_correct": (0.0, 1.0),
        "repairs_needed": (0.0, float(max_moves)),
        "repairs_made": (0.0, float(max_moves)),
        "repair_rate": (0.0, 1.0),
        "clarifications": (0.0, float(max_moves)),
        "instructions": (0.0, float(max_moves)),
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

    def episode_class(self) -> type[Episode]:
        return RepairEpisode

    # --------------------------------------------------------------------------------- scoring
    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        params = record.instance.get("params", {})
        goal: State = tuple(params.get("goal", []))
        scene = Scene(tuple(params.get("items", [])), len(goal), self.catalogue)
        final: State = empty(len(goal))
        needed = made = clarifications = instructions = 0
        for t in record.turns:
            parse = t.parse or {}
            if t.kind != "move" or not parse.get("ok"):
                continue
            if t.speaker == "builder":
                needed += int(parse.get("needs_repair", 0))
                made += int(parse.get("repaired", 0))
                clarifications += parse.get("act") == "clarify"
                try:
                    move = parse_builder(t.text, scene)
                except MoveError:  # cannot happen for a move accepted live; a hand-edited record is no crash
                    continue
                if isinstance(move, Report):
                    final = move.state
            elif t.speaker == "instructor":
                instructions += parse.get("act") in ("instruct", "repair", "answer")
        total = sum(g is not None for g in goal)
        final_correct = placed(final, goal) / total if total else 0.0
        repair_rate = made / needed if needed else 1.0
        return {
            "main": 100.0 * final_correct * (0.8 + 0.2 * repair_rate),
            "final_correct": final_correct, "repairs_needed": float(needed), "repairs_made": float(made),
            "repair_rate": repair_rate, "clarifications": float(clarifications),
            "instructions": float(instructions),
        }
