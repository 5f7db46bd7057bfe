"""What a ``SAY`` tells about the speaker's values, by the fixed rules the teacher understands.

The teacher is a program, so its understanding of free text is a small documented rule set (the game card
repeats it). A SAY is cut into sentences at ``. ; ! ?`` and line breaks, and sentences into clauses at
commas and the words *but*, *while*, *whereas*. A sentence ending in ``?`` makes the SAY a question; its
clauses state nothing, except those in the first person without a "you" ("I value hats at 2, and you?").
A clause that names an item type (book(s), hat(s), ball(s), pen(s)) is a statement about the speaker's values,
unless it is only about the split (it has *take, get, give, keep, have, want, offer, split, receive* and no
value word such as *worth, value, point, each, per*). In a statement:

* ``item=<n>`` / ``item: <n>`` pairs are values;
* otherwise items and numbers (digits or the words zero..ten; *nothing, worthless, useless, zero, no value,
  don't care* count as 0) pair up in order when there are as many of each and they alternate
  ("books are worth 3 and hats 1", "3 for books, 1 for hats");
* several items with one number share it when the clause says *each, both* or *all*, or the number is 0
  ("hats and balls are worthless");
* a clause with a comparative (*more, less, ...*) or *the same* that compares the speaker with the
  listener is a **comparison between the two players' values** of the types it names (no item after
  *than*): it names the listener ("books matter more to me than to you", "you value hats less than I do",
  "a pen is worth two points more to me than to you", "books: worth less to you than to me", "balls are
  worth the same to both of us"), or it has no person at all and follows such a clause in the same
  sentence, whose frame it keeps ("I value books more than you do, hats less" : hats are worth less to
  the speaker). Whose value is the larger one: the player after *than* is the one compared with ("than
  to you", "than I do"), without *than* the first person named; *more* or *less* then gives the
  direction, so "more to me than to you" and "less to you than to me" say the same. A single number in
  such a clause is the difference in points. A negated one ("not more to me than to you": less, or the
  same?) states nothing;
* any item left without a number makes the statement **vague** ("I really like hats", "books are worth more
  to me than balls", "books and hats are worth 2"). The teacher reads a vague clause as a comparison (for
  its estimate and for its clarification question): a comparative (*more/less ... than, prefer X to Y*)
  compares the items before and after it; *most, favourite, like, a lot, ...* put the items above the
  other types; *least, little, not ... much, don't need ...* below them; a bare mention counts as liking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .pool import ITEM_WORD, ITEMS, SINGULAR

__all__ = ["Comparison", "Reading", "describe", "holds", "read"]

_SENTENCES = re.compile(r"([^.;!?\n]*)([.;!?\n]|$)")
_CLAUSE_BREAKS = re.compile(r",|\b(?:but|while|whereas)\b", re.IGNORECASE)
_ITEM = re.compile(rf"\b({ITEM_WORD})\b", re.IGNORECASE)
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ZERO = r"nothing|worthless|useless|no value|(?:don'?t|do not) care"
_NUMBER = re.compile(rf"(?<![\w.])(\d{{1,3}})(?![\w])|\b({'|'.join(_NUMBER_WORDS)}|{_ZERO})\b",
                     re.IGNORECASE)
_PAIR = re.compile(rf"\b({ITEM_WORD})\s*[=:]\s*(\d{{1,3}}|{'|'.join(_NUMBER_WORDS)})\b", re.IGNORECASE)
_ALLOCATION = re.compile(r"\b(?:take|takes|get|gets|give|gives|keep|keeps|have|has|want|wants|offer|split|"
                         r"receive|receives)\b", re.IGNORECASE)
_VALUE_WORD = re.compile(r"\b(?:worth|value|values|valued|point|points|each|per)\b|=", re.IGNORECASE)
_SHARE = re.compile(r"\b(?:each|both|all|apiece)\b", re.IGNORECASE)
_MORE = re.compile(r"\b(?:more|higher|greater|better|bigger)\b", re.IGNORECASE)
_LESS = re.compile(r"\b(?:less|lower|fewer|worse|smaller)\b", re.IGNORECASE)
_THAN = re.compile(r"\b(?:than|to|over)\b", re.IGNORECASE)
_PREFER = re.compile(r"\bprefer\b", re.IGNORECASE)
_TOP = re.compile(r"\b(?:most|mostly|best|highest|favou?rite|mainly|especially|like|love|need|lot|much|"
                  r"important|matter|matters|valuable|great|prefer|want)\b", re.IGNORECASE)
_BOTTOM = re.compile(r"\b(?:least|lowest|worst|little|dislike|hate|unimportant)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i'd|me|my|mine)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|never|no)\b|n't\b", re.IGNORECASE)
_SAME = re.compile(r"\bthe same\b", re.IGNORECASE)
_US = re.compile(r"\b(?:both of us|we|us)\b", re.IGNORECASE)
_THAN_WORD = re.compile(r"\bthan\b", re.IGNORECASE)
# The player a comparison is made with: "than to you", "than for me", "than I do", "than you".
_THAN_PERSON = re.compile(r"\bthan\s+(?:to\s+|for\s+)?(i|me|you)\b", re.IGNORECASE)
_PERSON = re.compile(r"\b(i|i'm|i'd|me|my|mine|you|your|yours)\b", re.IGNORECASE)


def _item_index(word: str) -> int:
    w = word.lower()
    return SINGULAR.index(w) if w in SINGULAR else ITEMS.index(w)


def _number_value(m: re.Match[str]) -> int:
    if m.group(1) is not None:
        return int(m.group(1))
    word = m.group(2).lower()
    return _NUMBER_WORDS.index(word) if word in _NUMBER_WORDS else 0


@dataclass(frozen=True)
class Comparison:
    """Every item type in ``higher`` is worth at least (``strict``: more than) every one in ``lower``."""

    higher: tuple[int, ...]
    lower: tuple[int, ...]
    strict: bool = False
    #: Whether the words make an explicit claim (a comparative or superlative), not just liking or a mention:
    #: only claims are checked against the speaker's true values.
    claim: bool = False


@dataclass(frozen=True)
class Reading:
    """What a SAY says about the speaker's values."""

    values: dict[int, int]
    hints: tuple[Comparison, ...]
    vague_items: tuple[int, ...]
    question: bool
    mentions: bool
    #: Comparisons with the listener, per item type: (sign, points). ``sign`` is +1 when the type is worth
    #: more to the speaker than to the listener, -1 when less, 0 the same; ``points`` the difference when
    #: said ("two points more"), else None.
    relative: dict[int, tuple[int, int | None]] = field(default_factory=dict)

    @property
    def vague(self) -> bool:
        """Some item was talked about without a number."""
        return bool(self.vague_items)


def _clauses(text: str) -> list[tuple[str, bool, int]]:
    """(clause, is part of a question, sentence number): sentences end at ``. ; ! ?`` and line breaks, clauses
    at commas and *but/while/whereas*. Every clause of a sentence ending in ``?`` belongs to a question."""
    out: list[tuple[str, bool, int]] = []
    for n, m in enumerate(_SENTENCES.finditer(text)):
        body, end = m.group(1), m.group(2)
        if body.strip():
            out.extend((part, end == "?", n) for part in _CLAUSE_BREAKS.split(body))
    return out


_Relative = tuple[int, int | None, int]


def _relative(clause: str, items: list[tuple[int, int]], frame: int | None) -> _Relative | bool:
    """Read a clause as a comparison between the speaker's and the listener's values of its items: (sign,
    points, subject), ``subject`` +1 when the speaker's value is the one said to be larger or smaller (the
    listener is after *than*), -1 when the listener's is; ``frame``: the subject of the sentence's last
    such clause, which a clause without a person keeps ("..., hats less"). False: not such a comparison;
    True: a negated one, which states nothing ("not more to me than to you" may mean less or the same)."""
    found = _comparison(clause, items, frame)
    if found is None:
        return False
    return True if _NEGATION.search(clause) else found


def _comparison(clause: str, items: list[tuple[int, int]], frame: int | None) -> _Relative | None:
    numbers = list(_NUMBER.finditer(clause))
    points = _number_value(numbers[0]) if len(numbers) == 1 else None
    if _SAME.search(clause) and (_SECOND_PERSON.search(clause) or _US.search(clause)):
        return 0, 0, frame if frame is not None else 1
    more, less = _MORE.search(clause), _LESS.search(clause)
    if more is None and less is None:
        return None
    direction = 1 if less is None or (more is not None and more.start() < less.start()) else -1
    than = _THAN_WORD.search(clause)
    if than is not None and any(p > than.start() for p, _ in items):
        return None  # items on both sides of "than": the speaker compares its own types
    if _SECOND_PERSON.search(clause):
        with_whom = _THAN_PERSON.search(clause)
        if with_whom is not None:
            subject = 1 if with_whom.group(1).lower() == "you" else -1
        else:
            first = _PERSON.search(clause)
            subject = -1 if first is None or first.group(1).lower().startswith("you") else 1
    elif frame is not None and not _FIRST_PERSON.search(clause):
        subject = frame
    else:
        return None
    return direction * subject, points, subject


def _others(chosen: Sequence[int]) -> tuple[int, ...]:
    return tuple(i for i in range(len(ITEMS)) if i not in chosen)


def _hint(clause: str, items: list[tuple[int, int]]) -> Comparison:
    """Read a clause without numbers as a comparison (``items``: (position, item index))."""
    named = tuple(dict.fromkeys(i for _, i in items))
    for pattern, up in ((_MORE, True), (_LESS, False), (_PREFER, True)):
        m = pattern.search(clause)
        if m is None:
            continue
        pivot = m.start()
        than = _THAN.search(clause, m.end())
        if than is not None:
            pivot = than.start()
        before = tuple(dict.fromkeys(i for p, i in items if p < pivot))
        after = tuple(i for i in dict.fromkeys(i for p, i in items if p > pivot) if i not in before)
        if before and after:
            return (Comparison(before, after, strict=True, claim=True) if up
                    else Comparison(after, before, strict=True, claim=True))
        group = before or after
        return Comparison(group, _others(group), claim=True) if up else Comparison(_others(group), group, claim=True)
    negated = _NEGATION.search(clause) is not None
    if _BOTTOM.search(clause) or (negated and _TOP.search(clause)):
        return Comparison(_others(named), named, claim=_BOTTOM.search(clause) is not None)
    explicit = re.search(r"\b(?:most|best|highest|favou?rite)\b", clause, re.IGNORECASE) is not None
    return Comparison(named, _others(named), claim=explicit)


def read(text: str) -> Reading:
    """Apply the module's rules to one SAY text."""
    values: dict[int, int] = {}
    hints: list[Comparison] = []
    vague: list[int] = []
    relative: dict[int, tuple[int, int | None]] = {}
    question = mentions = False
    frame: tuple[int, int] | None = None  # (sentence, subject) of the last comparison with the listener
    text = text.replace("\u2019", "'")  # typographic apostrophes: "don\u2019t care" is "don't care"
    for clause, in_question, sentence in _clauses(text):
        question = question or in_question
        items = [(m.start(), _item_index(m.group(1))) for m in _ITEM.finditer(clause)]
        if not items:
            continue
        if in_question and not (_FIRST_PERSON.search(clause) and not _SECOND_PERSON.search(clause)):
            continue  # "Are hats worth 2 to you?" states nothing; "I value hats at 2, and you?" does
        if _ALLOCATION.search(clause) and not _VALUE_WORD.search(clause):
            continue  # talk about the split, not about values
        mentions = True
        compared = _relative(clause, items, frame[1] if frame is not None and frame[0] == sentence else None)
        if compared is True:
            continue
        if compared is not False:
            sign, points, subject = compared
            frame = (sentence, subject)
            for _, i in items:
                relative[i] = (sign, points)
                values.pop(i, None)
            continue
        paired: set[int] = set()
        for m in _PAIR.finditer(clause):
            index = _item_index(m.group(1))
            word = m.group(2).lower()
            values[index] = int(word) if word.isdigit() else _NUMBER_WORDS.index(word)
            paired.update(range(m.start(), m.end()))
        left = [(p, i) for p, i in items if p not in paired]
        numbers = [(m.start(), _number_value(m)) for m in _NUMBER.finditer(clause) if m.start() not in paired]
        if not left:
            continue
        if numbers and _pair_in_order(left, numbers, values):
            continue
        if len(numbers) == 1 and len(left) >= 2 and (numbers[0][1] == 0 or _SHARE.search(clause)):
            for _, i in left:
                values[i] = numbers[0][1]
            continue
        vague.extend(i for _, i in left)
        hint = _hint(clause, left)
        if hint.claim or not numbers:
            hints.append(hint)  # "books and hats are worth 2" is unclear, but says nothing about an order
    # A number said later overrides a vague word about the same item in the same SAY.
    vague_items = tuple(dict.fromkeys(i for i in vague if i not in values and i not in relative))
    for i in values:
        relative.pop(i, None)  # a number said later in the SAY overrides a comparison, as it does a vague word
    return Reading(values, tuple(hints), vague_items, question, mentions, relative)


def _pair_in_order(items: list[tuple[int, int]], numbers: list[tuple[int, int]], out: dict[int, int]) -> bool:
    if len(items) != len(numbers):
        return False
    seq = sorted([(p, "I", i) for p, i in items] + [(p, "N", n) for p, n in numbers])
    kinds = "".join(k for _, k, _ in seq)
    if kinds not in ("IN" * len(items), "NI" * len(items)):
        return False
    for a, b in zip(seq[::2], seq[1::2]):
        item, number = (a[2], b[2]) if a[1] == "I" else (b[2], a[2])
        out[item] = number
    return True


def holds(c: Comparison, values: Sequence[int]) -> bool:
    """Whether ``values`` satisfy the comparison."""
    for h in c.higher:
        for lo in c.lower:
            if values[h] < values[lo] or (c.strict and values[h] == values[lo]):
                return False
    return True


def describe(indices: Sequence[int], names_of: Sequence[str] = ITEMS) -> str:
    """``books``, ``books and hats``, ``books, hats and balls`` (``names_of``: the plural or singular names)."""
    names = [names_of[i] for i in indices]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
