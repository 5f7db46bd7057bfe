"""The clue bank (``clue_bank.json``): target nouns with frequency band, taboo words and three clues each.

Loaded once from the package data with :mod:`importlib.resources` (so it works from a wheel or a zip) and
checked on load: a malformed bank must fail loudly at the first instance, not mid-episode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from ..seeding import split_of, stable_seed

__all__ = ["BANDS", "SECOND_TEST_SET", "Entry", "cell", "load_bank"]

BANDS: tuple[str, ...] = ("high", "medium", "low")

#: Targets held out for a second test set: the published test split (instance seed 0) never uses them, any
#: other instance seed (the organisers' private test set) uses only them, so the two share no target. They
#: are listed, not hashed into a split: they were written into the bank for this purpose (taboo-v2), and no
#: earlier split ever held them.
SECOND_TEST_SET: frozenset[str] = frozenset({
    "ambulance", "anchor", "ant", "avocado", "baby", "ball", "banana", "bank", "barn", "bee", "bench", "blanket",
    "box", "broom", "brother", "camel", "canoe", "castle", "chimney", "coin", "country", "crocodile", "diamond",
    "dice", "dragon", "drum", "eagle", "engine", "family", "father", "flute", "friend", "frog", "glove",
    "hammock", "harp", "hedgehog", "helicopter", "helmet", "husband", "internet", "kangaroo", "kite", "lamp",
    "lantern", "magnet", "market", "medal", "microscope", "monkey", "mother", "museum", "nest", "octopus",
    "office", "oil", "pancake", "paper", "parachute", "park", "pineapple", "police", "radio", "robot", "shark",
    "snake", "station", "team", "tent", "university", "video", "woman",
})


@dataclass(frozen=True)
class Entry:
    """One target noun of the bank."""

    word: str
    zipf: float
    band: str
    taboo: tuple[str, ...]
    clues: tuple[str, ...]

    @property
    def split(self) -> str:
        """The split the word belongs to, by hashing the word alone (test targets stay held out for good), or
        ``test`` for the second test set."""
        return "test" if self.second_test_set else split_of(self.word)

    @property
    def second_test_set(self) -> bool:
        """Whether the word is a target of the second test set (:data:`SECOND_TEST_SET`)."""
        return self.word in SECOND_TEST_SET


def _entry(raw: object) -> Entry:
    if not isinstance(raw, dict):
        raise ValueError(f"clue bank entry is not an object: {raw!r}")
    word, band = raw.get("word"), raw.get("band")
    taboo, clues = raw.get("taboo"), raw.get("clues")
    if not (isinstance(word, str) and word.isalpha() and word.islower()):
        raise ValueError(f"clue bank: bad word {word!r}")
    if band not in BANDS:
        raise ValueError(f"clue bank: {word}: band {band!r} not in {BANDS}")
    if not (isinstance(taboo, list) and taboo and all(isinstance(t, str) and t for t in taboo)):
        raise ValueError(f"clue bank: {word}: taboo must be a non-empty list of words")
    if not (isinstance(clues, list) and clues and all(isinstance(c, str) and c.strip() for c in clues)):
        raise ValueError(f"clue bank: {word}: clues must be a non-empty list of texts")
    return Entry(word, float(raw.get("zipf", 0.0)), band, tuple(taboo), tuple(c.strip() for c in clues))


@lru_cache(maxsize=1)
def load_bank() -> tuple[Entry, ...]:
    """Every entry of the bank, in file order. Raises ``ValueError`` on a malformed bank."""
    text = resources.files(__package__).joinpath("clue_bank.json").read_text(encoding="utf-8")
    data = json.loads(text)
    raw = data.get("words") if isinstance(data, dict) else data
    if not isinstance(raw, list) or not raw:
        raise ValueError("clue bank: expected a non-empty list under 'words'")
    entries = tuple(_entry(r) for r in raw)
    words = [e.word for e in entries]
    if len(set(words)) != len(words):
        raise ValueError("clue bank: duplicate target words")
    return entries


@cache
def cell(band: str, split: str, second: bool = False) -> tuple[Entry, ...]:
    """The targets of ``band`` in ``split``, in a fixed pseudo-random order (so consecutive instances cycle
    through different words rather than marching alphabetically). For ``test``, ``second`` picks the second
    test set instead of the published one.

    Fallback, documented on the game card: if the bank left a band without targets in a split, the nearest band
    (in the order high, medium, low) that has some gives them, so the split stays held out. The tests check
    the shipped bank fills all nine cells, so the fallback is never used with it.
    """
    entries = load_bank()
    order = sorted(BANDS, key=lambda b: (abs(BANDS.index(b) - BANDS.index(band)), BANDS.index(b)))
    for b in order:
        found = [e for e in entries if e.band == b and e.split == split and e.second_test_set == second]
        if found:
            return tuple(sorted(found, key=lambda e: (stable_seed("taboo-order", e.word), e.word)))
    raise ValueError(f"clue bank has no target in split {split!r}")
