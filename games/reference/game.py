"""Reference: the game card (:class:`Reference`), the scorer and the episode state machine."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any, ClassVar

from ..episode import Episode, RuleError
from ..game import Game
from ..records import EpisodeRecord
from . import prompts
from .generator import LEVELS, MAX_CLARIFICATIONS, make_params
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

__all__ = ["Reference", "ReferenceEpisode"]

#: The speaker's shaping for narrowing the candidates down to the target, summed over an episode.
SHAPING_TOTAL = 0.5
#: Speaker: a description with no attribute word the listener knows / one that rules the target out.
NOT_UNDERSTOOD_REWARD = -0.1
MISLEADING_REWARD = -0.2
#: Listener: a question when the description fitted 2+ objects / when it fitted only one.
NEEDED_QUESTION_REWARD = 0.2
NEEDLESS_QUESTION_REWARD = -0.2
#: ``main`` loses this much per extra round (speaker) or needless question (listener).
ROUND_COST = 20.0


class Reference(Game):
    """Reference: describe a target object in a scene so a listener picks it, or pick it from a description.

    Roles
        ``speaker`` and ``listener``; the learner may play either, the programmatic teacher plays the other.

    Scenes
        4-8 objects. Each object has a colour (red, blue, green, yellow, purple, orange), a shape (circle,
        square, triangle, star, diamond), a size (large, small), a pattern (plain, striped, dotted) and a
        place in a grid of two rows (top, bottom) and three columns (left, middle, right); several objects
        may share a place, but no two objects are alike in everything. One object is the target. The
        listener sees the objects numbered 1..n (the params order); the speaker sees them in reading order of
        the grid with the target marked, so object numbers mean nothing to the speaker.

    Experiments
        ``easy``: 4 objects; one attribute singles the target out; the teacher speaker's description is
        never ambiguous. ``medium``: 5-6 objects with 2 near-duplicates of the target (equal but for one
        attribute); the target needs 2 attributes; every second instance (odd index) starts with an
        ambiguous description (one attribute, 2+ objects fit) that one answer resolves. ``hard``: 7-8
        objects with 3 near-duplicates; the target needs 3 attributes; 3 in 4 instances start with an
        ambiguous description of one or two attributes (index mod 4 = 1, 3: one answer needed; 2: two
        answers needed, the first answer still leaves 2+).

    Instances
        ``params = {"objects": [{"colour", "shape", "size", "pattern", "column", "row"}, ...], "target":
        <1-based number>, "mode": "unique" | "ambiguous" | "ambiguous2", "ambiguous": bool,
        "questions_needed": 0-2, "descriptions": [{dimension: value}, ...], "max_clarifications": 3}``.
        ``descriptions`` is the teacher speaker's plan when the learner listens: the first description,
        then what it adds to answer each clarification question; it is drawn with the instance rng, so the
        ambiguity is fixed by the params. The target's (colour, shape, size, pattern) combination belongs to
        one split by ``split_of``, so test targets are combinations never used as targets in train or
        validation; within a split and experiment they are drawn without replacement (``cycle_pick``).

    Action format (one line; leading spaces and letter case are forgiven; the first matching line counts)
        speaker: ``DESCRIPTION: <text>`` (at most 300 characters), e.g. ``DESCRIPTION: the small red one``.
        listener: ``SELECT: <n>`` (also ``SELECT: #3``, ``SELECT: object 3``) or ``CLARIFY: <question>``
        (at most 300 characters), e.g. ``CLARIFY: Which colour: red or blue?``.
        Anything else is a format error. Rule errors: selecting a number outside 1..n; a fourth question;
        a description that no object fits (see below).

    The programmatic listener (the teacher listener, and the judge of what a description says)
        It reads attribute words from ``vocabulary.json``: the values and synonyms (big/huge = large,
        little/tiny = small, round/circular = circle, violet = purple, spotted/dots = dotted, solid = plain,
        stripes = striped, centre/center = middle, upper = top, lower = bottom, ...). A negator excludes the
        next attribute word in its reach ("not striped"): not, isn't, aren't within four words; without,
        neither, nor within two; no, non only right before it ("no dots", but "no, the small one" means
        small). Two values of one attribute in one description are alternatives ("red or blue"). Other
        words, numbers and relations are ignored. The candidates are the objects fitting every accepted
        description so far. After each description: no known word -> it asks again, saying it did not
        understand; one candidate -> ``SELECT`` it; several -> ``CLARIFY`` with the attribute whose answer
        leaves the fewest candidates on average (ties: colour, shape, size, pattern, column, row), naming
        the values among the candidates ("Which colour: red or blue?", "The large one or the small one?",
        "The one on the left or in the middle?", "The one at the top or at the bottom?"); after 3 questions
        it selects its lowest-numbered candidate. Reference listener: as the learner's stand-in it asks
        exactly when 2+ objects fit and it has questions left (it sees the scene and the words, which the listener role legitimately
        has) and selects the single fitting object otherwise.
        No fit: a description that (together with the earlier ones) fits no object is a rule error: the
        correction quotes it and what the listener understood ("No object matches "the green triangle".
        (I understood: green, triangle.)"), the description is not kept, and the speaker describes again
        (2 repairs; a third no-fit in a row aborts).

    The teacher speaker
        With a learner listener it says the planned ``descriptions[0]``. It answers a question with the
        first attribute the question names (by name, "which colour?", or by value, "the red one?") that
        tells the remaining candidates apart, plus the next planned stage not yet said; should no plan be
        left while 2+ objects fit, it adds the fewest attributes that single the target out. An unneeded
        question (one object fits already) gets the named attribute, or else the next unsaid one: redundant,
        but true. Reference speaker (the teacher in the speaker role): it says the target's shortest unique
        description, attributes chosen in the order colour, shape, size, pattern, column, row, e.g. "the
        large red one at the top"; the listener then selects at once. Descriptions are rendered as "the
        <size> <colour> <pattern> <shape, or 'one'> <place>" with only the chosen attributes.

    Flow and feedback kinds
        ``instruction``: the rules and the scene (both roles). ``observation``: the speaker's description or
        answer relayed to the listener. ``clarification``: the listener's question relayed to the speaker.
        ``correction``: a format or rule error, including "no object fits", with a chance to repair.
        ``environment``: the selection and its result, to both roles.

    Episode end
        ``success``: the listener selects the target; ``lose``: it selects another object; ``aborted``: a
        third invalid reply in a row of one kind (format, or rule). ``max_moves`` = 40 (4 descriptions and 4
        listener moves, each after up to 4 invalid replies) never binds.

    Rewards (every move)
        speaker: 0.5 x (ln P - ln |C|) / ln n when the description keeps the target among the candidates C
        and |C| is below P, the smallest such set so far (P starts at n; so the shaping sums to at most 0.5
        per episode, however it is split over rounds); -0.2 if it rules the target out; -0.1 if the listener
        understood no word; plus +1 / -1 when the teacher listener will now select the target / another
        object. listener: +1 selecting the target, -1 another object; +0.2 a question when 2+ objects fit,
        -0.2 one when a single object fits. Format error -1, rule error -0.5. Rewards are the same whoever
        plays a role (teacher moves get them too; only the learner's are trained on).

    Scores (from the record: params, and the notes each move stores in its ``parse`` field)
        ``main``: 0 unless the target was selected; then, learner speaker: 100 - 20 x (rounds - 1), where
        rounds counts its descriptions including those no object fitted (100, 80, 60, 40 for 1-4 rounds);
        learner listener: 100 - 20 x unnecessary questions (the questions the ambiguity needs cost
        nothing). Never below 0; an aborted episode scores 0.
        ``rounds``: the speaker's descriptions (accepted or no-fit). ``clarifications``: questions asked.
        ``candidates_left``: objects fitting all accepted descriptions at the end (n if none).
        Speaker role only: ``first_unique`` (1 if the first description fitted only the target);
        ``overspecification`` (distinct attributes named in the accepted descriptions beyond the size of
        the target's shortest unique description, at least 0; absent if none was named; a Gricean measure,
        not part of ``main``).
        Listener role only: ``unnecessary_clarifications``; ``clarification_precision`` (questions asked
        while 2+ objects fitted / questions; absent without questions); ``clarification_recall`` (questions
        asked while 2+ objects fitted / listener moves made while 2+ objects fitted; absent if the listener
        never faced ambiguity).
        Move notes: speaker ``act`` = "describe" (the first) or "answer", ``understood``, ``heard`` (the
        words understood), ``attributes`` (the dimensions named), ``candidates_before``, ``candidates``,
        ``consistent`` (the target still fits); listener ``act`` = "select" or "clarify", ``ambiguous``
        (2+ objects fitted), ``candidates``, and ``correct`` on a selection.

    Version history
        v1: first version.
    """

    name = "reference"
    version = 1
    roles = ("speaker", "listener")
    learner_roles = ("speaker", "listener")
    experiments = tuple(LEVELS)
    max_moves = 40
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "rounds": (0.0, float(max_moves)),
        "clarifications": (0.0, float(MAX_CLARIFICATIONS)),
        "candidates_left": (0.0, 8.0),
        "first_unique": (0.0, 1.0),
        "overspecification": (0.0, float(len(DIMS))),
        "unnecessary_clarifications": (0.0, float(MAX_CLARIFICATIONS)),
        "clarification_precision": (0.0, 1.0),
        "clarification_recall": (0.0, 1.0),
    }

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        return make_params(rng, split=split, experiment=experiment, index=index, game_id=self.versioned_id)

    def episode_class(self) -> type[Episode]:
        return ReferenceEpisode

    # --------------------------------------------------------------- scoring
    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        moves = [t for t in record.turns if t.kind == "move"]
        spoken = [t for t in moves if t.speaker == "speaker" and ((t.parse or {}).get("ok")
                                                                  or (t.parse or {}).get("error") == "rule")]
        accepted = [t.parse or {} for t in spoken if (t.parse or {}).get("ok")]
        listened = [t.parse or {} for t in moves if t.speaker == "listener" and (t.parse or {}).get("ok")]
        questions = [p for p in listened if p.get("act") == "clarify"]
        params = record.instance.get("params", {})
        objects = params.get("objects", [])
        n = len(objects)
        success = record.outcome == "success"
        scores: dict[str, float] = {
            "rounds": float(len(spoken)),
            "clarifications": float(len(questions)),
            "candidates_left": float(accepted[-1].get("candidates", n) if accepted else n),
        }
        if record.learner_role == "listener":
            needless = sum(1 for p in questions if not p.get("ambiguous"))
            needed = len(questions) - needless
            faced = sum(1 for p in listened if p.get("ambiguous"))
            scores["unnecessary_clarifications"] = float(needless)
            if questions:
                scores["clarification_precision"] = needed / len(questions)
            if faced:
                scores["clarification_recall"] = needed / faced
            main = 100.0 - ROUND_COST * needless if success else 0.0
        else:
            first = (spoken[0].parse or {}) if spoken else {}
            scores["first_unique"] = float(bool(first.get("ok")) and first.get("candidates") == 1
                                           and bool(first.get("consistent")))
            named = {d for p in accepted for d in p.get("attributes", [])}
            try:
                shortest = minimal_unique(objects, int(params["target"]) - 1)
            except (KeyError, IndexError, TypeError, ValueError):  # a hand-edited record is no crash
                shortest = []
            if named and shortest:
                scores["overspecification"] = float(max(0, len(named) - len(shortest[0])))
            main = 100.0 - ROUND_COST * (len(spoken) - 1) if success else 0.0
        scores["main"] = max(0.0, main)
        return scores


class ReferenceEpisode(Episode):
    """One episode. State: the accepted descriptions, the candidates they leave, the listener's questions."""

    game: Reference

    def start(self) -> None:
        p = self.params
        self.objects: list[dict[str, str]] = [dict(o) for o in p["objects"]]
        self.target = int(p["target"]) - 1
        self.plan: list[dict[str, str]] = [dict(stage) for stage in p.get("descriptions", [])]
        self.max_questions = int(p.get("max_clarifications", MAX_CLARIFICATIONS))
        self.heard: list[Description] = []  # understood descriptions: they all hold together
        self.said: list[str] = []  # their texts, quoted back in corrections
        self.descriptions = 0  # accepted descriptions, understood or not
        self.candidates = list(range(len(self.objects)))
        self.progress = len(self.objects)  # the shaping potential: smallest candidate set holding the target
        self.questions = 0
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
        if desc.understood and not kept:
            alone = any(desc.matches(o) for o in self.objects)
            raise RuleError(prompts.no_match(text, desc.summary(), self.said if alone else []))
        before = len(self.candidates)
        first = self.descriptions == 0
        self.descriptions += 1
        self.last_understood = desc.understood
        if desc.understood:
            self.heard.append(desc)
            self.said.append(text)
            self.candidates = kept
        consistent = self.target in self.candidates
        self.note(act="describe" if first else "answer", understood=desc.understood, heard=desc.summary(),
                  attributes=[d for d in DIMS if d in desc.include], candidates_before=before,
                  candidates=len(self.candidates), consistent=consistent)
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
            reward += 1.0 if choice == self.target else -1.0
        return round(reward, 6)

    def _clarify(self, question: str) -> float:
        if self.questions >= self.max_questions:
            raise RuleError(prompts.no_questions_left(self.max_questions))
        ambiguous = len(self.candidates) > 1
        self.questions += 1
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
        self.note(act="select", ambiguous=len(self.candidates) > 1, candidates=len(self.candidates),
                  correct=correct)
        if correct:
            self.tell("speaker", prompts.speaker_success(chosen), "environment")
            self.tell("listener", prompts.listener_success(number), "environment")
            self.finish("success", f"target selected after {self.descriptions} description(s)")
            return 1.0
        self.tell("speaker", prompts.speaker_failure(chosen), "environment")
        self.tell("listener", prompts.listener_failure(number, self.target + 1), "environment")
        self.finish("lose", f"object {number} selected, target was {self.target + 1}")
        return -1.0

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
        # The first attribute asked about that tells the candidates apart, then the next planned stage.
        dims = [d for d in named if len(fits(self.objects, obj, [d], cands)) < len(cands)][:1]
        dims += [d for d in self._next_stage(said) if d not in dims]
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
