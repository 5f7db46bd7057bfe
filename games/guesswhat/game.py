"""The guesswhat episode (questioner, answerer, the programmatic teacher for both) and the game class.

The card lives on :class:`playschool.games.guesswhat.GuessWhat`; this module holds the behaviour it documents.
The scorer is in ``scoring.py``, the teacher questioner's choices in ``teacher.py``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, ClassVar

from ..episode import Episode, RuleError
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord
from ..seeding import split_of
from . import prompts
from .matcher import Resolution, family, resolve
from .moves import ANSWERER_KEYWORDS, QUESTIONER_KEYWORDS, Move, parse_answerer, parse_questioner
from .policies import game_policies
from .scoring import game_scores
from .table import Table, describe, holds, load_table, render, topic
from .teacher import best_predicate, predicate_masks, probe, question_predicates, wordings

#: Instance sizes (number of candidate animals) per experiment.
SIZES: dict[str, int] = {"small": 8, "medium": 16, "large": 32}
MAX_QUESTIONS = 20
#: Questions sent back (by the answerer, or because an ambiguous question was answered) per episode; after that
#: an ambiguous question is a rule error and so is a further CLARIFY, so an episode cannot stall in questions
#: about questions.
MAX_CLARIFICATIONS = 5
#: Wrong answers to one question before the episode is aborted (the answerer's fault).
MAX_WRONG_ANSWERS = 3
#: Opposite a learner answerer, the teacher questioner first asks an ambiguous version of a question with this
#: probability, at most ``MAX_PROBES`` times per episode.
PROBE_RATE = 0.35
MAX_PROBES = 2
#: Salt of ``split_of`` for the candidate sets: which split a set of candidates is in is fixed by the set alone.
SPLIT_SALT = "guesswhat"
#: Candidate sets drawn before giving up on one of the requested split (p >= 0.15 per draw).
MAX_DRAWS = 1000


def candidates_key(candidates: list[str]) -> str:
    """What decides an instance's split: its set of candidates, whatever their order and whichever is the
    target."""
    return "guesswhat/" + ",".join(sorted(candidates))


# Rewards (see the card).
UNINFORMATIVE_PENALTY = -0.1
CLARIFIED_PENALTY = -0.05
ANSWER_REWARD = 0.2
WRONG_ANSWER_PENALTY = -0.5
NEEDLESS_CLARIFY_PENALTY = -0.25
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


@dataclass
class Pending:
    """The question relayed to the answerer and not yet settled."""

    text: str
    pred: str  # the predicate a clear question asks about ("" when ambiguous)
    ambiguous: bool
    topics: tuple[str, ...] = ()
    why_questioner: str = ""  # the matcher's clarification message, for the questioner
    responded: bool = False  # the answerer's first response (format errors aside) has been given
    wrong: int = 0  # wrong answers so far
    readings: tuple[str, ...] = ()  # an ambiguous question's readings, as questions


class GuessWhatEpisode(Episode):
    """One episode. State: the candidates still consistent with the answers, the question awaiting an answer,
    and counters (questions answered, clarifications, probes)."""

    game: GuessWhatGame

    def start(self) -> None:
        p = self.params
        self.table: Table = self.game.table
        self.candidates: list[str] = [str(c) for c in p["candidates"]]
        self.target: str = str(p["target"])
        self.max_questions: int = int(p.get("max_questions", MAX_QUESTIONS))
        self.optimal = optimal_questions(len(self.candidates))
        self.remaining: list[str] = list(self.candidates)
        self.asked = 0  # questions answered
        self.clarifications = 0
        self.probes = 0
        self.current_question: Pending | None = None
        # The problem the questioner was last told about (a clarification's topics, or a refusal), which its
        # next valid move may repair: ("clarify", families) or ("refuse", ()).
        self._to_repair: tuple[str, frozenset[str]] | None = None
        self._intended = ""  # the teacher questioner's predicate for the question it is asking
        self._restate = False  # the teacher questioner must ask its question again, clearly
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
            name = self.game.resolve_name(move.text)
            if name is None or name not in self.candidates:
                raise RuleError(prompts.not_a_candidate(move.text, self.candidates))
            self._to_repair = None
            return self._guess(name, by_question=False)
        if move.kind == "clarify":
            return self._clarify(move.text)
        return self._answer(move.text)

    def _holds(self, pred: str, name: str) -> bool:
        return holds(pred, self.table.get(name), self.table)

    def _settled(self, pred: str) -> bool:
        """Whether the answers so far already decide ``pred`` (every candidate left agrees on it) although the
        candidate list alone did not: asking it again ignores what was said."""
        if not self.asked:
            return False
        now = {self._holds(pred, c) for c in self.remaining}
        return len(now) == 1 and len({self._holds(pred, c) for c in self.candidates}) == 2

    def _repair_note(self, res: Resolution | None) -> dict[str, bool]:
        """``repaired`` for the questioner's move after a clarification request or a refusal: did it ask one
        clear thing (after a clarification: about one of the topics offered)?"""
        pending, self._to_repair = self._to_repair, None
        if pending is None:
            return {}
        kind, families = pending
        clear = res is not None and res.kind == "answer"
        if kind == "clarify" and clear and res is not None:
            return {"repaired": family(res.pred) in families}
        return {"repaired": clear}

    def _question(self, text: str) -> float:
        if self.asked >= self.max_questions:
            raise RuleError(prompts.NO_QUESTIONS_LEFT.format(max_questions=self.max_questions))
        res = resolve(text, self.table)
        if res.kind == "refuse":
            self._to_repair = ("refuse", frozenset())
            raise RuleError(res.message)
        if res.kind == "answer" and res.pred.startswith("is="):
            name = res.pred.partition("=")[2]
            if name not in self.candidates:
                raise RuleError(prompts.not_a_candidate_question(name, self.candidates))
            repair = self._repair_note(res)
            return self._guess(name, by_question=True, **repair)
        if res.kind == "clarify":
            if self.clarifications >= MAX_CLARIFICATIONS:
                self._to_repair = ("refuse", frozenset())
                raise RuleError(prompts.TOO_MANY_CLARIFICATIONS.format(message=res.message))
            self.note(act="question", vague=True, topics=list(res.topics), relayed=True, **self._repair_note(res))
            readings = tuple(f'"{render(t)}"' for t in res.topics if not t.startswith("vague:"))
            self.current_question = Pending(text, "", True, res.topics, res.message, readings=readings)
            self.tell("answerer", prompts.relay_question(text), "observation", speaker="questioner")
            self.expect("answerer")
            return CLARIFIED_PENALTY
        pred = res.pred
        yes = [c for c in self.remaining if self._holds(pred, c)]
        entropy = split_entropy(len(yes), len(self.remaining))
        # The answer that will be accepted is the truth, so the bits this question gains are known now:
        # log2(before / after), normalised by the bits needed at the start (log2 N).
        after = len(yes) if self._holds(pred, self.target) else len(self.remaining) - len(yes)
        gained = math.log2(len(self.remaining) / max(1, after)) / math.log2(max(2, len(self.candidates)))
        notes: dict[str, Any] = {"act": "question", "pred": pred, "remaining": len(self.remaining),
                                 "yes": len(yes), "split_entropy": round(entropy, 4),
                                 "uninformative": entropy == 0.0, "relayed": True, **self._repair_note(res)}
        if self.asked:
            notes["consistent"] = not self._settled(pred)
        self.note(**notes)
        self.current_question = Pending(text, pred, False)
        self.tell("answerer", prompts.relay_question(text), "observation", speaker="questioner")
        self.expect("answerer")
        return UNINFORMATIVE_PENALTY if entropy == 0.0 else round(gained, 4)

    def _first(self, pending: Pending) -> bool:
        first = not pending.responded
        pending.responded = True
        return first

    def _clarify(self, text: str) -> float:
        p = self.current_question
        assert p is not None  # the answerer is only expected after a question
        if self.clarifications >= MAX_CLARIFICATIONS:
            p.responded = True
            raise RuleError(prompts.NO_CLARIFICATIONS_LEFT)
        first = self._first(p)
        self.clarifications += 1
        self.note(act="clarify", ambiguous=p.ambiguous, first=first, right=first and p.ambiguous)
        self.tell("questioner", text, "clarification", speaker="answerer")
        if p.ambiguous:
            self._after_unanswered(p)
            return ANSWER_REWARD
        self._to_repair = None
        self._restate = True
        self.current_question = None
        self.expect("questioner")
        return NEEDLESS_CLARIFY_PENALTY

    def _after_unanswered(self, p: Pending) -> None:
        """An ambiguous question ends without an answer: the questioner asks again."""
        named = frozenset(t.removeprefix("vague:") if t.startswith("vague:") else family(t) for t in p.topics)
        self._to_repair = ("clarify", named)
        self._restate = True
        self.current_question = None
        self.expect("questioner")

    def _answer(self, answer: str) -> float:
        p = self.current_question
        assert p is not None  # the answerer is only expected after a question
        first = self._first(p)
        could_ask = self.clarifications < MAX_CLARIFICATIONS
        ask_note: dict[str, Any] = {"ambiguous": p.ambiguous} if could_ask else {}
        if p.ambiguous:
            self.note(act="answer", first=first, right=False, **ask_note)
            self.clarifications += 1
            why = prompts.ambiguity(p.topics, p.readings)
            self.tell("answerer", prompts.ambiguous_answered(answer, why), "correction")
            self.tell("questioner", prompts.ambiguous_for_questioner(p.why_questioner), "clarification")
            self._after_unanswered(p)
            return WRONG_ANSWER_PENALTY
        truth = "yes" if self._holds(p.pred, self.target) else "no"
        correct = answer == truth
        notes: dict[str, Any] = {"act": "answer", "pred": p.pred, "correct": correct, "consistent": correct,
                                 "first": first, "right": first and correct, **ask_note}
        if p.wrong:
            notes["repaired"] = correct
        self.note(**notes)
        if not correct:
            p.wrong += 1
            if p.wrong >= MAX_WRONG_ANSWERS:
                self.tell("answerer", prompts.TOO_MANY_WRONG, "environment")
                self.finish("aborted", f"answerer ({self.roles['answerer']}): {MAX_WRONG_ANSWERS} wrong answers "
                            f"to {p.text!r}", fault="answerer")
                return WRONG_ANSWER_PENALTY
            about = topic(p.pred, self.table.get(self.target), self.table)
            self.tell("answerer", prompts.wrong_answer(answer, about, p.text), "correction")
            self.expect("answerer")
            return WRONG_ANSWER_PENALTY
        self.asked += 1
        self.remaining = [c for c in self.remaining if self._holds(p.pred, c) == (truth == "yes")]
        self.current_question = None
        self._restate = False
        self.tell("questioner", prompts.relay_answer(answer), "observation", speaker="answerer")
        self.tell("questioner", prompts.questions_left(self.asked, self.max_questions), "environment")
        self.expect("questioner")
        return ANSWER_REWARD

    def _guess(self, name: str, *, by_question: bool, **extra: bool) -> float:
        correct = name == self.target
        self.note(act="guess", guess=name, correct=correct, consistent=name in self.remaining,
                  remaining=len(self.remaining), by_question=by_question, **extra)
        prefix = prompts.guess_by_question(name) if by_question else ""
        self.tell("answerer", prompts.guess_for_answerer(name, correct), "environment", speaker="questioner")
        if correct:
            self.tell("questioner", prompts.won(name, self.asked, prefix), "environment")
            self.finish("success", f"guessed {name} after {self.asked} questions")
            return SUCCESS_REWARD
        self.tell("questioner", prompts.lost(name, self.target, prefix), "environment")
        self.finish("lose", f"guessed {name}, the animal was {self.target}")
        return 0.0

    # ----------------------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        if role == "answerer":
            p = self.current_question
            assert p is not None
            if p.ambiguous:
                return "CLARIFY: " + p.why_questioner
            return "ANSWER: " + ("yes" if self._holds(p.pred, self.target) else "no")
        if self._restate and self._intended:
            self._restate = False
            return f"QUESTION: {self._wording(self._intended)}"
        if self.asked < self.max_questions and len(self.remaining) > 1:
            pred = self._next_predicate()
            if pred is not None:
                self._intended = pred
                return f"QUESTION: {self._maybe_probe(pred)}"
        # One candidate left (or no question separates those left): guess.
        pool = self.remaining or self.candidates
        return f"GUESS: {pool[0] if len(pool) == 1 else self.rng.choice(pool)}"

    def _next_predicate(self) -> str | None:
        """The question that best splits the remaining candidates, from public information only."""
        if self._masks is None:
            self._masks = predicate_masks(self.table, self.candidates)
        rem = sum(1 << self.candidates.index(c) for c in self.remaining)
        return best_predicate(self._masks, rem, self.rng)

    def _wording(self, pred: str) -> str:
        """Opposite a learner answerer, any wording of the question (understanding it is the answerer's work);
        otherwise the canonical one."""
        if self.learner_role != "answerer":
            return render(pred)
        return self.rng.choice(wordings(pred, self.table))

    def _maybe_probe(self, pred: str) -> str:
        """Opposite a learner answerer, sometimes an ambiguous wording first (the answerer should ask back)."""
        if (self.learner_role != "answerer" or self.probes >= MAX_PROBES
                or self.clarifications + 1 >= MAX_CLARIFICATIONS or self.rng.random() >= PROBE_RATE):
            return self._wording(pred)
        text = probe(pred, self.table, self.rng)
        if text is None:
            return self._wording(pred)
        self.probes += 1
        return text

    # ------------------------------------------------------------------------------ random
    def random_move(self, role: str, rng: random.Random) -> str:
        if role == "answerer":
            legal = ["ANSWER: yes", "ANSWER: no"]
            if self.clarifications < MAX_CLARIFICATIONS:
                legal.append("CLARIFY: What do you mean?")
            return rng.choice(legal)
        if self.asked >= self.max_questions or rng.random() < 0.25:
            return f"GUESS: {rng.choice(self.candidates)}"
        return f"QUESTION: {render(rng.choice(self.game.question_preds))}"


class GuessWhatGame(Game):
    """Behaviour of guesswhat; :class:`GuessWhat` adds the card. ``table`` is injectable for tests."""

    name = "guesswhat"
    version = 2
    roles = ("questioner", "answerer")
    learner_roles = ("questioner", "answerer")
    experiments = tuple(SIZES)
    # 28 test items per experiment (84 per role): the reference player's and random player's 95% intervals
    # stay well within +-10 points.
    split_sizes: ClassVar[dict[str, int]] = {"train": 100, "validation": 20, "test": 28}
    # 20 questions + 5 clarifications + 1 guess by the questioner, 20 answers (3 tries each), 5 probes
    # restated; any learner move may follow up to 4 invalid ones. Never the binding limit in practice.
    max_moves: ClassVar[int] = 200
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"questioner": QUESTIONER_KEYWORDS,
                                                           "answerer": ANSWERER_KEYWORDS}
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "questions": (0.0, float(MAX_QUESTIONS)),
        "clarifications": (0.0, float(MAX_CLARIFICATIONS)),
        "information_gain": (0.0, 1.0),
        "uninformative_questions": (0.0, float(MAX_QUESTIONS)),
        "settled_questions": (0.0, float(MAX_QUESTIONS)),
        "found_by_questions": (0.0, 1.0),
        "answer_accuracy": (0.0, 1.0),
        "ambiguous_questions": (0.0, float(MAX_CLARIFICATIONS)),
    }

    def __init__(self, table: Table | None = None) -> None:
        self.table: Table = table if table is not None else load_table()
        self._names: dict[str, str] = {}
        for animal in self.table.animals:
            for alias in (animal.name, *animal.aliases):
                self._names.setdefault(alias.lower(), animal.name)
        self.question_preds: tuple[str, ...] = question_predicates(self.table)
        # What the askable questions say about each animal: two animals with equal signatures cannot be told
        # apart by questions, so an instance never holds both.
        self.signatures: dict[str, tuple[bool, ...]] = {
            a.name: tuple(holds(p, a, self.table) for p in self.question_preds) for a in self.table.animals}

    def resolve_name(self, text: str) -> str | None:
        """The table name an answer or guess refers to (``"Hippopotamus"`` -> ``"hippo"``), or ``None``."""
        return self._names.get(" ".join(text.lower().split()))

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        size = SIZES[experiment]
        names = sorted(a.name for a in self.table.animals)
        for _ in range(MAX_DRAWS):
            # A candidate set: animals in a random order, each kept unless no askable question tells it apart
            # from one already kept. The set decides the split, so no set is in two splits.
            order = list(names)
            rng.shuffle(order)
            chosen: list[str] = []
            for name in order:
                if len(chosen) == size:
                    break
                if all(self.signatures[name] != self.signatures[c] for c in chosen):
                    chosen.append(name)
            if split_of(candidates_key(chosen), salt=SPLIT_SALT) == split:
                break
        else:  # pragma: no cover - p(no hit) = 0.85^1000
            raise ValueError(f"guesswhat: no {experiment} candidate set falls into split {split!r}")
        # The target is a uniform draw among the candidates, after the set and its split: nothing a player sees
        # (the list, its order, which split the set is in) makes one candidate likelier than another.
        target = rng.choice(chosen)
        rng.shuffle(chosen)
        return {"candidates": chosen, "target": target, "max_questions": MAX_QUESTIONS}

    def instance_key(self, params: dict[str, Any]) -> str:
        """The target and the set of candidates (their order is incidental)."""
        return params["target"] + "|" + ",".join(sorted(params["candidates"]))

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return game_policies(role)

    def episode_class(self) -> type[Episode]:
        return GuessWhatEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        return game_scores(record)
