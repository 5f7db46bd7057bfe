"""A tiny number-guessing game used by the tests of the contract, the runner and the CLI.

It needs no data and no embedding model, so runner tests stay fast and independent of any real game.
"""

from __future__ import annotations

import random
import re
from typing import Any

from playschool.games import SPLITS, Episode, EpisodeRecord, FormatError, Game, RuleError

_GUESS = re.compile(r"^\s*GUESS:\s*(\d{1,6})\s*$", re.IGNORECASE)
_ANSWER = re.compile(r"^\s*(HIGHER|LOWER|CORRECT)\s*$", re.IGNORECASE)


class HigherLowerEpisode(Episode):
    def start(self) -> None:
        self.lo, self.hi = 1, int(self.params["top"])
        self.last: int | None = None
        self.guesses = 0
        self.tell("guesser", f"Guess my number between 1 and {self.hi}. Reply 'GUESS: <n>'.", "instruction")
        self.tell("keeper", f"Your number is {self.params['secret']}. Answer HIGHER, LOWER or CORRECT.",
                  "instruction")
        self.expect("guesser")

    def parse(self, role: str, text: str) -> Any:
        m = (_GUESS if role == "guesser" else _ANSWER).match(text)
        if not m:
            raise FormatError("Reply 'GUESS: <n>'." if role == "guesser" else "Reply HIGHER, LOWER or CORRECT.")
        return int(m.group(1)) if role == "guesser" else m.group(1).upper()

    def apply(self, role: str, move: Any) -> float:
        secret = int(self.params["secret"])
        if role == "guesser":
            if not 1 <= move <= self.hi:
                raise RuleError(f"{move} is outside 1..{self.hi}.")
            self.last, self.guesses = move, self.guesses + 1
            self.tell("keeper", f"GUESS: {move}", "observation", speaker="guesser")
            self.expect("keeper")
            return 0.0
        assert self.last is not None
        truth = "CORRECT" if self.last == secret else ("HIGHER" if secret > self.last else "LOWER")
        if move != truth:
            raise RuleError(f"That is not right for {self.last}.")
        if truth == "CORRECT":
            self.tell("guesser", "CORRECT", "environment", speaker="keeper")
            self.finish("success")
            return 1.0
        self.tell("guesser", truth, "environment", speaker="keeper")
        self.lo, self.hi = (self.last + 1, self.hi) if truth == "HIGHER" else (self.lo, self.last - 1)
        self.expect("guesser")
        return 0.1

    def teacher_move(self, role: str) -> str:
        if role == "guesser":
            return f"GUESS: {(self.lo + self.hi) // 2}"
        secret, last = int(self.params["secret"]), self.last or 0
        return "CORRECT" if last == secret else ("HIGHER" if secret > last else "LOWER")

    def random_move(self, role: str, rng: random.Random) -> str:
        if role == "guesser":
            return f"GUESS: {rng.randint(1, self.hi)}"  # legal: within the range the rules allow now
        return rng.choice(["HIGHER", "LOWER", "CORRECT"])


class HigherLower(Game):
    """Higher-lower: guess a secret number with HIGHER/LOWER answers (test game)."""

    name = "higherlower"
    version = 1
    roles = ("guesser", "keeper")
    learner_roles = ("guesser", "keeper")
    experiments = ("small", "large")
    max_moves = 30
    split_sizes = {"train": 10, "validation": 4, "test": 4}
    move_keywords = {"guesser": ("GUESS",), "keeper": ("HIGHER", "LOWER", "CORRECT")}
    bare_keywords = ("HIGHER", "LOWER", "CORRECT")

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        # Each split owns one residue of the secret mod 3: no test secret is ever a train secret.
        top = 100 if experiment == "small" else 1000
        residue = SPLITS.index(split)
        return {"top": top, "secret": 3 * rng.randint(0, (top - 3) // 3) + residue + 1}

    def episode_class(self) -> type[Episode]:
        return HigherLowerEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        guesses = sum(1 for t in record.turns if t.kind == "move" and t.speaker == "guesser"
                      and (t.parse or {}).get("ok"))
        return {"main": 100.0 / guesses if record.outcome == "success" and guesses else 0.0,
                "guesses": float(guesses)}
