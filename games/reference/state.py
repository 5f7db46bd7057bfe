"""The reference game's episode: the state machine, the programmatic teacher of both roles and the random
player. The rules are on the card (the :class:`~.game.Reference` docstring)."""

from __future__ import annotations

import itertools
import math
import random
from typing import TYPE_CHECKING, Any

from ..episode import Episode, RuleError
from . import prompts
from .generator import MAX_CLARIFICATIONS
from .moves import Move, parse_listener, parse_speaker
from .scene import (
    DIMS,
    Description,
    best_question,
    dims_named,
    fits,
    minimal_unique,
    parse_description,
    question_text,
    render,
)
from .scoring import listener_quality, speaker_quality

if TYPE_CHECKING:
    from .game import Reference

__all__ = ["ReferenceEpisode"]

#: The speaker's shaping for narrowing the candidates down to the target, summed over an episode.
SHAPING_TOTAL = 0.5
#: Speaker: a description with no attribute word the listener knows / one that rules the target out.
NOT_UNDERSTOOD_REWARD = -0.1
MISLEADING_REWARD = -0.2
#: Listener: a question when the description fitted 2+ objects / when it fitted only one.
NEEDED_QUESTION_REWARD = 0.2
NEEDLESS_QUESTION_REWARD = -0.5


class ReferenceEpisode(Episode):
    """One episode. State: the accepted descriptions, the candidates they leave, the listener's questions."""

    game: Reference

    def start(self) -> None:
        p = self.params
        self.objects: list[dict[str, str]] = [dict(o) for o in p["objects"]]
        self.target = int(p["target"]) - 1
        self.plan: list[dict[str, str]] = [dict(stage) for stage in p.get("descriptions", [])]
        self.max_questions = int(p.get("max_clarifications", MAX_CLARIFICATIONS))
        shortest = minimal_unique(self.objects, self.target)
        self.fewest = len(shortest[0]) if shortest else len(DIMS)
        self.heard: list[Description] = []  # understood descriptions: they all hold together
        self.said: list[str] = []  # their texts, quoted back in corrections
        self.named: set[str] = set()  # attributes the understood descriptions named
        self.descriptions = 0  # accepted descriptions, understood or not
        self.rounds = 0  # descriptions said, including those no object fitted
        self.repair_due = False  # the speaker was told nothing fitted, or that nothing was understood
        self.candidates = list(range(len(self.objects)))
        self.progress = len(self.objects)  # the shaping potential: smallest candidate set holding the target
        self.questions = 0
        self.needless = 0  # questions asked while one object fitted
        self.last_question = ""
        self.last_understood = True
        self.tell("speaker", prompts.speaker_instructions(self.objects, self.target, self.max_questions),
                  "instruction")
        self.tell("listener", prompts.listener_instructions(self.objects, self.max_questions), "instruction")
        self.expect("speaker")

    # ---------------------------------------------------------------- moves
    def parse(self, role: str, text: str) -> Move:
        return parse_speaker(text) if role == "speaker" else parse_listener(text)

    def apply(self, role: str, move: Move) -> float:
        if move.kind == "describe":
            return self._describe(move.text)
        if move.kind == "clarify":
            return self._clarify(move.text)
        return self._select(move.number)

    def _describe(self, text: str) -> float:
        desc = parse_description(text)
        kept = [i for i in self.candidates if desc.matches(self.objects[i])]
        self.rounds += 1  # said, even if refused below: the listener spent a turn on it
        if desc.understood and not kept:
            alone = any(desc.matches(o) for o in self.objects)
            self.repair_due = True
            raise RuleError(prompts.no_match(text, desc.summary(), self.said if alone else []))
        before = len(self.candidates)
        first = self.descriptions == 0
        self.descriptions += 1
        self.last_understood = desc.understood
        attributes = [d for d in DIMS if d in desc.include or d in desc.exclude]
        if desc.understood:
            self.heard.append(desc)
            self.said.append(text)
            self.candidates = kept
            self.named.update(attributes)
        consistent = self.target in self.candidates
        act = "repair" if self.repair_due else "describe" if first else "answer"
        notes: dict[str, Any] = {"act": act, "understood": desc.understood, "heard": desc.summary(),
                                 "attributes": attributes, "candidates_before": before,
                                 "candidates": len(self.candidates)}
        if desc.understood:  # an empty description claims nothing, so it can contradict nothing
            notes["consistent"] = consistent
        if self.repair_due:  # the correction named the problem: a description true of the target fixes it
            notes["repaired"] = desc.understood and consistent
        self.repair_due = not desc.understood  # the listener will report that it understood nothing
        self.note(**notes)
        self.tell("listener", prompts.relay_description(text, first), "observation", speaker="speaker")
        self.expect("listener")
        return self._description_reward(desc, consistent)

    def _description_reward(self, desc: Description, consistent: bool) -> float:
        size = len(self.candidates)
        if not desc.understood:
            reward = NOT_UNDERSTOOD_REWARD
        elif not consistent:
            reward = MISLEADING_REWARD
        elif size < self.progress:  # potential-based: narrowing n -> 1 earns SHAPING_TOTAL, however split
            reward = SHAPING_TOTAL * (math.log(self.progress) - math.log(size)) / math.log(len(self.objects))
            self.progress = size
        else:
            reward = 0.0
        act, choice = self._listener_choice()
        if act == "select":  # the teacher listener selects next: this description decided the game
            redundant = len(self.named) - self.fewest
            reward += speaker_quality(redundant, self.rounds) if choice == self.target else -1.0
        return round(reward, 6)

    def _clarify(self, question: str) -> float:
        if self.questions >= self.max_questions:
            raise RuleError(prompts.no_questions_left(self.max_questions))
        ambiguous = len(self.candidates) > 1
        self.questions += 1
        self.needless += not ambiguous
        self.last_question = question
        self.note(act="clarify", ambiguous=ambiguous, candidates=len(self.candidates))
        self.tell("speaker", prompts.relay_question(question), "clarification", speaker="listener")
        self.expect("speaker")
        return NEEDED_QUESTION_REWARD if ambiguous else NEEDLESS_QUESTION_REWARD

    def _select(self, number: int) -> float:
        if not 1 <= number <= len(self.objects):
            raise RuleError(prompts.no_such_object(number, len(self.objects)))
        chosen = self.objects[number - 1]
        correct = number - 1 == self.target
        guessed = len(self.candidates) > 1
        notes: dict[str, Any] = {"act": "select", "candidates": len(self.candidates), "correct": correct,
                                 "consistent": number - 1 in self.candidates}
        if self.questions < self.max_questions:  # it could have asked instead
            notes["ambiguous"] = guessed
        self.note(**notes)
        if correct:
            self.tell("speaker", prompts.speaker_success(chosen, self.rounds, len(self.named), self.fewest),
                      "environment")
            self.tell("listener", prompts.listener_success(number, guessed, self.needless > 0), "environment")
            self.finish("success", f"target selected after {self.descriptions} description(s)")
            # No credit for a guess, nor after a needless question.
            return listener_quality(self.needless, guessed)
        self.tell("speaker", prompts.speaker_failure(chosen), "environment")
        self.tell("listener", prompts.listener_failure(number, self.target + 1), "environment")
        self.finish("lose", f"object {number} selected, target was {self.target + 1}")
        return -1.0

    # -------------------------------------------------------------- random player
    def random_move(self, role: str, rng: random.Random) -> str:
        """Speaker: a random candidate (an object that fits everything said, so the move is legal) named by
        1-3 random attributes. Listener: a random object number, or now and then a question about a random
        attribute while questions are left."""
        if role == "speaker":
            obj = self.objects[rng.choice(self.candidates)]
            return "DESCRIPTION: " + render(obj, rng.sample(DIMS, rng.randint(1, 3)))
        n = len(self.objects)
        if self.questions < self.max_questions and rng.random() < 1 / (n + 1):
            dim = rng.choice(DIMS)
            return "CLARIFY: " + question_text(dim, {o[dim] for o in self.objects})
        return f"SELECT: {rng.randint(1, n)}"

    # -------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        if role == "speaker":
            return "DESCRIPTION: " + render(self.objects[self.target], self._speaker_dims())
        act, choice = self._listener_choice()
        return f"SELECT: {choice + 1}" if act == "select" else f"CLARIFY: {choice}"

    def _listener_choice(self) -> tuple[str, Any]:
        """The programmatic listener's next move from the scene and the words heard: ``("select", index)``
        or ``("clarify", question)``. It never looks at the target."""
        cands = self.candidates
        if len(cands) > 1 and self.questions < self.max_questions:
            dim = best_question(self.objects, cands)
            if dim is not None:
                question = question_text(dim, {self.objects[i][dim] for i in cands})
                return "clarify", question if self.last_understood else f"{prompts.NOT_UNDERSTOOD} {question}"
        # One candidate, or out of questions: the lowest-numbered candidate (cands is never empty: a
        # description no object fits is refused).
        return "select", cands[0] if cands else 0

    def _speaker_dims(self) -> tuple[str, ...]:
        """The attributes the teacher speaker names now (it sees the target: that is the speaker's role)."""
        if self.descriptions == 0:
            if self.learner_role == "listener" and self.plan:
                return tuple(self.plan[0])
            return minimal_unique(self.objects, self.target)[0]
        return self._answer_dims()

    def _answer_dims(self) -> tuple[str, ...]:
        obj, cands = self.objects[self.target], self.candidates
        said = {d for desc in self.heard for d in desc.include}
        named = dims_named(self.last_question)
        if len(cands) <= 1:  # a needless question: confirm what was asked about, or add one unsaid attribute
            return tuple(named[:1] or [d for d in DIMS if d not in said][:1] or DIMS)
        # One thing per question, so asking never buys more than the question asks for: the attribute a
        # question about one attribute names, if it tells the candidates apart, else the next planned stage.
        # A question about everything ("which colour, shape, size ...?") names several and gets the plan.
        directed = len(named) == 1 and len(fits(self.objects, obj, named, cands)) < len(cands)
        dims = list(named) if directed else self._next_stage(said)
        left = fits(self.objects, obj, dims, cands)
        if len(left) > 1 and not self._next_stage(said | set(dims)):
            # No plan (or none left) and still ambiguous: finish the job rather than stall.
            dims += [d for d in self._completion(left) if d not in dims]
        return tuple(dims)

    def _next_stage(self, said: set[str]) -> list[str]:
        """The unsaid attributes of the first planned answer not fully said yet (a learner listener only)."""
        if self.learner_role != "listener":
            return []
        for stage in self.plan[1:]:
            unsaid = [d for d in stage if d not in said]
            if unsaid:
                return unsaid
        return []

    def _completion(self, cands: list[int]) -> tuple[str, ...]:
        """The fewest attributes that single the target out among ``cands``."""
        obj = self.objects[self.target]
        for k in range(1, len(DIMS) + 1):
            for dims in itertools.combinations(DIMS, k):
                if fits(self.objects, obj, dims, cands) == [self.target]:
                    return dims
        return DIMS
