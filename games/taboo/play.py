"""The taboo episode: the state machine, the teacher's moves in both roles, the random player and the notes
CLU2's collaborative sub-metrics read. The rules are on the game card (``Taboo``'s docstring)."""

from __future__ import annotations

import random
from functools import cache
from typing import TYPE_CHECKING

from ..episode import Episode, RuleError
from . import prompts
from .bank import load_bank
from .listener import Decision, Listener
from .moves import Move, parse_describer, parse_guesser
from .reading import misread
from .stems import find_taboo

if TYPE_CHECKING:
    from .game import Taboo

__all__ = ["QUESTION_COST", "TabooEpisode", "taboo_in"]

#: What a question costs in the main score, in guesses: asking is worth it only when two words really fit.
QUESTION_COST = 0.5
#: Rewards per move (a question costs a share of a wrong guess's penalty, as it does in the score).
_RIGHT, _WRONG = 1.0, -0.2
_QUESTION = QUESTION_COST * _WRONG
#: Most shaping reward a clue earns for lifting the target in the listener's ranking, and the step per place.
_SHAPING_CAP, _SHAPING_STEP = 0.3, 0.05


def taboo_in(clue: str, forbidden: list[str], listener: Listener) -> str | None:
    """The forbidden word a clue uses, as the taboo check reads it: as a person does (``find_taboo``: forms;
    ``misread``: misspellings, coinages, reversals, clippings) and as the listener's tokenizer does."""
    return find_taboo(clue, forbidden) or misread(clue, forbidden) or listener.reads_forbidden(clue, forbidden)


@cache
def _clue_vocabulary() -> tuple[str, ...]:
    """The words of every clue in the bank: the random describer's vocabulary."""
    words = {w.strip(".,;:!?'\"").lower() for e in load_bank() for c in e.clues for w in c.split()}
    return tuple(sorted(w for w in words if w.isalpha() and len(w) >= 3))


class TabooEpisode(Episode):
    """One taboo episode. State: the valid clues so far, the wrong guesses, the guesser's questions and the
    candidates they named, and the correction (if any) the next move must repair."""

    max_rule_repairs = 1  # one chance to rephrase a taboo clue; a second violation in a row aborts
    game: Taboo

    def start(self) -> None:
        p = self.params
        self.target: str = str(p["target"]).lower()
        self.forbidden: list[str] = [self.target, *p["taboo"]]
        self.candidates: list[str] = list(p["candidates"])
        self.max_guesses: int = int(p.get("max_guesses", 3))
        self.clues: list[str] = []
        self.wrong: list[str] = []
        self.asked: list[str] = []  # candidates the guesser's questions named ("Do you mean X or Y?")
        self.clarifications = 0
        self.asked_since_clue = False
        self.wrong_since_clue = False
        self.repair: tuple[str, str] | None = None  # ("taboo", word) or ("repeat", word): what was corrected
        self.listener: Listener = self.game.listener()
        self.tell("describer", prompts.describer_instructions(self.target, p["taboo"], self.max_guesses),
                  "instruction")
        self.tell("guesser", prompts.guesser_instructions(self.max_guesses, self.candidates), "instruction")
        self.expect("describer")

    # ---------------------------------------------------------------- moves
    def parse(self, role: str, text: str) -> Move:
        return parse_describer(text) if role == "describer" else parse_guesser(text)

    def apply(self, role: str, move: Move) -> float:
        if move.kind == "clue":
            return self._clue(move.text)
        if move.kind == "clarify":
            return self._clarify(move.text)
        return self._guess(move.text)

    def _clue(self, clue: str) -> float:
        hit = taboo_in(clue, self.forbidden, self.listener)
        if hit is not None:
            if self.repair is not None and self.repair[0] == "taboo":
                self.note(repaired=False)
            self.repair = ("taboo", hit)
            raise RuleError(prompts.taboo_used(hit, self.forbidden))
        self.note(act="answer" if self.asked_since_clue else "describe")
        after: Decision | None = None
        if self.is_teacher("describer"):
            reward = 0.0  # teacher moves are not trained on
        else:
            after = self._decision([*self.clues, clue])
            reward = self._clue_reward(after)
        if self.repair is not None and self.repair[0] == "taboo":
            self.note(repaired=True)  # a valid clue holds none of the forbidden words, the named one included
        elif self.wrong_since_clue and after is not None:
            # The guesser's wrong guess named a misunderstanding; the clue repairs it if the listener now
            # takes the target for the best candidate.
            self.note(repaired=after.ranking[0][0] == self.target)
        self.repair = None
        self.clues.append(clue)
        self.asked_since_clue = self.wrong_since_clue = False
        self.tell("guesser", prompts.relay_clue(clue), "observation", speaker="describer")
        self.expect("guesser")
        return reward

    def _clarify(self, question: str) -> float:
        # A question past the clarification budget (one per clue, three in all) was not the right move.
        self.note(act="clarify", ambiguous=self._may_ask() and self._ambiguous())
        self.repair = None
        self.clarifications += 1
        self.asked_since_clue = True
        self.asked += [c for c in self.candidates if c not in self.asked and find_taboo(question, [c])]
        self.tell("describer", f"CLARIFY: {question}", "clarification", speaker="guesser")
        self.expect("describer")
        return _QUESTION

    def _guess(self, word: str) -> float:
        if word in self.wrong:
            if self.repair is not None and self.repair[0] == "repeat":
                self.note(repaired=False)
            self.repair = ("repeat", word)
            raise RuleError(prompts.repeated_guess(word))
        # A guess outside the candidate list contradicts what the guesser was told: legal, but inconsistent.
        self.note(act="guess", consistent=word in self.candidates)
        if self._may_ask():  # the situation is a clarification decision only while a question may be asked
            self.note(ambiguous=self._ambiguous())
        if self.repair is not None and self.repair[0] == "repeat":
            self.note(repaired=True)  # any valid guess differs from the repeated one
        self.repair = None
        if word == self.target:
            self.tell("guesser", prompts.correct_for_guesser(self.target), "environment")
            self.tell("describer", prompts.correct_for_describer(self.target), "environment")
            self.finish("success", f"guessed in {len(self.wrong) + 1}")
            return _RIGHT
        self.wrong.append(word)
        self.wrong_since_clue = True
        left = self.max_guesses - len(self.wrong)
        if left <= 0:
            for role in self.game.roles:
                self.tell(role, prompts.lost(word, self.target), "environment")
            self.finish("lose", f"{self.max_guesses} wrong guesses")
        else:
            self.tell("guesser", prompts.wrong_for_guesser(word, left), "environment")
            self.tell("describer", prompts.wrong_for_describer(word, left), "environment")
            self.expect("describer")
        return _WRONG

    # -------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        if role == "describer":
            return prompts.relay_clue(self._next_bank_clue())
        return self._decision(self.clues, may_ask=self._may_ask()).move

    def _next_bank_clue(self) -> str:
        """The bank's clues in order; once they have all been given, each again in turn ("Once more: ...")."""
        bank_clues = [str(c) for c in self.params["clues"]]
        n = len(self.clues)
        return bank_clues[n] if n < len(bank_clues) else prompts.restate(bank_clues[(n - len(bank_clues))
                                                                                     % len(bank_clues)])

    def _may_ask(self) -> bool:
        return not self.asked_since_clue and self.clarifications < self.game.max_clarifications

    def _decision(self, clues: list[str], *, may_ask: bool | None = None) -> Decision:
        if may_ask is None:
            may_ask = self.clarifications < self.game.max_clarifications
        return self.listener.decide(clues, self.candidates, self.wrong, self.asked, may_ask=may_ask)

    def _ambiguous(self) -> bool:
        """Ground truth for the guesser: the clues so far leave the best two candidates still in play within
        the listener's margin (they fit about equally well), so asking is the right move."""
        return self.listener.unsure(self.listener.rank(self.clues, self.candidates, self.wrong, self.asked))

    def _clue_reward(self, after: Decision) -> float:
        """+1 if the teacher listener will now guess the target; else 0.05 per place the clue lifts it."""
        if after.action == "guess" and after.words[0] == self.target:
            return _RIGHT
        if self.clues:
            ranking = self.listener.rank(self.clues, self.candidates, self.wrong, self.asked)
            before = Listener.rank_of(self.target, ranking)
        else:
            before = (len(after.ranking) + 1) / 2  # no clue yet: the target is anywhere, on average mid-pool
        gain = before - Listener.rank_of(self.target, after.ranking)
        return round(min(_SHAPING_CAP, _SHAPING_STEP * max(0.0, gain)), 4)

    # ------------------------------------------------------- random player
    def random_move(self, role: str, rng: random.Random) -> str:
        """A random legal move: six words of the bank's clue vocabulary that are not forbidden, or a guess of
        a candidate not yet guessed."""
        if role == "describer":
            if not hasattr(self, "_random_words"):  # filtered once per episode: thousands of taboo checks
                self._random_words = [w for w in _clue_vocabulary()
                                      if taboo_in(w, self.forbidden, self.listener) is None]
            return "CLUE: " + " ".join(rng.sample(self._random_words, 6))
        return "GUESS: " + rng.choice(sorted(set(self.candidates) - set(self.wrong)))
