"""The programmatic questioner's choices: which property to ask about, and the ambiguous probes it puts to a
learner answerer. Pure functions of public information (the candidates, the table, the answers so far) and the
episode's rng: never of the secret animal.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from .matcher import family, resolve
from .table import NUMBER_WORDS, Table, holds, render, teacher_predicates

#: Probe wording for a size or colour question: the vague word without the reference or the colour.
_VAGUE_SIZE = {"heavier": "Is it big?", "lighter": "Is it small?"}
_VAGUE_COLOUR = "Is it brightly coloured?"


#: Other wordings of the canonical questions (``{x}``: the predicate's value, ``{a}``: it with its article,
#: ``{n}``: a number of legs in words, ``{d}``: in digits). Opposite a learner answerer the teacher questioner
#: uses them, so that answering takes understanding the question, not finding its words in the fact table.
_WORDINGS: dict[str, tuple[str, ...]] = {
    "can_fly": ("Is it able to fly?", "Does it fly?", "Can it fly through the air?"),
    "has_fur": ("Is it furry?", "Does it have hair?", "Is its body covered in fur?"),
    "has_feathers": ("Is it feathered?", "Is its body covered in feathers?"),
    "has_scales": ("Is it scaly?", "Is its skin covered in scales?"),
    "has_shell": ("Does it carry a shell?", "Is it shelled?"),
    "has_wings": ("Is it winged?", "Has it got wings?"),
    "has_tail": ("Has it got a tail?",),
    "lays_eggs": ("Does it hatch from an egg?", "Do its young hatch from eggs?"),
    "has_legs": ("Has it got legs?", "Does it walk on legs?"),
    "legs=": ("Is it {n}-legged?", "Does it have {d} legs?", "Has it got {n} legs?"),
    "legs>": ("Does it have over {n} legs?", "Has it got more than {d} legs?"),
    "class=": ("Is it a kind of {x}?", "Does it belong to the {x}s?", "Is it some sort of {x}?"),
    "vertebrate": ("Does it have a backbone?", "Does it have a spine?"),
    "colour=": ("Is it {x} in colour?", "Is any part of it {x}?", "Is it coloured {x}?"),
    "pattern=striped": ("Is it striped?", "Is its coat or skin striped?"),
    "pattern=spotted": ("Is it spotted?", "Does it have a spotty pattern?"),
    "heavier=": ("Is it larger than {a}?", "Is it heavier than {a}?", "Does it weigh more than {a}?"),
    "diet=carnivore": ("Is it carnivorous?", "Does it eat only meat?"),
    "diet=herbivore": ("Is it vegetarian?", "Does it eat only plants?", "Is it herbivorous?"),
    "diet=omnivore": ("Is it omnivorous?", "Does it eat both meat and plants?"),
    "eats=meat": ("Is it a meat eater?", "Does it eat other animals?"),
    "eats=plants": ("Is it a plant eater?", "Does it eat vegetables?"),
    "kept=pet": ("Do people keep it as a pet?", "Is it a household pet?"),
    "kept=farm": ("Is it livestock?", "Is it kept on farms?"),
    "kept=wild": ("Does it live in the wild?", "Is it wildlife?"),
    "domestic": ("Is it domesticated?", "Is it tame?"),
    "habitat=land": ("Is it a land animal?", "Is it terrestrial?"),
    "habitat=sea": ("Is it a marine animal?", "Does it live in the ocean?"),
    "habitat=freshwater": ("Does it live in rivers or lakes?", "Is it found in ponds or streams?"),
    "water": ("Is it aquatic?", "Does it live underwater?"),
    "amphibious": ("Is it amphibious?", "Does it live on land and in water?"),
}


def wordings(pred: str, table: Table) -> tuple[str, ...]:
    """The canonical question for ``pred`` and its other wordings that the answerer's matcher maps back to
    ``pred`` (so a wording can never change what is asked)."""
    key, _, value = pred.partition("=")
    templates = _WORDINGS.get(pred, ())
    if not templates and pred.startswith("legs") and pred[4:5] in "=>" and pred[5:6] != "=":
        templates = _WORDINGS.get(pred[:5], ())
    elif not templates and value:
        templates = _WORDINGS.get(key + "=", ())
    n = value if not pred.startswith("legs") else pred[5:]
    words = {"x": value, "a": ("an " if value[:1] in "aeiou" else "a ") + value, "d": n,
             "n": NUMBER_WORDS[int(n)] if n.isdigit() and int(n) < len(NUMBER_WORDS) else n}
    out = [render(pred)]
    for template in templates:
        text = template.format(**words)
        if text not in out and resolve(text, table).pred == pred:
            out.append(text)
    return tuple(out)


def question_predicates(table: Table) -> tuple[str, ...]:
    """What the teacher may ask about: every canonical predicate but identity (naming one animal is a
    guess, not a question)."""
    return tuple(p for p in teacher_predicates(table) if not p.startswith("is="))


def _lower_bound(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


def predicate_masks(table: Table, candidates: Sequence[str]) -> dict[str, int]:
    """Bitmask over ``candidates`` of the animals each askable predicate holds for (splits only)."""
    full = (1 << len(candidates)) - 1
    masks: dict[str, int] = {}
    for pred in question_predicates(table):
        mask = sum(1 << i for i, c in enumerate(candidates) if holds(pred, table.get(c), table))
        if mask and mask != full:
            masks[pred] = mask
    return masks


def best_predicate(masks: dict[str, int], remaining_mask: int, rng: random.Random) -> str | None:
    """The question that best splits the remaining candidates, or ``None`` if no question splits them.

    A question is scored by the questions still needed after it, counted as ceil(log2(side)) for each side,
    weighted by the side's share; ties go to the more even split, then to ``rng``. Splitting 8 as 4/4 beats
    5/3 (2 more either way vs 3 or 2), and 6 as 4/2 beats 3/3.
    """
    total = bin(remaining_mask).count("1")
    best: list[str] = []
    best_key: tuple[float, int] | None = None
    for pred, mask in masks.items():
        yes = bin(remaining_mask & mask).count("1")
        if yes == 0 or yes == total:
            continue
        no = total - yes
        key = (round((yes * _lower_bound(yes) + no * _lower_bound(no)) / total, 9), -min(yes, no))
        if best_key is None or key < best_key:
            best, best_key = [pred], key
        elif key == best_key:
            best.append(pred)
    return rng.choice(best) if best else None


def probe(pred: str, table: Table, rng: random.Random) -> str | None:
    """An ambiguous way to ask about ``pred``: a size or colour question without its reference, or
    ``pred``'s question joined with another property's ("Does it have fur, or can it fly?"). Only wordings
    the answerer's matcher itself reads as ambiguous are returned (else ``None``)."""
    key = pred.partition("=")[0]
    if key in _VAGUE_SIZE:
        text = _VAGUE_SIZE[key]
    elif key == "colour":
        text = _VAGUE_COLOUR
    else:
        others = [p for p in question_predicates(table) if family(p) != family(pred)]
        other = render(rng.choice(others))
        text = f"{render(pred)[:-1]}, or {other[0].lower()}{other[1:]}"
    return text if resolve(text, table).kind == "clarify" else None
