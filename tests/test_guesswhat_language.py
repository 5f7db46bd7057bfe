"""guesswhat without episodes: the attribute table, the question matcher and parsing both roles' moves.
Episodes, instances, golden transcripts and the players are in ``tests/test_guesswhat.py``."""

from __future__ import annotations

import pytest
from playschool.games import FormatError
from playschool.games.guesswhat.matcher import normalise, resolve
from playschool.games.guesswhat.moves import parse_answerer, parse_questioner
from playschool.games.guesswhat.table import (
    holds,
    load_table,
    render,
    teacher_predicates,
)


# ------------------------------------------------------------------------------------------ the table
def test_table_is_complete_and_consistent() -> None:
    table = load_table()
    assert len(table.animals) == 103
    for a in table.animals:
        # Class facts the matcher's users rely on: the table must not contradict them.
        assert a.flag("has_feathers") == (a.cls == "bird"), a.name
        if a.cls == "bird":
            assert a.legs == 2 and a.flag("has_wings") and a.flag("lays_eggs"), a.name
        if a.cls == "mammal":
            assert not a.flag("lays_eggs") and not a.flag("has_scales"), a.name
        if a.cls == "insect":
            assert a.legs == 6, a.name
        if a.cls == "fish":
            assert a.legs == 0 and a.flag("has_scales") and a.flag("has_tail"), a.name
        if a.flag("can_fly"):
            assert a.flag("has_wings"), a.name
        if a.flag("has_fur"):
            assert a.cls == "mammal", a.name


def test_weights_are_clear_of_the_references() -> None:
    """A size question about an animal whose weight is near a reference would be a coin flip: every animal
    is at least 1.2 times heavier or lighter than each reference, unless it *is* the reference."""
    table = load_table()
    for a in table.animals:
        for ref, kg in table.references:
            if a.name == ref:
                assert a.weight_kg == kg
                assert not holds(f"heavier={ref}", a, table) and not holds(f"lighter={ref}", a, table)
            else:
                assert max(a.weight_kg / kg, kg / a.weight_kg) >= 1.2, (a.name, ref)


def test_every_teacher_question_maps_back_to_its_predicate() -> None:
    table = load_table()
    preds = teacher_predicates(table)
    assert len(preds) == len(set(preds))
    for pred in preds:
        res = resolve(render(pred), table)
        assert (res.kind, res.pred) == ("answer", pred), render(pred)


def test_every_name_and_alias_is_an_identity_question() -> None:
    table = load_table()
    for a in table.animals:
        for name in (a.name, *a.aliases):
            assert resolve(f"Is it a {name}?", table).pred == f"is={a.name}", name


@pytest.mark.parametrize(("pred", "animal", "truth"), [
    ("eats=meat", "bear", True), ("eats=meat", "cow", False), ("eats=plants", "bear", True),
    ("diet=carnivore", "bear", False), ("water", "penguin", True), ("amphibious", "frog", True),
    ("amphibious", "whale", False), ("domestic", "horse", True), ("domestic", "fox", False),
    ("legs>4", "spider", True), ("legs>=4", "dog", True), ("legs<4", "dog", False), ("legs<=2", "eagle", True),
    ("has_legs", "snake", False), ("legs=0", "snail", True), ("colour=black+white", "zebra", True),
    ("colour=black+white", "tiger", True), ("colour=black+white", "crow", False), ("heavier=person", "lion", True),
    ("lighter=mouse", "bee", True), ("heavier=car", "elephant", True), ("heavier=car", "giraffe", False),
    ("vertebrate", "frog", True), ("invertebrate", "crab", True), ("live_birth", "scorpion", True),
    ("is=hippo", "hippo", True), ("animal", "ant", True),
])
def test_holds(pred: str, animal: str, truth: bool) -> None:
    table = load_table()
    assert holds(pred, table.get(animal), table) is truth


# ------------------------------------------------------------------------------------------ the matcher
MATCHER_TABLE: list[tuple[str, str, str]] = [
    # (question, kind, predicate or a piece of the message)
    ("Can it fly?", "answer", "can_fly"),
    ("Is it a flying animal?", "answer", "can_fly"),
    ("does it have FUR", "answer", "has_fur"),
    ("Does it have fur or hair?", "answer", "has_fur"),  # two phrases, one predicate
    ("Is it a mammal?", "answer", "class=mammal"),
    ("Is it a type of fish?", "answer", "class=fish"),
    ("Is it brown in colour?", "answer", "colour=brown"),  # the vague "colour" gives way to brown
    ("Is it gray?", "answer", "colour=grey"),
    ("Is it black and white?", "answer", "colour=black+white"),
    ("Does it have 4 legs?", "answer", "legs=4"),
    ("Is it a four-legged animal?", "answer", "legs=4"),
    ("Does it have more than four legs?", "answer", "legs>4"),
    ("Does it have at least 6 legs?", "answer", "legs>=6"),
    ("Does it have no legs?", "answer", "legs=0"),  # "no" inside a phrase is no negation
    ("Is it bigger than a cat?", "answer", "heavier=cat"),
    ("Is it larger than a human being?", "answer", "heavier=person"),
    ("Is it smaller than a mouse?", "answer", "lighter=mouse"),
    ("Is it a meat-eater?", "answer", "eats=meat"),
    ("Does it eat only meat?", "answer", "diet=carnivore"),  # "eat" gives way to a diet predicate
    ("Is it vegetarian?", "answer", "diet=herbivore"),
    ("Can it be kept as a pet?", "answer", "kept=pet"),
    ("Is it a farm animal?", "answer", "kept=farm"),
    ("Is it found in the wild?", "answer", "kept=wild"),
    ("Is it a sea creature?", "answer", "habitat=sea"),
    ("Does it live in rivers or lakes?", "answer", "habitat=freshwater"),
    ("Does it live on land and in water?", "answer", "amphibious"),
    ("Does it lay eggs?", "answer", "lays_eggs"),
    ("Does it give birth to live young?", "answer", "live_birth"),
    ("Is it a hippopotamus?", "answer", "is=hippo"),
    ("Is it a guinea pig?", "answer", "is=guinea pig"),  # longest phrase wins over "pig"
    ("Is it a unicorn or not?", "refuse", "don't know what property"),
    ("Is it a mammal, yes or no?", "answer", "class=mammal"),
    ("Is it an animal?", "answer", "animal"),
    ("Is it purple?", "answer", "colour=purple"),
    # refusals (corrections)
    ("What colour is it?", "refuse", "not a yes/no question"),
    ("How many legs does it have?", "refuse", "not a yes/no question"),
    ("Isn't it a mammal?", "refuse", '"not"'),
    ("Does it have no tail?", "refuse", '"no"'),
    ("Can't it fly?", "refuse", '"not"'),
    ("Can it swim?", "refuse", '"swim"'),
    ("Is it a dangerous mammal?", "refuse", '"dangerous"'),
    ("Does it eat fish?", "refuse", "eats meat, plants or both"),
    ("Does it live in Africa?", "refuse", '"africa"'),
    ("Does it live in the jungle and fly?", "refuse", '"jungle"'),
    ("Blue whale?", "clarify", "Do you mean 'Is it blue?' or 'Is it a whale?'?"),  # two topics
    ("Hmm.", "refuse", "don't know what property"),
    # clarifications
    ("Is it big?", "clarify", "Bigger or smaller than what?"),
    ("Is it bigger than a dog?", "clarify", "Bigger or smaller than what?"),  # the dog is no reference
    ("Is it bigger than a breadbox?", "clarify", "Bigger or smaller than what?"),
    ("Is it colourful?", "clarify", "Which colour do you mean?"),
    ("Is it a mammal or a bird?", "clarify", "Do you mean 'Is it a mammal?' or 'Is it a bird?'?"),
    ("Is it a big cat?", "clarify", "Do you mean 'Is it a cat?' or a question about its size"),
    ("Does it have black and white stripes?", "clarify",
     "Do you mean 'Is it black and white?' or 'Does it have stripes?'?"),
    ("Is it a bird? Can it fly?", "clarify", "one thing at a time"),
]


@pytest.mark.parametrize(("question", "kind", "want"), MATCHER_TABLE, ids=[q for q, _, _ in MATCHER_TABLE])
def test_matcher(question: str, kind: str, want: str) -> None:
    res = resolve(question, load_table())
    assert res.kind == kind, res
    if kind == "answer":
        assert res.pred == want
    else:
        assert want in res.message, res.message
        assert res.pred == ""


def test_normalise() -> None:
    assert normalise("Isn't it a MEAT-eater?!") == ["is", "not", "it", "meat", "eater"]
    assert normalise("Can’t it fly? It cannot.") == ["can", "not", "it", "fly", "it", "can", "not"]
    assert normalise("Żółw? 🐢") == ["w"]  # non-ASCII letters only separate words: no crash, no match


# ------------------------------------------------------------------------------------------ parsing
@pytest.mark.parametrize(("text", "kind", "body"), [
    ("QUESTION: Can it fly?", "question", "Can it fly?"),
    ("  question:can it fly", "question", "can it fly"),
    ("Let me think.\n**QUESTION:** Does it have fur?\n", "question", "Does it have fur?"),
    ("GUESS: Penguin", "guess", "penguin"),
    ('guess: "the Guinea  Pig".', "guess", "guinea pig"),
    ("- GUESS: **hippo**", "guess", "hippo"),
])
def test_parse_questioner_accepts(text: str, kind: str, body: str) -> None:
    move = parse_questioner(text)
    assert (move.kind, move.text) == (kind, body)


@pytest.mark.parametrize("text", [
    "", "Can it fly?", "QUESTION:", "QUESTION:   ", "GUESS: ...", "QUESTION: Can it fly?\nGUESS: eagle",
    "QUESTION: " + "is it big " * 30, "Assistant: GUESS: cat", "ANSWER: yes", "GUESS: " + "x" * 50,
])
def test_parse_questioner_rejects(text: str) -> None:
    with pytest.raises(FormatError, match="QUESTION"):
        parse_questioner(text)


@pytest.mark.parametrize(("text", "kind", "body"), [
    ("ANSWER: yes", "answer", "yes"), ("answer: No.", "answer", "no"),
    ("Thinking...\nANSWER: **YES**", "answer", "yes"),
    ("CLARIFY: Bigger than what?", "clarify", "Bigger than what?"),
    ("The question is vague.\n**Clarify:** which colour?", "clarify", "which colour?"),
])
def test_parse_answerer_accepts(text: str, kind: str, body: str) -> None:
    move = parse_answerer(text)
    assert (move.kind, move.text) == (kind, body)


@pytest.mark.parametrize("text", ["", "yes", "ANSWER: maybe", "ANSWER:", "ANSWER: yes\nANSWER: no",
                                  "QUESTION: is it red?", "CLARIFY:", "ANSWER: yes\nCLARIFY: which?"])
def test_parse_answerer_rejects(text: str) -> None:
    with pytest.raises(FormatError, match="ANSWER: yes"):
        parse_answerer(text)
