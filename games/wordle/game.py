"""The wordle episode (guesser, optional critic, programmatic teacher) and the game class without its card.

The card lives on :class:`playschool.games.wordle.Wordle`; this module holds the behaviour it documents.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..episode import Episode, FormatError, RuleError
from ..game import Game
from ..records import EpisodeRecord, Instance
from ..seeding import cycle_pick, split_of
from . import prompts
from .rules import (
    GREEN,
    YELLOW,
    Constraints,
    Entry,
    consistent,
    feedback,
    format_feedback,
    is_word,
    load_allowed,
    load_targets,
)

MAX_GUESSES = 6
#: Chance that the teacher guesser proposes a deliberately inconsistent word (learner critic, round 2 on).
P_INCONSISTENT = 0.4
#: Strong, common openers; the teacher picks one with its rng so first rounds vary between instances.
OPENERS = ("crane", "slate", "trace", "crate", "stare", "raise", "arise", "least", "slant", "react")
#: At most this many violated constraints are named in one DISAGREE (the rest are counted).
MAX_REASONS = 3
#: Explanations forwarded to the critic are cut here: enough for a sentence, bounded for hostile replies.
MAX_EXPLANATION = 300

_GUESS_LINE = re.compile(r"GUESS:(.*)", re.IGNORECASE)
_EXPLANATION = re.compile(r"EXPLANATION:", re.IGNORECASE)
_AGREE = re.compile(r"AGREE", re.IGNORECASE)
_DISAGREE = re.compile(r"DISAGREE:(.*)", re.IGNORECASE | re.DOTALL)


# ------------------------------------------------------------------ parsing (shared by episode and scorer)
@dataclass(frozen=True)
class Guess:
    word: str
    explanation: str = ""


@dataclass(frozen=True)
class Verdict:
    agree: bool
    reason: str = ""


def parse_guess(text: str) -> Guess:
    """``GUESS: <word>`` on the first line, then at most an ``EXPLANATION: ...``; raises :class:`FormatError`."""
    body = text.strip()
    first, _, rest = body.partition("\n")
    m = _GUESS_LINE.fullmatch(first.strip())
    if not m:
        raise FormatError(prompts.FORMAT_ERROR_GUESS.format(
            problem="Your reply does not start with a line 'GUESS: <word>'."))
    token = m.group(1).strip()
    word = token.lower()
    if not is_word(word):
        problem = (f"'{token[:20]}' is not one five-letter word made of the letters A-Z." if token else
                   "The GUESS line has no word.")
        raise FormatError(prompts.FORMAT_ERROR_GUESS.format(problem=problem))
    rest = rest.strip()
    if rest and not _EXPLANATION.match(rest):
        raise FormatError(prompts.FORMAT_ERROR_GUESS.format(
            problem="Only an optional 'EXPLANATION: ...' line may follow the GUESS line."))
    explanation = rest[len("EXPLANATION:"):].strip() if rest else ""
    return Guess(word, explanation)


def parse_verdict(text: str) -> Verdict:
    """``AGREE`` alone, or ``DISAGREE: <reason>`` with a non-empty reason; raises :class:`FormatError`."""
    body = text.strip()
    if _AGREE.fullmatch(body):
        return Verdict(True)
    m = _DISAGREE.match(body)
    if m and m.group(1).strip():
        return Verdict(False, m.group(1).strip())
    problem = ("'DISAGREE:' must be followed by a reason." if m else
               "Your reply is neither 'AGREE' nor 'DISAGREE: <reason>'.")
    raise FormatError(prompts.FORMAT_ERROR_CRITIC.format(problem=problem))


def guess_reward(marks: Sequence[str], word: str, history: Sequence[Entry], won: bool) -> float:
    """Shaping for a scored guess: 0.2 per newly green position, 0.1 per newly found letter, +1 on success."""
    known_green = {i for g, ms in history for i, m in enumerate(ms) if m == GREEN}
    known_letters = {g[i] for g, ms in history for i, m in enumerate(ms) if m in (GREEN, YELLOW)}
    new_greens = sum(1 for i, m in enumerate(marks) if m == GREEN and i not in known_green)
    new_yellows = len({word[i] for i, m in enumerate(marks) if m == YELLOW} - known_letters)
    return round((2 * new_greens + new_yellows) / 10 + (1.0 if won else 0.0), 6)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "es")


# ------------------------------------------------------------------------------------------------ episode
class WordleEpisode(Episode):
    game: WordleGame

    def start(self) -> None:
        self.target: str = str(self.params["target"]).lower()
        self.max_guesses = int(self.params.get("max_guesses", MAX_GUESSES))
        self.with_critic = bool(self.params.get("critic", False))
        self.p_inconsistent = float(self.params.get("p_inconsistent", P_INCONSISTENT))
        self.history: list[Entry] = []
        # "propose" -> "review" (critic's turn) -> "final" in the critic variant; always "final" without one.
        self.phase = "propose" if self.with_critic else "final"
        self.proposal: str | None = None
        self.verdict: Verdict | None = None
        # Targets still consistent with the feedback: the teacher solver's pool. Narrowed lazily, only when
        # the teacher guesses, so episodes where the learner guesses pay nothing for it.
        self._candidates: list[str] = list(self.game.targets)
        self._narrowed = 0
        fmt = {"max_guesses": self.max_guesses, "feedback_rules": prompts.FEEDBACK_RULES,
               "guess_format": prompts.GUESS_FORMAT}
        if self.with_critic:
            self.tell("guesser", prompts.GUESSER_CRITIC.format(**fmt), "instruction")
            self.tell("critic", prompts.CRITIC.format(**fmt), "instruction")
        else:
            self.tell("guesser", prompts.GUESSER_PLAIN.format(**fmt), "instruction")
        self.expect("guesser")

    # -------------------------------------------------------------- parse / apply
    def parse(self, role: str, text: str) -> Any:
        return parse_guess(text) if role == "guesser" else parse_verdict(text)

    def apply(self, role: str, move: Any) -> float:
        if role == "critic":
            return self._review(move)
        if move.word not in self.game.allowed and move.word != self.target:
            raise RuleError(prompts.NOT_IN_LIST.format(word=move.word.upper()))
        if self.phase == "propose":
            return self._propose(move)
        return self._score(move.word)

    def _propose(self, guess: Guess) -> float:
        self.proposal = guess.word
        n = len(self.history) + 1
        explanation = guess.explanation[:MAX_EXPLANATION]
        self.tell("critic", prompts.PROPOSAL.format(
            word=guess.word.upper(), n=n, max_guesses=self.max_guesses,
            explanation=f"\nIts explanation: {explanation}" if explanation else ""),
            "observation", speaker="guesser")
        self.phase = "review"
        self.expect("critic")
        return 0.0  # a proposal is not scored; the final guess of the round is

    def _review(self, verdict: Verdict) -> float:
        assert self.proposal is not None  # the critic is only expected after a proposal
        self.verdict = verdict
        word = self.proposal.upper()
        if verdict.agree:
            self.tell("guesser", prompts.CRITIC_AGREES.format(word=word), "observation", speaker="critic")
        else:
            self.tell("guesser", prompts.CRITIC_DISAGREES.format(word=word, reason=verdict.reason),
                      "correction", speaker="critic")
        self.tell("guesser", prompts.FINAL.format(word=word, n=len(self.history) + 1,
                                                  max_guesses=self.max_guesses), "instruction")
        self.phase = "final"
        self.expect("guesser")
        truth = consistent(self.proposal, self.history)
        return 1.0 if verdict.agree == truth else -1.0

    def _score(self, word: str) -> float:
        marks = feedback(word, self.target)
        won = word == self.target
        reward = guess_reward(marks, word, self.history, won)
        self.history.append((word, marks))
        n = len(self.history)
        scored = prompts.SCORED.format(n=n, max_guesses=self.max_guesses, word=word.upper(),
                                       marks=format_feedback(word, marks))
        if won:
            end = prompts.WON.format(word=word.upper(), n=n, es="" if n == 1 else "es")
        elif n >= self.max_guesses:
            end = prompts.LOST.format(target=self.target.upper())
        else:
            left = _plural(self.max_guesses - n, "guess")
            end = (prompts.NEXT_CRITIC if self.with_critic else prompts.NEXT_PLAIN).format(left=left)
        self.tell("guesser", f"{scored}\n{end}", "environment")
        if self.with_critic:
            saw = prompts.CRITIC_SAW.format(n=n, max_guesses=self.max_guesses, word=word.upper(),
                                            marks=format_feedback(word, marks))
            over = won or n >= self.max_guesses
            self.tell("critic", saw + ("\nThe game is over." if over else ""), "observation")
        if won:
            self.finish("success", f"found {self.target} in {n}")
        elif n >= self.max_guesses:
            self.finish("lose", f"{self.target} not found in {self.max_guesses} guesses")
        else:
            self.phase = "propose" if self.with_critic else "final"
            self.proposal, self.verdict = None, None
            self.expect("guesser")
        return reward

    # ------------------------------------------------------------------ teacher
    def teacher_move(self, role: str) -> str:
        if role == "critic":
            assert self.proposal is not None
            if consistent(self.proposal, self.history):  # the cheap check first; reasons only when needed
                return "AGREE"
            reasons = Constraints(self.history).check(self.proposal)
            more = len(reasons) - MAX_REASONS
            return "DISAGREE: " + "; ".join(reasons[:MAX_REASONS]) + (f"; and {more} more" if more > 0 else "")
        if self.phase == "propose":
            # Only a learner critic needs traps; from round 2 on, since every first proposal is consistent.
            if self.learner_role == "critic" and self.history and self.rng.random() < self.p_inconsistent:
                return f"GUESS: {self._inconsistent_word()}"
            return f"GUESS: {self._solver_word()}"
        if self.with_critic and self.proposal is not None:
            assert self.verdict is not None
            if not self.verdict.agree and not consistent(self.proposal, self.history):
                return f"GUESS: {self._solver_word()}"
            return f"GUESS: {self.proposal}"
        return f"GUESS: {self._solver_word()}"

    @property
    def candidates(self) -> list[str]:
        """Targets consistent with every scored guess so far."""
        for guess, marks in self.history[self._narrowed:]:
            self._candidates = [w for w in self._candidates if feedback(guess, w) == marks]
        self._narrowed = len(self.history)
        return self._candidates

    def _solver_word(self) -> str:
        if not self.history:
            openers = [w for w in OPENERS if w in self.game.allowed]
            if openers:
                return self.rng.choice(openers)
        # The target is always consistent with its own feedback, so this pool is never empty, even for a
        # hand-made instance whose target is missing from the target list.
        pool = self.candidates or [w for w in sorted(self.game.allowed) if consistent(w, self.history)]
        return self.rng.choice(pool or [self.target])

    def _inconsistent_word(self) -> str:
        """A plausible trap: a target breaking the fewest constraints. Earlier guesses are left out: spotting
        a repeat takes no reasoning about the feedback."""
        check = Constraints(self.history)
        guessed = {g for g, _ in self.history}
        counted = [(len(check.check(w)), w) for w in self.game.targets if w not in guessed]
        counted = [(k, w) for k, w in counted if k > 0]
        if not counted:
            return self._solver_word()
        fewest = min(k for k, _ in counted)
        return self.rng.choice([w for k, w in counted if k == fewest])


# --------------------------------------------------------------------------------------------- scoring
@dataclass
class _Replay:
    """What happened in a record, recomputed from its params and move texts (the scorer keeps no state)."""

    scored: list[tuple[str, bool]] = field(default_factory=list)  # (word, consistent with earlier feedback)
    judgements: list[bool] = field(default_factory=list)  # critic verdict matched the truth
    disagreements: int = 0
    changed_after_disagree: int = 0


def replay(record: EpisodeRecord) -> _Replay:
    params = record.instance.get("params", {})
    target = str(params.get("target", "")).lower()
    with_critic = bool(params.get("critic", False))
    out = _Replay()
    history: list[Entry] = []
    proposal: str | None = None
    verdict: Verdict | None = None
    for t in record.turns:
        if t.kind != "move" or not (t.parse or {}).get("ok"):
            continue  # only accepted moves change the state; errors are counted by the base scorer
        if t.speaker == "critic":
            if proposal is not None:
                verdict = parse_verdict(t.text)
                out.judgements.append(verdict.agree == consistent(proposal, history))
            continue
        word = parse_guess(t.text).word
        if with_critic and proposal is None:
            proposal = word
            continue
        if verdict is not None and not verdict.agree:
            out.disagreements += 1
            out.changed_after_disagree += int(word != proposal)
        out.scored.append((word, consistent(word, history)))
        if len(target) == len(word):
            history.append((word, feedback(word, target)))
        proposal, verdict = None, None
    return out


class WordleGame(Game):
    """Behaviour of wordle; :class:`Wordle` adds the card. ``targets``/``allowed`` are injectable for tests."""

    name = "wordle"
    version = 1
    roles = ("guesser", "critic")
    learner_roles = ("guesser", "critic")
    experiments = ("plain", "critic")
    # Critic rounds have 3 moves (proposal, verdict, final guess); each may follow two failed repair attempts.
    max_moves: ClassVar[int] = MAX_GUESSES * 3 * (1 + max(Episode.max_format_repairs, Episode.max_rule_repairs))
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "guesses": (0.0, float(MAX_GUESSES)),
        "consistent_guess_rate": (0.0, 1.0),
        "critic_accuracy": (0.0, 1.0),
        "changed_after_disagree": (0.0, 1.0),
    }

    def __init__(self, targets: Sequence[str] | None = None, allowed: Sequence[str] | None = None) -> None:
        self.targets: tuple[str, ...] = tuple(targets) if targets is not None else load_targets()
        self.allowed: frozenset[str] = (frozenset(allowed) if allowed is not None else load_allowed()) \
            | frozenset(self.targets)
        # Split by word, not by instance, so a test target never appears in training instances.
        self.pools: dict[str, tuple[str, ...]] = {s: tuple(w for w in self.targets if split_of(w) == s)
                                                  for s in ("train", "validation", "test")}

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        pool = self.pools[split]
        if not pool:
            raise ValueError(f"wordle: no target word falls into split {split!r}")
        # Without replacement: a split's instances use every target of the split once before any repeats.
        target = cycle_pick(pool, index, key=f"{self.versioned_id}/{split}/{experiment}")
        params: dict[str, Any] = {"target": target, "max_guesses": MAX_GUESSES,
                                  "critic": experiment == "critic"}
        if experiment == "critic":
            params["p_inconsistent"] = P_INCONSISTENT
        return params

    def supports(self, instance: Instance, learner_role: str) -> bool:
        if learner_role == "critic":
            return bool(instance.params.get("critic", False))
        return super().supports(instance, learner_role)

    def episode_class(self) -> type[Episode]:
        return WordleEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        r = replay(record)
        guesses = len(r.scored)
        scores: dict[str, float] = {"guesses": float(guesses)}
        if r.judgements:
            scores["critic_accuracy"] = sum(r.judgements) / len(r.judgements)
        if record.learner_role == "critic":
            scores["main"] = 100.0 * scores.get("critic_accuracy", 0.0)
            return scores
        # clembench's speed score: fewer guesses, higher score; nothing for a lost game.
        scores["main"] = 100.0 / guesses if record.outcome == "success" and guesses else 0.0
        if guesses:
            scores["consistent_guess_rate"] = sum(ok for _, ok in r.scored) / guesses
        if r.disagreements:
            scores["changed_after_disagree"] = r.changed_after_disagree / r.disagreements
        return scores
