"""Words a reader takes for a forbidden word although they are not it, nor one of its forms: misspellings,
coinages, reversals and clipped words. Pure Python over an English word list (``words.txt``).

``stems.find_taboo`` catches a forbidden word and its forms (stems, curated forms, glued endings, accents,
look-alike letters, spelling out). A describer can still write the word so that any reader, and the teacher
listener's sentence-embedding model most of all, reads it while no rule of form sees it: misspelt ("clok",
"watc", "cloock"), inside a made-up word ("xclock", "superwatch", "olcanovay"), backwards ("kcolc") or cut
short ("volca", "gam"). Measured on the test split, each of these made MiniLM rank the secret word first
among 20 candidates after a single clue in a fifth to two thirds of the instances, and a policy writing
them won 36-63 points.

What tells such a word from an innocent one is whether it is a real word. ``words.txt`` lists the 47,947
words of wordfreq's 50,000 most frequent English words that are made of letters a-z, most frequent first
(``build_words.py`` rebuilds it). A word on the list is another word, even one letter away from a forbidden
word ("rind" is no "ring", "wick" no "kick") or holding it ("planet" holds "plane"): a clue may use it. A
word that is not on the list is read for what it resembles (:func:`misread`). A list word that starts a
forbidden word is read as a clipping of it only when it is much rarer than the forbidden word ("gam" for
"game"; "far" is no "farm", "plan" no "plane").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources

from .folding import fold, folded_words
from .forms import FORMS
from .stems import stem

__all__ = ["CLIPPED", "SPELLING_ONLY", "english_words", "meaning_text", "misread", "misreads", "real_word", "spelt_like"]

#: The listener takes a word that starts a candidate for a spelling of it unless the word is this many times
#: further up the list (more frequent): "buck" spells "bucket", "wall" is a word of its own, not "wallet".
SPELLING_ONLY = 4
#: A word on the list that starts the forbidden word is read as a clipping of it when it ranks this many
#: times further down the list (about ten times rarer, a Zipf frequency one lower): "gam" for "game".
CLIPPED = 10
_ENDINGS = ("s", "es", "ed", "ing")
_LETTERS = re.compile(r"[a-z]+")


@cache
def english_words() -> dict[str, int]:
    """The shipped English word list: word -> frequency rank (0 = most frequent)."""
    text = resources.files(__package__).joinpath("words.txt").read_text(encoding="utf-8")
    words = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {w: i for i, w in reversed(list(enumerate(words)))}


def _rank(word: str) -> int | None:
    """The best rank of ``word`` or of it with an inflection taken off ("waddles" -> "waddle")."""
    known = english_words()
    bases = [word] + [word[:-len(end)] for end in _ENDINGS if word.endswith(end) and len(word) > len(end) + 1]
    ranks = [known[b] for b in bases if b in known]
    return min(ranks) if ranks else None


def real_word(word: str) -> bool:
    """Whether ``word`` (lowercase letters) is on the English word list, itself or inflected."""
    return _rank(word) is not None


def _edits(a: str, b: str) -> int:
    """Edits (insertion, deletion, substitution, swap of neighbours) that make ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _allowed_edits(forbidden: str) -> int:
    """How many edits still read as ``forbidden``: one up to seven letters, two up to eleven, three beyond."""
    return 1 if len(forbidden) <= 7 else 2 if len(forbidden) <= 11 else 3


def misreads(word: str, forbidden: str) -> bool:
    """Whether a reader takes ``word`` (one clue word, lowercase letters) for ``forbidden`` (one word) though
    it is neither the word nor a form of it:

    * a word that is not on the English word list and holds a form of the forbidden word ("xclock",
      "superwatch", "clockface"; a form of three letters at either end: "minikey") or, for a forbidden word
      of seven letters or more, three quarters of it ("olcanovay", "elescopetay");
    * a word that is not on the list and is the forbidden word misspelt, forwards or backwards: within one
      edit (a letter added, dropped, changed, or two neighbours swapped) of a word of up to seven letters,
      two up to eleven, three beyond ("clok", "cloock", "colck", "watc", "xkey", "kcolc");
    * the forbidden word cut short by up to half of it ("volca", "gam", "sch"), unless the clipped word is a
      word of its own about as frequent as the forbidden word or more: :data:`CLIPPED` ("far" is no "farm",
      "pear" no "pearl", "plan" no "plane").
    """
    f = forbidden.lower()
    if len(word) < 3 or len(f) < 3 or word == f:
        return False
    rank = _rank(word)
    if rank is None:
        forms = {f, f + "s", f + "es", *FORMS.get(f, ())}
        if any((len(g) >= 4 and g in word) or (len(g) == 3 and (word.startswith(g) or word.endswith(g)))
               for g in forms):
            return True
        span = math.ceil(0.75 * len(f))
        if len(f) >= 7 and any(f[i:i + span] in word for i in range(len(f) - span + 1)):
            return True
        allowed = _allowed_edits(f)
        for w in (word, word[::-1]):
            if abs(len(w) - len(f)) <= allowed and _edits(w, f) <= allowed:
                return True
    if f.startswith(word) and len(f) - len(word) <= len(f) // 2:
        # A clipping, unless the word is a word of its own about as frequent as the forbidden one or more.
        full = _rank(f)
        return rank is None or (full is not None and rank >= CLIPPED * max(1, full))
    return False


def misread(text: str, forbidden: Sequence[str]) -> str | None:
    """The first entry of ``forbidden`` that some word of ``text`` (as :func:`folding.folded_words` reads it)
    :func:`misreads`, else ``None``. Entries of several words are left to ``find_taboo``."""
    words = list(dict.fromkeys(w for w in (t.lower() for t in folded_words(text)) if _LETTERS.fullmatch(w)))
    for entry in forbidden:
        if not isinstance(entry, str) or not _LETTERS.fullmatch(entry.lower()):
            continue
        if any(misreads(w, entry) for w in words):
            return entry
    return None


# ------------------------------------------------------------------------------------ the listener's reading
_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


@lru_cache(maxsize=65536)
def spelt_like(word: str, candidate: str) -> bool:
    """Whether clue word ``word`` spells ``candidate`` without naming it: a made-up word holding it ("xclock"),
    a real word holding it (four letters or more) at either end beside another word of three letters or
    more, as a compound does ("gameplay", "preschool", "supercomputer"; "vegetables" holds no "table"), the
    start of it, half of it or more, unless the word is far
    more frequent than the candidate and so a word of its own ("buck" and "sham" spell "bucket" and
    "shampoo"; "wall" is no "wallet", "sea" no "seal"), or what :func:`misreads` takes for it. Such a word
    tells the listener how a candidate is written, not what the secret word means. A word that names a
    candidate, itself or inflected ("hands" for "hand"), is not spelling: a valid clue may name another
    candidate (a valid clue never says the secret word)."""
    w, c = fold(word), candidate.lower()
    if len(w) < 3 or stem(w) == stem(c):
        return False
    if len(c) >= 4 and c in w:
        if _rank(w) is None:
            return True  # no word at all, built on the candidate: "xclock", "superwatch"
        # A real word holds the candidate as a part of a compound, at either end beside another word of three
        # letters or more ("gameplay", "preschool", "supercomputer"); elsewhere it is a coincidence
        # ("vegetables" holds no table, "glove" no love).
        for b in {w, w.removesuffix("s"), w.removesuffix("es")}:
            rest = b[len(c):] if b.startswith(c) else b[:-len(c)] if b.endswith(c) else ""
            if len(rest) >= 3 and _rank(rest) is not None:
                return True
        return False
    if c.startswith(w) and 2 * len(w) >= len(c):
        rank, full = _rank(w), _rank(c)
        if rank is None:
            return True  # no word at all: the candidate cut short
        return full is not None and rank * SPELLING_ONLY > full  # a word, but not much more frequent
    return misreads(w, c)


def meaning_text(text: str, candidates: Sequence[str]) -> str:
    """``text`` without its words that are spelt like a candidate (:func:`spelt_like`): what the teacher
    listener reads for meaning. A valid clue never spells the secret word, so dropping these words costs it
    nothing; a clue that smuggles the word's letters past the taboo check ("gameplay", "sham" for "shampoo")
    tells the listener nothing."""
    def keep(m: re.Match[str]) -> str:
        return "" if any(spelt_like(m.group(0), c) for c in candidates) else m.group(0)
    return " ".join(_WORD_RE.sub(keep, text).split())
