"""Map navigation: the game card (:class:`MapNav`), the scorer, and the episode state machine with both teachers."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from ..episode import Episode, RuleError
from ..game import Game
from ..records import EpisodeRecord
from . import prompts
from .generator import LEVELS, make_house_params
from .language import MAX_STEPS, Resolution, Step, parse_steps, resolve
from .maps import OPPOSITE, House, room_types
from .moves import Move, parse_follower, parse_instructor

__all__ = ["MapNav", "MapNavEpisode"]

# Rewards (documented on the card).
R_TARGET = 1.0
R_CLOSER = 0.1
R_NOT_CLOSER = -0.2
R_GUESSED = -0.1  # moving although the instruction left the door open (or could not be followed)
R_GOOD_QUESTION = 0.2
R_NEEDLESS_QUESTION = -0.1
R_STOPPED = -0.2  # the instructor's instruction makes the literal follower stop and ask


class MapNav(Game):
    """Map navigation: guide a follower through a house of rooms to a target room, or follow such guidance.

    Roles
        ``instructor`` (sees the whole map, the follower's start and the target room) and ``follower`` (sees
        only its current room and, through each door, the type of the room beyond it; it is never told the
        target). The learner may play either; the programmatic teacher plays the other.

    Experiments and instances
        A house is a set of rooms on grid cells (north is up) with doors between some grid-adjacent rooms:
        a spanning tree grown from a random cell plus random extra doors (loops). Each room has a type from
        ``rooms.json`` (24 single words written for this project: attic, ballroom, ..., workshop). Levels:
        ``small``: 4-6 rooms on a 3x3 grid, every type distinct, start and target at least 2 doors apart;
        ``medium``: 7-9 rooms on 4x4, about a quarter of the rooms repeat a type, distance >= 3, and at least 1
        *ambiguity point* on the route (a step whose next room has the type of another room behind a door of
        the same room); ``large``: 10-13 rooms on 5x5, about 45% repeats, distance >= 4, >= 2 ambiguity
        points. The room count is spread evenly with ``cycle_pick``; every house layout (cells and doors)
        belongs to one split by a hash of the layout (``split_of``) and the generator redraws until it fits,
        so test layouts never occur in training. Params: ``rooms`` (``id`` A, B, ... in reading order, ``x``,
        ``y``, ``type``), ``doors`` (pairs of ids), ``start``, ``target``, ``shortest`` (doors on a shortest
        route), ``max_steps`` = 2 x shortest + 4, ``max_instructions`` = 2 x shortest + 6, and the teacher
        instructor's ``p_ambiguous`` (0 / 0.5 / 0.75) and ``p_room_only`` (0.3).

    Action format (the first line starting with the keyword counts; keyword case and spaces are forgiven)
        instructor: ``INSTRUCT: <free text>`` (1-600 characters), e.g.
        ``INSTRUCT: go north into the hall, then east into the library``.
        follower: ``MOVE: <direction>`` (north, south, east, west, or n/s/e/w), or ``CLARIFY: <question>``
        (1-300 characters).
        A missing keyword, an empty or too long text, or a MOVE without a direction is a format error. A
        MOVE through a wall ("There is no door to the west here") and an instruction in which the follower
        finds no step at all, or more than 20 steps, are rule errors. Each gets a ``correction`` and the
        player repairs: as everywhere in the Playpen, 2 repairs per kind, the third invalid reply in a row
        of that kind aborts.

    How instructions are understood (``language.py``, the same for the teacher follower and for the game's
    own bookkeeping)
        The instruction is cut into parts at ``, ; . ! ? :``, line breaks and the words then/and/next/
        afterwards. Parts with a negation (not, never, avoid, don't, ...) or "you are"/"you're" are skipped. In
        a part, north/south/east/west (also northward(s), ...) are directions, ``back`` is the way the follower
        came (only when the part has no compass word: "go back south" is south), and the room types are rooms
        unless they follow from/leave/exit/past/in/at/of (+ the/a/an/this/that), which name a room to leave or
        pass. Left to right, a direction starts a step; a room joins the previous step if that has a direction
        and no room, else starts a room-only step; a direction joins a preceding room-only step of the part.
        ``twice``/``thrice``/``<1-5> times`` repeat the previous step. Other words are ignored; only an
        instruction with no step at all but a relative word (left, right, forward(s), straight, ahead) gets
        one step the follower cannot use ("go left"). A step then *resolves* against what the follower sees:
        a direction alone is ``clear`` if that door exists; a room alone is ``clear`` if exactly one door
        leads to a room of that type and ``ambiguous`` if several do; a direction with a room is ``clear`` if
        they agree and a ``contradiction`` if the door leads to another type; anything else (no such door, no
        such room next door, ``back`` before any move, a relative word) is ``impossible``. Ambiguity is
        therefore always visible to the follower.

    Flow
        The instructor speaks first. Its instruction is relayed to the follower (``instruction``, or
        ``correction`` when the follower's last move did not bring it closer to the target: the instructor
        is re-planning). The follower moves or asks. After each move the follower sees its new room
        (``environment``: the state its move led to) and the instructor gets its report, "I went north. I am
        in a hall. Exits: north, west." (``observation``; with the direction, so the instructor can track it
        on the map). While steps of the instruction remain and the follower moved through a door the current
        step allows, the follower moves again (told to carry on); otherwise the instructor speaks. A follower
        question goes to the instructor as a ``clarification``, or as a ``correction`` when the step was
        impossible ("There is no door to the west here."), and drops the rest of the instruction.

    Teacher
        follower (literal, uses only its view, the instruction and the way it came): resolves the next step;
        ``clear`` -> ``MOVE: <direction>``; ``ambiguous`` -> ``CLARIFY: Which door: north or east? Both lead
        to a kitchen.``; ``contradiction`` -> ``CLARIFY: The door to the north leads to a hall, not a kitchen.
        ... Which way do you mean?``; ``impossible`` -> ``CLARIFY: There is no door to the west here. Which
        way should I go?``. It asks exactly when a step is not clear.
        instructor (uses the map, the target and the follower's position known from the start and the reported
        moves; routes are shortest, ties broken north, east, south, west): when the learner is the
        instructor (the reference instructor), the whole route as unambiguous steps in one instruction, "Go
        north into the hall, then east into the library."; when the learner is the follower, one step at a
        time: "Go to the <type>." with chance ``p_ambiguous`` where that is ambiguous (deliberately: two doors
        lead to that type) and ``p_room_only`` where it is not, else "Go <dir>." or "Go <dir> into the <type>."
        (even odds). It answers a question precisely ("Take the north door into the kitchen.") and after a
        move that did not bring the follower closer it corrects: "That was the wrong way. Go back south into
        the hall." Its choices use the episode rng only.

    Episode end
        ``success`` as soon as the follower enters the target room; ``lose`` when the follower has made
        ``max_steps`` moves, or when the instructor would have to speak after ``max_instructions``
        instructions (or, as a backstop, after 150 moves in all); ``aborted`` after too many invalid replies
        in a row.

    Rewards (every move; format error -1, rule error -0.5)
        follower: entering the target +1; else +0.1 for a move that brings it closer to the target, -0.2 for
        one that does not; -0.1 more for a move made on a step that was not clear (a guess); a question
        +0.2 when the step was not clear, -0.1 when it was.
        instructor (as the literal follower would carry the instruction out): +0.1 per move that brings the
        follower closer, -0.1 per move that does not, +1 if it reaches the target, -0.2 if the follower has
        to stop and ask (an unclear or impossible step). Teacher-played moves carry rewards by the same rules.

    Scores (from the record: params and the notes on each move)
        ``main`` = 100 x ``efficiency`` on success, else 0; ``efficiency`` = shortest / follower moves, at most
        1 (0 without moves); ``follower_moves``; ``wrong_moves`` (moves that did not bring the follower
        closer); ``instructions`` (valid ones); ``clarifications`` (follower questions);
        ``unneeded_clarifications`` (questions about a clear step); ``missed_clarifications`` (moves made on
        an unclear step); ``invalid_instructions`` (instructions refused as a rule error, plus instructions
        the follower found impossible to carry out). Notes on follower moves: ``act`` (``move``/``clarify``),
        ``ambiguous`` (the step was not clear, so asking was right), ``situation``, ``closer``, ``room``,
        ``instruction`` (its number); on instructor moves: ``act="instruct"``, ``steps``, ``relayed_as``.

    Feedback kinds
        ``instruction`` (role rules and map at the start; relayed instructions and answers; "carry on with
        the instruction"), ``observation`` (the follower's first view; its reports to the instructor),
        ``clarification`` (the follower's questions), ``correction`` (format and rule errors; re-planning
        instructions after a move that did not bring the follower closer; the follower saying an instruction
        cannot be carried out), ``environment`` (the follower's view after each of its moves; arrival, out of
        moves or instructions).

    Version history
        v1: first version.
    """

    name = "mapnav"
    version = 1
    roles = ("instructor", "follower")
    learner_roles = ("instructor", "follower")
    experiments = tuple(LEVELS)
    max_moves: ClassVar[int] = 150
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "efficiency": (0.0, 1.0),
        "follower_moves": (0.0, 150.0),
        "wrong_moves": (0.0, 150.0),
        "instructions": (0.0, 150.0),
        "clarifications": (0.0, 150.0),
        "unneeded_clarifications": (0.0, 150.0),
        "missed_clarifications": (0.0, 150.0),
        "invalid_instructions": (0.0, 150.0),
    }

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        return make_house_params(rng, level=LEVELS[experiment], split=split, index=index,
                                 key=f"{self.versioned_id}/{split}/{experiment}")

    def episode_class(self) -> type[Episode]:
        return MapNavEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        shortest = int(record.instance.get("params", {}).get("shortest", 0))
        counts = dict.fromkeys(("follower_moves", "wrong_moves", "instructions", "clarifications",
                                "unneeded_clarifications", "missed_clarifications"), 0)
        refused = 0
        impossible: set[object] = set()
        for t in record.turns:
            if t.kind != "move":
                continue
            note = t.parse or {}
            if t.speaker == "instructor":
                counts["instructions"] += bool(note.get("ok"))
                refused += note.get("error") == "rule"
            elif t.speaker == "follower" and note.get("ok"):
                if note.get("act") == "move":
                    counts["follower_moves"] += 1
                    counts["wrong_moves"] += not note.get("closer")
                    counts["missed_clarifications"] += bool(note.get("ambiguous"))
                elif note.get("act") == "clarify":
                    counts["clarifications"] += 1
                    counts["unneeded_clarifications"] += not note.get("ambiguous")
                if note.get("situation") == "impossible":
                    impossible.add(note.get("instruction"))
        moves = counts["follower_moves"]
        efficiency = min(1.0, shortest / moves) if moves and shortest else 0.0
        scores = {k: float(v) for k, v in counts.items()}
        scores["invalid_instructions"] = float(refused + len(impossible))
        scores["efficiency"] = round(efficiency, 6)
        scores["main"] = 100.0 * efficiency if record.outcome == "success" else 0.0
        return scores


class MapNavEpisode(Episode):
    """One episode. State: the follower's room and last move, the steps left of the current instruction,
    and the counts the limits need."""

    game: MapNav

    def start(self) -> None:
        p = self.params
        self.house = House.from_params(p)
        self.target = str(p["target"])
        self.shortest = int(p["shortest"])
        self.max_steps = int(p["max_steps"])
        self.max_instructions = int(p["max_instructions"])
        self.p_ambiguous = float(p.get("p_ambiguous", 0.0))
        self.p_room_only = float(p.get("p_room_only", 0.0))
        self.vocabulary = frozenset(room_types()) | frozenset(r.type for r in self.house.rooms.values())
        self.pos = str(p["start"])
        self.last_move: str | None = None
        self.steps: list[Step] = []
        self.instructions = 0
        self.follower_moves = 0
        self.off_route = False  # the follower's last move did not bring it closer: the next instruction corrects
        self.asked = False  # the follower asked since the last instruction: the next one answers
        self.tell("instructor", prompts.instructor_intro(self.house, self.pos, self.target, self.max_steps,
                                                         self.max_instructions), "instruction")
        self.tell("follower", prompts.FOLLOWER.format(max_steps=self.max_steps), "instruction")
        self.tell("follower", prompts.view_text(self.house.view(self.pos)), "observation")
        self.expect("instructor")

    # ---------------------------------------------------------------- moves
    def parse(self, role: str, text: str) -> Move:
        return parse_instructor(text) if role == "instructor" else parse_follower(text)

    def apply(self, role: str, move: Move) -> float:
        if move.kind == "instruct":
            return self._instruct(move.text)
        if move.kind == "clarify":
            return self._clarify(move.text)
        return self._move(move.text)

    def _resolution(self) -> Resolution | None:
        """How the follower can carry out the current step from where it is (``None``: no step pending)."""
        if not self.steps:
            return None
        return resolve(self.steps[0], self.house.view(self.pos), self.last_move)

    def _instruct(self, text: str) -> float:
        steps = parse_steps(text, self.vocabulary)
        if not steps:
            raise RuleError(prompts.NO_STEPS)
        if len(steps) > MAX_STEPS:
            raise RuleError(prompts.too_many_steps(MAX_STEPS))
        self.instructions += 1
        kind = "correction" if self.off_route else "instruction"
        self.note(act="instruct", steps=len(steps), relayed_as=kind)
        reward = self._instruction_reward(steps)
        self.tell("follower", prompts.relay_instruction(text), kind, speaker="instructor")
        self.steps, self.off_route, self.asked = steps, False, False
        self.expect("follower")
        return reward

    def _clarify(self, question: str) -> float:
        res = self._resolution()
        situation = res.situation if res else "none"
        unclear = situation not in ("clear", "none")
        self.note(act="clarify", ambiguous=unclear, situation=situation, instruction=self.instructions)
        impossible = situation == "impossible"
        self.tell("instructor", prompts.relay_question(question, impossible),
                  "correction" if impossible else "clarification", speaker="follower")
        self.steps, self.asked = [], True
        self._hand_to_instructor()
        return R_GOOD_QUESTION if unclear else R_NEEDLESS_QUESTION

    def _move(self, direction: str) -> float:
        view = self.house.view(self.pos)
        there = self.house.exits[self.pos].get(direction)
        if there is None:
            raise RuleError(prompts.no_door(direction, view))
        res = self._resolution()
        situation = res.situation if res else "none"
        unclear = situation not in ("clear", "none")
        dist = self.house.distances(self.target)
        closer = dist[there] < dist[self.pos]
        self.pos, self.last_move = there, direction
        self.follower_moves += 1
        self.off_route = not closer
        # Moving through a door the step allows carries the instruction on; any other door abandons it.
        self.steps = self.steps[1:] if res is not None and direction in res.candidates else []
        self.note(act="move", ambiguous=unclear, situation=situation, closer=closer, room=there,
                  instruction=self.instructions)
        here = self.house.view(there)
        self.tell("instructor", prompts.report(direction, here), "observation", speaker="follower")
        penalty = R_GUESSED if unclear else 0.0
        if there == self.target:
            self.tell("instructor", prompts.success_instructor(there, here.room_type, self.follower_moves,
                                                               self.shortest), "environment")
            self.tell("follower", prompts.success_follower(here.room_type), "environment")
            self.finish("success", f"reached {there} in {self.follower_moves} moves (shortest {self.shortest})")
            return round(R_TARGET + penalty, 6)
        if self.follower_moves >= self.max_steps:
            for role in self.game.roles:
                self.tell(role, prompts.out_of_moves(self.max_steps), "environment")
            self.finish("lose", f"{self.max_steps} follower moves without reaching {self.target}")
        else:
            self.tell("follower", prompts.view_text(here), "environment")
            if self.steps:
                self.tell("follower", prompts.CONTINUE, "instruction")
                self.expect("follower")
            else:
                self._hand_to_instructor()
        return round((R_CLOSER if closer else R_NOT_CLOSER) + penalty, 6)

    def _hand_to_instructor(self) -> None:
        if self.instructions >= self.max_instructions:
            for role in self.game.roles:
                self.tell(role, prompts.out_of_instructions(self.max_instructions), "environment")
            self.finish("lose", f"{self.max_instructions} instructions without reaching {self.target}")
        else:
            self.expect("instructor")

    def _instruction_reward(self, steps: list[Step]) -> float:
        """Shaping for the instructor: carry the steps out as the literal follower would."""
        dist = self.house.distances(self.target)
        here, last = self.pos, self.last_move
        reward = 0.0
        for step in steps:
            res = resolve(step, self.house.view(here), last)
            if res.situation != "clear" or res.direction is None:
                reward += R_STOPPED
                break
            there = self.house.exits[here][res.direction]
            reward += R_CLOSER if dist[there] < dist[here] else -R_CLOSER
            here, last = there, res.direction
            if here == self.target:
                reward += R_TARGET
                break
        return round(reward, 6)

    # -------------------------------------------------------------- teachers
    def teacher_move(self, role: str) -> str:
        return self._instructor_move() if role == "instructor" else self._follower_move()

    def _follower_move(self) -> str:
        """The literal follower: only its view, the pending step and the way it came."""
        res = self._resolution()
        if res is None:  # cannot happen: the follower is only asked with a step pending
            return "CLARIFY: Where should I go?"
        if res.situation == "clear" and res.direction is not None:
            return f"MOVE: {res.direction}"
        suffix = " Which way should I go?" if res.situation == "impossible" else ""
        return f"CLARIFY: {res.message}{suffix}"

    def _instructor_move(self) -> str:
        """The map-reading instructor. The follower's room is known from its start and its reported moves."""
        here = self.pos
        direction = self.house.next_direction(here, self.target)
        if direction is None:  # cannot happen: the episode ends when the follower arrives
            return "INSTRUCT: Stay where you are."
        nxt = self.house.exits[here][direction]
        room_type = self.house.rooms[nxt].type
        if self.learner_role != "follower":
            # Reference instructor: the whole shortest route, every step unambiguous, in one instruction.
            steps, room = [], here
            for d in self.house.route(here, self.target):
                room = self.house.exits[room][d]
                steps.append((d, self.house.rooms[room].type))
            return "INSTRUCT: " + prompts.route(steps)
        if self.asked:
            return "INSTRUCT: " + prompts.answer(direction, room_type)
        if self.off_route:
            back = self.last_move is not None and direction == OPPOSITE[self.last_move]
            return "INSTRUCT: " + prompts.wrong_way(direction, room_type, back)
        same_type = len(self.house.view(here).leading_to(room_type))
        room_only, with_room = self.rng.random(), self.rng.random()
        if room_only < (self.p_ambiguous if same_type > 1 else self.p_room_only):
            return "INSTRUCT: " + prompts.go_room(room_type)
        if with_room < 0.5:
            return "INSTRUCT: " + prompts.go_direction_room(direction, room_type)
        return "INSTRUCT: " + prompts.go_direction(direction)
