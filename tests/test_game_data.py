"""The shipped game data: the taboo clue bank, the taboo stemmer, and the wordle word lists."""

from __future__ import annotations

import json
import random
import re
from importlib import resources

import pytest
from playschool.games.taboo.stems import find_taboo, stem, tokens
from playschool.games.wordle import build_words

BANDS = ("high", "medium", "low")


def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bank() -> dict:
    return json.loads(_read("playschool.games.taboo", "clue_bank.json"))


@pytest.fixture(scope="module")
def targets_text() -> str:
    return _read("playschool.games.wordle", "targets.txt")


@pytest.fixture(scope="module")
def allowed_text() -> str:
    return _read("playschool.games.wordle", "allowed.txt")


# --------------------------------------------------------------------------------------------- clue bank


def test_bank_shape(bank: dict) -> None:
    assert bank["version"] == 1
    assert set(bank["bands"]) == set(BANDS)
    assert bank["bands"]["high"][0] == 5.0
    assert bank["bands"]["medium"] == [4.0, 5.0]
    assert bank["bands"]["low"] == [3.0, 4.0]
    for entry in bank["words"]:
        assert set(entry) == {"word", "zipf", "band", "taboo", "clues"}, entry
        assert re.fullmatch(r"[a-z]+", entry["word"]), entry["word"]
        assert entry["band"] in BANDS
        assert len(entry["taboo"]) == 3 and len(set(entry["taboo"])) == 3, entry["word"]
        assert all(re.fullmatch(r"[a-z]+", t) for t in entry["taboo"]), entry["taboo"]
        assert entry["word"] not in entry["taboo"]
        assert len(entry["clues"]) == 3 and len(set(entry["clues"])) == 3, entry["word"]
        for clue in entry["clues"]:
            # One sentence: a capital letter first, a full stop last and nowhere else.
            assert clue[0].isupper() and clue.endswith(".") and clue.count(".") == 1, clue


def test_bank_words_unique_and_sorted(bank: dict) -> None:
    words = [e["word"] for e in bank["words"]]
    assert words == sorted(words)
    assert len(set(words)) == len(words)


def test_bank_band_sizes_and_ranges(bank: dict) -> None:
    counts = {band: 0 for band in BANDS}
    for entry in bank["words"]:
        counts[entry["band"]] += 1
        low, high = bank["bands"][entry["band"]]
        assert low <= entry["zipf"] < high, entry
        assert entry["zipf"] == round(entry["zipf"], 2)
    assert all(n >= 24 for n in counts.values()), counts
    assert len(bank["words"]) >= 72


def test_bank_zipf_matches_wordfreq(bank: dict) -> None:
    wordfreq = pytest.importorskip("wordfreq")
    for entry in bank["words"]:
        assert round(wordfreq.zipf_frequency(entry["word"], "en"), 2) == entry["zipf"], entry["word"]


def test_clues_never_use_forbidden_words(bank: dict) -> None:
    for entry in bank["words"]:
        forbidden = [entry["word"], *entry["taboo"]]
        for clue in entry["clues"]:
            assert find_taboo(clue, forbidden) is None, (entry["word"], clue)


# --------------------------------------------------------------------------------------------- stemmer

SAME_STEM = [
    ("cat", "cats"),
    ("cat", "Cat's"),
    ("run", "running"),
    ("stop", "stopped"),
    ("bake", "baking"),
    ("bake", "baked"),
    ("hope", "hoping"),
    ("horse", "horses"),
    ("box", "boxes"),
    ("church", "churches"),
    ("glass", "glasses"),
    ("puppy", "puppies"),
    ("happy", "happiness"),
    ("care", "carefully"),
    ("kind", "kindness"),
    ("move", "movement"),
    ("teach", "teacher"),
    ("teach", "teaches"),
    ("play", "played"),
    ("fast", "fastest"),
    ("quick", "quickly"),
    ("relate", "related"),
    ("write", "writing"),
    ("fall", "falling"),
    ("potato", "potatoes"),
]

DIFFERENT_STEM = [
    ("cat", "category"),
    ("car", "care"),
    ("hop", "hope"),
    ("hopping", "hoping"),
    ("ear", "early"),
    ("live", "liver"),
    ("sing", "s"),
    ("bed", "b"),
    ("red", "reed"),
]


@pytest.mark.parametrize(("a", "b"), SAME_STEM)
def test_stem_merges_forms(a: str, b: str) -> None:
    assert stem(a) == stem(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT_STEM)
def test_stem_keeps_words_apart(a: str, b: str) -> None:
    assert stem(a) != stem(b)


@pytest.mark.parametrize("word", ["cat", "dog", "bus", "sky", "a", "", "is", "ox"])
def test_short_words_are_kept(word: str) -> None:
    assert stem(word) == word


def test_stem_is_lowercase_and_deterministic() -> None:
    assert stem("RUNNING") == stem("running") == "run"
    assert stem("Flowers") == stem("flowers") == stem("flower")
    words = ["Flowers", "happily", "yyyy", "x" * 200, "naïve", "straße"]
    assert [stem(w) for w in words] == [stem(w) for w in words]


@pytest.mark.parametrize(
    ("text", "forbidden", "expected"),
    [
        ("Two cats sat on the mat.", ["cat"], "cat"),
        ("My cat sleeps.", ["cats"], "cats"),
        ("A CAT!", ["cat"], "cat"),
        ("Pick a category.", ["cat"], None),
        ("Concatenate the strings.", ["cat"], None),
        ("She was running late.", ["run"], "run"),
        ("Freshly baked this morning.", ["bake"], "bake"),
        ("It is a loaf.", ["bread", "loaf"], "loaf"),
        ("It is a loaf of bread.", ["bread", "loaf"], "bread"),  # first forbidden entry wins
        ("Nothing to see here.", ["cat", "dog"], None),
        ("", ["cat"], None),
        ("cat", [], None),
        ("cat", [""], None),
        ("We ate ice creams.", ["ice cream"], "ice cream"),
        ("Ice is cold and cream is thick.", ["ice cream"], None),
        ("ｃａｔ", ["cat"], "cat"),  # fullwidth letters fold to ASCII
        ("c\u200bat", ["cat"], "cat"),  # a zero-width space cannot split a word
        ("the dog's bone", ["dog"], "dog"),
        ("cat2cat", ["cat"], "cat"),
    ],
)
def test_find_taboo(text: str, forbidden: list[str], expected: str | None) -> None:
    assert find_taboo(text, forbidden) == expected


def test_tokens_basic() -> None:
    assert tokens("The CAT's hat, 3rd time: café!") == ["the", "cat", "hat", "rd", "time", "café"]
    assert tokens("") == []
    assert tokens("123 ... !!!") == []


def _junk_inputs() -> list[str]:
    rng = random.Random(1234)
    control = "".join(chr(i) for i in range(32)) + "\x7f" + "".join(chr(i) for i in range(0x80, 0xA0))
    binary = bytes(rng.randrange(256) for _ in range(100_000)).decode("latin-1")
    unicode_soup = "".join(chr(rng.randrange(0x110000)) for _ in range(20_000))
    return [
        control * 100,
        binary,
        unicode_soup,
        "\ud800\udfff lone surrogates \udc00",
        "a" * 100_000,
        "y" * 100_000,
        "running " * 12_500,
        "cat's " * 20_000,
        "\u0301" * 1000 + "e\u0301" * 1000,
        "\u202e\u2066 bidi \u2069" * 500,
        "\ufeff\ufffe\uffff" * 1000,
        "🐈" * 10_000,
    ]


@pytest.mark.parametrize("text", _junk_inputs(), ids=lambda t: repr(t[:12]))
def test_hostile_input_never_raises(text: str) -> None:
    assert len(text) > 0
    result = tokens(text)
    assert isinstance(result, list)
    assert all(isinstance(t, str) and t == t.lower() for t in result)
    assert find_taboo(text, ["cat", "run", "ice cream"]) in (None, "cat", "run", "ice cream")
    for token in result[:1000]:
        assert isinstance(stem(token), str)


def test_find_taboo_on_100kb_text() -> None:
    filler = "the quick brown fox jumps over the lazy dog while ducks swim in the pond "
    text = filler * (100_000 // len(filler) + 1)
    assert len(text) >= 100_000
    assert find_taboo(text, ["cat", "bird"]) is None
    assert find_taboo(text + " and a tiny kitten purrs", ["kittens"]) == "kittens"
    assert find_taboo(text, ["swimming"]) == "swimming"


def test_non_string_input_is_tolerated() -> None:
    assert tokens(b"cat \xff dog") == ["cat", "dog"]  # type: ignore[arg-type]
    assert find_taboo("cat", ["cat", None]) == "cat"  # type: ignore[list-item]


# --------------------------------------------------------------------------------------------- wordle


def _lines(text: str) -> list[str]:
    assert text.endswith("\n")
    return text.splitlines()


def test_wordle_lists_well_formed(targets_text: str, allowed_text: str) -> None:
    targets, allowed = _lines(targets_text), _lines(allowed_text)
    for words in (targets, allowed):
        assert words == sorted(set(words))
        assert all(re.fullmatch(r"[a-z]{5}", w) for w in words)
    assert set(targets) <= set(allowed)
    assert 500 <= len(targets) <= 700
    assert len(allowed) > len(targets)


def test_wordle_targets_exclude_listed_words(targets_text: str) -> None:
    targets = set(_lines(targets_text))
    assert not targets & build_words.EXCLUDED
    for word in targets:
        if word.endswith("s") and not word.endswith("ss"):
            assert word[:-1] not in targets, word


def test_build_words_reproduces_files(targets_text: str, allowed_text: str) -> None:
    pytest.importorskip("wordfreq")
    assert build_words.target_text() == targets_text
    assert build_words.allowed_text() == allowed_text
