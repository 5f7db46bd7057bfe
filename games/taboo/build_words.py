"""Build ``words.txt``, the taboo listener's English word list, from wordfreq.

Maintainers run this script when the list should change; the game only reads the text file at run time and
never imports wordfreq. Same wordfreq version, same bytes (the committed file was built with wordfreq
3.1.1)::

    python games/taboo/build_words.py          # rewrite words.txt next to this script
    python games/taboo/build_words.py --check  # exit 1 if the committed file differs from a rebuild

The list holds every word of ``top_n_list("en", 50000)`` that is plain lowercase a-z and at least two
letters long, most frequent first. The taboo check (``reading.py``) uses it to tell a real word from a
misspelling or a coinage: a word that is not on the list is read as the forbidden word it misspells
("clok", "watc"), holds ("xclock") or reverses; a real word one letter away ("rind" for "ring", "wick" for
"kick") is another word. The order tells how common a word is: a word that starts a forbidden word is read
as a clipping of it only when it is far rarer ("gam" is "game", while "far" is no "farm").
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["POOL", "main", "render", "words"]

#: Size of the frequency list the words are taken from.
POOL = 50_000
_WORD = re.compile(r"[a-z]{2,}")
_HEADER = ("# English words for the taboo check (games/taboo/build_words.py): wordfreq top_n_list('en', "
           f"{POOL}), lowercase a-z, 2+ letters,\n# most frequent first. wordfreq's data is licensed CC BY-SA 4.0.\n")


def words() -> list[str]:
    """The word list, most frequent first (needs wordfreq)."""
    from wordfreq import top_n_list

    return list(dict.fromkeys(w for w in top_n_list("en", POOL) if _WORD.fullmatch(w)))


def render(items: list[str]) -> str:
    return _HEADER + "\n".join(items) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if words.txt differs from a rebuild")
    args = parser.parse_args(argv)
    path = Path(__file__).with_name("words.txt")
    text = render(words())
    if args.check:
        same = path.exists() and path.read_text(encoding="utf-8") == text
        print("words.txt is up to date" if same else "words.txt differs from a rebuild")
        return 0 if same else 1
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({text.count(chr(10)) - 2} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
