"""The scenarios (``scenarios.json``) and the matching that stands in for understanding natural language.

A scenario is a form of five slots, an open question (``opening``) and what a customer comes for
(``request``, naming no detail). Each slot has a value pool (the form's *options*), the keywords that name
it in a question, the teacher agent's questions, and the teacher customer's answer templates and vague
answers. Two matchers built on it are the whole of the game's language understanding, used alike whoever
plays:

* :meth:`Form.asked` - which slots a question names (by keyword or option). One slot: a clear question; none or several:
  the customer asks what was meant.
* :meth:`Form.mentions` - which options an answer mentions (a whole-word, case-insensitive match of the
  option). Exactly one option of a slot: that slot's value is communicated; two or more: it is ambiguous.

The data is loaded once and checked on load, so a malformed file fails at the first instance, not mid-episode.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Form", "Scenario", "Slot", "form_for", "load_scenarios", "normalise"]

#: Smallest value pool a slot may have: fewer would make guessing the form a fair strategy.
MIN_OPTIONS = 5
#: Characters deleted before matching, so that a zero-width space cannot hide or split a word.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SPACES = re.compile(r"\s+")
_ID = re.compile(r"[a-z]+")


def normalise(text: str) -> str:
    """Casefolded NFKC text with one kind of apostrophe and single spaces: what every match compares."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_APOSTROPHES)
    return _SPACES.sub(" ", text).strip().casefold()


def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Whole-word alternatives (a hyphen counts as part of a word: "gluten-free" is not "free")."""
    alternatives = sorted({normalise(p) for p in phrases}, key=lambda p: (-len(p), p))
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(p) for p in alternatives) + r")(?![\w-])")


@dataclass(frozen=True)
class Slot:
    """One field of a scenario's form."""

    id: str
    name: str
    options: tuple[str, ...]
    keywords: tuple[str, ...]
    questions: tuple[str, ...]
    answers: tuple[str, ...]
    vague: tuple[str, ...]

    def canonical(self, value: str) -> str | None:
        """The option ``value`` names (case and spacing forgiven), else ``None``."""
        wanted = normalise(value)
        return next((o for o in self.options if normalise(o) == wanted), None)


@dataclass(frozen=True)
class Scenario:
    """A dialogue setting: who talks to whom, and the form the agent fills in."""

    id: str
    title: str
    customer_label: str
    agent_label: str
    customer_intro: str
    agent_intro: str
    opening: str
    request: str
    slots: tuple[Slot, ...]

    def slot(self, slot_id: str) -> Slot:
        for s in self.slots:
            if s.id == slot_id:
                return s
        raise KeyError(f"scenario {self.id!r} has no slot {slot_id!r}")


class Form:
    """The slots of one instance (a subset of a scenario's, in form order) and the matchers over them.

    Only these slots count: an option or keyword of a scenario slot that is not on the form is ignored.
    """

    def __init__(self, scenario: Scenario, slot_ids: tuple[str, ...]) -> None:
        self.scenario = scenario
        self.slots: tuple[Slot, ...] = tuple(scenario.slot(s) for s in slot_ids)
        self.ids: tuple[str, ...] = tuple(s.id for s in self.slots)
        self._keywords = {s.id: _phrases(s.keywords + s.options) for s in self.slots}
        self._options = {s.id: _phrases(s.options) for s in self.slots}

    def slot(self, slot_id: str) -> Slot:
        return self.scenario.slot(slot_id)

    def asked(self, question: str) -> list[str]:
        """The form's slots that ``question`` names by a keyword or one of their options, in form order.

        Where matches of two slots overlap, the one that ends later wins, so that "where are you flying
        from" asks for the departure ("flying from"), not the destination ("where are you flying").
        """
        text = normalise(question)
        spans = {sid: [m.span() for m in self._keywords[sid].finditer(text)] for sid in self.ids}

        def beaten(sid: str, span: tuple[int, int]) -> bool:
            start, end = span
            return any(o_start < end and start < o_end and (o_end, -o_start) > (end, -start)
                       for other in self.ids if other != sid for o_start, o_end in spans[other])

        return [sid for sid in self.ids if any(not beaten(sid, span) for span in spans[sid])]

    def mentions(self, answer: str) -> dict[str, list[str]]:
        """Slot -> the distinct options ``answer`` mentions (canonical spelling, in order of appearance)."""
        text = normalise(answer)
        found: dict[str, list[str]] = {}
        for slot in self.slots:
            values: list[str] = []
            for m in self._options[slot.id].finditer(text):
                value = slot.canonical(m.group(1))
                if value is not None and value not in values:
                    values.append(value)
            if values:
                found[slot.id] = values
        return found

    def communicated(self, answer: str) -> dict[str, str]:
        """Slot -> value for every slot whose options ``answer`` mentions exactly one of."""
        return {sid: vals[0] for sid, vals in self.mentions(answer).items() if len(vals) == 1}


@lru_cache(maxsize=64)
def form_for(scenario_id: str, slot_ids: tuple[str, ...]) -> Form:
    """The (cached) form of an instance."""
    return Form(load_scenarios()[scenario_id], slot_ids)


def _strings(raw: dict[str, object], key: str, where: str, *, least: int = 1) -> tuple[str, ...]:
    value = raw.get(key)
    if not (isinstance(value, list) and len(value) >= least and all(isinstance(v, str) and v.strip()
                                                                      for v in value)):
        raise ValueError(f"{where}: {key!r} must be a list of at least {least} non-empty strings")
    return tuple(v.strip() for v in value)


def _text(raw: dict[str, object], key: str, where: str) -> str:
    value = raw.get(key)
    if not (isinstance(value, str) and value.strip()):
        raise ValueError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def _slot(raw: object, where: str) -> Slot:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a slot must be an object")
    sid = raw.get("id")
    if not (isinstance(sid, str) and _ID.fullmatch(sid)):
        raise ValueError(f"{where}: slot id {sid!r} must be lowercase letters")
    where = f"{where}/{sid}"
    options = _strings(raw, "options", where, least=MIN_OPTIONS)
    if len({normalise(o) for o in options}) != len(options) or any(normalise(o) == "unknown" for o in options):
        raise ValueError(f"{where}: options must be distinct and never 'unknown'")
    if any(re.search(r"\d|[;=]", o) for o in options):
        raise ValueError(f"{where}: options may not contain digits, ';' or '='")
    answers = _strings(raw, "answers", where)
    if not all(a.count("{value}") == 1 for a in answers):
        raise ValueError(f"{where}: every answer template needs exactly one {{value}}")
    return Slot(sid, _text(raw, "name", where), options, _strings(raw, "keywords", where),
                _strings(raw, "questions", where), answers, _strings(raw, "vague", where))


@lru_cache(maxsize=1)
def load_scenarios() -> dict[str, Scenario]:
    """Every scenario of ``scenarios.json`` by id. Raises ``ValueError`` on malformed data."""
    text = resources.files(__package__).joinpath("scenarios.json").read_text(encoding="utf-8")
    data = json.loads(text)
    raw = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise ValueError("scenarios.json: expected a non-empty list under 'scenarios'")
    out: dict[str, Scenario] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ValueError("scenarios.json: every scenario needs an 'id'")
        where = f"scenarios.json/{item['id']}"
        slots_raw = item.get("slots")
        if not isinstance(slots_raw, list):
            raise ValueError(f"{where}: 'slots' must be a list")
        slots = tuple(_slot(s, where) for s in slots_raw)
        if len(slots) < 5 or len({s.id for s in slots}) != len(slots):
            raise ValueError(f"{where}: needs at least 5 slots with distinct ids")
        # An option that contains another slot's option (as a word) would be read as both.
        options = [normalise(o) for s in slots for o in s.options]
        if len(set(options)) != len(options):
            raise ValueError(f"{where}: two slots share an option")
        for o in options:
            if any(o != p and re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", o) for p in options):
                raise ValueError(f"{where}: option {o!r} contains another option")
        sc = Scenario(item["id"], _text(item, "title", where), _text(item, "customer_label", where),
                      _text(item, "agent_label", where), _text(item, "customer_intro", where),
                      _text(item, "agent_intro", where), _text(item, "opening", where),
                      _text(item, "request", where), slots)
        if sc.id in out:
            raise ValueError(f"{where}: duplicate scenario id")
        out[sc.id] = sc
    return out
