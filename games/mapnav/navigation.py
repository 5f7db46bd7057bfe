"""The mapnav episode: the state machine of one game, both programmatic teachers and the random player.

Rules, rewards and notes are documented on the game card (:class:`~playschool.games.mapnav.game.MapNav`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..episode import Episode, RuleError
from . import prompts
from .answers import answer
from .language import MAX_STEPS, Resolution, Step, parse_steps, resolve
from .maps import DIRECTIONS, OPPOSITE, House, room_types
from .moves import Move, parse_follower, parse_instructor

if TYPE_CHECKING:
    from .game import MapNav

__all__ = ["MapNavEpisode"]

# Rewards (documented on the card).
R_TARGET = 1.0
R_CLOSER = 0.1
R_NOT_CLOSER = -0.2
R_GUESSED = -0.1  # moving although the instruction left the door open (or could not be followed)
R_GOOD_QUESTION = 0.2
R_NEEDLESS_QUESTION = -0.2  # as much as a move that does not bring the follower closer: a turn spent for nothing
R_STOPPED = -0.2  # the instructor's instruction makes the literal follower stop and ask

_RANDOM_QUESTIONS = ("Which way?", "Which door?", "Can you repeat that?")


@dataclass(frozen=True)
class Question:
    """The follower's last question and the step it asked about (as resolved from where it stood)."""

    text: str
    step: Step | None
    resolution: Resolution | None


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
        self.question: Question | None = None  # asked since the last instruction: the next one answers it
        self.correcting = False  # the last instruction corrected a wrong move: the next move repairs (or not)
        # The teacher instructor's last instruction (without its "wrong way" preamble) or resolving answer: what
        # it restates when asked to. Kept by the teacher itself, so it never depends on the learner's wording.
        self.said = ""
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
        reward, consistent = self._carry_out(steps)
        self.note(act="instruct", steps=len(steps), relayed_as=kind, consistent=consistent)
        if self.question is not None:
            # The instruction answers the follower's question (or its report that it cannot go on): a repair
            # when the follower can now take its first step without asking again.
            first = resolve(steps[0], self.house.view(self.pos), self.last_move)
            self.note(repaired=first.situation == "clear")
        self.tell("follower", prompts.relay_instruction(text), kind, speaker="instructor")
        # A wrong move stays to be repaired until the follower moves again (it may ask first).
        self.correcting = self.correcting or self.off_route
        self.steps, self.off_route, self.question = steps, False, None
        self.expect("follower")
        return reward

    def _clarify(self, text: str) -> float:
        res = self._resolution()
        situation = res.situation if res else "none"
        unclear = situation not in ("clear", "none")
        self.note(act="clarify", ambiguous=unclear, situation=situation, instruction=self.instructions)
        impossible = situation == "impossible"
        self.tell("instructor", prompts.relay_question(text, impossible),
                  "correction" if impossible else "clarification", speaker="follower")
        self.question = Question(text, self.steps[0] if self.steps else None, res)
        self.steps = []
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
        allowed = res is not None and direction in res.candidates
        self.note(act="move", ambiguous=unclear, situation=situation, closer=closer, room=there,
                  instruction=self.instructions)
        if res is not None and situation != "impossible":
            self.note(consistent=allowed)  # a door the instruction named (or one of the doors it left open)
        if self.correcting:
            self.note(repaired=allowed)  # the first move after "that was the wrong way": the way it said?
            self.correcting = False
        self.pos, self.last_move = there, direction
        self.follower_moves += 1
        self.off_route = not closer
        # Moving through a door the step allows carries the instruction on; any other door abandons it.
        self.steps = self.steps[1:] if allowed else []
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

    def _carry_out(self, steps: list[Step]) -> tuple[float, bool]:
        """Carry the steps out as the literal follower would, from where the follower is: the instructor's
        shaping reward, and whether the instruction agrees with the map and the follower's reported position
        (no step through a missing door or into a room the door does not lead to)."""
        dist = self.house.distances(self.target)
        here, last = self.pos, self.last_move
        reward = 0.0
        for step in steps:
            res = resolve(step, self.house.view(here), last)
            if res.situation != "clear" or res.direction is None:
                return round(reward + R_STOPPED, 6), res.situation == "ambiguous"
            there = self.house.exits[here][res.direction]
            reward += R_CLOSER if dist[there] < dist[here] else -R_CLOSER
            here, last = there, res.direction
            if here == self.target:
                reward += R_TARGET
                break
        return round(reward, 6), True

    # -------------------------------------------------------------- random player
    def random_move(self, role: str, rng: random.Random) -> str:
        """Follower: a move through a random door of its room, or (as often as one door) a random question.
        Instructor: 1-3 random compass steps, each with a random room type of the house half of the time."""
        if role == "follower":
            exits = list(self.house.exits[self.pos])
            if rng.random() < 1 / (len(exits) + 1):
                return "CLARIFY: " + rng.choice(_RANDOM_QUESTIONS)
            return "MOVE: " + rng.choice(exits)
        types = sorted({r.type for r in self.house.rooms.values()})
        steps = []
        for _ in range(rng.randint(1, 3)):
            d = rng.choice(DIRECTIONS)
            steps.append(f"{d} into the {rng.choice(types)}" if rng.random() < 0.5 else d)
        return "INSTRUCT: go " + ", then ".join(steps)

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
        q = self.question
        if q is not None and q.step is not None and q.resolution is not None and self.said:
            text, how = answer(q.text, q.step, q.resolution, self.said, direction, room_type)
            if how == "resolve":
                self.said = text  # what a later "say that again" restates
            return "INSTRUCT: " + text
        if self.off_route:
            if self.last_move is not None and direction == OPPOSITE[self.last_move]:
                # The way it came: said as a speaker would ("go back"), with the room half of the time.
                self.said = prompts.go_back(room_type if self.rng.random() < 0.5 else None)
            else:
                self.said = prompts.go_direction_room(direction, room_type)
            return "INSTRUCT: " + prompts.WRONG_WAY + " " + self.said
        same_type = len(self.house.view(here).leading_to(room_type))
        room_only, with_room = self.rng.random(), self.rng.random()
        if room_only < (self.p_ambiguous if same_type > 1 else self.p_room_only):
            self.said = prompts.go_room(room_type)
        elif with_room < 0.5:
            self.said = prompts.go_direction_room(direction, room_type)
        else:
            self.said = prompts.go_direction(direction)
        return "INSTRUCT: " + self.said
