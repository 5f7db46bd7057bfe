"""The wordle game class without its card: instances, the episode class, cheap policies and scores.

The card lives on :class:`playschool.games.wordle.Wordle`; this module and ``episode.py`` hold the behaviour
it documents.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any, ClassVar

from ..episode import Episode
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord, Instance
from ..seeding import split_of
from .episode import BREAKS, FITS, MAX_GUESSES, OPENERS, WordleEpisode
from .moves import CRITIC_KEYWORDS, GUESSER_KEYWORDS
from .policies import critic_policies, guesser_policies
from .rules import load_allowed, load_targets
from .scoring import critic_scores, replay_record

__all__ = ["WordleGame"]

#: Proposals to a learner critic (guesses 2 to 6): the first three hold both kinds, the later ones either.
_FIRST_REVIEWS = 3
_KIND_MIXES = [mix for mix in itertools.product((FITS, BREAKS), repeat=_FIRST_REVIEWS) if len(set(mix)) == 2]


class WordleGame(Game):
    """Behaviour of wordle; :class:`Wordle` adds the card. ``targets``/``allowed`` are injectable for tests."""

    name = "wordle"
    version = 2
    roles = ("guesser", "critic")
    learner_roles = ("guesser", "critic")
    experiments = ("plain", "critic")
    # Critic rounds have 3 moves (proposal, verdict, final guess); each may follow two failed repair attempts.
    max_moves: ClassVar[int] = MAX_GUESSES * 3 * (1 + max(Episode.max_format_repairs, Episode.max_rule_repairs))
    # 40 of the 88 test targets per experiment: the reference's 95% interval and the paired reference - random
    # one stay within a few points, and another instance seed still finds 48 unpublished targets per experiment.
    split_sizes: ClassVar[dict[str, int]] = {"train": 100, "validation": 20, "test": 40}
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "guesses": (0.0, float(MAX_GUESSES)),
        "consistent_guess_rate": (0.0, 1.0),
        "changed_after_disagree": (0.0, 1.0),
        "critic_youden": (-1.0, 1.0),
        "critic_accuracy": (0.0, 1.0),
        "critic_fit_rate": (0.0, 1.0),
        "critic_catch_rate": (0.0, 1.0),
        "critic_grounded_reasons": (0.0, 1.0),
    }
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"guesser": GUESSER_KEYWORDS, "critic": CRITIC_KEYWORDS}
    bare_keywords: ClassVar[tuple[str, ...]] = ("AGREE",)

    def __init__(self, targets: Sequence[str] | None = None, allowed: Sequence[str] | None = None) -> None:
        self.targets: tuple[str, ...] = tuple(targets) if targets is not None else load_targets()
        self.allowed: frozenset[str] = (frozenset(allowed) if allowed is not None else load_allowed()) \
            | frozenset(self.targets)
        #: The allowed words in a fixed order, for draws with an rng.
        self.allowed_list: tuple[str, ...] = tuple(sorted(self.allowed))
        # Split by word, not by instance, so a test target never appears in training instances.
        self.pools: dict[str, tuple[str, ...]] = {s: tuple(w for w in self.targets if split_of(w) == s)
                                                  for s in ("train", "validation", "test")}

    # ------------------------------------------------------------------ instances
    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        pool = self.pools[split]
        if not pool:
            raise ValueError(f"wordle: no target word falls into split {split!r}")
        # Drawn with the rng, so another instance seed draws other targets; a repeat is redrawn by generate().
        target = rng.choice(pool)
        params: dict[str, Any] = {"target": target, "max_guesses": MAX_GUESSES, "critic": experiment == "critic"}
        if experiment == "critic":
            openers = [w for w in OPENERS if w != target and w in self.allowed]
            params["opener"] = rng.choice(openers)
            # Guesses 2 to 4 hold both kinds of proposal (any of the six orders that do, alike); guesses 5 and
            # 6, when the game lasts, either kind at even odds: half of all proposals break a constraint.
            later = [rng.choice((FITS, BREAKS)) for _ in range(MAX_GUESSES - 1 - _FIRST_REVIEWS)]
            params["proposals"] = list(rng.choice(_KIND_MIXES)) + later
        return params

    def instance_key(self, params: dict[str, Any]) -> str:
        """The target word and the experiment: the same word with and without a critic are different items,
        while the opener and the order of proposals shown to a critic are incidental draws."""
        return f"{'critic' if params.get('critic') else 'plain'}/{params['target']}"

    def supports(self, instance: Instance, learner_role: str) -> bool:
        if learner_role == "critic":
            return bool(instance.params.get("critic", False))
        return super().supports(instance, learner_role)

    # ------------------------------------------------------------------ episodes and policies
    def episode_class(self) -> type[Episode]:
        return WordleEpisode

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return guesser_policies() if role == "guesser" else critic_policies()

    # ------------------------------------------------------------------ scores
    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        r = replay_record(record)
        guesses = len(r.scored)
        scores: dict[str, float] = {"guesses": float(guesses)}
        critic = critic_scores(r.reviews)
        critic_main = critic.pop("main", 0.0)
        scores.update(critic)
        if record.learner_role == "critic":
            scores["main"] = critic_main
            return scores
        # clembench's speed score: fewer guesses, higher score; nothing for a lost game.
        scores["main"] = 100.0 / guesses if record.outcome == "success" and guesses else 0.0
        if guesses:
            scores["consistent_guess_rate"] = sum(ok for _, ok in r.scored) / guesses
        if r.disagreements:
            scores["changed_after_disagree"] = r.changed_after_disagree / r.disagreements
        return scores
