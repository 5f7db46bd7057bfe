"""Tests of the negotiation game's language and arithmetic, without episodes: the pool, parsing moves, the
teacher's reading of free text (numbers, vague words, comparisons) and what a seat can know."""

from __future__ import annotations

import random

import pytest
from negotiation_hand import ALICE, BOB, COUNTS
from playschool.games import FormatError
from playschool.games.negotiation import parse_move, prompts, read
from playschool.games.negotiation.pool import (
    ITEMS,
    best_take,
    favourites,
    gain,
    is_best,
    is_pareto,
    joint_value,
    max_joint,
    min_joint,
    value_of,
)
from playschool.games.negotiation.scoring import classify, quality
from playschool.games.negotiation.teacher import sure_takes


# --------------------------------------------------------------------------------------------- pool
def test_pool_arithmetic() -> None:
    assert value_of([1, 0, 2, 0], ALICE) == 8
    assert joint_value(COUNTS, [1, 0, 2, 0], ALICE, BOB) == 28 == max_joint(COUNTS, ALICE, BOB)
    assert min_joint(COUNTS, ALICE, BOB) == 22
    assert best_take(COUNTS, ALICE, BOB) == (1, 0, 2, 0) and best_take(COUNTS, BOB, ALICE) == (0, 2, 0, 1)
    assert is_best(COUNTS, [1, 0, 2, 0], ALICE, BOB) and not is_best(COUNTS, [1, 0, 2, 1], ALICE, BOB)
    # Gain places a split between the worst (0) and the best (1): Alice taking everything is worth 25.
    assert gain(COUNTS, [1, 2, 2, 1], ALICE, BOB) == pytest.approx((25 - 22) / (28 - 22))
    assert gain(COUNTS, [0, 2, 0, 1], ALICE, BOB) == 0.0
    # Alice taking everything is Pareto-optimal without being jointly optimal; giving away what she values
    # more while taking what Bob values more is neither.
    assert is_pareto(COUNTS, [1, 2, 2, 1], ALICE, BOB) and not is_pareto(COUNTS, [0, 2, 0, 1], ALICE, BOB)
    assert favourites([2, 3, 3, 0]) == (1, 2)


# --------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(("text", "kind", "take", "said"), [
    ("PROPOSE: books=1 hats=0 balls=2 pens=0", "propose", (1, 0, 2, 0), ""),
    ("  propose:balls=2, book=1, pen=0 and hat: 0 ", "propose", (1, 0, 2, 0), ""),
    ("**PROPOSE:** books = 1, hats = 0, balls = 2 and pens = 0.", "propose", (1, 0, 2, 0), ""),
    ("PROPOSE: books=9 hats=-1 balls=2 pens=0", "propose", (9, -1, 2, 0), ""),  # counts are the rules' job
    ("Let me think.\nPROPOSE: books=0 hats=0 balls=0 pens=0\nThat is fair.", "propose", (0, 0, 0, 0), ""),
    ("ACCEPT", "accept", (), ""),
    ("accept.", "accept", (), ""),
    ("- **ACCEPT**", "accept", (), ""),
    ("SAY: hello there", "say", (), "hello there"),
    ("I will ask.\nsay:  what are your values? \nthanks", "say", (), "what are your values?"),
])
def test_parse_accepts(text: str, kind: str, take: tuple[int, ...], said: str) -> None:
    move = parse_move(text)
    assert (move.kind, move.take, move.text) == (kind, take, said)


@pytest.mark.parametrize(("text", "message"), [
    ("", "no move line"),
    ("I accept", "no move line"),
    ("AGREE", "no move line"),
    ("SAYING: hi", "no move line"),
    ("ACCEPT, but only if you give me the hats", "no move line"),
    ("SAY:", "Your SAY is empty"),
    ("SAY: " + "x" * 301, "301 characters"),
    ("SAY: my values are books=2\nPROPOSE: books=1 hats=0 balls=2 pens=0", "2 move lines"),
    ("PROPOSE: 2 books, 1 hat", "Write the counts as item=number pairs"),
    ("PROPOSE: books=1 hats=0 balls=2", "no count for pens"),
    ("PROPOSE: books=1 books=2 hats=0 balls=0 pens=0", "You gave books twice"),
    ("PROPOSE: books=1 cars=0 balls=0 pens=0", "'cars' is not an item"),
    ("PROPOSE: I take books=1 hats=0 balls=2 pens=0", "Write the counts as item=number pairs"),
    ("PROPOSE: books=1.5 hats=0 balls=2 pens=0", "Write the counts as item=number pairs"),
    ("PROPOSE: books=<n> hats=<n> balls=<n> pens=<n>", "Write the counts as item=number pairs"),
])
def test_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_move(text)


# --------------------------------------------------------------------------------------------- reading SAYs
@pytest.mark.parametrize(("text", "values", "vague", "question"), [
    ("My values are books=2 hats=1 balls=3 pens=0.", {0: 2, 1: 1, 2: 3, 3: 0}, (), False),
    ("books: 3, hats: 1, balls: 2", {0: 3, 1: 1, 2: 2}, (), False),
    ("I value books at 3, hats at 1 and balls at 2", {0: 3, 1: 1, 2: 2}, (), False),
    ("For me a book is worth 3, a hat 1 and a pen 2", {0: 3, 1: 1, 3: 2}, (), False),
    ("Books are worth two points each to me, hats are worth nothing and balls 3.", {0: 2, 1: 0, 2: 3}, (), False),
    ("hats and pens are worthless to me", {1: 0, 3: 0}, (), False),
    ("I don\u2019t care about pens", {3: 0}, (), False),
    ("I value books at 3, what about you?", {0: 3}, (), True),
    ("I really like pens", {}, (3,), False),
    ("Books are worth more to me than balls", {}, (0, 2), False),
    ("Pens are worth the most to me.", {}, (3,), False),
    ("I take 2 books and you get the hats", {}, (), False),
    ("hello there", {}, (), False),
    ("Are pens worth 2 to you?", {}, (), True),
    # Comparisons with the listener are no vague statements (test_read_comparisons says what they give).
    ("Books matter more to me than to you, hats less.", {}, (), False),
    ("Are books worth more to you than to me?", {}, (), True),
])
def test_read(text: str, values: dict[int, int], vague: tuple[int, ...], question: bool) -> None:
    r = read(text)
    assert (r.values, r.vague_items, r.question) == (values, vague, question)


@pytest.mark.parametrize(("text", "relative"), [
    # The player after "than" is the one compared with; more/less the direction: both say the same.
    ("Books matter more to me than to you.", {0: (1, None)}),
    ("Books matter less to you than to me.", {0: (1, None)}),
    ("You value hats more than I do", {1: (-1, None)}),
    ("I value hats less than you do", {1: (-1, None)}),
    ("Books: worth less to you than to me. Hats: worth more to you than to me.", {0: (1, None), 1: (-1, None)}),
    # A clause without a player keeps the frame of the one before it in the sentence, not across sentences.
    ("I value books more than you do, hats less, and pens more.", {0: (1, None), 1: (-1, None), 3: (1, None)}),
    ("A pen is worth more to you than to me, and books less.", {3: (-1, None), 0: (1, None)}),
    ("I value books more than you do. Hats less.", {0: (1, None)}),  # "Hats less." alone is vague
    # A number in such a clause is the difference.
    ("A pen is worth two points more to me than to you, a ball one point less.", {3: (1, 2), 2: (-1, 1)}),
    ("You value balls one point more than I do", {2: (-1, 1)}),
    ("Books and hats are worth the same to both of us.", {0: (0, 0), 1: (0, 0)}),
    # Not such comparisons: between the speaker's own types, negated, asked.
    ("Books are worth more to me than balls", {}),
    ("Books are not worth more to me than to you", {}),
    ("Do you value hats more than I do?", {}),
])
def test_read_comparisons(text: str, relative: dict[int, tuple[int, int | None]]) -> None:
    r = read(text)
    assert r.relative == relative and not r.values
    assert not set(relative) & set(r.vague_items) and (r.mentions or not relative)


def test_proposer_values_read_as_meant() -> None:
    for values in ([2, 0, 7, 3], [1, 1, 8, 10], [0, 10, 0, 1], [5, 5, 5, 5]):
        reading = read(prompts.exact_values(values))
        assert reading.values == dict(enumerate(values)) and not reading.vague_items and not reading.question


@pytest.mark.parametrize("phrasing", prompts.PHRASINGS)
def test_comparisons_read_as_meant(phrasing: str) -> None:
    """Whichever phrasing the level uses, the proposer reads for every type it gave a number for exactly who
    values it more (and in ``differences`` by how much), however the order and the sides were drawn; the
    responder never states a number of its own."""
    rng = random.Random(phrasing)
    for k in range(300):
        mine = [rng.randint(0, 10) for _ in ITEMS]
        theirs = {i: rng.randint(0, 10) for i in rng.sample(range(len(ITEMS)), rng.randint(1, len(ITEMS)))}
        if k % 3 == 0:  # told values one or two points off, as in the levels
            theirs = {i: max(0, min(10, mine[i] + rng.choice((-2, -1, 1, 2)))) for i in theirs}
        text = prompts.comparisons(mine, theirs, phrasing, random.Random(k))
        reading = read(text)
        expected = {i: ((mine[i] > v) - (mine[i] < v),
                        abs(mine[i] - v) if phrasing == "differences" or mine[i] == v else None)
                    for i, v in theirs.items()}
        assert reading.relative == expected, text
        assert not reading.values and not reading.vague_items and not reading.question, text


def test_comparison_words_alone_tell_nothing() -> None:
    """Each type is compared from a random side, so the word *more* goes with "the speaker values it more" about
    half the time, and so does *me* named first: only the two together (and the item they go with) say it."""
    mine, theirs = [6, 6, 6, 6], {0: 5, 1: 5, 2: 7, 3: 7}  # the speaker values books and hats more
    more_agrees = side_agrees = clauses = 0
    for seed in range(200):
        for sentence in prompts.comparisons(mine, theirs, "pairs", random.Random(seed)).split(". ")[1:]:
            item = next(i for i, name in enumerate(ITEMS) if sentence.startswith(name.capitalize()))
            speaker_more = mine[item] > theirs[item]
            more_agrees += ("worth more" in sentence) == speaker_more
            side_agrees += ("to me than" in sentence) == speaker_more
            clauses += 1
    assert 0.4 < more_agrees / clauses < 0.6 and 0.4 < side_agrees / clauses < 0.6


def test_phrasings_differ() -> None:
    said = {p: prompts.comparisons([2, 0, 7, 3], {0: 3, 1: 1, 2: 6, 3: 4}, p, random.Random(4))
            for p in prompts.PHRASINGS}
    intro = prompts.COMPARE_INTRO
    assert said["pairs"] == (f"{intro} Balls: worth less to you than to me. Books: worth more to you than to me. Pens: "
                             "worth less to me than to you. Hats: worth less to me than to you.")
    # "..., and books more": more to you than to me, the frame of the clause before it.
    assert said["sentences"] == (f"{intro} Balls matter less to you than to me, and books more. Pens matter less to "
                                 "me than to you, and hats less.")
    assert said["differences"] == (f"{intro} You value balls one point less than I do, and a book one point more. A "
                                   "pen is worth one point less to me than to you, and hats one point less.")
    for text in said.values():
        assert {i: sign for i, (sign, _) in read(text).relative.items()} == {0: -1, 1: -1, 2: 1, 3: -1}, text


def test_teacher_sentences_read_as_meant() -> None:
    vague = read(prompts.vague_values((1, 3)))
    assert vague.vague_items == (1, 3) and not vague.question and vague.hints[0].claim
    for question in (prompts.ASK_VALUES, prompts.ask_values([1, 3]), prompts.ASK_COMPARE,
                     prompts.clarification(read("I like hats")), prompts.check_range(2, 15)):
        r = read(question)
        assert r.question and not r.values and not r.vague_items and not r.mentions, question
    for statement in (prompts.REJECT_BAD, prompts.REJECT_UNTOLD, prompts.YOUR_PROPOSAL, prompts.PROPOSAL_STANDS,
                      prompts.NEED_VALUES, prompts.COMPARE_INTRO):
        r = read(statement)
        assert not r.mentions and not r.question and not r.values, statement


# --------------------------------------------------------------------------------------------- what a seat knows
def test_sure_takes() -> None:
    counts, mine = (1, 2, 2, 1), (4, 6, 2, 5)
    # With nothing heard nothing is sure: own values never settle the split.
    assert sure_takes(counts, mine, (), ()) == ()
    # With every number heard, exactly the optimum is sure.
    assert sure_takes(counts, mine, ((0, 3), (1, 7), (2, 1), (3, 6)), ()) == ((1, 0, 2, 0),)
    # A tie leaves that type's share free.
    assert len(sure_takes(counts, mine, ((0, 4), (1, 7), (2, 1), (3, 6)), ())) == 2
    # Three numbers and a vague word about the fourth type are not enough ...
    hint = read("Pens are worth the most to me.").hints
    assert sure_takes(counts, mine, ((0, 3), (1, 7), (2, 1)), ()) == ()
    # ... unless the word settles it: the partner's pens are worth at least its hats (7), more than my 5.
    assert sure_takes(counts, mine, ((0, 3), (1, 7), (2, 1)), hint) == ((1, 0, 2, 0),)
    # Comparisons with my values need no number: who values each type more is all the split needs.
    more_less = ((0, 0, 3), (1, 7, 10), (2, 0, 1), (3, 6, 10))  # books and balls less than mine, hats and pens more
    assert sure_takes(counts, mine, (), (), more_less) == ((1, 0, 2, 0),)
    # A range that straddles my value (a comparison made with a number I did not tell truly) settles nothing.
    assert sure_takes(counts, mine, (), (), ((0, 0, 3), (1, 5, 10), (2, 0, 1), (3, 6, 10))) == ()


def test_classify_and_quality() -> None:
    assert classify(True, ((1, 0, 2, 0),), (1, 0, 2, 0)) == "grounded"
    assert classify(True, (), (1, 0, 2, 0)) == "lucky"
    assert classify(False, (), (1, 2, 2, 1)) == "guess"
    assert classify(False, ((1, 0, 2, 0),), (1, 2, 2, 1)) == "contradicts"
    assert quality(1.0, True, 0, 0) == 1.0 and quality(1.0, True, 2, 0) == 0.25
    assert quality(1.0, False, 0, 0) == 0.0 and quality(1.0, True, 0, 1) == 0.0
