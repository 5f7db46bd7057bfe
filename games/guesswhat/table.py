"""The attribute table (``animals.json``) and the yes/no predicates over it.

A *predicate* is a short string id such as ``can_fly``, ``class=bird``, ``colour=red``, ``legs>4``,
``heavier=cat`` or ``is=penguin``. Ids are plain strings so that they can sit in records (``parse`` notes)
and be re-evaluated by the scorer. Three pure functions give them meaning: :func:`holds` (is it true of an
animal?), :func:`render` (the canonical question, as the teacher questioner asks it) and :func:`topic` (what
the question is about, for the answerer's corrections).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

CLASSES = ("mammal", "bird", "fish", "reptile", "amphibian", "insect", "arachnid", "mollusc", "crustacean")
VERTEBRATES = frozenset({"mammal", "bird", "fish", "reptile", "amphibian"})
#: Colour words the answerer knows; an animal's colours are a subset (purple exists so "Is it purple?" gets a
#: truthful "no" instead of a correction).
COLOURS = ("black", "white", "brown", "grey", "orange", "yellow", "green", "red", "pink", "blue", "purple")
PATTERNS = ("plain", "striped", "spotted")
DIETS = ("carnivore", "herbivore", "omnivore")
KEPT = ("pet", "farm", "wild")
HABITATS = ("land", "sea", "freshwater")
#: Yes/no attributes stored as booleans in the table, with the canonical question for each.
FLAGS: dict[str, str] = {
    "can_fly": "Can it fly?",
    "has_fur": "Does it have fur?",
    "has_feathers": "Does it have feathers?",
    "has_scales": "Does it have scales?",
    "has_shell": "Does it have a shell?",
    "has_wings": "Does it have wings?",
    "has_tail": "Does it have a tail?",
    "lays_eggs": "Does it lay eggs?",
}
_FLAG_TOPICS = {"can_fly": "whether it can fly", "has_fur": "whether it has fur",
                "has_feathers": "whether it has feathers", "has_scales": "whether it has scales",
                "has_shell": "whether it has a shell", "has_wings": "whether it has wings",
                "has_tail": "whether it has a tail", "lays_eggs": "whether it lays eggs"}
LEG_OPS = ("=", ">", "<", ">=", "<=")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_DIET_TEXT = {"carnivore": "carnivore (eats meat only)", "herbivore": "herbivore (eats plants only)",
              "omnivore": "omnivore (eats both meat and plants)"}
_KEPT_TEXT = {"pet": "a pet", "farm": "a farm animal", "wild": "a wild animal"}
_HABITAT_TEXT = {"land": "on land", "sea": "in the sea", "freshwater": "in fresh water (rivers, lakes, ponds)"}


class TableError(ValueError):
    """The attribute table is malformed."""


@dataclass(frozen=True)
class Animal:
    """One row of the table."""

    name: str
    aliases: tuple[str, ...]
    cls: str
    legs: int
    colours: tuple[str, ...]
    pattern: str
    weight_kg: float
    diet: str
    kept: str
    habitats: tuple[str, ...]
    flags: tuple[tuple[str, bool], ...]

    def flag(self, name: str) -> bool:
        for flag, value in self.flags:
            if flag == name:
                return value
        raise KeyError(name)


@dataclass(frozen=True)
class Table:
    """Every animal, by name, plus the reference weights that size questions compare with."""

    animals: tuple[Animal, ...]
    references: tuple[tuple[str, float], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.animals)

    @cached_property
    def _by_name(self) -> dict[str, Animal]:
        return {a.name: a for a in self.animals}

    def get(self, name: str) -> Animal:
        """The row of ``name``; ``KeyError`` if the table has none."""
        return self._by_name[name]

    def reference_weight(self, name: str) -> float:
        return dict(self.references)[name]


def _animal(row: dict[str, Any]) -> Animal:
    try:
        animal = Animal(
            name=str(row["name"]), aliases=tuple(str(a) for a in row.get("aliases", ())), cls=str(row["class"]),
            legs=int(row["legs"]), colours=tuple(str(c) for c in row["colours"]), pattern=str(row["pattern"]),
            weight_kg=float(row["weight_kg"]), diet=str(row["diet"]), kept=str(row["kept"]),
            habitats=tuple(str(h) for h in row["habitats"]),
            flags=tuple((f, bool(row[f])) for f in FLAGS),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TableError(f"malformed row {row.get('name', '?')!r}: {exc!r}") from exc
    problems = [f"class {animal.cls!r}" for _ in [0] if animal.cls not in CLASSES]
    problems += [f"colour {c!r}" for c in animal.colours if c not in COLOURS]
    problems += [f"habitat {h!r}" for h in animal.habitats if h not in HABITATS]
    if animal.pattern not in PATTERNS:
        problems.append(f"pattern {animal.pattern!r}")
    if animal.diet not in DIETS:
        problems.append(f"diet {animal.diet!r}")
    if animal.kept not in KEPT:
        problems.append(f"kept {animal.kept!r}")
    if not animal.colours or not animal.habitats or not 0 <= animal.legs <= 10 or animal.weight_kg <= 0:
        problems.append("empty colours/habitats, legs outside 0-10 or weight <= 0")
    if problems:
        raise TableError(f"{animal.name}: bad " + ", ".join(problems))
    return animal


def parse_table(data: dict[str, Any]) -> Table:
    """Build a :class:`Table` from the JSON object of ``animals.json`` (validated)."""
    animals = tuple(_animal(r) for r in data["animals"])
    if len({a.name for a in animals}) != len(animals):
        raise TableError("duplicate animal names")
    refs = tuple((str(k), float(v)) for k, v in data["references"].items())
    return Table(animals, refs)


@cache
def load_table() -> Table:
    """The shipped table (cached per process)."""
    text = resources.files(__package__).joinpath("animals.json").read_text(encoding="utf-8")
    return parse_table(json.loads(text))


# ------------------------------------------------------------------------------------------ predicates
def _legs(op: str, n: int, legs: int) -> bool:
    return {"=": legs == n, ">": legs > n, "<": legs < n, ">=": legs >= n, "<=": legs <= n}[op]


def split_legs(pred: str) -> tuple[str, int]:
    """``legs>=4`` -> (``>=``, 4)."""
    rest = pred[len("legs"):]
    op = rest[:2] if rest[:2] in (">=", "<=") else rest[:1]
    return op, int(rest[len(op):])


def holds(pred: str, animal: Animal, table: Table) -> bool:
    """Whether ``pred`` is true of ``animal``. Raises ``KeyError``/``ValueError`` for an unknown id."""
    key, _, value = pred.partition("=")
    if pred in FLAGS:
        return animal.flag(pred)
    if key == "is":
        return animal.name == value
    if key == "class":
        return animal.cls == value
    if key == "colour":
        return all(c in animal.colours for c in value.split("+"))
    if key == "pattern":
        return animal.pattern == value
    if key == "diet":
        return animal.diet == value
    if key == "eats":
        return animal.diet == "omnivore" or animal.diet == {"meat": "carnivore", "plants": "herbivore"}[value]
    if key == "kept":
        return animal.kept == value
    if key == "habitat":
        return value in animal.habitats
    if key in ("heavier", "lighter"):
        ref = table.reference_weight(value)
        return animal.weight_kg > ref if key == "heavier" else animal.weight_kg < ref
    if pred.startswith("legs"):
        op, n = split_legs(pred)
        return _legs(op, n, animal.legs)
    water = "sea" in animal.habitats or "freshwater" in animal.habitats
    simple = {
        "animal": lambda: True,
        "has_legs": lambda: animal.legs > 0,
        "live_birth": lambda: not animal.flag("lays_eggs"),
        "vertebrate": lambda: animal.cls in VERTEBRATES,
        "invertebrate": lambda: animal.cls not in VERTEBRATES,
        "domestic": lambda: animal.kept != "wild",
        "water": lambda: water,
        "amphibious": lambda: water and "land" in animal.habitats,
    }
    if pred in simple:
        return simple[pred]()
    raise KeyError(f"unknown predicate {pred!r}")


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def render(pred: str) -> str:
    """The canonical yes/no question for ``pred`` (the matcher maps it back to ``pred``)."""
    key, _, value = pred.partition("=")
    if pred in FLAGS:
        return FLAGS[pred]
    if pred.startswith("legs") and pred != "has_legs":
        op, n = split_legs(pred)
        word = NUMBER_WORDS[n]
        legs = "leg" if n == 1 else "legs"
        return {"=": f"Does it have {word} {legs}?" if n else "Does it have no legs?",
                ">": f"Does it have more than {word} {legs}?", "<": f"Does it have fewer than {word} {legs}?",
                ">=": f"Does it have at least {word} {legs}?", "<=": f"Does it have at most {word} {legs}?"}[op]
    fixed = {
        "animal": "Is it an animal?", "has_legs": "Does it have legs?",
        "live_birth": "Does it give birth to live young?", "vertebrate": "Is it a vertebrate?",
        "invertebrate": "Is it an invertebrate?", "domestic": "Is it a domestic animal?",
        "water": "Does it live in water?", "amphibious": "Does it live both on land and in water?",
        "eats=meat": "Does it eat meat?", "eats=plants": "Does it eat plants?",
        "kept=pet": "Is it a pet?", "kept=farm": "Is it a farm animal?", "kept=wild": "Is it a wild animal?",
        "habitat=land": "Does it live on land?", "habitat=sea": "Does it live in the sea?",
        "habitat=freshwater": "Does it live in fresh water?",
        "pattern=striped": "Does it have stripes?", "pattern=spotted": "Does it have spots?",
    }
    if pred in fixed:
        return fixed[pred]
    if key in ("is", "class", "diet"):
        return f"Is it {_a(value)}?"
    if key == "colour":
        return f"Is it {' and '.join(value.split('+'))}?"
    if key in ("heavier", "lighter"):
        return f"Is it {'bigger' if key == 'heavier' else 'smaller'} than {_a(value)}?"
    raise KeyError(f"unknown predicate {pred!r}")


def topic(pred: str, animal: Animal, table: Table) -> str:
    """What ``pred`` asks about and what the table says on it for ``animal`` (no yes/no verdict)."""
    key, _, value = pred.partition("=")
    name = animal.name
    if pred in FLAGS:
        return f"The question is about {_FLAG_TOPICS[pred]}: see \"{pred.replace('_', ' ')}\" for the {name}."
    if pred.startswith("legs") or pred == "has_legs":
        return f"The question is about its legs: the table gives the {name} {animal.legs} legs."
    if key == "is":
        return f"The question names one animal; the secret animal is the {name}."
    if key in ("class",) or pred in ("vertebrate", "invertebrate"):
        extra = " (mammals, birds, fish, reptiles and amphibians are vertebrates)" if key != "class" else ""
        return f"The question is about its class: the {name} is {_a(animal.cls)}{extra}."
    if key == "colour":
        return f"The question is about its colour: the {name}'s colours are {', '.join(animal.colours)}."
    if key == "pattern":
        return f"The question is about its pattern: the {name}'s pattern is {animal.pattern}."
    if key in ("diet", "eats"):
        return f"The question is about what it eats: the {name} is {_a(_DIET_TEXT[animal.diet])}."
    if key == "kept" or pred == "domestic":
        return (f"The question is about whether people keep it: the {name} is {_KEPT_TEXT[animal.kept]} "
                "(pets and farm animals are domestic).")
    if key == "habitat" or pred in ("water", "amphibious"):
        where = " and ".join(_HABITAT_TEXT[h] for h in animal.habitats)
        return f"The question is about where it lives: the {name} lives {where}."
    if key in ("heavier", "lighter"):
        return (f"The question is about its size (by weight): the {name} weighs about "
                f"{format_weight(animal.weight_kg)} and {_a(value)} about "
                f"{format_weight(table.reference_weight(value))}.")
    if pred == "live_birth":
        return f"The question is about eggs or live young: see \"lays eggs\" for the {name}."
    return f"The question is about: {render(pred)}"


def format_weight(kg: float) -> str:
    """Readable weight: ``0.02`` -> ``20 g``, ``0.000003`` -> ``0.003 g``, ``1500`` -> ``1500 kg``."""
    if kg >= 1:
        return f"{kg:g} kg"
    return f"{kg * 1000:g} g"


def describe(animal: Animal, table: Table) -> str:
    """The answerer's view of the secret animal: every attribute, readable."""
    refs = ", ".join(f"{_a(r)} {format_weight(w)}" for r, w in table.references)
    yes_no = "\n".join(f"- {f.replace('_', ' ')}: {'yes' if v else 'no'}" for f, v in animal.flags)
    return (
        f"- class: {animal.cls}\n"
        f"- legs: {animal.legs}\n"
        f"- colours: {', '.join(animal.colours)}\n"
        f"- pattern: {animal.pattern}\n"
        f"- typical weight: {format_weight(animal.weight_kg)} (for size questions compare with: {refs})\n"
        f"- diet: {_DIET_TEXT[animal.diet]}\n"
        f"- kept as: {_KEPT_TEXT[animal.kept]} (pets and farm animals are domestic, the others wild)\n"
        f"- lives: {' and '.join(_HABITAT_TEXT[h] for h in animal.habitats)}\n"
        f"{yes_no}"
    )


def teacher_predicates(table: Table) -> tuple[str, ...]:
    """Every canonical predicate, in a fixed order (one id per question). The teacher questioner asks all but
    the identities (``teacher.question_predicates``): naming one animal is a guess."""
    preds: list[str] = [f"class={c}" for c in CLASSES] + ["vertebrate"]
    preds += list(FLAGS) + ["has_legs"]
    preds += [f"legs={n}" for n in (2, 4, 6, 8)] + [f"legs>{n}" for n in (2, 4, 6)]
    preds += [f"colour={c}" for c in COLOURS if c != "purple"] + ["colour=black+white"]
    preds += ["pattern=striped", "pattern=spotted"]
    preds += [f"heavier={r}" for r, _ in table.references]
    preds += [f"diet={d}" for d in DIETS] + ["eats=meat", "eats=plants"]
    preds += [f"kept={k}" for k in KEPT] + ["domestic"]
    preds += [f"habitat={h}" for h in HABITATS] + ["water", "amphibious"]
    preds += [f"is={a.name}" for a in table.animals]
    return tuple(preds)
