"""Reading replies: the instructor's free-text steps, the builder's ``STATE``/``CLARIFY`` lines.

Pure functions shared by the live episode and the scorer (which re-reads the record's move texts), so a score
can never disagree with what happened. The instruction reader is the teacher builder's understanding of
language: keyword-based and forgiving about wording, strict about what a step must say (one item or two,
a slot or the table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError, RuleError
from ..grammar import body, find_move
from . import prompts
from .catalogue import Catalogue, colour_of, noun_of
from .shelf import Action, Put, Remove, State, Swap, slot_of

__all__ = ["Ambiguous", "Clarify", "Done", "Instruct", "Instruction", "Report", "Scene", "interpret",
           "mentions", "parse_builder", "parse_instructor", "parse_state", "resolve", "which_question"]

#: Longest instruction or question read, in characters: a step is one sentence.
MAX_TEXT = 300
#: Longest STATE line read: every slot with a full item name fits well within it.
MAX_STATE = 600
INSTRUCTOR_KEYWORDS = ("INSTRUCT", "DONE")
BUILDER_KEYWORDS = ("STATE", "CLARIFY")
BARE = ("DONE",)

_ENTRY = re.compile(r"^(?:slot\s*)?#?(\d{1,3})\s*[=:]\s*(.*)$", re.IGNORECASE)
_EMPTY_WORDS = {"", "empty", "-", "none", "nothing", "free", "(empty)", "[empty]"}

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
                 "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_SLOT_WORD = r"(?:slot|position|spot|place)s?"
_SWAP_WORDS = {"swap", "switch", "exchange", "trade", "interchange"}
_REMOVE_WORDS = {"remove", "table", "off", "away", "clear", "empty", "unplace"}
#: Words that may follow a colour without naming a thing of their own ("the red one", "the red in slot 2").
#: Any other word after a colour names a thing: "the red apple" is no item here, not "the red one".
_AFTER_COLOUR = frozenset({
    "one", "ones", "item", "items", "thing", "things", "object", "objects", "piece", "pieces", "in", "into",
    "to", "onto", "on", "at", "from", "of", "with", "by", "and", "or", "not", "nor", "but", "please", "then",
    "first", "next", "now", "instead", "rather", "goes", "go", "should", "must", "is", "was", "slot",
    "slots", "position", "spot", "place", "back", "off", "away", "over", "up", "down", "left", "right",
    "the", "a", "an", "i", "you", "it", "do", "mean", "meant", "here", "there"
})


# ------------------------------------------------------------------------------------------ moves
@dataclass(frozen=True)
class Instruct:
    text: str


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Report:
    state: State


@dataclass(frozen=True)
class Clarify:
    question: str


@dataclass(frozen=True)
class Scene:
    """What the builder knows: the items, the number of slots and the catalogue's words."""

    items: tuple[str, ...]
    slots: int
    catalogue: Catalogue


def parse_instructor(text: str) -> Instruct | Done:
    """The one ``INSTRUCT: <step>`` or ``DONE`` line of the reply (the move grammar of ``games/grammar.py``);
    raises :class:`FormatError`."""
    line = find_move(text, INSTRUCTOR_KEYWORDS, fmt=prompts.INSTRUCTOR_FORMAT, bare=BARE)
    if line.keyword == "DONE":
        return Done()
    return Instruct(body(line, what="instruction", limit=MAX_TEXT, fmt=prompts.INSTRUCTOR_FORMAT))


def parse_builder(text: str, scene: Scene) -> Report | Clarify:
    """The one ``STATE: ...`` or ``CLARIFY: ...`` line of the reply; raises :class:`FormatError` or, for a
    state that names unknown items or an item twice, :class:`RuleError`."""
    line = find_move(text, BUILDER_KEYWORDS, fmt=prompts.BUILDER_FORMAT)
    if line.keyword == "CLARIFY":
        return Clarify(body(line, what="question", limit=MAX_TEXT, fmt=prompts.BUILDER_FORMAT))
    state = body(line, what="STATE line", limit=MAX_STATE, fmt=prompts.BUILDER_FORMAT)
    return Report(parse_state(state, scene))


def parse_state(body: str, scene: Scene) -> State:
    """``1=red cup; 2=empty; ...`` with every slot exactly once (``;`` or ``,`` between entries)."""
    cells: dict[int, str | None] = {}
    for raw in re.split(r"[;,|]", body.strip().rstrip(".")):
        entry = raw.strip()
        if not entry:
            continue
        m = _ENTRY.match(entry)
        if not m:
            raise FormatError(f"Cannot read '{entry[:40]}' in your STATE line. " + prompts.state_format(scene.slots))
        slot, name = int(m.group(1)), m.group(2).strip().strip("*`'\".").strip().lower()
        if not 1 <= slot <= scene.slots or slot in cells:
            raise FormatError(f"Slot {slot} is out of range or listed twice. " + prompts.state_format(scene.slots))
        name = re.sub(r"^(the|a|an)\s+", "", " ".join(name.split()))
        cells[slot] = None if name in _EMPTY_WORDS else name
    if len(cells) != scene.slots:
        missing = [s for s in range(1, scene.slots + 1) if s not in cells]
        raise FormatError(f"Your STATE line leaves out slot(s) {', '.join(map(str, missing))}. "
                          + prompts.state_format(scene.slots))
    state = tuple(cells[s] for s in range(1, scene.slots + 1))
    unknown = [name for name in state if name is not None and name not in scene.items]
    if unknown:
        raise RuleError(f"There is no '{unknown[0][:40]}' among the items. Name items exactly as listed: "
                        f"{prompts.item_list(scene.items)}.")
    doubles = sorted({name for name in state if name is not None and state.count(name) > 1})
    if doubles:
        raise RuleError(f"The {doubles[0]} cannot be in two slots at once. Report each item at most once.")
    return state


# ------------------------------------------------------------------------------------- instructions
@dataclass(frozen=True)
class Instruction:
    """What a step says before it is matched to the shelf.

    ``refs`` are the items it mentions, each as the set of items the words could mean (one item when it is
    clear, several when it is not); ``slots`` the destination slots; ``sources`` slots it takes from
    ("from slot 4").
    """

    kind: Literal["put", "remove", "swap", "answer"]
    refs: tuple[frozenset[str], ...]
    slots: tuple[int, ...]
    sources: tuple[int, ...] = ()


@dataclass(frozen=True)
class Ambiguous:
    """A step naming an item the builder cannot pin down: it asks which of ``candidates`` is meant."""

    instruction: Instruction
    index: int  # which of the instruction's refs is unclear

    @property
    def candidates(self) -> frozenset[str]:
        return self.instruction.refs[self.index]


def which_question(candidates: frozenset[str]) -> str:
    """The builder's clarification request: "Which cup do you mean: the red cup or the blue cup?"."""
    names = sorted(candidates)
    nouns = {noun_of(n) for n in names}
    head = f"Which {next(iter(nouns))}" if len(nouns) == 1 else "Which one"
    listed = ", ".join(f"the {n}" for n in names[:-1]) + f" or the {names[-1]}"
    return f"{head} do you mean: {listed}?"


def _numbers_after_slot_words(text: str) -> str:
    words = "|".join(_NUMBER_WORDS)
    text = re.sub(rf"\b({_SLOT_WORD})\s+(?:number\s+)?({words})\b",
                  lambda m: f"{m.group(1)} {_NUMBER_WORDS[m.group(2)]}", text)
    return re.sub(rf"\b({words})\s+{_SLOT_WORD}\b", lambda m: f"slot {_NUMBER_WORDS[m.group(1)]}", text)


def interpret(body: str, scene: Scene) -> Instruction:
    """Read one step; raises :class:`FormatError` when it is not one step the builder can follow and
    :class:`RuleError` when it names an item that is not there."""
    cat = scene.catalogue
    text = _numbers_after_slot_words(" ".join(body.lower().split()))
    nouns_alt = "|".join(sorted(cat.nouns, key=len, reverse=True))
    # "from slot 4", "off slot 4": where an item comes from, not where it goes.
    sources = [int(n) for n in re.findall(rf"\b(?:from|off|out of)\s+(?:the\s+)?(?:{_SLOT_WORD}\s*)?#?(\d+)",
                                          text)]
    text = re.sub(rf"\b(?:from|off|out of)\s+(?:the\s+)?(?:{_SLOT_WORD}\s*)?#?\d+", " ", text)
    # "..., not slot 4", "not the blue cup", "instead of slot 2": what is *not* meant is not part of the step.
    text = re.sub(rf"\b(?:not|instead of|rather than)\s+(?:in\s+|into\s+|on\s+|to\s+|at\s+)?(?:the\s+)?"
                  rf"(?:{_SLOT_WORD}\s*#?\d+|\d+\b|(?:[a-z]+\s+)?(?:{nouns_alt}|one)\b)", " ", text)
    tokens = re.findall(r"[a-z]+|\d+", text)
    slots = tuple(dict.fromkeys(int(t) for t in tokens if t.isdigit()))
    refs, unknown = _references(tokens, scene)
    words = set(tokens)
    if not refs and not unknown and not sources and len(slots) == 2 and not words & _SWAP_WORDS:
        sources, slots = [slots[0]], slots[1:]  # "move slot 1 to slot 2": the item in slot 1
    if words & _SWAP_WORDS:
        if not ((len(refs) == 2 and not slots) or (not refs and len(slots) == 2)
                or (len(refs) == 1 and len(slots) == 1)):
            raise FormatError("To swap, name two items or two slots, e.g. 'swap slot 2 and slot 4'. "
                              + prompts.INSTRUCTOR_FORMAT)
        kind: Literal["put", "remove", "swap", "answer"] = "swap"
    elif words & _REMOVE_WORDS and (not slots or (not refs and words & {"clear", "empty"})):
        if len(refs) + len(slots) + len(sources) == 0:
            raise FormatError("Say which item to take off the shelf, e.g. 'remove the red apple'. "
                              + prompts.INSTRUCTOR_FORMAT)
        if len(refs) > 1 or len(slots) > 1:
            raise FormatError("One item at a time, please. " + prompts.INSTRUCTOR_FORMAT)
        kind = "remove"
    elif slots:
        if len(slots) > 1:
            raise FormatError("One step at a time, please: name one item and one slot. "
                              + prompts.INSTRUCTOR_FORMAT)
        if len(refs) > 1:
            raise FormatError("One item at a time, please: name one item and one slot. "
                              + prompts.INSTRUCTOR_FORMAT)
        if not refs and not sources and not unknown:
            raise FormatError(f"Which item should go to slot {slots[0]}? Name it by colour and noun, e.g. "
                              "'put the red apple in slot 3'. " + prompts.INSTRUCTOR_FORMAT)
        kind = "put"
    elif refs or unknown:
        kind = "answer"  # an item and nothing to do with it: only an answer to "which one?" reads like that
    else:
        raise FormatError("The builder cannot tell what to do: name an item and a slot. "
                          + prompts.INSTRUCTOR_FORMAT)
    if unknown:
        raise RuleError(f"There is no {unknown[0]} here. The items are: {prompts.item_list(scene.items)}.")
    return Instruction(kind, refs, slots, tuple(dict.fromkeys(sources)))


def _references(tokens: Sequence[str], scene: Scene) -> tuple[tuple[frozenset[str], ...], list[str]]:
    """Item mentions, reduced to distinct referents: "the cup ... the red cup" is one (the red cup)."""
    cat = scene.catalogue
    found: list[frozenset[str]] = []
    unknown: list[str] = []
    for i, tok in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in cat.nouns:
            colour = before if before in cat.colours else None
            cands = frozenset(it for it in scene.items
                              if noun_of(it) == tok and (colour is None or colour_of(it) == colour))
            name = f"{colour} {tok}" if colour else tok
        elif tok in cat.colours and after not in cat.nouns:
            plural = after.removesuffix("s") in cat.nouns or after.removesuffix("es") in cat.nouns
            if after.isalpha() and after not in _AFTER_COLOUR and after not in cat.colours and not plural:
                unknown.append(f"{tok} {after}")
                continue
            cands = frozenset(it for it in scene.items if colour_of(it) == tok)  # "the red one"
            name = f"{tok} one"
        else:
            continue
        if cands:
            found.append(cands)
        else:
            unknown.append(name)
    distinct = list(dict.fromkeys(found))
    # A vaguer mention of an item named exactly elsewhere is the same item ("the cup, the red cup").
    refs = tuple(r for r in distinct if not any(o < r for o in distinct))
    return refs, unknown


def mentions(text: str, scene: Scene) -> frozenset[str]:
    """Every item the words of ``text`` could refer to: by colour and noun, by noun ("which cup?") or by
    colour ("the red one?"). A question that mentions none of the items an unclear step could mean does not
    say what is unclear."""
    tokens = re.findall(r"[a-z]+|\d+", " ".join(text.lower().split()))
    refs, _unknown = _references(tokens, scene)
    return frozenset(item for ref in refs for item in ref)


def resolve(instruction: Instruction, state: State, scene: Scene) -> Action | Ambiguous:
    """Match a step to the shelf: an :class:`Action`, or :class:`Ambiguous` when an item is unclear.
    Raises :class:`RuleError` for a slot that does not exist or an item that is not where the step needs it.
    (Whether the action changes anything is checked by :func:`shelf.execute`.)"""
    for slot in (*instruction.slots, *instruction.sources):
        if not 1 <= slot <= scene.slots:
            raise RuleError(f"There is no slot {slot}: the shelf has slots 1 to {scene.slots}.")
    for i, ref in enumerate(instruction.refs):
        if len(ref) > 1:
            return Ambiguous(instruction, i)
    items = [next(iter(r)) for r in instruction.refs]
    kind = instruction.kind
    if kind == "swap":
        slots = list(instruction.slots)
        for item in items:
            where = slot_of(state, item)
            if where is None:
                raise RuleError(f"The {item} is on the table, not on the shelf, so it cannot be swapped. "
                                f"To place it, say 'put the {item} in slot <n>'.")
            slots.append(where)
        return Swap(*slots[:2])
    if not items:
        source = (instruction.sources or instruction.slots)[0]
        held = state[source - 1]
        if held is None:
            raise RuleError(f"Slot {source} is empty: there is nothing to take from it.")
        items = [held]
    if kind == "remove":
        return Remove(items[0])
    if kind == "put":
        return Put(items[0], instruction.slots[0])
    raise FormatError("Say what to do with the item, e.g. 'put the red apple in slot 3'. "
                      + prompts.INSTRUCTOR_FORMAT)
