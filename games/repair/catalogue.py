"""The item catalogue (``catalogue.json``): colours, nouns in groups of look-alikes, and their splits.

An item is named ``"<colour> <noun>"`` (``"red cup"``). Everything else about items is derived from the name,
so instance params stay plain strings and the scorer needs nothing but the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..seeding import split_of

__all__ = ["Catalogue", "colour_of", "load_catalogue", "noun_of"]


def colour_of(item: str) -> str:
    return item.split(" ", 1)[0]


def noun_of(item: str) -> str:
    return item.split(" ", 1)[-1]


@dataclass(frozen=True)
class Catalogue:
    colours: tuple[str, ...]
    #: Nouns that look or sound alike share a group (``cup``, ``mug``, ``glass``).
    groups: tuple[tuple[str, ...], ...]

    @property
    def nouns(self) -> frozenset[str]:
        return frozenset(n for g in self.groups for n in g)

    def group_of(self, noun: str) -> tuple[str, ...]:
        return next((g for g in self.groups if noun in g), (noun,))

    def split_groups(self, split: str) -> tuple[tuple[str, ...], ...]:
        """The groups of ``split``. A whole group goes to one split, keyed by its first noun, so that an
        item never appears in two splits and look-alikes stay together."""
        return tuple(g for g in self.groups if split_of(f"repair/group/{g[0]}") == split)


@cache
def load_catalogue() -> Catalogue:
    data = json.loads(resources.files(__package__).joinpath("catalogue.json").read_text(encoding="utf-8"))
    colours = tuple(str(c).lower() for c in data["colours"])
    groups = tuple(tuple(str(n).lower() for n in g) for g in data["groups"])
    nouns = [n for g in groups for n in g]
    # The parser finds items word by word: a noun must be one word, unique, and never a colour.
    if len(set(nouns)) != len(nouns) or set(nouns) & set(colours) or any(not n.isalpha() for n in nouns):
        raise ValueError("repair catalogue: nouns must be unique single words that are not colours")
    return Catalogue(colours, groups)
