"""Repair v2: cheap policies lose, questions cost and a vague one is only answered with a restatement, the
notes CLU2 reads (``repaired``, ``ambiguous``, ``consistent``), random legal moves, and distinct held-out instances.

The hand-made shelf and scripts come from ``test_repair.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from gamekit import moves_of, play_script
from playschool.games import RANDOM, SPLITS, TEACHER, EpisodeRecord
from playschool.games.checks import DEGENERATE_CAP, play
from playschool.games.policies import score_policies
from playschool.games.repair import Repair
from playschool.games.repair.catalogue import load_catalogue, noun_of
from playschool.games.repair.game import LEVELS
from playschool.games.repair.language import mentions, parse_builder, parse_instructor
from test_repair import ASK, EMPTY5, REPAIR, REST, S1, S2, S3, S4, STEPS, hand, scene, state


@pytest.fixture(scope="module")
def game() -> Repair:
    return Repair()


def notes(rec: EpisodeRecord, role: str) -> list[dict[str, Any]]:
    """The parse notes of ``role``'s accepted moves, in order."""
    return [t.parse or {} for t in rec.turns
            if t.kind == "move" and t.speaker == role and (t.parse or {}).get("ok")]


# ---------------------------------------------------------------------------------------- cheap policies
#: The attacks the v1 game paid for (v1 mean main on the test split in brackets) and the other named ones.
ATTACKS = {"instructor": ["every_step_twice",  # 86
                          "two_passes",  # 67
                          "ignore_reports",  # 48
                          "always_done", "copy_example", "repeat_last_move", "enumerate_puts"],
           "builder": ["ask_every_step",  # 100
                       "ask_vaguely_every_step",  # 100
                       "ask_listing_items", "clarify_ask", "copy_example", "empty_shelf", "repeat_report",
                       "wait_for_correction"]}  # red team: the partner's corrections do all the work


@pytest.mark.parametrize("role", ["instructor", "builder"])
def test_attacks_lose(game: Repair, role: str) -> None:
    table = score_policies(game)
    reference = table.reference[role].main
    rows = {row.name: row for row in table.roles[role]}
    assert reference >= 95.0
    for name in ATTACKS[role]:
        assert rows[name].degenerate
        assert rows[name].main <= min(DEGENERATE_CAP, reference / 3), name
    assert table.random[role].main <= 5.0


def test_honest_programs_show_what_the_role_needs(game: Repair) -> None:
    """Reading the STATE line is all the instructor needs; asking exactly when a noun fits several items is
    what separates a literal builder from the reference."""
    rows = {(role, row.name): row.main for role, rs in score_policies(game).roles.items() for row in rs}
    assert rows[("instructor", "report_reader")] >= 95.0
    assert rows[("builder", "asks_when_unclear")] >= 95.0
    assert 40.0 <= rows[("builder", "literal_guesser")] <= 80.0
    # Red team: a regular expression per kind of step does the builder's reading; asking by the surface form
    # (every shared noun) costs more than never asking; the instructor's echo check misses bumped items.
    assert rows[("builder", "regex_reader")] >= 95.0
    assert rows[("builder", "ask_on_shared_noun")] < rows[("builder", "literal_guesser")]
    assert 50.0 <= rows[("instructor", "echo_check")] < rows[("instructor", "report_reader")]


# ---------------------------------------------------------------------------------------- questions cost
@pytest.mark.parametrize(("question", "targeted"), [
    ("Which cup do you mean?", True),
    ("Which cup do you mean: the red cup or the blue cup?", True),
    ("Do you mean the blue cup?", True),  # a candidate understanding, even a wrong one, names the trouble
    ("The red one or the blue one?", True),
    ("Can you say that again, more precisely?", False),
    ("Which one?", False),
    ("What do you mean?", False),
    ("Do you mean the green book?", False),  # an item the step cannot mean
])
def test_only_a_question_that_says_what_is_unclear_gets_the_item(game: Repair, question: str,
                                                                   targeted: bool) -> None:
    assert bool(mentions(question, scene()) & {"red cup", "blue cup"}) is targeted
    rec = play_script(game, hand(), "builder", [f"CLARIFY: {question}", *(
        [S1, S2, ASK, S3, S4] if targeted else [ASK, S1, S2, ASK, S3, S4])])
    answer = moves_of(rec, "instructor")[1]
    assert answer == ("INSTRUCT: I mean the red cup: put the red cup in slot 3." if targeted
                      else "INSTRUCT: I said: put the cup in slot 3.")
    first = notes(rec, "builder")[0]
    assert first["act"] == "clarify" and first["ambiguous"] is True and first["targeted"] is targeted
    assert rec.scores["needless_questions"] == (0 if targeted else 1)


def test_asking_again_and_again_never_gives_more_away(game: Repair) -> None:
    """A vague question gets the same restatement every time, until the move limit ends the episode."""
    rec = play_script(game, hand(), "builder", ["CLARIFY: Say that again?"] * 30)
    assert set(moves_of(rec, "instructor")[1:]) == {"INSTRUCT: I said: put the cup in slot 3."}
    assert rec.outcome == "lose" and rec.scores["main"] == 0.0 and rec.scores["needless_questions"] == 30


def test_a_question_about_a_clear_step_is_answered_with_the_step(game: Repair) -> None:
    rec = play_script(game, hand(), "builder", [ASK, S1, "CLARIFY: Which book do you mean?", S2, ASK, S3, S4])
    assert moves_of(rec, "instructor")[3] == "INSTRUCT: I said: put the green book in slot 1."
    q = notes(rec, "builder")[2]
    assert (q["ambiguous"], q["targeted"]) == (False, False)
    assert rec.scores["main"] == 50.0  # 3 of 4 steps grounded (not step 2), less 1 for the question


def test_ambiguous_marks_exactly_the_unresolved_unclear_step(game: Repair) -> None:
    rec = play_script(game, hand(), "builder", ["CLARIFY: Huh?", ASK, S1, S2, ASK, S3, S4])
    assert [n["ambiguous"] for n in notes(rec, "builder")] == [True, True, False, False, True, False, False]


# ---------------------------------------------------------------------------------------- repair notes
# After STEPS the builder has misread the green book into slot 2 (goal: slot 1); the red cup is in slot 3.
@pytest.mark.parametrize(("move", "repaired", "act"), [
    (REPAIR, True, "repair"),
    ("INSTRUCT: swap slot 1 and slot 2", True, "repair"),  # the same fix, worded as a swap
    ("INSTRUCT: remove the green book", True, "repair"),  # the first half of a two-step repair
    (REST[0], False, "instruct"),  # goes on as if nothing happened
    ("DONE", False, "done"),
    ("INSTRUCT: put the red cup in slot 1", False, "instruct"),  # takes a right item away, fixes nothing
    ("INSTRUCT: put the green book in slot 3", False, "repair"),  # clears slot 2, but bumps the red cup
])
def test_the_move_answering_a_misreading_is_noted(game: Repair, move: str, repaired: bool, act: str) -> None:
    ep = game.new_episode(hand(), "instructor")
    for m in [*STEPS, move]:
        ep.act(m)
    answer = notes(ep.record() if ep.done else _finish(ep), "instructor")[2]
    assert (answer["repaired"], answer["act"]) == (repaired, act)


def _finish(ep: Any) -> EpisodeRecord:
    ep.abort("test ends here")
    return ep.record()


def test_an_unclear_repair_is_judged_by_the_answer(game: Repair) -> None:
    # The red cup is misread into slot 4; the repair names "the cup", and the builder asks which one.
    rec = play_script(game, hand(misreadings=[{"step": 1, "kind": "slot"}]), "instructor",
                      [STEPS[0], "INSTRUCT: put the cup in slot 3", "INSTRUCT: the red one", STEPS[1], *REST,
                       "DONE"])
    assert moves_of(rec, "builder")[1].startswith("CLARIFY: Which cup")
    mine = notes(rec, "instructor")
    assert "repaired" not in mine[1] and mine[1]["wasted"] is True
    assert mine[2]["repaired"] is True and mine[2]["act"] == "repair"
    assert rec.outcome == "success" and rec.scores["main"] == 0.0  # one repair, one wasted step


def test_every_step_twice_repairs_but_wastes(game: Repair) -> None:
    """Blind repetition does repair the misread step (its `repaired` notes are True), but every repeat of a
    step carried out right is wasted, so it cannot score like an instructor that repairs just that."""
    twice = [s for step in [*STEPS, *REST] for s in (step, step)] + ["DONE"]
    blind = play_script(game, hand(), "instructor", twice)
    noticing = play_script(game, hand(), "instructor", [*STEPS, REPAIR, *REST, "DONE"])
    assert [n.get("repaired") for n in notes(blind, "instructor") if "repaired" in n] == [True]
    assert blind.scores["repairs_made"] == noticing.scores["repairs_made"] == 1
    assert blind.scores["main"] == 0.0 and noticing.scores["main"] == 100.0


# ---------------------------------------------------------------------------------------- consistency
def test_builder_reports_are_checked_against_its_own_last_report(game: Repair) -> None:
    moved_too = state(s1="green book", s3="red cup", s5="red mug")  # step 2 plus an unasked move
    dropped = state(s3="red cup", s4="blue cup")  # the green book is gone, though nothing said so
    rec = play_script(game, hand(), "builder", [ASK, S1, moved_too, S2, ASK, dropped, S3, S4])
    reports = [n for n in notes(rec, "builder") if n["act"] in ("report", "repair")]
    # S1 (after the answer), the extra move, the repair (what the correction said), a report that drops
    # the green book though nothing said so, the repair, the last step.
    assert [n["consistent"] for n in reports] == [True, False, True, False, True, True]


@pytest.mark.parametrize(("source", "consistent"), [(2, True), (4, False)])
def test_instructor_steps_that_say_where_an_item_is(game: Repair, source: int, consistent: bool) -> None:
    ep = game.new_episode(hand(), "instructor")
    for move in [*STEPS, f"INSTRUCT: move the green book from slot {source} to slot 1"]:
        ep.act(move)
    assert notes(_finish(ep), "instructor")[2]["consistent"] is consistent


# ------------------------------------------------------------------------------------ random and instances
@pytest.mark.parametrize("role", ["instructor", "builder"])
def test_random_moves_are_well_formed_and_legal(game: Repair, role: str) -> None:
    for inst in game.generate("test", n=5):
        rec = play(game.new_episode(inst, role, {r: (RANDOM if r == role else TEACHER) for r in game.roles}),
                   {}).record()
        moves = [t for t in rec.turns if t.kind == "move" and t.speaker == role]
        assert moves and all((t.parse or {}).get("error") != "format" for t in moves)
        if role == "instructor":  # a random step always changes the shelf
            assert all((t.parse or {}).get("ok") for t in moves)
        for t in moves:
            if role == "instructor":
                parse_instructor(t.text)
            else:
                parse_builder(t.text, game.new_episode(inst, role).scene)


def test_instances_are_distinct_held_out_and_redrawn_by_seed(game: Repair) -> None:
    keys = {split: [game.instance_key(i.params) for i in game.generate(split)] for split in SPLITS}
    for split, split_keys in keys.items():
        assert len(set(split_keys)) == len(split_keys), split
    assert len(keys["test"]) == 32 * len(LEVELS)
    assert not set(keys["test"]) & (set(keys["train"]) | set(keys["validation"]))
    other = game.generate("test", seed=12345)
    assert not {game.instance_key(i.params) for i in other} & set(keys["test"])
    assert sorted(i.experiment for i in other) == sorted(i.experiment for i in game.generate("test"))
    # The hard experiment cycles through every look-alike group of the test split.
    test_groups = {g for g in load_catalogue().split_groups("test") if len(g) > 1}
    used = set()
    for inst in game.generate("test"):
        if inst.experiment == "hard":
            nouns = {noun_of(item) for item in inst.params["items"]}
            used |= {g for g in test_groups if len(nouns & set(g)) >= 2}
    assert used == test_groups


def test_examples_are_never_valid_moves(game: Repair) -> None:
    """The prompts' examples name apples, which the catalogue never holds: copying one is never a move."""
    cat = load_catalogue()
    assert "apple" not in cat.nouns and "apple" not in cat.colours
    for role in game.learner_roles:
        turn = game.new_episode(game.generate("test", n=1)[0], role).pending()
        assert turn is not None and "red apple" in turn.messages[0]["content"]
    rec = play_script(game, hand(), "instructor", ["INSTRUCT: put the red apple in slot 3"] * 3)
    assert rec.outcome == "aborted"
    example = "CLARIFY: Which apple do you mean: the red apple or the green apple?"
    rec = play_script(game, hand(), "builder", [example, ASK, S1, S2, ASK, S3, S4])
    assert moves_of(rec, "instructor")[1] == "INSTRUCT: I said: put the cup in slot 3."


def test_the_builder_role_scores_steps_not_moves(game: Repair) -> None:
    """The builder's main score counts plan steps: a shelf never reported right earns nothing, whatever it
    asked."""
    rec = play_script(game, hand(), "builder", [ASK, *[EMPTY5] * 29])
    assert rec.scores["grounded_steps"] == 0 and rec.scores["main"] == 0.0
