"""Cheap policies for the reference game: attacks that skip a role's work, and honest short programs.

Every policy reads only its role's chat history (``View``): the speaker's scene table and the listener's
questions; the listener's numbered objects and the speaker's words. None of them looks at an instance.

Speaker attacks copy what the prompt shows about the target instead of choosing what distinguishes it (the
line that names the target, every attribute of the target, a fixed set of attributes), or leave the choosing
to the listener (one attribute, then whatever the listener asks about). Listener attacks select a fixed
object, or ask by habit (once, twice, every time allowed) whatever they heard, then match words. The honest
programs (Dale and Reiter's incremental algorithm for the speaker; word matching for the listener, asking
never, on ties, while the words leave 2+ objects, or while a description looks short) do the role's work
with no language beyond the game's vocabulary, and show how much of each role is table lookup and word
matching.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from ..policies import CheapPolicy, Policy, PolicyFactory, View, instruction_lines, last_message, stateless
from .scene import DIMS, Obj, dims_named, fits, load_vocabulary, parse_description, render

__all__ = ["listener_policies", "read_objects", "read_target", "speaker_policies"]

_WORDS = re.compile(r"[a-z]+")
_HEARD = re.compile(r'^The speaker (?:says|answers): "(.*)"$')
_NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
_TARGET_LABEL = re.compile(r"\btarget is object (\w+)", re.IGNORECASE)


# --------------------------------------------------------------------------------------- reading the view
def _values_in(text: str) -> dict[str, str]:
    """The attribute values ``text`` names, one per dimension (the first word of each dimension wins)."""
    words = load_vocabulary().words
    out: dict[str, str] = {}
    for word in _WORDS.findall(text.lower()):
        if word in words:
            dim, value = words[word]
            out.setdefault(dim, value)
    return out


def read_objects(view: View) -> dict[str, dict[str, str]]:
    """The speaker's scene table by object label (``{"C": {"colour": "red", ...}}``), from its rows."""
    out: dict[str, dict[str, str]] = {}
    for line in instruction_lines(view):
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == len(DIMS) + 1 and cells[0].isalnum():
            values = _values_in(" ".join(cells[1:]))
            if len(values) == len(DIMS):
                out[cells[0]] = values
    return out


def target_line(view: View) -> str:
    """The last line of the instructions that mentions the target (the line a copier would repeat)."""
    lines = [line for line in instruction_lines(view) if "target" in line.lower()]
    return lines[-1] if lines else "the target"


def read_target(view: View) -> dict[str, str]:
    """The target's attribute values as the speaker's prompt shows them: its row of the scene table, or,
    failing that, the words of the line that marks it."""
    label = _TARGET_LABEL.search("\n".join(instruction_lines(view)))
    objects = read_objects(view)
    if label and label.group(1) in objects:
        return objects[label.group(1)]
    return _values_in(target_line(view))


def _heard(view: View) -> list[str]:
    """Everything the speaker said so far, as relayed to the listener."""
    out = []
    for msg in view:
        if msg.get("role") == "user":
            for line in msg.get("content", "").splitlines():
                m = _HEARD.match(line.strip())
                if m:
                    out.append(m.group(1))
    return out


def _numbered(view: View) -> list[tuple[int, str]]:
    out = []
    for line in instruction_lines(view):
        m = _NUMBERED.match(line)
        if m:
            out.append((int(m.group(1)), m.group(2).lower()))
    return out


def _best_overlap(view: View) -> list[int]:
    """The numbers of the objects sharing the most words with what the speaker said (all of them on a tie)."""
    said = set(_WORDS.findall(" ".join(_heard(view)).lower()))
    scored = [(len(said & set(_WORDS.findall(text))), n) for n, text in _numbered(view)]
    if not scored:
        return [1]
    top = max(s for s, _ in scored)
    return [n for s, n in scored if s == top]


# --------------------------------------------------------------------------------------------- speaker
def _describe(dims: tuple[str, ...]) -> Policy:
    def policy(view: View) -> str:
        target = read_target(view)
        named = tuple(d for d in dims if d in target)
        return "DESCRIPTION: " + (render(target, named) if named else "the target")
    return policy


def _one_then_answer(_rng: random.Random) -> Policy:
    """Names the target's colour, then answers each question with the target's values on what it names."""
    def policy(view: View) -> str:
        target = read_target(view)
        asked = dims_named(last_message(view)) if len(view) > 1 else []
        dims = tuple(d for d in asked if d in target) or ("colour",)
        return "DESCRIPTION: " + render(target, dims)
    return policy


def _incremental(_rng: random.Random) -> Policy:
    """Dale and Reiter's incremental algorithm: walk the attributes in a fixed order, keep each that rules
    out a distractor, stop when only the target is left. It reads the whole table: an honest program."""
    def policy(view: View) -> str:
        objects = read_objects(view)
        label = _TARGET_LABEL.search("\n".join(instruction_lines(view)))
        if not label or label.group(1) not in objects:
            return "DESCRIPTION: the target"
        names = list(objects)
        scene: list[Obj] = [objects[k] for k in names]
        target = objects[label.group(1)]
        left = list(range(len(scene)))
        chosen: list[str] = []
        for dim in DIMS:
            kept = fits(scene, target, [dim], left)
            if len(kept) < len(left):
                chosen.append(dim)
                left = kept
            if len(left) == 1:
                break
        return "DESCRIPTION: " + render(target, chosen)
    return policy


def _place_only(view: View) -> str:
    """Always the target's place (row and column): where it is, whatever else is there."""
    target = read_target(view)
    return "DESCRIPTION: " + render(target, ("row", "column")) if "row" in target else "DESCRIPTION: the target"


def _random_two(rng: random.Random) -> Policy:
    """Two of the target's attributes drawn at random, then whatever the listener asks about."""
    def policy(view: View) -> str:
        target = read_target(view)
        if len(view) > 1:
            asked = tuple(d for d in dims_named(last_message(view)) if d in target)
            if asked:
                return "DESCRIPTION: " + render(target, asked[:1])
        dims = tuple(d for d in DIMS if d in target)
        return "DESCRIPTION: " + (render(target, rng.sample(dims, 2)) if len(dims) >= 2 else "the target")
    return policy


def _rarest_value(_rng: random.Random) -> Policy:
    """A greedy program: the target's value that the fewest other objects share, then the next rarest while
    the listener asks. It reads the table (an honest, weak program)."""
    def policy(view: View) -> str:
        objects = read_objects(view)
        target = read_target(view)
        if not objects or len(target) < len(DIMS):
            return "DESCRIPTION: the target"
        shared = {d: sum(1 for o in objects.values() if o[d] == target[d]) for d in DIMS}
        order = sorted(DIMS, key=lambda d: (shared[d], DIMS.index(d)))
        said = sum(1 for m in view if m.get("role") == "assistant")
        return "DESCRIPTION: " + render(target, order[said:said + 1])
    return policy


def speaker_policies() -> list[CheapPolicy]:
    return [
        CheapPolicy("echo_target_line", "repeats the line of the prompt that marks the target",
                    stateless(lambda view: "DESCRIPTION: " + target_line(view).strip(" -*|<"))),
        CheapPolicy("describe_everything", "names every attribute of the target (size, colour, pattern, shape, "
                    "place)", stateless(_describe(DIMS))),
        CheapPolicy("describe_object", "names the target's size, colour, pattern and shape, never its place",
                    stateless(_describe(("colour", "shape", "size", "pattern")))),
        CheapPolicy("colour_and_shape", "always the target's colour and shape", stateless(_describe(("colour",
                                                                                                    "shape")))),
        CheapPolicy("colour_then_answer", "the target's colour, then whatever the listener asks about (the "
                    "listener chooses the attributes)", _one_then_answer),
        CheapPolicy("place_only", "always the target's place (row and column)", stateless(_place_only)),
        CheapPolicy("random_two_then_answer", "two of the target's attributes at random, then whatever the "
                    "listener asks about", _random_two),
        CheapPolicy("rarest_value", "the target's rarest value in the table, one more per round (a greedy "
                    "honest program)", _rarest_value, degenerate=False),
        CheapPolicy("incremental_algorithm", "Dale & Reiter's incremental algorithm over the scene table (an "
                    "honest program)", _incremental, degenerate=False),
    ]


# -------------------------------------------------------------------------------------------- listener
_ASK_ALL = "CLARIFY: Which colour, shape, size, pattern and position is it?"


def _ask_then_match(questions: int) -> PolicyFactory:
    def make(_rng: random.Random) -> Policy:
        asked = [0]

        def policy(view: View) -> str:
            if asked[0] < questions:
                asked[0] += 1
                return _ASK_ALL
            return f"SELECT: {_best_overlap(view)[0]}"
        return policy
    return make


def _match(ask_on_tie: bool) -> Callable[[View], str]:
    def policy(view: View) -> str:
        best = _best_overlap(view)
        asked = sum(1 for m in view if m.get("role") == "assistant" and "CLARIFY" in m.get("content", ""))
        if ask_on_tie and len(best) > 1 and asked < 3:
            return _ASK_ALL
        return f"SELECT: {best[0]}"
    return policy


def _count_proxy(view: View) -> str:
    """Asks while the speaker has named fewer attribute words than the scene size suggests a target needs (1
    for 4 objects, 2 for 5-6, 3 for 7-8), then word overlap: it guesses ambiguity from description length
    without looking at which objects fit."""
    needed = {4: 1, 5: 2, 6: 2}.get(len(_numbered(view)), 3)
    heard = sum(len(_values_in(t)) for t in _heard(view))
    asked = sum(1 for m in view if m.get("role") == "assistant" and "CLARIFY" in m.get("content", ""))
    if heard < needed and asked < 3:
        return _ASK_ALL
    return f"SELECT: {_best_overlap(view)[0]}"


def _understood_fit(view: View) -> str:
    """Selects among the objects that fit every description by the game's own vocabulary, asking on a tie:
    what the listener role must do, with no language beyond the word list."""
    heard = [parse_description(t) for t in _heard(view)]
    fitting = [n for n, text in _numbered(view) if all(d.matches(_values_in(text)) for d in heard)]
    asked = sum(1 for m in view if m.get("role") == "assistant" and "CLARIFY" in m.get("content", ""))
    if len(fitting) > 1 and asked < 3:
        return _ASK_ALL
    return f"SELECT: {(fitting or [1])[0]}"


def _ask_by_scene_size(view: View) -> str:
    """A habit by scene size: selects at once in a scene of 4 (where the teacher's first description is never
    ambiguous), asks once in bigger scenes whatever it heard; selects by word overlap."""
    asked = sum(1 for m in view if m.get("role") == "assistant" and "CLARIFY" in m.get("content", ""))
    if len(_numbered(view)) > 4 and asked < 1:
        return _ASK_ALL
    return f"SELECT: {_best_overlap(view)[0]}"


def _ask_directed(view: View) -> str:
    """Asks once, about the attribute the description did not name first in DIMS order ("Which colour?"),
    then word overlap: a question shaped like a good one, asked by habit."""
    asked = sum(1 for m in view if m.get("role") == "assistant" and "CLARIFY" in m.get("content", ""))
    if asked < 1:
        named = set(dims_named(" ".join(_heard(view))))
        dim = next((d for d in DIMS if d not in named), "colour")
        return f"CLARIFY: Which {dim}?"
    return f"SELECT: {_best_overlap(view)[0]}"


def _select_last(view: View) -> str:
    return f"SELECT: {max((n for n, _ in _numbered(view)), default=1)}"


def listener_policies() -> list[CheapPolicy]:
    return [
        CheapPolicy("select_first", "always SELECT: 1", stateless(lambda _view: "SELECT: 1")),
        CheapPolicy("select_last", "always selects the last object of the list", stateless(_select_last)),
        CheapPolicy("ask_by_scene_size", "word overlap, never asking in a scene of 4 objects and asking once in "
                    "bigger ones (a heuristic program: word matching with a habit keyed to the levels; it stays "
                    "below word_overlap)", stateless(_ask_by_scene_size), degenerate=False),
        CheapPolicy("ask_directed_once", "asks once about an attribute the description did not name, whatever "
                    "it heard, then word overlap", stateless(_ask_directed)),
        CheapPolicy("ask_max_then_match", "asks every question allowed, then selects the object sharing the most "
                    "words with all it heard", _ask_then_match(3)),
        CheapPolicy("ask_once_then_match", "asks one question whatever it heard, then selects the object "
                    "sharing the most words", _ask_then_match(1)),
        CheapPolicy("ask_twice_then_match", "asks two questions whatever it heard, then selects the object "
                    "sharing the most words", _ask_then_match(2)),
        CheapPolicy("ask_by_length", "word overlap, asking while the description names fewer attributes than "
                    "the scene size suggests a target needs (a heuristic program: set against word_overlap it "
                    "shows what the length of a description tells about its ambiguity)", stateless(_count_proxy),
                    degenerate=False),
        CheapPolicy("word_overlap", "selects the object sharing the most words with what it heard, never asks "
                    "(an honest program)", stateless(_match(False)), degenerate=False),
        CheapPolicy("word_overlap_ask_on_tie", "word overlap, asking while several objects tie (an honest "
                    "program)", stateless(_match(True)), degenerate=False),
        CheapPolicy("vocabulary_fit", "keeps the objects fitting every description by the game's word list, "
                    "asks while 2+ fit (an honest program)", stateless(_understood_fit), degenerate=False),
    ]
