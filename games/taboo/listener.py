"""The teacher guesser's policy: rank the candidate words by closeness to the clues, then guess or ask.

Pure given an :class:`~.embedding.Embedder`: the same clues, candidates and exclusions always give the same
decision. Similarities are rounded to 4 decimals and ties are broken alphabetically, so float noise in the
last bits can never reorder two candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .embedding import Embedder
from .forms import FORMS
from .reading import meaning_text, real_word
from .stems import find_taboo

__all__ = ["Decision", "Listener"]


@dataclass(frozen=True)
class Decision:
    """What the listener does next: ``guess`` ``words[0]``, or ``clarify`` between ``words[0]`` and ``words[1]``.

    ``ranking`` is every candidate still in play, best first, with its rounded similarity.
    """

    action: Literal["guess", "clarify"]
    words: tuple[str, ...]
    ranking: tuple[tuple[str, float], ...]

    @property
    def move(self) -> str:
        """The decision as a guesser's reply."""
        if self.action == "clarify":
            return f"CLARIFY: Do you mean {self.words[0]} or {self.words[1]}?"
        return f"GUESS: {self.words[0]}"


class Listener:
    """Guesses the target among candidate words from a describer's clues.

    * It embeds the clues so far, joined with spaces, and scores every candidate not yet guessed.
    * When the best two are closer than :attr:`clarify_margin` and it may ask, it asks which one is meant.
    * A candidate it asked about ("Do you mean X or Y?") that the clues then *name* (same word or stem, as the
      taboo check sees it) is ruled out: a valid clue never says the target, so "not X" answers the
      question. Other nouns a clue names are only context ("bigger than a dog"): a listener that ruled out
      every noun it hears would hand the game to a describer who lists all the nouns it knows but one.
    """

    #: Top-two similarity gap below which the listener is unsure and asks "Do you mean X or Y?". Measured with
    #: MiniLM on the clue bank, about a quarter of first clues leave the top two this close.
    clarify_margin: float = 0.03
    #: Longest stretch of clue text read, in characters, keeping the newest. MiniLM reads 256 word pieces
    #: (about 1,000 characters) and would silently drop the *end* of a longer text, which holds the answer
    #: to the listener's own question.
    clue_chars: int = 1000

    def __init__(self, embedder: Embedder, *, clarify_margin: float | None = None) -> None:
        self.embedder = embedder
        if clarify_margin is not None:
            self.clarify_margin = clarify_margin

    def clue_text(self, clues: Sequence[str]) -> str:
        """The text the listener embeds: all clues joined, cut to the newest :attr:`clue_chars` characters."""
        text = " ".join(c.strip() for c in clues if c.strip())
        if len(text) > self.clue_chars:
            text = text[-self.clue_chars:]
            # Do not start mid-word: a word fragment is noise to the model.
            head, sep, tail = text.partition(" ")
            text = tail if sep and tail else text
        return text

    def rank(self, clues: Sequence[str], candidates: Sequence[str], exclude: Sequence[str] = (),
             asked: Sequence[str] = ()) -> tuple[tuple[str, float], ...]:
        """Candidates still in play, best first: ``(word, similarity rounded to 4 decimals)``. ``exclude``:
        words already guessed; ``asked``: words the listener asked about (those the clues name drop out)."""
        excluded = {w.lower() for w in exclude}
        pool = sorted({c for c in candidates if c.lower() not in excluded})
        text = self.clue_text(clues)
        if not pool:
            return ()
        questioned = {w.lower() for w in asked}
        named = [c for c in pool if c.lower() in questioned and find_taboo(text, [c]) is not None]
        if len(named) < len(pool):
            pool = [c for c in pool if c not in named]
        # The listener reads clues for meaning: words spelt like a candidate tell it nothing (reading.py).
        text = meaning_text(text, candidates)
        if not text:
            # Nothing said yet: every candidate is equally likely; alphabetical order keeps it deterministic.
            return tuple((c, 0.0) for c in pool)
        sims = self.embedder.similarity(text, pool)
        scored = [(c, round(float(s), 4)) for c, s in zip(pool, sims)]
        scored.sort(key=lambda cs: (-cs[1], cs[0]))
        return tuple(scored)

    def unsure(self, ranking: Sequence[tuple[str, float]]) -> bool:
        """Whether ``ranking`` leaves the best two candidates closer than :attr:`clarify_margin`."""
        return len(ranking) >= 2 and round(ranking[0][1] - ranking[1][1], 4) < self.clarify_margin

    def decide(self, clues: Sequence[str], candidates: Sequence[str], exclude: Sequence[str] = (),
               asked: Sequence[str] = (), *, may_ask: bool = True) -> Decision:
        """Guess the best candidate, or ask about the best two when they are too close and asking is allowed."""
        ranking = self.rank(clues, candidates, exclude, asked)
        if not ranking:
            raise ValueError("the listener has no candidate left to guess")
        if may_ask and self.unsure(ranking):
            return Decision("clarify", (ranking[0][0], ranking[1][0]), ranking)
        return Decision("guess", (ranking[0][0],), ranking)

    def reads_forbidden(self, text: str, forbidden: Sequence[str]) -> str | None:
        """The first word of ``forbidden`` that the listener's own reading of ``text`` contains, if its
        embedder tells how it reads (``pieces``: word pieces per word, as MiniLM's tokenizer splits them).

        The taboo check proper (``find_taboo``, and ``reading.misread`` for misspellings and coinages) reads
        the text as a person would; this one adds what only the model's tokenizer does: a word it splits into
        known pieces, and that is no English word (``reading.real_word``), is read piece by piece, so the
        first piece of "clocklike" is "clock" to it, whatever the suffix. A real word it happens to split
        ("carves": car ##ves) is that word.
        """
        pieces = getattr(self.embedder, "pieces", None)
        if pieces is None:
            return None
        split = pieces(text)
        read = " ".join("".join(p.removeprefix("##") for p in word) for word in split)
        hit = find_taboo(read, forbidden)
        if hit is not None:
            return hit
        heads = {word[0] for word in split
                 if len(word) > 1 and not real_word("".join(p.removeprefix("##") for p in word))}
        for entry in forbidden:
            word = entry.lower()
            if heads & {word, word + "s", word + "es", *FORMS.get(word, ())}:
                return entry
        return None

    @staticmethod
    def rank_of(word: str, ranking: Sequence[tuple[str, float]]) -> float:
        """1-based rank of ``word`` in ``ranking``; one past the end if it is not there."""
        for i, (w, _) in enumerate(ranking):
            if w == word:
                return float(i + 1)
        return float(len(ranking) + 1)
