"""A small deterministic English stemmer and the taboo-word check built on it.

Taboo forbids the describer to say the target word, its taboo words, *or any form of them*: "cats" gives
away "cat", "baking" gives away "bake". We need that check to be pure Python, deterministic across
platforms and versions (it decides rewards), fast on long hostile replies, and impossible to crash.
A full Porter/Snowball stemmer would be a dependency for little gain, so this module implements a
compact suffix stripper in the spirit of Porter's step 1 plus a few derivational suffixes:

* lowercase, strip a possessive ``'s``;
* plurals: ``-sses -> -ss``, ``-ies -> -i``, ``-xes/-ches/-shes/-zzes -> drop "es"``, ``-s -> drop``
  (but not ``-ss``, ``-us``, ``-is``);
* derivational: ``-ness``, ``-ly``, ``-ful``, ``-ment``;
* inflectional: ``-ing`` and ``-ed`` (the stem must keep a vowel; ``running -> run`` undoubles,
  ``baking -> bake`` restores the silent e), then ``-est`` and ``-er``;
* normalisation: a final consonant + ``y`` becomes ``i`` (``puppy``/``puppies`` -> ``puppi``), and a
  final silent ``e`` is dropped where Porter would (``horse``/``horses`` -> ``hors``).

A stem is never shorter than 3 letters, so short words are left as they are ("cat" stays "cat" and does
not collide with "category"). ``-ly``, ``-er`` and ``-est`` need a 4-letter remainder because short
words ending in them are usually not derived ("early", "liver", "forest" would otherwise become
"ear", "liv", "for"). The stems are not dictionary words; they are only compared with each other.
The stemmer errs on the side of matching more: "corner" and "corn" share a stem, which in Taboo
means the describer may not say "corn" when the target is "corner".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from .folding import fold, folded_words, joined_neighbours, spelled_letters
from .forms import FORMS

__all__ = ["find_taboo", "stem", "tokens"]

_VOWELS = frozenset("aeiou")

#: Longer "words" are junk (hostile output); stemming them buys nothing and would cost time and cache space.
_MAX_STEM_INPUT = 64

#: Letters only (any script), so digits and underscores split words. A trailing possessive 's is consumed.
_TOKEN_RE = re.compile(r"([^\W\d_]+)(?:['\u2019][sS](?![^\W\d_]))?")

#: Invisible format characters (soft hyphen, zero-width space/joiners, bidi controls, BOM, tag characters)
#: are deleted before tokenising so that "c\u200bat" cannot smuggle "cat" past the check.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)


def _is_consonant(word: str, i: int) -> bool:
    """Porter's consonant test: not a vowel, and ``y`` counts as a vowel after a consonant."""
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch != "y":
        return True
    # Iterative rather than recursive so that "yyyy..." cannot exhaust the stack.
    j = i
    while j > 0 and word[j - 1] == "y":
        j -= 1
    # word[j] is the first y of the run: a consonant at the start of a word or after a vowel; after that
    # the ys alternate vowel/consonant.
    first_is_consonant = j == 0 or not _is_consonant(word, j - 1)
    return first_is_consonant == ((i - j) % 2 == 0)


def _measure(word: str) -> int:
    """Porter's measure m: the number of vowel-consonant sequences in ``[C](VC)^m[V]``."""
    m = 0
    prev_vowel = False
    for i in range(len(word)):
        cons = _is_consonant(word, i)
        if cons and prev_vowel:
            m += 1
        prev_vowel = not cons
    return m


def _has_vowel(word: str) -> bool:
    return any(not _is_consonant(word, i) for i in range(len(word)))


def _ends_cvc(word: str) -> bool:
    """Consonant-vowel-consonant ending whose last letter is not w, x or y (as in "hop", "bak")."""
    return (
        len(word) >= 3
        and _is_consonant(word, len(word) - 3)
        and not _is_consonant(word, len(word) - 2)
        and _is_consonant(word, len(word) - 1)
        and word[-1] not in "wxy"
    )


def _strip_plural(w: str) -> str:
    if w.endswith("sses"):
        return w[:-2]
    if w.endswith("ies") and len(w) - 2 >= 3:
        return w[:-2]  # puppies -> puppi (and puppy -> puppi later)
    if w.endswith(("xes", "ches", "shes", "zzes")) and len(w) - 2 >= 3:
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) - 1 >= 3:
        return w[:-1]
    return w


def _strip_derivational(w: str) -> str:
    # Order matters: "carefully" -> "careful" -> "care", "carefulness" -> "careful" -> "care".
    for suffix, min_stem in (("ness", 3), ("ly", 4), ("ful", 3), ("ment", 3)):
        if w.endswith(suffix) and len(w) - len(suffix) >= min_stem:
            w = w[: -len(suffix)]
    return w


def _strip_inflectional(w: str) -> str:
    for suffix in ("ing", "ed"):
        if not w.endswith(suffix):
            continue
        base = w[: -len(suffix)]
        if len(base) < 3 or not _has_vowel(base) or (suffix == "ed" and base.endswith("e")):
            break  # "sing", "string", "need", "speed" are not inflected forms
        if base[-1] == base[-2] and _is_consonant(base, len(base) - 1) and base[-1] not in "lsz":
            base = base[:-1]  # running -> run, stopped -> stop (but falling -> fall, missing -> miss)
        elif _measure(base) == 1 and _ends_cvc(base):
            base += "e"  # baking -> bake, hoping -> hope
        w = base
        break
    for suffix in ("est", "er"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            break
    return w


def _normalise_ending(w: str) -> str:
    if len(w) > 3 and w.endswith("y") and _is_consonant(w, len(w) - 2):
        w = w[:-1] + "i"
    if len(w) > 3 and w.endswith("e"):
        base = w[:-1]
        m = _measure(base)
        if m > 1 or (m == 1 and not _ends_cvc(base)):
            w = base
    return w


@lru_cache(maxsize=65536)
def _stem_cached(w: str) -> str:
    w = _strip_plural(w)
    w = _strip_derivational(w)
    w = _strip_inflectional(w)
    return _normalise_ending(w)


def stem(word: str) -> str:
    """Return the stem of one English word: lowercase, possessive and common suffixes stripped.

    Words of three letters or fewer, and words longer than 64 characters, are returned lowercased but
    otherwise unchanged. Deterministic and total: any string gives a string.

    >>> stem("Cats"), stem("running"), stem("baking"), stem("bake"), stem("category")
    ('cat', 'run', 'bake', 'bake', 'categori')
    """
    w = word.lower()
    if w.endswith(("'s", "\u2019s")):
        w = w[:-2]
    w = w.rstrip("'\u2019")
    if len(w) <= 3 or len(w) > _MAX_STEM_INPUT:
        return w
    return _stem_cached(w)


def _normalise_text(text: object) -> str:
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    # NFKC folds look-alikes such as fullwidth "ｃａｔ" into "cat"; the invisible characters go first so
    # that they cannot split a word.
    text = _INVISIBLE_RE.sub("", text)
    return unicodedata.normalize("NFKC", text)


def tokens(text: str) -> list[str]:
    """Split ``text`` into lowercase word tokens made of letters only (any script).

    Digits, punctuation, whitespace and control characters separate tokens; invisible format characters
    (zero-width spaces and the like) are removed first, and a possessive ``'s`` is dropped. Never raises,
    whatever the input (``bytes`` are decoded as UTF-8 with replacement).

    >>> tokens("The CAT's hat, 3rd time: café!")
    ['the', 'cat', 'hat', 'rd', 'time', 'café']
    """
    normalised = _normalise_text(text)
    return [m.group(1).lower() for m in _TOKEN_RE.finditer(normalised)]


#: Endings that make a new word from a forbidden one when glued to it ("clocklike", "clockwork", "musical",
#: "hairy"): a word that starts with a forbidden word of four letters or more and ends in one of these is a
#: form of it. Shorter words are left out ("car" and "card", "key" and "keyboard" need the curated forms),
#: and so are "-y" and "-ish", which too often end unrelated words ("ready" is no form of "read", "spanish"
#: none of "span"); the curated forms list the "-y" adjectives of the bank's words ("hairy", "cloudy").
_GLUED_ENDINGS = frozenset({
    "like", "less", "al", "ic", "ical", "ian", "ist", "ism", "ette", "let", "ling", "hood", "ship", "dom",
    "wise", "ward", "wards", "work", "maker", "making", "er", "ers", "ery", "ies", "s", "es",
})


def _glued(word: str, part: str) -> bool:
    """Whether ``word`` is ``part`` with a word-forming ending glued on (see ``_GLUED_ENDINGS``), its final
    vowel giving way to an ending that starts with one ("gamer", "orchestral", "volcanic")."""
    if len(part) < 4 or not word.startswith(part[:-1]):
        return False
    if word.startswith(part) and word[len(part):] in _GLUED_ENDINGS:
        return True
    ending = word[len(part) - 1:]
    return part[-1] in "aeiouy" and ending[:1] in ("a", "e", "i", "o", "u", "y") and ending in _GLUED_ENDINGS


def find_taboo(text: str, forbidden: Sequence[str]) -> str | None:
    """Return the first word of ``forbidden`` that ``text`` uses, in any form, else ``None``.

    A forbidden word is used when the text, *as a reader takes it*, holds it (see :mod:`.folding`):

    * some word of the text equals it or has the same :func:`stem` ("cats" for "cat"), read raw or folded
      (accents and other marks dropped, look-alike letters of other scripts and leetspeak read as Latin
      letters: "clòck", "сlock" and "cl0ck" are "clock");
    * a curated form of it (``forms.FORMS``: irregular inflections and derivations, "mice" for "mouse");
    * it with a word-forming ending glued on ("clocklike", "musical"; forbidden words of 4+ letters);
    * it spelled out letter by letter ("c-l-o-c-k", "c, then l, then o, ...") or split over two or three
      neighbouring words ("clo ck").

    A forbidden entry of several words ("ice cream") is used when its words appear consecutively, compared
    by stem. Entries are checked in order, so the answer is deterministic.

    >>> find_taboo("Two cats sat down.", ["dog", "cat"])
    'cat'
    >>> find_taboo("A category of things.", ["cat"]) is None
    True
    >>> find_taboo("a clòck", ["clock"]), find_taboo("c l o c k", ["clock"]), find_taboo("mice", ["mouse"])
    ('clock', 'clock', 'mouse')
    """
    raw = tokens(text)
    folded = folded_words(text)
    forms = set(raw) | set(folded)
    stems = {stem(t) for t in forms}
    spelled: str | None = None
    joined: set[str] | None = None
    stem_sequences: list[list[str]] | None = None
    for entry in forbidden:
        if not isinstance(entry, str):
            continue
        parts = [fold(p) for p in tokens(entry)]
        if not parts:
            continue
        if len(parts) == 1:
            part = parts[0]
            if part in forms or stem(part) in stems:
                return entry
            if any(f in forms or stem(f) in stems for f in FORMS.get(part, ())):
                return entry
            if len(part) >= 4 and any(_glued(w, part) for w in forms):
                return entry
            if len(part) >= 3:
                if spelled is None:
                    spelled = spelled_letters(text)
                if part in spelled:
                    return entry
                if joined is None:
                    joined = {stem(w) for w in joined_neighbours(folded)}
                if stem(part) in joined:
                    return entry
            continue
        if stem_sequences is None:
            stem_sequences = [[stem(t) for t in raw], [stem(t) for t in folded]]
        wanted = [stem(p) for p in parts]
        n = len(wanted)
        for sequence in stem_sequences:
            for i, s in enumerate(sequence):
                if s == wanted[0] and sequence[i : i + n] == wanted:
                    return entry
    return None
