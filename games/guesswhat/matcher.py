"""The answerer's question matcher: free text -> one yes/no predicate, a clarification request, or a refusal.

How a question is read (documented on the game card):

1. Normalise: lower case; ``can't``/``cannot``/``won't``/``-n't`` become ``not``; anything but letters and
   digits separates words; the articles ``a``/``an``/``the`` are dropped.
2. A question that starts with a wh-word (what, which, where, how, ...) is not a yes/no question: refused.
3. Find phrases of the lexicon (:func:`lexicon`) in the words, longest first, never overlapping. A phrase
   is a *predicate* (``can fly`` -> ``can_fly``, ``bigger than cat`` -> ``heavier=cat``, ``penguin`` ->
   ``is=penguin``), a *vague* word of a family (``big`` for size, ``colour`` for colour), a *block* (a word
   the answerer knows it cannot answer: ``swim``, ``jungle``, ``eat`` without meat/plants), a *weak* word
   (``animal``: yes, but only when nothing else was asked) or a *filler* (``or not``).
4. A negation (``not``, ``no``, ``never``, ``non``, ``without`` ...) outside a phrase is refused: answers to
   negative questions are easy to misread, so the questioner is asked to ask positively.
5. Vague words and blocks of a family are ignored when a predicate of the same family was found
   (``Is it brown in colour?`` is about brown; ``Does it eat meat?`` is about meat).
6. A remaining block -> refused, with what the answerer does know about that topic.
7. The topics left (distinct predicates and vague families): none -> refused (the weak ``animal`` is
   answered if it was the only word found); one predicate -> answered; one vague family -> clarification
   (``Bigger than what?``); two or more -> clarification (``Do you mean 'Is it a bird?' or 'Can it fly?'?``).

In the episode, refusals become corrections (rule errors); an ambiguous question ("clarify") is relayed to the
answerer, who should ask back; a question about one candidate's identity is settled as the questioner's
guess. This module only decides which kind a question is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from . import prompts
from .table import CLASSES, COLOURS, NUMBER_WORDS, Table, render

WH_WORDS = frozenset({"what", "which", "where", "how", "why", "who", "whom", "whose", "when"})
NEGATIONS = frozenset({"not", "no", "never", "non", "neither", "nor", "without", "none", "nothing", "nobody"})
ARTICLES = frozenset({"a", "an", "the"})

EntryKind = Literal["pred", "vague", "block", "weak", "filler"]


@dataclass(frozen=True)
class Entry:
    """What a lexicon phrase means. ``value`` is a predicate id (pred/weak) or a block message."""

    kind: EntryKind
    family: str
    value: str = ""
    #: For ``bigger than``-style vague phrases: the word after them is the (unknown) thing compared with,
    #: not a question of its own ("bigger than a dog" asks for a size comparison, not "Is it a dog?").
    swallow_next: bool = False


@dataclass(frozen=True)
class Resolution:
    """The matcher's verdict on one question."""

    kind: Literal["answer", "clarify", "refuse"]
    pred: str = ""
    message: str = ""
    topics: tuple[str, ...] = ()


def family(pred: str) -> str:
    """The topic family of a predicate id: vague words and blocks of the same family give way to it."""
    key = pred.partition("=")[0]
    if pred.startswith("legs") or pred == "has_legs":
        return "legs"
    if pred in ("vertebrate", "invertebrate"):
        return "class"
    if pred in ("domestic",):
        return "kept"
    if pred in ("water", "amphibious"):
        return "habitat"
    if pred in ("lays_eggs", "live_birth"):
        return "eggs"
    if key in ("heavier", "lighter"):
        return "size"
    if key == "eats":
        return "diet"
    if key == "is":
        return "identity"
    return key


# ------------------------------------------------------------------------------------------ lexicon
def _words(phrase: str) -> tuple[str, ...]:
    return tuple(normalise(phrase))


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "sh", "ch")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


_FLAG_PHRASES: dict[str, tuple[str, ...]] = {
    "can_fly": ("fly", "flies", "flying", "flight", "flyer", "airborne"),
    "has_fur": ("fur", "furry", "hair", "hairy", "wool", "woolly", "wooly", "fluffy"),
    "has_feathers": ("feather", "feathers", "feathered", "feathery"),
    "has_scales": ("scale", "scales", "scaly"),
    "has_shell": ("shell", "shells", "shelled"),
    "has_wings": ("wing", "wings", "winged"),
    "has_tail": ("tail", "tails"),
    "lays_eggs": ("egg", "eggs", "lay eggs", "lays eggs", "egg laying", "hatch", "hatches", "hatched"),
    "live_birth": ("live young", "live birth", "give birth", "gives birth", "born alive", "live babies"),
}
_CLASS_EXTRA = {"mollusc": ("mollusk", "mollusks"), "fish": ("fishes",)}
_DIET = {
    "eats=meat": ("meat", "eat meat", "eats meat", "meat eater", "meat eating", "eat other animals",
                  "eats other animals"),
    "diet=carnivore": ("carnivore", "carnivores", "carnivorous", "only meat", "just meat"),
    "diet=herbivore": ("herbivore", "herbivores", "herbivorous", "vegetarian", "vegan", "only plants",
                       "just plants"),
    "eats=plants": ("plant", "plants", "eat plants", "eats plants", "plant eater", "vegetables"),
    "diet=omnivore": ("omnivore", "omnivores", "omnivorous", "meat and plants", "plants and meat",
                      "both meat and plants", "both plants and meat"),
}
_KEPT = {
    "kept=pet": ("pet", "pets", "kept as pet", "house pet", "household pet", "family pet"),
    "kept=farm": ("farm", "farms", "farm animal", "farm animals", "livestock", "farmyard"),
    "kept=wild": ("wild", "in wild", "wild animal", "wildlife"),
    "domestic": ("domestic", "domesticated", "tame", "kept by people", "kept by humans", "domestic animal"),
}
_HABITAT = {
    "water": ("water", "aquatic", "underwater", "water animal"),
    "habitat=sea": ("sea", "seas", "ocean", "oceans", "marine", "saltwater", "salt water", "sea animal"),
    "habitat=freshwater": ("fresh water", "freshwater", "river", "rivers", "lake", "lakes", "pond", "ponds",
                           "stream", "streams"),
    "habitat=land": ("land", "terrestrial", "land animal"),
    "amphibious": ("amphibious", "land and water", "water and land", "land and in water",
                   "water and on land", "both land and water", "both water and land"),
}
_OTHER_CLASS = {"vertebrate": ("vertebrate", "vertebrates", "backbone", "spine"),
                "invertebrate": ("invertebrate", "invertebrates")}
_WEAK = ("animal", "animals", "creature", "creatures", "living thing", "living creature", "alive", "living",
         "real")
_FILLERS = ("or not", "whether or not", "yes or no")
_VAGUE = {
    "size": ("big", "bigger", "biggest", "large", "larger", "huge", "giant", "enormous", "massive", "small",
             "smaller", "little", "tiny", "heavy", "heavier", "lighter", "size", "sized", "weigh", "weighs",
             "weight", "tall", "taller", "long", "longer", "short", "shorter", "medium", "as big as",
             "same size"),
    "colour": ("colour", "color", "colours", "colors", "coloured", "colored", "colourful", "colorful", "bright",
               "brightly", "dark", "pale", "multicoloured", "multicolored"),
}
_COMPARATIVES = {"heavier": ("bigger", "larger", "heavier", "greater"),
                 "lighter": ("smaller", "lighter", "tinier", "littler")}
_REFERENCE_ALIASES = {"mouse": ("mouse", "mice"), "cat": ("cat", "cats", "house cat", "kitten"),
                      "person": ("person", "human", "man", "woman", "adult", "people", "humans", "human being",
                                 "grown up"),
                      "horse": ("horse", "horses"), "car": ("car", "cars")}
_BLOCKS = {
    "diet": ("eat", "eats", "eating", "eaten", "feed", "feeds", "feeding", "food", "diet", "hunt", "hunts",
             "hunting", "hunter", "prey", "predator", "graze", "grazes"),
    "habitat": ("jungle", "jungles", "forest", "forests", "woods", "woodland", "rainforest", "desert",
                "deserts", "savanna", "savannah", "grassland", "grasslands", "plains", "arctic", "antarctic",
                "polar", "mountain", "mountains", "tree", "trees", "underground", "burrow", "burrows", "cave",
                "caves", "zoo", "zoos", "city", "cities", "town", "africa", "african", "asia", "asian",
                "australia", "australian", "america", "american", "europe", "european", "antarctica", "india",
                "continent", "cold", "hot", "warm", "climate", "tropical", "swamp", "swamps"),
    "other": ("swim", "swims", "swimming", "climb", "climbs", "run", "runs", "fast", "slow", "jump", "jumps",
              "dangerous", "venomous", "poisonous", "poison", "venom", "bite", "bites", "sting", "stings",
              "stinger", "nocturnal", "night", "teeth", "tooth", "claws", "claw", "horn", "horns", "antler",
              "antlers", "trunk", "neck", "mane", "hump", "beak", "fins", "fin", "paws", "paw", "hooves", "hoof",
              "whiskers", "sound", "noise", "bark", "barks", "roar", "roars", "sing", "sings", "smart",
              "intelligent", "cute", "extinct", "endangered", "hibernate", "hibernates", "migrate",
              "migrates", "herd", "herds", "pack", "solitary", "milk", "speak", "talk", "letter", "name",
              "spell", "spelled", "starts"),
}


def _legs_phrases() -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for n, word in enumerate(NUMBER_WORDS):
        for w in (word, str(n)):
            out[(w, "leg" if n == 1 else "legs")] = f"legs={n}"
            nouns = ("leg", "legs") if n == 1 else ("legs",)  # "more than one leg/legs"
            out[(w, "legged")] = f"legs={n}"
            for comp, op in (("more than", ">"), ("over", ">"), ("fewer than", "<"), ("less than", "<"),
                             ("at least", ">="), ("at most", "<=")):
                for noun in nouns:
                    out[_words(comp) + (w, noun)] = f"legs{op}{n}"
    for phrase in ("no legs", "without legs", "legless", "zero legs"):
        out[_words(phrase)] = "legs=0"
    out[("quadruped",)] = "legs=4"
    for phrase in ("biped", "bipedal"):
        out[(phrase,)] = "legs=2"
    for phrase in ("legs", "leg"):
        out[(phrase,)] = "has_legs"
    return out


@cache
def lexicon(table: Table) -> dict[tuple[str, ...], Entry]:
    """Every phrase the answerer understands (as a word tuple), built from the table and fixed word lists."""
    lex: dict[tuple[str, ...], Entry] = {}

    def add(phrases: tuple[str, ...] | list[str], entry: Entry) -> None:
        for p in phrases:
            lex[_words(p)] = entry

    add(_WEAK, Entry("weak", "animal", "animal"))
    add(_FILLERS, Entry("filler", "filler"))
    for fam, phrases in _VAGUE.items():
        add(phrases, Entry("vague", fam))
    for fam, phrases in _BLOCKS.items():
        for p in phrases:
            lex[_words(p)] = Entry("block", fam, p)
    for comps in _COMPARATIVES.values():
        add([f"{c} than" for c in comps], Entry("vague", "size", swallow_next=True))
    for cls in CLASSES:
        add((cls, _plural(cls), *_CLASS_EXTRA.get(cls, ())), Entry("pred", "class", f"class={cls}"))
    for table_dict in (_OTHER_CLASS, _DIET, _KEPT, _HABITAT):
        for pred, phrases in table_dict.items():
            add(phrases, Entry("pred", family(pred), pred))
    for pred, phrases in _FLAG_PHRASES.items():
        add(phrases, Entry("pred", family(pred), pred))
    for colour in COLOURS:
        add((colour,), Entry("pred", "colour", f"colour={colour}"))
    add(("gray",), Entry("pred", "colour", "colour=grey"))
    add(("black and white", "white and black"), Entry("pred", "colour", "colour=black+white"))
    add(("stripes", "striped", "stripe", "stripy", "stripey"), Entry("pred", "pattern", "pattern=striped"))
    add(("spots", "spotted", "spot", "spotty", "patches", "patchy"), Entry("pred", "pattern", "pattern=spotted"))
    for words, pred in _legs_phrases().items():
        lex[words] = Entry("pred", "legs", pred)
    for animal in table.animals:
        names = {animal.name, *animal.aliases}
        if " " not in animal.name:
            names.add(_plural(animal.name))
        add(sorted(names), Entry("pred", "identity", f"is={animal.name}"))
    for key, comps in _COMPARATIVES.items():
        for ref, aliases in _REFERENCE_ALIASES.items():
            for comp in comps:
                add([f"{comp} than {alias}" for alias in aliases], Entry("pred", "size", f"{key}={ref}"))
    return lex


# ------------------------------------------------------------------------------------------ matching
_CONTRACTIONS = ((re.compile(r"\bcan['’]t\b"), "can not"), (re.compile(r"\bcannot\b"), "can not"),
                 (re.compile(r"\bwon['’]t\b"), "will not"), (re.compile(r"n['’]t\b"), " not"))
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> list[str]:
    """Lower-cased words of ``text`` with contractions expanded and articles dropped."""
    low = text.lower()
    for pattern, repl in _CONTRACTIONS:
        low = pattern.sub(repl, low)
    return [w for w in _NON_WORD.split(low) if w and w not in ARTICLES]


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    entry: Entry


def _find(words: list[str], lex: dict[tuple[str, ...], Entry], longest: int) -> list[_Hit]:
    """Lexicon phrases in ``words``: longest first, then leftmost; never overlapping. In text order."""
    found = [_Hit(i, i + n, lex[tuple(words[i:i + n])])
             for n in range(min(longest, len(words)), 0, -1)
             for i in range(len(words) - n + 1) if tuple(words[i:i + n]) in lex]
    taken = [False] * len(words)
    hits: list[_Hit] = []
    for hit in found:  # already ordered longest first, then leftmost
        if not any(taken[hit.start:hit.end]):
            taken[hit.start:hit.end] = [True] * (hit.end - hit.start)
            hits.append(hit)
    hits.sort(key=lambda h: h.start)
    # "bigger than a dog": the compared thing belongs to the (unanswerable) comparison, not a question.
    swallowed = {h.end for h in hits if h.entry.swallow_next}
    return [h for h in hits if h.start not in swallowed or h.entry.family != "identity"]


@cache
def _longest(table: Table) -> int:
    return max(len(k) for k in lexicon(table))


def resolve(question: str, table: Table) -> Resolution:
    """Map a question to a yes/no predicate, a clarification request or a refusal (see the module doc)."""
    words = normalise(question)
    if words and words[0] in WH_WORDS:
        return Resolution("refuse", message=prompts.REFUSE_WH)
    hits = _find(words, lexicon(table), _longest(table))
    covered = {i for h in hits for i in range(h.start, h.end)}
    negation = next((w for i, w in enumerate(words) if w in NEGATIONS and i not in covered), None)
    if negation is not None:
        return Resolution("refuse", message=prompts.REFUSE_NEGATION.format(word=negation))
    preds: list[str] = []
    for h in hits:
        if h.entry.kind == "pred" and h.entry.value not in preds:
            preds.append(h.entry.value)
    pred_families = {family(p) for p in preds}
    live = [h for h in hits if h.entry.kind in ("vague", "block") and h.entry.family not in pred_families]
    block = next((h.entry for h in live if h.entry.kind == "block"), None)
    if block is not None:
        return Resolution("refuse", message=prompts.REFUSE_BLOCK[block.family].format(word=block.value))
    vague: list[str] = []
    for h in live:
        if h.entry.family not in vague:
            vague.append(h.entry.family)
    topics = tuple(preds + [f"vague:{v}" for v in vague])
    if not topics:
        if any(h.entry.kind == "weak" for h in hits):
            return Resolution("answer", pred="animal", topics=("animal",))
        return Resolution("refuse", message=prompts.REFUSE_UNKNOWN)
    if len(topics) == 1 and preds:
        return Resolution("answer", pred=preds[0], topics=topics)
    if len(topics) == 1:
        return Resolution("clarify", message=prompts.CLARIFY_VAGUE[vague[0]], topics=topics)
    options = [f"'{render(p)}'" for p in preds] + [prompts.VAGUE_TOPIC[v] for v in vague]
    return Resolution("clarify", message=prompts.clarify_compound(options), topics=topics)


__all__ = ["Entry", "Resolution", "family", "lexicon", "normalise", "resolve"]
