"""Taboo: the game card (:class:`Taboo`), the instance generator, the scorer and the episode state machine."""

from __future__ import annotations

import random
from typing import Any

from ..episode import Episode, MoveError, RuleError
from ..game import Game
from ..records import EpisodeRecord
from . import prompts
from .bank import BANDS, cell, load_bank
from .embedding import Embedder, default_embedder
from .listener import Decision, Listener
from .moves import Move, parse_describer, parse_guesser
from .stems import find_taboo

__all__ = ["Taboo", "TabooEpisode"]

_DISTRACTORS = 9
_MAX_GUESSES = 3


class Taboo(Game):
    """Taboo: describe a secret noun without saying its taboo words, or guess it from the clues.

    Roles: ``describer`` and ``guesser``; the learner may play either, the programmatic teacher plays the
    other. Experiments are the target's word-frequency band: ``high``, ``medium``, ``low`` (Zipf frequency
    from the clue bank). Each target noun belongs to one split by a hash of the word (``split_of``), so test
    targets never appear as targets in train or validation. Instance params: ``target``, its 3 ``taboo`` words,
    ``band``, ``zipf``, the bank's 3 ``clues``, ``candidates`` (the target and 9 distractors from the whole
    bank, shuffled; a distractor is never the target's taboo word or a form of it) and ``max_guesses`` (3).
    Should a band have no target in a split, the nearest band that has one supplies it (the shipped bank fills
    all nine band x split cells, and a test checks that).

    Action format (one line; leading spaces and letter case are forgiven; the first matching line counts):

    * describer: ``CLUE: <text>`` (at most 300 characters). The clue must not contain the target or a taboo
      word in any form (same word or same stem, ``stems.find_taboo``).
    * guesser: ``GUESS: <word>`` (one word of letters; quotes and end punctuation are ignored) or
      ``CLARIFY: <question>``.

    Play: the describer gives a clue, the guesser guesses or asks, the describer answers a question or a
    wrong guess with another clue. The guess must equal the target (case-insensitive). The episode ends in
    ``success`` on the right guess, ``lose`` after 3 wrong guesses (or at 30 moves in all), ``aborted`` after
    too many invalid moves: 2 repairs after a format error, 1 after a taboo/rule error (a second violation
    in a row aborts; as everywhere in the Playpen, repairs are counted per kind over the current run of
    invalid moves). Guessing the same wrong word again is a rule error.

    The teacher describer gives the bank's clues in order (the first one together with the instructions)
    and, once they run out, repeats the hint "The word has N letters and starts with "X"." (a terser
    wording where that one would say a taboo word, as for "envelope", taboo "letter"). It answers any
    question with its next clue. The teacher guesser is a listener with a sentence-embedding model
    (all-MiniLM-L6-v2, CPU, part of the teacher: see ``embedding.py``). It only picks among ``candidates``,
    which the describer never sees; a learner guesser guesses freely. The listener embeds all clues so far
    (joined), drops candidates already guessed and candidates the clues name (a valid clue never names the
    target), ranks the rest by cosine similarity rounded to 4 decimals (ties alphabetical). If the best two
    are less than ``Listener.clarify_margin`` (0.03) apart, it has not asked since the last clue and has
    asked fewer than ``max_clarifications`` (3) times, it asks ``CLARIFY: Do you mean X or Y?``; otherwise
    it guesses the best.

    Feedback kinds: ``instruction`` (rules, the secret word and taboo words for the describer); ``observation``
    (a clue relayed to the guesser, including the answer to a guesser's question); ``clarification`` (the
    guesser's question relayed to the describer); ``correction`` (format or taboo/rule error, with a chance to
    repair); ``environment`` (a guess was wrong with guesses left, right, or the game is lost).

    Rewards per move: guesser +1 right guess, -0.2 wrong guess, 0 question. Describer (learner-played): +1 for a
    clue after which the teacher listener guesses the target, else a shaping bonus of 0.05 per place the clue
    lifts the target in the listener's ranking (at most 0.3; before the first clue the target counts as
    mid-pool); the listener scores the clue even when someone else guesses. Format error -1, rule error
    -0.5. Teacher-played describer moves carry reward 0 (they are not trained on).

    Scores (from the record alone): ``main`` = 100 / guesses used on success, else 0 (clembench-style speed);
    ``guesses`` (0-3), ``clues`` (valid clues), ``taboo_violations`` (describer rule errors) and
    ``clarifications_asked`` (the guesser's questions, whoever plays it).

    Versions: v1 (first release).
    """

    name = "taboo"
    version = 1
    roles = ("describer", "guesser")
    learner_roles = ("describer", "guesser")
    experiments = BANDS
    max_moves = 30
    #: The teacher listener asks at most this many questions per episode, so an episode cannot stall in
    #: questions and answers.
    max_clarifications = 3
    score_ranges = {
        "guesses": (0.0, float(_MAX_GUESSES)),
        "clues": (0.0, float(max_moves)),
        "taboo_violations": (0.0, float(max_moves)),
        "clarifications_asked": (0.0, float(max_moves)),
    }

    def __init__(self, embedder: Embedder | None = None) -> None:
        # Another embedder makes another teacher: tests plug in a fake one. Scores from such a game are not
        # taboo-v1 scores.
        self._embedder = embedder

    def listener(self) -> Listener:
        """The teacher guesser's policy, on the game's embedder (MiniLM, loaded lazily, by default)."""
        return Listener(self._embedder if self._embedder is not None else default_embedder())

    # ------------------------------------------------------------ instances
    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        targets = cell(experiment, split)
        entry = targets[index % len(targets)]  # cycle through the cell: every target is used evenly
        forbidden = [entry.word, *entry.taboo]
        pool = sorted(e.word for e in load_bank()
                      if e.word != entry.word and find_taboo(e.word, forbidden) is None)
        candidates = [entry.word, *rng.sample(pool, _DISTRACTORS)]
        rng.shuffle(candidates)
        return {
            "target": entry.word, "taboo": list(entry.taboo), "band": entry.band, "zipf": entry.zipf,
            "clues": list(entry.clues), "candidates": candidates, "max_guesses": _MAX_GUESSES,
        }

    def episode_class(self) -> type[Episode]:
        return TabooEpisode

    # --------------------------------------------------------------- scoring
    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        guesses = clarifications = clues = violations = 0
        for t in record.turns:
            if t.kind != "move":
                continue
            parse = t.parse or {}
            if t.speaker == "describer":
                clues += bool(parse.get("ok"))
                violations += parse.get("error") == "rule"
            elif t.speaker == "guesser" and parse.get("ok"):
                try:
                    kind = parse_guesser(t.text).kind
                except MoveError:  # cannot happen for a move that parsed live; a hand-edited record is no crash
                    continue
                guesses += kind == "guess"
                clarifications += kind == "clarify"
        main = 100.0 / guesses if record.outcome == "success" and guesses else 0.0
        return {"main": main, "guesses": float(guesses), "clues": float(clues),
                "taboo_violations": float(violations), "clarifications_asked": float(clarifications)}


class TabooEpisode(Episode):
    """One taboo episode. State: the valid clues so far, the wrong guesses, and the listener's questions."""

    max_rule_repairs = 1  # one chance to rephrase a taboo clue; a second violation in a row aborts
    game: Taboo

    def start(self) -> None:
        p = self.params
        self.target: str = str(p["target"]).lower()
        self.forbidden: list[str] = [self.target, *p["taboo"]]
        self.candidates: list[str] = list(p["candidates"])
        self.max_guesses: int = int(p.get("max_guesses", _MAX_GUESSES))
        self.clues: list[str] = []
        self.wrong: list[str] = []
        self.clarifications = 0
        self.asked_since_clue = False
        self.listener = self.game.listener()
        self.tell("describer", prompts.describer_instructions(self.target, p["taboo"], self.max_guesses),
                  "instruction")
        self.tell("guesser", prompts.guesser_instructions(self.max_guesses), "instruction")
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
        hit = find_taboo(clue, self.forbidden)
        if hit is not None:
            raise RuleError(prompts.taboo_used(hit, self.forbidden))
        reward = 0.0 if self.is_teacher("describer") else self._clue_reward(clue)
        self.clues.append(clue)
        self.asked_since_clue = False
        self.tell("guesser", prompts.relay_clue(clue), "observation", speaker="describer")
        self.expect("guesser")
        return reward

    def _clarify(self, question: str) -> float:
        self.clarifications += 1
        self.asked_since_clue = True
        self.tell("describer", f"CLARIFY: {question}", "clarification", speaker="guesser")
        self.expect("describer")
        return 0.0

    def _guess(self, word: str) -> float:
        if word in self.wrong:
            raise RuleError(prompts.repeated_guess(word))
        if word == self.target:
            self.tell("guesser", prompts.correct_for_guesser(self.target), "environment")
            self.tell("describer", prompts.correct_for_describer(self.target), "environment")
            self.finish("success", f"guessed in {len(self.wrong) + 1}")
            return 1.0
        self.wrong.append(word)
        left = self.max_guesses - len(self.wrong)
        if left <= 0:
            for role in self.game.roles:
                self.tell(role, prompts.lost(word, self.target), "environment")
            self.finish("lose", f"{self.max_guesses} wrong guesses")
        else:
            self.tell("guesser", prompts.wrong_for_guesser(word, left), "environment")
            self.tell("describer", prompts.wrong_for_describer(word, left), "environment")
            self.expect("describer")
        return -0.2

    # -------------------------------------------------------------- teacher
    def teacher_move(self, role: str) -> str:
        if role == "describer":
            return prompts.relay_clue(self._next_bank_clue())
        return self._listener_decision(self.clues, may_ask=self._may_ask()).move

    def _next_bank_clue(self) -> str:
        bank_clues = self.params["clues"]
        if len(self.clues) < len(bank_clues):
            return str(bank_clues[len(self.clues)])
        return prompts.hint(self.target, self.forbidden)

    def _may_ask(self) -> bool:
        return not self.asked_since_clue and self.clarifications < self.game.max_clarifications

    def _listener_decision(self, clues: list[str], *, may_ask: bool) -> Decision:
        return self.listener.decide(clues, self.candidates, self.wrong, may_ask=may_ask)

    def _clue_reward(self, clue: str) -> float:
        """+1 if the teacher listener will now guess the target; else 0.05 per place the clue lifts it."""
        after = self._listener_decision([*self.clues, clue],
                                        may_ask=self.clarifications < self.game.max_clarifications)
        if after.action == "guess" and after.words[0] == self.target:
            return 1.0
        if self.clues:
            before = Listener.rank_of(self.target, self.listener.rank(self.clues, self.candidates, self.wrong))
        else:
            before = (len(after.ranking) + 1) / 2  # no clue yet: the target is anywhere, on average mid-pool
        gain = before - Listener.rank_of(self.target, after.ranking)
        return round(min(0.3, 0.05 * max(0.0, gain)), 4)
