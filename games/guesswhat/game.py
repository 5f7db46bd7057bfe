"""The guesswhat episode (questioner, answerer, the programmatic teacher for both) and its scorer.

The card lives on :class:`playschool.games.guesswhat.GuessWhat`; this module holds the behaviour it documents.
"""

from __future__ import annotations

import math
import random
from typing import Any, ClassVar

from ..episode import Episode, RuleError
from ..game import Game
from ..records import EpisodeRecord
from ..seeding import cycle_pick, split_of
from . import prompts
from .matcher import resolve
from .moves import Move, parse_answerer, parse_questioner
from .table import Table, describe, holds, load_table, render, teacher_predicates, topic

#: Instance sizes (number of candidate animals) per experiment.
SIZES: dict[str, int] = {"small": 8, "medium": 16, "large": 32}
MAX_QUESTIONS = 20
#: Clarification requests per episode; after that an unclear question is a rule error (bounded repairs), so
#: an episode cannot stall in questions about questions.
MAX_CLARIFICATIONS = 5
#: Salt of ``split_of`` for the animals: which animals are test targets is fixed by their names alone.
SPLIT_SALT = "guesswhat"
# Rewards (see the card).
UNINFORMATIVE_PENALTY = -0.1
CLARIFIED_PENALTY = -0.05
ANSWER_REWARD = 0.2
SUCCESS_REWARD = 1.0


def optimal_questions(n: int) -> int:
    """The information-theoretic optimum for ``n`` equally likely candidates: ceil(log2 n), at least 1."""
    return max(1, math.ceil(math.log2(max(2, n))))


def split_entropy(yes: int, total: int) -> float:
    """Expected information (bits) of a yes/no question that ``yes`` of ``total`` candidates answer yes."""
    if total <= 0 or yes <= 0 or yes >= total:
        return 0.0
    p = yes / total
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


class GuessWhatEpisode(Episode):
    """One episode. State: the candidates still consistent with the answers, the question awaiting an answer,
    and counters (questions answered, clarifications, answer attempts)."""

    game: GuessWhatGame

    def start(self) -> None:
        p = self.params
        self.table: Table = self.game.table
        self.candidates: list[str] = [str(c) for c in p["candidates"]]
        self.target: str = str(p["target"])
        self.max_questions: int = int(p.get("max_questions", MAX_QUESTIONS))
        self.optimal = optimal_questions(len(self.candidates))
        self.remaining: list[str] = list(self.candidates)
        self.asked = 0
        self.clarifications = 0
        self.pending_question: tuple[str, str] | None = None  # (predicate, question text)
        self.attempts = 0  # wrong answers to the pending question
        self._masks: dict[str, int] | None = None  # teacher questioner's predicate bitmasks, built lazily
        animal = self.table.get(self.target)
        self.tell("questioner", prompts.questioner_instructions(self.candidates, self.max_questions, self.optimal),
                  "instruction")
        self.tell("answerer", prompts.answerer_instructions(self.target, describe(animal, self.table),
                                                             self.candidates), "instruction")
        self.expect("questioner")

    # ------------------------------------------------------------------------------- moves
    def parse(self, role: str, text: str) -> Move:
        return parse_questioner(text) if role == "questioner" else parse_answerer(text)

    def apply(self, role: str, move: Move) -> float:
        if move.kind == "question":
            return self._question(move.text)
        if move.kind == "guess":
            return self._guess(move.text)
        return self._answer(move.text)

    def _repairing(self, role: str) -> bool:
        """Whether the move being applied answers a correction or clarification (the latest message to
        ``role``): noted as ``repair`` for CLU2's repair metrics."""
        for t in reversed(self.turns[:-1]):  # the last turn is the move itself
            if t.to == role:
                return t.kind in ("correction", "clarification")
        return False

    def _holds(self, pred: str, name: str) -> bool:
        return holds(pred, self.table.get(name), self.table)

    def _question(self, text: str) -> float:
        if self.asked >= self.max_questions:
            raise RuleError(prompts.NO_QUESTIONS_LEFT.format(max_questions=self.max_questions))
        res = resolve(text, self.table)
        if res.kind == "refuse":
            raise RuleError(res.message)
        if res.kind == "clarify":
            if self.clarifications >= MAX_CLARIFICATIONS:
                raise RuleError(prompts.TOO_MANY_CLARIFICATIONS.format(message=res.message))
            self.clarifications += 1
            self.note(act="question", clarified=True, topics=list(res.topics), repair=self._repairing("questioner"))
            self.tell("questioner", res.message, "clarification", speaker="answerer")
            self.expect("questioner")
            return CLARIFIED_PENALTY
        pred = res.pred
        yes = [c for c in self.remaining if self._holds(pred, c)]
        entropy = split_entropy(len(yes), len(self.remaining))
        # The answer is the truth (a wrong answer is never accepted), so the bits this question will gain are
        # known now: log2(before / after), normalised by the bits needed at the start (log2 N).
        truth = self._holds(pred, self.target)
        after = len(yes) if truth else len(self.remaining) - len(yes)
        gained = math.log2(len(self.remaining) / max(1, after)) / math.log2(max(2, len(self.candidates)))
        self.asked += 1
        self.pending_question = (pred, text)
        self.attempts = 0
        self.note(act="question", pred=pred, remaining=len(self.remaining), yes=len(yes),
                  split_entropy=round(entropy, 4), uninformative=entropy == 0.0,
                  repair=self._repairing("questioner"))
        self.tell("answerer", prompts.relay_question(text), "observation", speaker="questioner")
        self.expect("answerer")
        return UNINFORMATIVE_PENALTY if entropy == 0.0 else round(gained, 4)

    def _answer(self, answer: str) -> float:
        assert self.pending_question is not None  # the answerer is only expected after a question
        pred, text = self.pending_question
        truth = "yes" if self._holds(pred, self.target) else "no"
        if answer != truth:
            self.attempts += 1
            raise RuleError(prompts.wrong_answer(answer, topic(pred, self.table.get(self.target), self.table),
                                                 text))
        self.note(act="answer", pred=pred, first_try=self.attempts == 0, repair=self._repairing("answerer"))
        self.remaining = [c for c in self.remaining if self._holds(pred, c) == (truth == "yes")]
        self.pending_question = None
        self.tell("questioner", prompts.relay_answer(answer), "observation", speaker="answerer")
        self.tell("questioner", prompts.questions_left(self.asked, self.max_questions), "environment")
        self.expect("questioner")
        return ANSWER_REWARD

    def _guess(self, text: str) -> float:
        name = self.game.resolve_name(text)
        if name is None or name not in self.candidates:
            raise RuleError(prompts.not_a_candidate(text, self.candidates))
        correct = name == self.target
        self.note(act="guess", guess=name, correct=correct, consistent=name in self.remaining,
                  repair=self._repairing("questioner"))
        self.tell("answerer", prompts.guess_for_answerer(name, correct), "environment", speaker="questioner")
        if correct:
            self.tell("questioner", prompts.won(name, self.asked), "environment")
            self.finish("success", f"guessed {name} after {self.asked} questions")
            return SUCCESS_REWARD
        self.tell("questioner", prompts.lost(name, self.target), "environment")
        self.finish("lose", f"guessed {name}, the animal was {self.target}")
        return 0.0

    # ----------------------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        if role == "answerer":
            assert self.pending_question is not None
            return "ANSWER: " + ("yes" if self._holds(self.pending_question[0], self.target) else "no")
        if len(self.remaining) <= 1 or self.asked >= self.max_questions:
            pool = self.remaining or self.candidates
            return f"GUESS: {pool[0] if len(pool) == 1 else self.rng.choice(pool)}"
        return f"QUESTION: {render(self._best_predicate())}"

    def _best_predicate(self) -> str:
        """The question that best splits the remaining candidates.

        Uses only what the questioner knows: the candidate list, the public attribute table and the answers so
        far (``self.remaining``). A question is scored by the questions still needed after it, counted as
        ceil(log2(side)) for each side, weighted by the side's share; ties go to the more even split, then to
        the episode rng. Splitting 8 as 4/4 beats 5/3 (2 more either way vs 3 or 2), and 6 as 4/2 beats 3/3.
        """
        if self._masks is None:
            index = {name: i for i, name in enumerate(self.candidates)}
            self._masks = {}
            for pred in teacher_predicates(self.table):
                mask = sum(1 << index[c] for c in self.candidates if self._holds(pred, c))
                if mask and mask != (1 << len(self.candidates)) - 1:
                    self._masks[pred] = mask
        rem = sum(1 << self.candidates.index(c) for c in self.remaining)
        total = len(self.remaining)
        best: list[str] = []
        best_key: tuple[float, int] | None = None
        for pred, mask in self._masks.items():
            yes = bin(rem & mask).count("1")
            if yes == 0 or yes == total:
                continue
            no = total - yes
            cost = (yes * _lower_bound(yes) + no * _lower_bound(no)) / total
            key = (round(cost, 9), -min(yes, no))
            if best_key is None or key < best_key:
                best, best_key = [pred], key
            elif key == best_key:
                best.append(pred)
        return self.rng.choice(best)


def _lower_bound(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


# ------------------------------------------------------------------------------------------------ scoring
def _replay(record: EpisodeRecord) -> dict[str, Any]:
    """Counts from the record's ``parse`` notes (written by ``apply``) and the order of moves."""
    questions = clarifications = uninformative = 0
    entropies: list[float] = []
    answered = first_try = 0
    awaiting_first = False
    for t in record.turns:
        if t.kind != "move":
            continue
        parse = t.parse or {}
        if t.speaker == "questioner" and parse.get("ok") and parse.get("act") == "question":
            if parse.get("clarified"):
                clarifications += 1
                continue
            questions += 1
            entropies.append(float(parse.get("split_entropy", 0.0)))
            uninformative += bool(parse.get("uninformative"))
            awaiting_first = True
        elif t.speaker == "answerer" and awaiting_first and (parse.get("ok") or parse.get("error") == "rule"):
            # The first real answer to a question counts (format errors are counted apart, by the base scorer).
            answered += 1
            first_try += bool(parse.get("ok"))
            awaiting_first = False
    return {"questions": questions, "clarifications": clarifications, "uninformative": uninformative,
            "entropies": entropies, "answered": answered, "first_try": first_try}


class GuessWhatGame(Game):
    """Behaviour of guesswhat; :class:`GuessWhat` adds the card. ``table`` is injectable for tests."""

    name = "guesswhat"
    version = 1
    roles = ("questioner", "answerer")
    learner_roles = ("questioner", "answerer")
    experiments = tuple(SIZES)
    # 20 questions + 5 clarifications + 1 guess by the questioner, 20 answers; any learner move may follow up
    # to 4 invalid ones (2 format + 2 rule repairs). Never the binding limit in practice.
    max_moves: ClassVar[int] = 160
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "questions": (0.0, float(MAX_QUESTIONS)),
        "clarifications": (0.0, float(MAX_CLARIFICATIONS)),
        "information_gain": (0.0, 1.0),
        "uninformative_questions": (0.0, float(MAX_QUESTIONS)),
        "answer_accuracy": (0.0, 1.0),
    }

    def __init__(self, table: Table | None = None) -> None:
        self.table: Table = table if table is not None else load_table()
        self._names: dict[str, str] = {}
        for animal in self.table.animals:
            for alias in (animal.name, *animal.aliases):
                self._names.setdefault(alias.lower(), animal.name)
        # Split by animal, not by instance, so a test target is never a target in training instances.
        self.pools: dict[str, tuple[str, ...]] = {
            s: tuple(a.name for a in self.table.animals if split_of(a.name, salt=SPLIT_SALT) == s)
            for s in ("train", "validation", "test")}

    def resolve_name(self, text: str) -> str | None:
        """The table name an answer or guess refers to (``"Hippopotamus"`` -> ``"hippo"``), or ``None``."""
        return self._names.get(" ".join(text.lower().split()))

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        pool = self.pools[split]
        if not pool:
            raise ValueError(f"guesswhat: no animal falls into split {split!r}")
        # Without replacement: a split's instances use every target of the split once before any repeats.
        target = cycle_pick(pool, index, key=f"{self.versioned_id}/{split}/{experiment}")
        others = sorted(a.name for a in self.table.animals if a.name != target)
        candidates = [target, *rng.sample(others, SIZES[experiment] - 1)]
        rng.shuffle(candidates)
        return {"candidates": candidates, "target": target, "max_questions": MAX_QUESTIONS}

    def episode_class(self) -> type[Episode]:
        return GuessWhatEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        r = _replay(record)
        params = record.instance.get("params", {})
        optimal = optimal_questions(len(params.get("candidates", ())))
        scores: dict[str, float] = {"questions": float(r["questions"]),
                                    "clarifications": float(r["clarifications"])}
        if record.learner_role == "answerer":
            if r["answered"]:
                scores["answer_accuracy"] = r["first_try"] / r["answered"]
            scores["main"] = 100.0 * scores.get("answer_accuracy", 0.0)
            return scores
        if r["entropies"]:
            scores["information_gain"] = round(sum(r["entropies"]) / len(r["entropies"]), 6)
        scores["uninformative_questions"] = float(r["uninformative"])
        success = record.outcome == "success"
        scores["main"] = 100.0 * min(1.0, optimal / max(1, r["questions"])) if success else 0.0
        return scores
