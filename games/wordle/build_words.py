"""Build the Wordle word lists ``targets.txt`` and ``allowed.txt`` from wordfreq.

Maintainers run this script when the lists should change; the game only reads the two text files at
run time and never imports wordfreq. Same wordfreq version, same bytes (the committed files were
built with wordfreq 3.1.1)::

    python games/wordle/build_words.py          # rewrite both files next to this script
    python games/wordle/build_words.py --check  # exit 1 if the committed files differ from a rebuild

``targets.txt`` holds the secret words: the first :data:`N_TARGETS` five-letter words of
``top_n_list("en", 50000)`` (most frequent first) that are plain lowercase a-z, not an inflected form of a
more basic word (``cats``, ``boxes``, ``tries``, ``asked``), and not on :data:`EXCLUDED` (proper nouns,
contractions, prefixes, offensive words); the list is then sorted. Frequency order makes the targets
words that people know; excluding inflections keeps a secret word from being "the plural of some other
word", as players expect.

``allowed.txt`` holds the valid guesses: every five-letter lowercase a-z word of
``top_n_list("en", 100000)`` plus all targets, sorted and unique. It is deliberately generous (it
includes names and rarer words) because rejecting a real word as a guess frustrates players more
than accepting an odd one.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

__all__ = [
    "EXCLUDED",
    "N_TARGETS",
    "allowed_text",
    "allowed_words",
    "main",
    "render",
    "target_text",
    "target_words",
]

#: How many secret words to keep.
N_TARGETS = 600
#: Size of the frequency list the targets are drawn from, and of the one the guesses are drawn from.
TARGET_POOL = 50_000
ALLOWED_POOL = 100_000
#: An inflection is only recognised when its base form is among this many most frequent words, so that
#: junk in the long tail ("pres", "gras") does not make real words look inflected.
BASE_POOL = 30_000

_FIVE = re.compile(r"[a-z]{5}")

# Frequent five-letter tokens that are not good secret words, one group per reason, each kept sorted.
# First names, surnames, places, nationalities, religions, brands, months:
_PROPER_NOUNS = """
    aaron alice allen april asian barry bible billy blake bobby brian bruce chile china chris clark
    cohen colin costa craig danny david davis delhi derek diana diego dubai dutch dylan eddie egypt
    ellen emily greek harry helen henry hindu india intel irish islam italy jacob jamie japan jason
    jerry jesse jesus jimmy julia julie karen keith kelly kenny kenya kevin korea larry latin laura
    lewis linda linux lloyd logan louis maine maria marie mario mason miami milan moore nancy obama
    oscar paris perry peter putin ralph roger roman santa sarah saudi scott simon singh smith spain
    steve susan swiss syria terry texas tokyo tommy trump tyler wayne welsh
"""
# Contractions, clipped spellings, and prefixes that are not words on their own:
_NOT_WORDS = """
    cyber didnt gonna gotta inter kinda legit micro multi outta ultra wanna
"""
# Offensive or hurtful words:
_OFFENSIVE = """
    bitch boobs dicks dildo fucks horny idiot lynch negro nigga penis porno pussy rapes shits
    slave sluts twats whore
"""

#: Words never chosen as targets (they stay valid guesses).
EXCLUDED: frozenset[str] = frozenset((_PROPER_NOUNS + _NOT_WORDS + _OFFENSIVE).split())


def _require_wordfreq() -> ModuleType:
    try:
        import wordfreq
    except ImportError as exc:  # the game itself never needs it
        raise SystemExit("build_words.py needs wordfreq: pip install 'wordfreq>=3'") from exc
    return wordfreq


def _is_inflected(word: str, base_forms: frozenset[str]) -> bool:
    """Whether ``word`` is a plural, third-person or past form of a word in ``base_forms``."""
    if word.endswith("s") and not word.endswith("ss"):
        if word[:-1] in base_forms:  # cats, games, yours
            return True
        if word.endswith("es") and word[:-2] in base_forms:  # boxes, taxes
            return True
        if word.endswith("ies") and word[:-3] + "y" in base_forms:  # tries, flies
            return True
    if word.endswith("ed") and not word.endswith("eed"):
        stem = word[:-2]
        if word[:-1] in base_forms or stem in base_forms:  # moved, asked
            return True
        if stem[-1] == stem[-2] and stem[:-1] in base_forms:  # stopped-style doubling
            return True
        if word.endswith("ied") and word[:-3] + "y" in base_forms:  # tried, cried
            return True
    return False


def target_words(n: int = N_TARGETS) -> list[str]:
    """The ``n`` secret words, sorted."""
    wordfreq = _require_wordfreq()
    ranked = wordfreq.top_n_list("en", TARGET_POOL)
    base_forms = frozenset(ranked[:BASE_POOL])
    chosen: list[str] = []
    for word in ranked:
        if len(chosen) == n:
            break
        if _FIVE.fullmatch(word) and word not in EXCLUDED and not _is_inflected(word, base_forms):
            chosen.append(word)
    if len(chosen) < n:
        raise RuntimeError(f"only {len(chosen)} targets found, wanted {n}")
    return sorted(set(chosen))


def allowed_words(targets: Iterable[str]) -> list[str]:
    """Every valid guess: the five-letter words of the large frequency list plus ``targets``, sorted."""
    wordfreq = _require_wordfreq()
    words = {w for w in wordfreq.top_n_list("en", ALLOWED_POOL) if _FIVE.fullmatch(w)}
    words.update(targets)
    return sorted(words)


def render(words: Iterable[str]) -> str:
    """The file text: one word per line, with a final newline."""
    return "".join(f"{w}\n" for w in words)


def target_text() -> str:
    """The exact contents ``targets.txt`` should have."""
    return render(target_words())


def allowed_text() -> str:
    """The exact contents ``allowed.txt`` should have."""
    return render(allowed_words(target_words()))


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or, with ``--check``, verify) ``targets.txt`` and ``allowed.txt``."""
    parser = argparse.ArgumentParser(description="Build the Wordle word lists from wordfreq.")
    parser.add_argument("--check", action="store_true", help="verify the files instead of writing them")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    args = parser.parse_args(argv)
    targets = target_words()
    texts = {"targets.txt": render(targets), "allowed.txt": render(allowed_words(targets))}
    stale = []
    for name, text in texts.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_bytes() != text.encode("ascii"):
                stale.append(name)
        else:
            path.write_bytes(text.encode("ascii"))
            print(f"wrote {path} ({text.count(chr(10))} words)")
    if stale:
        print(f"out of date: {', '.join(stale)} (run python games/wordle/build_words.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
