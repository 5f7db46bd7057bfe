"""The wordle episode: the guesser, the optional critic, the programmatic teacher for both, and the random
player. The card on :class:`playschool.games.wordle.Wordle` documents what this module does."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from ..episode import Episode, RuleError
from . import prompts
from .moves import Guess, Verdict, named_letters, parse_guess, parse_verdict
from .rules import GREEN, YELLOW, Constraints, Entry, consistent, feedback, format_feedback
from .scoring import judge

if TYPE_CHECKING:
    from .game import WordleGame

MAX_GUESSES = 6
#: Strong, common openers (none is a target): the teacher's first guess.
OPENERS = ("crane", "slate", "trace", "crate", "stare", "raise", "arise", "least", "slant", "react")
#: At most this many violated constraints are named in one DISAGREE (the rest are counted).
MAX_REASONS = 3
#: Explanations forwarded to the critic are cut here: enough for a sentence, bounded for hostile replies.
MAX_EXPLANATION = 300
#: What a proposal to a learner critic is, per reviewed round (from guess 2 on).
FITS, BREAKS = "fits", "breaks"
#: Templates the random critic fills with a random letter (and the last scored word): reasons in the game's
#: own vocabulary that name a constraint, right only by chance.
_RANDOM_REASONS = ("{L} was marked absent in {W}", "{L} must be in position {k} (green in {W})",
                   "{L} is in the word but not in position {k} (yellow in {W})")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def guess_reward(marks: Sequence[str], word: str, history: Sequence[Entry], won: bool) -> float:
    """Shaping for a scored guess: 0.2 per newly green position, 0.1 per newly found letter, +1 on success."""
    known_green = {i for g, ms in history for i, m in enumerate(ms) if m == GREEN}
    known_letters = {g[i] for g, ms in history for i, m in enumerate(ms) if m in (GREEN, YELLOW)}
    new_greens = sum(1 for i, m in enumerate(marks) if m == GREEN and i not in known_green)
    new_yellows = len({word[i] for i, m in enumerate(marks) if m == YELLOW} - known_letters)
    return round((2 * new_greens + new_yellows) / 10 + (1.0 if won else 0.0), 6)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "es")


class WordleEpisode(Episode):
    game: WordleGame

    def start(self) -> None:
        self.target: str = str(self.params["target"]).lower()
        self.max_guesses = int(self.params.get("max_guesses", MAX_GUESSES))
        self.with_critic = bool(self.params.get("critic", False))
        self.opener: str | None = self.params.get("opener")
        self.schedule: list[str] = list(self.params.get("proposals", []))
        # Whether reviewed proposals so far fitted the feedback (True) or broke it (False).
        self._kinds_seen: set[bool] = set()
        self.history: list[Entry] = []
        # In the critic experiment every round after the first goes "propose" -> "review" (the critic's
        # turn) -> "final"; the first round, with no feedback to check, and plain rounds are "final" only.
        self.phase = "final"
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
        self.note(act="propose")
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
        review = judge(self.proposal, self.history, verdict)
        self._kinds_seen.add(review.fits)
        self.note(act="accept" if verdict.agree else "reject", fits=review.fits, right=review.right)
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
        if review.right:
            return 1.0
        # A DISAGREE with a breaking word whose reason names nothing it breaks: the verdict, not the reason.
        return 0.0 if not review.fits and not review.agree else -1.0

    def _score(self, word: str) -> float:
        self._note_guess(word)
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

    def _note_guess(self, word: str) -> None:
        """Notes of a scored guess: whether it agrees with the feedback given so far (from the second guess
        on) and, after a disagreement that named a broken constraint, whether it fixes what was named."""
        notes: dict[str, Any] = {"act": "guess"}
        if self.history:
            notes["consistent"] = consistent(word, self.history)
        if self.proposal is not None and self.verdict is not None and not self.verdict.agree:
            named = set(named_letters(self.verdict.reason)) & Constraints(self.history).broken_letters(self.proposal)
            if named:
                notes["repaired"] = not (named & Constraints(self.history).broken_letters(word))
        self.note(**notes)

    # ------------------------------------------------------------------ teacher
    def teacher_move(self, role: str) -> str:
        if role == "critic":
            return self._teacher_verdict()
        if self.phase == "propose":
            return f"GUESS: {self._teacher_proposal()}"
        if self.proposal is not None and self.verdict is not None:
            # A guesser that trusts its critic: it keeps a word the critic agreed with, replaces one it did not.
            if self.verdict.agree:
                return f"GUESS: {self.proposal}"
            avoid = {self.proposal} | self._avoid(len(self._kinds_seen) < 2)
            fitting = self._fitting_words(avoid)
            if fitting:
                return f"GUESS: {self.rng.choice(fitting)}"
            # Nothing else fits and the target must wait: a near miss keeps the game (and the review) going.
            return f"GUESS: {self._inconsistent_word()}" if avoid - {self.proposal} else f"GUESS: {self.target}"
        if not self.history:
            if self.opener:
                return f"GUESS: {self.opener}"
            openers = [w for w in OPENERS if w in self.game.allowed]
            if openers:
                return f"GUESS: {self.rng.choice(openers)}"
        return f"GUESS: {self.rng.choice(self._fitting_words() or [self.target])}"

    def _teacher_proposal(self) -> str:
        """For a learner critic, a proposal of the kind the instance plans for this guess; otherwise the solver's
        word."""
        if self.learner_role != "critic":
            return self.rng.choice(self._fitting_words() or [self.target])
        review = len(self.history) - 1  # guess 2 is the first reviewed one
        kind = self.schedule[review] if review < len(self.schedule) else FITS
        if kind == FITS:
            # The game must not end before the critic has seen a breaking proposal too.
            fitting = self._fitting_words(self._avoid(False not in self._kinds_seen))
            if fitting:
                return self.rng.choice(fitting)
        return self._inconsistent_word()

    def _teacher_verdict(self) -> str:
        assert self.proposal is not None
        if consistent(self.proposal, self.history):  # the cheap check first; reasons only when needed
            return "AGREE"
        reasons = Constraints(self.history).check(self.proposal)
        more = len(reasons) - MAX_REASONS
        return "DISAGREE: " + "; ".join(reasons[:MAX_REASONS]) + (f"; and {more} more" if more > 0 else "")

    def _avoid(self, needed: bool) -> set[str]:
        """The target, while ``needed``: a learner critic must review both kinds of proposal before the game can
        end, so the teacher guesser does not play the target until it has."""
        return {self.target} if needed else set()

    @property
    def candidates(self) -> list[str]:
        """Targets consistent with every scored guess so far."""
        for guess, marks in self.history[self._narrowed:]:
            self._candidates = [w for w in self._candidates if feedback(guess, w) == marks]
        self._narrowed = len(self.history)
        return self._candidates

    def _fitting_words(self, avoid: Collection[str] = ()) -> list[str]:
        """Words consistent with all feedback, outside ``avoid``: targets if any fit (the target always fits its
        own feedback), else any allowed words."""
        pool = [w for w in self.candidates if w not in avoid]
        return pool or [w for w in self.game.allowed_list if w not in avoid and consistent(w, self.history)]

    def _inconsistent_word(self) -> str:
        """A plausible trap: a target breaking the fewest constraints. Earlier guesses are left out: spotting
        a repeat takes no reasoning about the feedback."""
        check = Constraints(self.history)
        guessed = {g for g, _ in self.history}
        counted = [(len(check.check(w)), w) for w in self.game.targets if w not in guessed]
        counted = [(k, w) for k, w in counted if k > 0]
        if not counted:
            return self.rng.choice(self._fitting_words() or [self.target])
        fewest = min(k for k, _ in counted)
        return self.rng.choice([w for k, w in counted if k == fewest])

    # ------------------------------------------------------------------ random player
    def random_move(self, role: str, rng: random.Random) -> str:
        """A random word of the word list; for the critic, AGREE or DISAGREE (even odds) with a reason in the
        game's vocabulary naming a random letter."""
        if role == "critic":
            if rng.random() < 0.5:
                return "AGREE"
            last = self.history[-1][0].upper() if self.history else "CRANE"
            reason = rng.choice(_RANDOM_REASONS).format(L=rng.choice(_LETTERS), W=last, k=rng.randint(1, 5))
            return f"DISAGREE: {reason}"
        return f"GUESS: {rng.choice(self.game.allowed_list)}"
