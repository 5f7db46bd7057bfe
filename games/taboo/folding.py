"""What a reader makes of a word: the folded views of a clue that the taboo check compares.

A listener does not read code points, it reads words. The teacher listener's tokenizer (MiniLM's WordPiece,
like BERT's uncased one) lowercases and strips accents, so "clòck" *is* "clock" to it; a human or a model
partner reads "сlock" (Cyrillic с), "cl0ck" and "c-l-o-c-k" as the word too. A taboo check that compares raw
strings lets all of these through. This module builds the views the check compares instead:

* :func:`fold` -- Unicode compatibility decomposition (NFKD) with every combining mark dropped, case folding,
  a few letters that do not decompose (``ø ł đ æ œ ı``...) spelled in ASCII, and look-alike letters of
  other scripts (Cyrillic ``а с е о р х у і ѕ ј``, Greek ``α ο ρ ν ι κ τ υ χ``...) mapped to the Latin
  letters they imitate;
* :func:`folded_words` -- the words of the folded text, with digits and signs that stand for letters inside
  a word ("leetspeak": ``cl0ck``, ``c@t``) read as those letters;
* :func:`spelled_letters` -- the single letters of the text in order ("it starts with c, then l, ..."),
  joined, so that a word spelled out letter by letter, spaced, dotted or hyphenated, is seen;
* :func:`joined_neighbours` -- two or three neighbouring words glued together ("clo ck", "light house").

Everything is pure Python, deterministic and total: any string gives a result, never an exception.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "folded_words", "joined_neighbours", "spelled_letters"]

#: Letters that NFKD leaves alone but every reader takes for ASCII letters.
_UNDECOMPOSED = {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ħ": "h",
                 "ŧ": "t", "ŀ": "l", "ĸ": "k", "ŋ": "n", "ɑ": "a", "ɡ": "g", "ʏ": "y"}
#: Cyrillic and Greek letters (lower case: the text is case-folded first) that look like Latin ones.
_LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ү": "y",
    "ӏ": "l", "ɩ": "i", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s", "μ": "u", "γ": "y",
}
_TABLE = str.maketrans({**_UNDECOMPOSED, **_LOOKALIKES, "\u2019": "'", "\u02bc": "'", "`": "'"})
#: Digits and signs read as letters when they stand inside a word; "1" and "!" can be "l" or "i".
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s",
                       "|": "l", "1": "l", "!": "i"})
_LEET_I = str.maketrans({"1": "i", "|": "i"})
_WORDISH = re.compile(r"[@$|!]?[^\W_]+(?:[@$|!][^\W_]+)*")
_LETTERS = re.compile(r"[^\W\d_]+")
#: A number with an ordinal or unit ending ("3rd", "4pm", "10km") is a number, not leetspeak.
_NUMBER = re.compile(r"\d+(?:st|nd|rd|th|s|am|pm|d|k|m|g|kg|km|cm|mm|ml|h)")
#: Words with an inner apostrophe stay whole ("don't" is one word), so a contraction's "t" is no spelled letter.
_CONTRACTED = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
#: Longer texts are cut for the letter-by-letter views: a clue is at most a few hundred characters.
_MAX_CHARS = 20_000


def fold(text: str) -> str:
    """``text`` as a reader takes it: no accents or other combining marks, case-folded, look-alikes of
    other scripts and undecomposable letters mapped to ASCII. ``fold("Clòck")`` is ``"clock"``, and so is
    ``fold("сlock")`` with a Cyrillic first letter."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_TABLE)


def folded_words(text: str) -> list[str]:
    """The words of :func:`fold` (``text``), letters only. A word that mixes letters with digits or signs
    also gives its leetspeak readings (``cl0ck`` gives ``clock``; ``1`` read as ``l`` and as ``i``)."""
    folded = fold(text[:_MAX_CHARS] if len(text) > _MAX_CHARS else text)
    out: list[str] = []
    for m in _WORDISH.finditer(folded):
        word = m.group(0)
        if word.isalpha():
            out.append(word)
            continue
        if any(ch.isalpha() for ch in word) and not _NUMBER.fullmatch(word):
            for reading in {word.translate(_LEET), word.translate(_LEET_I).translate(_LEET)}:
                out += _LETTERS.findall(reading)
        else:
            out += _LETTERS.findall(word)
    return out


def spelled_letters(text: str) -> str:
    """Every one-letter word of the folded text, in order, joined: "c-l-o-c-k", "C. L. O. C. K." and "it
    starts with c, then l, then o ..." all give a string that contains "clock"."""
    folded = fold(text[:_MAX_CHARS] if len(text) > _MAX_CHARS else text)
    return "".join(w for w in _CONTRACTED.findall(folded) if len(w) == 1)


def joined_neighbours(words: list[str]) -> set[str]:
    """Every two and three neighbouring ``words`` glued together ("clo", "ck" -> "clock")."""
    out = {a + b for a, b in zip(words, words[1:])}
    out |= {a + b + c for a, b, c in zip(words, words[1:], words[2:])}
    return out
