"""Taboo's own cheap policies: attacks that need the game's vocabulary (``Taboo.cheap_policies``).

Each policy reads only what its role is told (its chat history, ``policies.View``) plus public knowledge
that any player may have: the spelling of words, the public list of English nouns the game draws its targets
from (``bank.load_bank``), the English word list and the listener's tokenizer and model that ship with the
game, and the game's own public taboo check (``smuggle_checked`` says only spellings that pass it). None of
the bounded ones describes or understands anything; ``check_game`` requires each to lose against the
reference player. The generic attacks (copy the example, echo the prompt, yes/no, the shortest move, ...)
come from ``policies.generic_policies`` and are not repeated here.

Two probes read the clues of the shipped clue bank, the teacher's answer key (``bank_clues``,
``bank_lookup``): they measure contamination, which no rule can prevent, and their bound (100) is argued on
the card. One honest program is listed: ``nearest_words`` describes by association, with the words nearest
the secret word in the listener's own embedding; its score shows how little beyond association the
describer's role needs against this listener. For the guesser, a program that ranks the candidates by
meaning is the reference player itself (the sentence-embedding listener).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import cache

from ..policies import CheapPolicy, Policy, PolicyFactory, View, instruction_lines, last_message
from .bank import load_bank
from .embedding import default_embedder, load_minilm
from .listener import Listener
from .play import taboo_in
from .reading import english_words, spelt_like

__all__ = ["describer_attacks", "guesser_attacks"]

_SECRET_RE = re.compile(r'secret word is "([^"]+)"')
_QUESTION_RE = re.compile(r"Do you mean (\w+) or (\w+)\?")
_HINT_RE = re.compile(r"(\d+)\D{0,40}?\"(\w)\"")
_WRONG_RE = re.compile(r'"(\w+)" is not the word')

# Look-alike letters from other scripts, and digits and signs read as letters ("leetspeak").
_CYRILLIC = str.maketrans({"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і",
                           "s": "ѕ", "j": "ј"})
_LEET = str.maketrans({"o": "0", "e": "3", "a": "4", "i": "1", "s": "5", "t": "7", "l": "1"})
_ACUTE = str.maketrans({"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú"})


def _secret(view: View) -> str:
    """The describer's secret word, as its instructions state it (empty if they do not)."""
    m = _SECRET_RE.search("\n".join(instruction_lines(view)))
    return m.group(1) if m else ""


def _turns_taken(view: View) -> int:
    return sum(1 for msg in view if msg.get("role") == "assistant")


def _per_turn(name: str, description: str, variants: Callable[[str], list[str]]) -> CheapPolicy:
    """A describer policy that cycles through ``variants(secret)``, one clue per turn."""

    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            options = variants(_secret(view) or "thing")
            return "CLUE: " + options[_turns_taken(view) % len(options)]
        return policy

    return CheapPolicy(name, description, make)


def _accent_first_vowel(word: str, combining: bool) -> str:
    for i, ch in enumerate(word):
        if ch in "aeiou":
            marked = ch + "\u0301" if combining else ch.translate(_ACUTE)
            return word[:i] + marked + word[i + 1:]
    return word + "\u0301"


def _vowels_accented(word: str) -> str:
    return word.translate(_ACUTE)


def _spelled(word: str) -> str:
    letters = list(word)
    if len(letters) < 2:
        return f"it is the letter {word}"
    middle = ", then ".join(letters[1:-1])
    return f"it starts with {letters[0]}, then {middle}, and ends with {letters[-1]}" if middle else \
        f"it starts with {letters[0]} and ends with {letters[-1]}"


def _nouns() -> list[str]:
    return sorted(e.word for e in load_bank())


def _typos(word: str) -> list[str]:
    """Misspellings a reader still takes for ``word``: a vowel dropped, a letter doubled, two letters swapped,
    a vowel changed, the last letter dropped (each differs from the word by one edit)."""
    mid = len(word) // 2
    vowel = next((i for i, c in enumerate(word) if c in "aeiou" and i > 0), len(word) - 1)
    swap = word[:mid - 1] + word[mid] + word[mid - 1] + word[mid + 1:] if len(word) > 3 else word[::-1]
    other = {"a": "e", "e": "a", "i": "y", "o": "u", "u": "o", "y": "i"}
    first_vowel = next((i for i, c in enumerate(word) if c in other), 0)
    changed = word[:first_vowel] + other.get(word[first_vowel], word[first_vowel]) + word[first_vowel + 1:]
    return [word[:vowel] + word[vowel + 1:], word[:mid] + word[mid] + word[mid:], swap, changed, word[:-1]]


def _truncations(word: str) -> list[str]:
    """The word cut short ("volca", "scien"), as a reader completes it."""
    return [word[:max(3, len(word) - k)] for k in (2, 1, 3)]


@cache
def _whole_words() -> tuple[str, ...]:
    """The whole words (not word pieces) of the listener's tokenizer vocabulary, a public English word list
    (empty if the taboo extra is not installed)."""
    try:
        from .embedding import load_wordpiece
        vocab = load_wordpiece().get_vocab()
    except ImportError:
        return ()
    return tuple(sorted(w for w in vocab if w.isascii() and w.isalpha() and w.islower() and len(w) > 2))


def _compounds(word: str) -> list[str]:
    """Real words that start or end with ``word`` ("gameplay", "preschool", "gamer"), shortest first."""
    found = [w for w in _whole_words() if w != word and (w.startswith(word) or w.endswith(word))]
    return sorted(found, key=lambda w: (len(w), w))[:6] or [word + "like"]


def describer_attacks() -> list[CheapPolicy]:
    """Attacks on the describer: smuggle the secret word past the taboo check, or game the listener."""
    policies = [
        _per_turn("smuggle_accent", "the secret word with an accented vowel (precomposed, combining, all vowels)",
                  lambda w: [_accent_first_vowel(w, False), _accent_first_vowel(w, True), _vowels_accented(w)]),
        _per_turn("smuggle_homoglyph", "the secret word in look-alike Cyrillic letters",
                  lambda w: [w.translate(_CYRILLIC), w.upper().translate(_CYRILLIC)]),
        _per_turn("smuggle_leet", "the secret word in digits read as letters (cl0ck)",
                  lambda w: [w.translate(_LEET), w.replace("o", "0").replace("e", "3")]),
        _per_turn("smuggle_spaced", "the secret word spaced, hyphenated or dotted letter by letter",
                  lambda w: [" ".join(w), "-".join(w), ".".join(w).upper()]),
        _per_turn("smuggle_split", "the secret word split in two halves",
                  lambda w: [f"{w[:len(w) // 2]} {w[len(w) // 2:]}", f"{w[:len(w) // 2]}-{w[len(w) // 2:]}"]),
        _per_turn("smuggle_compound", "the secret word glued to a suffix or another word (clocklike)",
                  lambda w: [f"{w}like", f"{w}ish things", f"mini{w}"]),
        _per_turn("spell_out", "spells the secret word letter by letter in a sentence",
                  lambda w: [_spelled(w)]),
        _per_turn("smuggle_prefix", "the secret word with something glued in front (xclock, miniclock, "
                  "BigClock)", lambda w: [f"x{w}", f"mini{w}", f"super{w}", f"Big{w.capitalize()}"]),
        _per_turn("smuggle_typo", "the secret word misspelled by one letter (clck, cloock, colck, cluck, "
                  "cloc)", _typos),
        _per_turn("smuggle_truncated", "the secret word cut short (volca, volcan)", _truncations),
        _per_turn("smuggle_real_compound", "real words of the listener's vocabulary that start or end with the "
                  "secret word (gameplay, preschool, gamer)", _compounds),
        CheapPolicy("smuggle_checked", "every smuggling variant above and more (reversed, pig Latin), keeping "
                    "only those the public taboo check lets through, one per turn", _smuggle_checked()),
        CheapPolicy("word_dump", "lists as many nouns of the public word list as fit (never its own word), so "
                    "a listener that rules out what clues name is left with the target", _word_dump()),
        CheapPolicy("negate_options", "a content-free first clue, then answers each question 'X or Y?' and each "
                    "wrong guess by negating the words that are not its secret", _negate_options()),
        CheapPolicy("bank_clues", "contamination probe, not a policy of the role (it reads the shipped clue bank, "
                    "the teacher's answer key): sends the bank's clues for its secret word", _bank_clues(),
                    degenerate=False),
        CheapPolicy("nearest_words", "honest program: the eight words of a public 6,000-word vocabulary nearest "
                    "the secret in the listener's own embedding, none forbidden or spelt like a forbidden word",
                    _nearest_words(), degenerate=False),
    ]
    return policies


_TABOO_RE = re.compile(r"taboo words, in any form[^:]*: ([^\n]*?)\. ")


def _taboo_words(view: View) -> list[str]:
    """The describer's taboo words, as its instructions list them."""
    m = _TABOO_RE.search("\n".join(instruction_lines(view)))
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def _smuggle_checked() -> PolicyFactory:
    """A reviewer's smuggler: it runs the game's own public taboo check (``find_taboo`` and the listener's
    tokenizer reading) on many spellings of the secret word and says only those that pass."""

    def make(_rng: random.Random) -> Policy:
        passing: list[str] = []

        def policy(view: View) -> str:
            if not passing:
                secret = _secret(view) or "thing"
                forbidden = [secret, *_taboo_words(view)]
                reader = Listener(default_embedder())
                variants = [f"x{secret}", f"mini{secret}", f"super{secret}", f"Big{secret.capitalize()}",
                            *_typos(secret), *_truncations(secret), *_compounds(secret), secret[::-1],
                            secret[1:] + secret[0] + "ay", secret[:-1] + "er", secret[:-1] + "al"]
                passing.extend(v for v in dict.fromkeys(variants) if taboo_in(v, forbidden, reader) is None)
                passing.extend([] if passing else ["it is a thing"])
            return "CLUE: " + passing[_turns_taken(view) % len(passing)]
        return policy
    return make


#: Words the association program picks from: the most frequent words of the shipped English word list.
_ASSOCIATION_VOCABULARY = 6000
_ASSOCIATION_WORDS = 8


@cache
def _association_matrix() -> tuple[tuple[str, ...], object]:
    """The association program's vocabulary and its MiniLM embeddings (one row per word, normalised)."""
    ranked = sorted(english_words().items(), key=lambda kv: kv[1])
    words = tuple(w for w, _ in ranked if len(w) >= 3)[:_ASSOCIATION_VOCABULARY]
    # One batch call (seconds, not minutes); closeness is rounded to 4 decimals before it orders anything.
    matrix = load_minilm().encode(list(words), batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                  show_progress_bar=False)
    return words, matrix


def _nearest_words() -> PolicyFactory:
    """An honest program for the describer's work by association: the words of a public vocabulary nearest
    the secret word in the listener's own embedding, leaving out the forbidden words and every word spelt
    like them, eight per clue (the next eight after a wrong guess or a question)."""

    def make(_rng: random.Random) -> Policy:
        chosen: list[str] = []

        def policy(view: View) -> str:
            if not chosen:
                secret = _secret(view) or "thing"
                forbidden = [secret, *_taboo_words(view)]
                words, matrix = _association_matrix()
                closeness = matrix @ default_embedder().embed(secret)
                reader = Listener(default_embedder())
                for i in sorted(range(len(words)), key=lambda k: (-round(float(closeness[k]), 4), words[k])):
                    w = words[i]
                    if any(spelt_like(w, f) for f in forbidden) or taboo_in(w, forbidden, reader) is not None:
                        continue
                    chosen.append(w)
                    if len(chosen) >= 4 * _ASSOCIATION_WORDS:
                        break
            start = (_turns_taken(view) * _ASSOCIATION_WORDS) % max(1, len(chosen))
            return "CLUE: " + " ".join(chosen[start:start + _ASSOCIATION_WORDS] or ["thing"])
        return policy
    return make


def _bank_clues() -> PolicyFactory:
    """Contamination, not play: the clues the shipped clue bank holds for the secret word, in order."""

    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            entry = _BANK.get(_secret(view))
            clues = list(entry.clues) if entry else ["it is a thing"]
            return "CLUE: " + clues[_turns_taken(view) % len(clues)]
        return policy
    return make


def _word_dump() -> PolicyFactory:
    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            secret = _secret(view)
            words = [w for w in _nouns() if w != secret and secret not in w and w not in secret]
            start = (_turns_taken(view) * 40) % max(1, len(words))
            chunk = (words[start:] + words[:start])[:40]
            return "CLUE: " + " ".join(chunk)[:290]
        return policy
    return make


def _negate_options() -> PolicyFactory:
    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            secret = _secret(view)
            last = last_message(view)
            asked = _QUESTION_RE.search(last)
            if asked:
                others = [w for w in asked.groups() if w != secret]
                return "CLUE: not " + " and not ".join(others) if others else "CLUE: yes"
            wrong = re.search(r'guessed "(\w+)": wrong', last)
            if wrong:
                return f"CLUE: not {wrong.group(1)}"
            return "CLUE: it is a thing"
        return policy
    return make


# ------------------------------------------------------------------------------------------------ guesser
def _clues(view: View) -> list[str]:
    out = []
    for msg in view:
        if msg.get("role") == "user":
            out += [line[5:].strip() for line in msg.get("content", "").splitlines() if line.startswith("CLUE:")]
    return out


def _wrong(view: View) -> set[str]:
    return {m.group(1).lower() for msg in view if msg.get("role") == "user"
            for m in _WRONG_RE.finditer(msg.get("content", ""))}


def _ask_then_spell() -> PolicyFactory:
    """The issue's attack: ask three content-free questions, then guess the public noun that fits the
    length and first letter of the describer's last clue, if it gave them away."""

    def make(rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            asked = sum(1 for msg in view if msg.get("role") == "assistant"
                        and msg.get("content", "").startswith("CLARIFY"))
            if asked < 3:
                return "CLARIFY: Can you give me another clue?"
            wrong = _wrong(view)
            pool = [w for w in _nouns() if w not in wrong]
            for clue in reversed(_clues(view)):
                m = _HINT_RE.search(clue)
                if m:
                    fits = [w for w in pool if len(w) == int(m.group(1)) and w[0] == m.group(2).lower()]
                    if fits:
                        return f"GUESS: {fits[0]}"
            return f"GUESS: {rng.choice(pool)}"
        return policy
    return make


def _guess_clue_word() -> PolicyFactory:
    """Guesses the longest word of the newest clue it has not guessed yet."""

    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            wrong = _wrong(view)
            for clue in reversed(_clues(view)):
                words = sorted({w.lower() for w in re.findall(r"[A-Za-z]+", clue)} - wrong,
                               key=lambda w: (-len(w), w))
                if words:
                    return f"GUESS: {words[0]}"
            return "GUESS: thing"
        return policy
    return make


def _enumerate_nouns() -> PolicyFactory:
    """Guesses the public nouns in a fixed shuffled order, ignoring every clue."""

    def make(rng: random.Random) -> Policy:
        order = _nouns()
        rng.shuffle(order)

        def policy(view: View) -> str:
            wrong = _wrong(view)
            return "GUESS: " + next((w for w in order if w not in wrong), "thing")
        return policy
    return make


_CANDIDATES_RE = re.compile(r"one of these \d+ words: ([^\n]+?)\.?$", re.MULTILINE)


def _candidates(view: View) -> list[str]:
    """The candidate words the guesser's instructions list (empty if they list none)."""
    m = _CANDIDATES_RE.search("\n".join(instruction_lines(view)))
    return [w.strip() for w in m.group(1).split(",") if w.strip()] if m else []


def _enumerate_candidates() -> PolicyFactory:
    """Guesses the listed candidates in the order given, ignoring every clue."""

    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            wrong = _wrong(view)
            return "GUESS: " + next((w for w in _candidates(view) if w not in wrong), "thing")
        return policy
    return make


def _trigrams(text: str) -> set[str]:
    text = f" {text.lower()} "
    return {text[i:i + 3] for i in range(len(text) - 2)}


def _lexical_overlap() -> PolicyFactory:
    """Guesses the candidate whose spelling shares most letter trigrams with the clues: form, not meaning."""

    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            wrong = _wrong(view)
            grams = _trigrams(" ".join(_clues(view)))
            pool = [w for w in _candidates(view) if w not in wrong] or ["thing"]
            return "GUESS: " + max(pool, key=lambda w: (len(_trigrams(w) & grams), w))
        return policy
    return make


def _ask_then_first() -> PolicyFactory:
    """Asks until every clue is out (two content-free questions), then guesses the listed candidates in order."""

    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            asked = sum(1 for msg in view if msg.get("role") == "assistant"
                        and msg.get("content", "").startswith("CLARIFY"))
            if asked < 2:
                return "CLARIFY: Could you tell me more?"
            wrong = _wrong(view)
            return "GUESS: " + next((w for w in _candidates(view) if w not in wrong), "thing")
        return policy
    return make


_BANK = {e.word: e for e in load_bank()}


def _bank_lookup() -> PolicyFactory:
    """Contamination, not play: finds the clue it was given in the shipped clue bank and guesses that
    entry's word (a candidate whose entry holds the clue), else the first candidate."""

    def make(_rng: random.Random) -> Policy:
        def policy(view: View) -> str:
            wrong = _wrong(view)
            said = {c.removeprefix("Once more: ").strip() for c in _clues(view)}
            pool = [w for w in _candidates(view) if w not in wrong]
            hits = [w for w in pool if w in _BANK and said & set(_BANK[w].clues)]
            return "GUESS: " + (hits or pool or ["thing"])[0]
        return policy
    return make


def guesser_attacks() -> list[CheapPolicy]:
    """Attacks on the guesser: ask until the describer gives the word away, or guess without understanding."""
    return [
        CheapPolicy("enumerate_candidates", "guesses the listed candidates in order, ignoring the clues",
                    _enumerate_candidates()),
        CheapPolicy("lexical_overlap", "guesses the candidate whose spelling shares most letter trigrams with "
                    "the clues (form, not meaning)", _lexical_overlap()),
        CheapPolicy("ask_then_enumerate", "two content-free questions, then the listed candidates in order",
                    _ask_then_first()),
        CheapPolicy("ask_then_spell", "three free questions, then the public noun that fits the length and "
                    "first letter the describer's clues give away", _ask_then_spell()),
        CheapPolicy("guess_clue_word", "guesses the longest word of the newest clue", _guess_clue_word()),
        CheapPolicy("enumerate_nouns", "guesses nouns of the public word list in a fixed order",
                    _enumerate_nouns()),
        CheapPolicy("bank_lookup", "contamination probe, not a policy of the role (it reads the shipped clue "
                    "bank, the teacher's answer key): guesses the entry whose clue it heard", _bank_lookup(),
                    degenerate=False),
    ]

