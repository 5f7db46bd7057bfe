"""Scenes of the reference game: objects, the listener's vocabulary, and what a description singles out.

An object is a plain dict with one value per dimension (``{"colour": "red", "shape": "circle", "size":
"large", "pattern": "striped", "column": "left", "row": "top"}``), so instance params stay plain JSON. These
pure functions are shared by the episode, the instance generator, both teacher policies and the scorer: the
listener that reads a learner's words and the generator that plans the teacher's words cannot disagree.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

__all__ = [
    "DIMS", "Description", "Obj", "Vocabulary", "best_question", "describe_object", "dims_named", "fits",
    "load_vocabulary", "matching", "minimal_unique", "parse_description", "position", "question_text", "render",
]

Obj = Mapping[str, str]

#: Dimensions in preference order: describers name colour before shape before size ... (also tie-breaks).
DIMS: tuple[str, ...] = ("colour", "shape", "size", "pattern", "column", "row")
#: The order attributes are said in: "the large red striped circle at the top left".
_SPOKEN_ORDER = ("size", "colour", "pattern", "shape", "row", "column")
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Vocabulary:
    """The listener's words: each dimension's values and their synonyms, dimension names, negators."""

    values: dict[str, tuple[str, ...]]
    words: dict[str, tuple[str, str]]  # word -> (dimension, value)
    names: dict[str, tuple[str, ...]]  # word -> dimensions it names ("where" names column and row)
    negators: dict[str, int]  # word -> how many words ahead it reaches

    def listing(self) -> str:
        """The vocabulary for prompts: ``colour (red, blue, ...), shape (...), ...``."""
        return "; ".join(f"{dim}: {', '.join(self.values[dim])}" for dim in DIMS)


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The shipped ``vocabulary.json``, checked on load (a broken file fails at the first instance)."""
    data = json.loads(resources.files(__package__).joinpath("vocabulary.json").read_text(encoding="utf-8"))
    if tuple(data.get("dimensions", ())) != DIMS:
        raise ValueError(f"vocabulary.json: dimensions must be {DIMS}")
    values: dict[str, tuple[str, ...]] = {}
    words: dict[str, tuple[str, str]] = {}
    for dim in DIMS:
        table = data["values"][dim]
        values[dim] = tuple(table)
        for value, synonyms in table.items():
            if not synonyms or synonyms[0] != value:
                raise ValueError(f"vocabulary.json: {dim}/{value}: the value must be its own first word")
            for word in synonyms:
                if word in words or not _WORD.fullmatch(word):
                    raise ValueError(f"vocabulary.json: word {word!r} is repeated or not lowercase a-z")
                words[word] = (dim, value)
    names: dict[str, tuple[str, ...]] = {}
    for key, dim_words in data["names"].items():
        dims = ("column", "row") if key == "position" else (key,)
        for word in dim_words:
            if word in words:
                raise ValueError(f"vocabulary.json: name {word!r} is also an attribute word")
            names[word] = dims
    negators = {str(w): int(reach) for w, reach in data["negators"].items()}
    return Vocabulary(values, words, names, negators)


# ------------------------------------------------------------------------------------------- descriptions
@dataclass(frozen=True)
class Description:
    """What the listener understood of one description: per dimension, the values allowed and excluded.

    Several values of one dimension in one description are alternatives ("the red or blue one"); a value
    after a negator is excluded ("not striped"). Descriptions said one after another all hold together.
    """

    include: dict[str, frozenset[str]] = field(default_factory=dict)
    exclude: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def understood(self) -> bool:
        """Whether the listener found any attribute word in it."""
        return bool(self.include or self.exclude)

    def matches(self, obj: Obj) -> bool:
        return (all(obj.get(d) in vs for d, vs in self.include.items())
                and all(obj.get(d) not in vs for d, vs in self.exclude.items()))

    def summary(self) -> str:
        """The understood words in speaking order, e.g. ``large, red, circle, not striped`` (empty if none)."""
        vocab = load_vocabulary()
        order = _SPOKEN_ORDER
        parts = [v for d in order for v in vocab.values[d] if v in self.include.get(d, ())]
        parts += [f"not {v}" for d in order for v in vocab.values[d] if v in self.exclude.get(d, ())]
        return ", ".join(parts)


def parse_description(text: str) -> Description:
    """Read the attribute words of ``text`` (case-insensitive; anything else is ignored)."""
    vocab = load_vocabulary()
    include: dict[str, set[str]] = {}
    exclude: dict[str, set[str]] = {}
    negate_until = -1
    for i, word in enumerate(_WORD.findall(text.lower())):
        if word in vocab.negators:
            negate_until = i + vocab.negators[word]
            continue
        hit = vocab.words.get(word)
        if hit is None:
            continue
        dim, value = hit
        if i <= negate_until:
            exclude.setdefault(dim, set()).add(value)
            negate_until = -1  # a negator negates one attribute word: "not red but blue" includes blue
        else:
            include.setdefault(dim, set()).add(value)
    return Description({d: frozenset(v) for d, v in include.items()},
                       {d: frozenset(v) for d, v in exclude.items()})


def dims_named(text: str) -> list[str]:
    """Dimensions a question names by name ("which colour?") or by value ("the red one or the blue one?")."""
    vocab = load_vocabulary()
    found: set[str] = set()
    for word in _WORD.findall(text.lower()):
        if word in vocab.names:
            found.update(vocab.names[word])
        elif word in vocab.words:
            found.add(vocab.words[word][0])
    return [d for d in DIMS if d in found]


def matching(objects: Sequence[Obj], descriptions: Iterable[Description]) -> list[int]:
    """Indices of the objects that fit every description."""
    descs = list(descriptions)
    return [i for i, obj in enumerate(objects) if all(d.matches(obj) for d in descs)]


def fits(objects: Sequence[Obj], target: Obj, dims: Iterable[str], among: Iterable[int] | None = None) -> list[int]:
    """Indices (of ``among``, default all) that share the target's value on every dimension of ``dims``."""
    dims = tuple(dims)
    pool = range(len(objects)) if among is None else among
    return [i for i in pool if all(objects[i][d] == target[d] for d in dims)]


def minimal_unique(objects: Sequence[Obj], target: int) -> list[tuple[str, ...]]:
    """Every smallest set of dimensions whose values single out ``objects[target]``, in preference order.

    Empty only if another object is identical to the target (the generator never makes such scenes).
    """
    obj = objects[target]
    for k in range(1, len(DIMS) + 1):
        found = [dims for dims in itertools.combinations(DIMS, k) if fits(objects, obj, dims) == [target]]
        if found:
            return found
    return []


# ------------------------------------------------------------------------------------------- rendering
def position(obj: Obj) -> str:
    return f"{obj['row']} {obj['column']}"


def describe_object(obj: Obj) -> str:
    """The full description of an object, without its position: ``a large red striped circle``."""
    return f"a {obj['size']} {obj['colour']} {obj['pattern']} {obj['shape']}"


def _where(obj: Obj, dims: Sequence[str]) -> str:
    row, column = "row" in dims, "column" in dims
    if row and column:
        return f"at the {obj['row']} {obj['column']}"
    if row:
        return f"at the {obj['row']}"
    if column:
        return "in the middle" if obj["column"] == "middle" else f"on the {obj['column']}"
    return ""


def render(obj: Obj, dims: Iterable[str]) -> str:
    """A noun phrase naming ``obj``'s values on ``dims``: ``the small red one on the left``, ``the circle``."""
    dims = [d for d in DIMS if d in set(dims)]
    words = [obj[d] for d in ("size", "colour", "pattern") if d in dims]
    words.append(obj["shape"] if "shape" in dims else "one")
    where = _where(obj, dims)
    return " ".join(["the", *words] + ([where] if where else []))


# ------------------------------------------------------------------------------------------- questions
def best_question(objects: Sequence[Obj], candidates: Sequence[int]) -> str | None:
    """The dimension whose answer leaves the fewest candidates on average (ties: ``DIMS`` order).

    ``None`` when no dimension tells the candidates apart (one candidate, or identical objects).
    """
    best: tuple[int, int, str] | None = None
    for rank, dim in enumerate(DIMS):
        counts: dict[str, int] = {}
        for i in candidates:
            counts[objects[i][dim]] = counts.get(objects[i][dim], 0) + 1
        if len(counts) < 2:
            continue
        key = (sum(c * c for c in counts.values()), rank, dim)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def _alternatives(options: Sequence[str]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def question_text(dim: str, values: Iterable[str]) -> str:
    """The listener's question about ``dim`` between ``values``: ``Which colour: red or blue?``."""
    present = set(values)
    ordered = [v for v in load_vocabulary().values[dim] if v in present]
    if dim in ("colour", "shape"):
        return f"Which {dim}: {_alternatives(ordered)}?"
    if dim in ("size", "pattern"):
        text = _alternatives([f"the {v} one" for v in ordered])
    elif dim == "column":
        text = _alternatives(["in the middle" if v == "middle" else f"on the {v}" for v in ordered])
        text = "the one " + text
    else:
        text = "the one " + _alternatives([f"at the {v}" for v in ordered])
    return text[0].upper() + text[1:] + "?"
