"""Reference game against cheap policies: the exploits of v1 lose, the attacks really read the view (so their
low scores mean something), and the honest programs show how much of each role is word matching."""

from __future__ import annotations

import random

import pytest
from gamekit import play_script
from playschool.games import LEARNER, TEACHER, EpisodeRecord, Instance
from playschool.games.checks import DEGENERATE_CAP, play
from playschool.games.policies import PolicyScores, score_policies
from playschool.games.reference import Reference
from playschool.games.reference.policies import listener_policies, read_objects, read_target, speaker_policies
from playschool.games.reference.scene import DIMS
from test_reference import hand


@pytest.fixture(scope="module")
def game() -> Reference:
    return Reference()


@pytest.fixture(scope="module")
def table(game: Reference) -> PolicyScores:
    return score_policies(game)


def _run(game: Reference, inst: Instance, role: str, name: str) -> EpisodeRecord:
    pol = next(p for p in (speaker_policies() if role == "speaker" else listener_policies()) if p.name == name)
    roles = {r: (LEARNER if r == role else TEACHER) for r in game.roles}
    return play(game.new_episode(inst, role, roles), {role: pol.make(random.Random(0))}).record()


def test_the_speaker_attacks_read_the_target_from_the_table(game: Reference) -> None:
    """The copying attacks are real: from the view alone they recover the whole scene and the target."""
    for inst in game.generate("test"):
        view = game.new_episode(inst, "speaker").pending()
        assert view is not None
        objects = inst.params["objects"]
        target = objects[inst.params["target"] - 1]
        assert read_target(view.messages) == {d: target[d] for d in DIMS}
        assert sorted(tuple(o[d] for d in DIMS) for o in read_objects(view.messages).values()) == sorted(
            tuple(o[d] for d in DIMS) for o in objects)


def test_copying_the_target_line_says_nothing(game: Reference) -> None:
    """v1's exploit (repeat the prompt line marked TARGET: 100 on every test instance) now repeats a label
    the listener does not understand."""
    for inst in game.generate("test", n=5):
        rec = _run(game, inst, "speaker", "echo_target_line")
        first = next(t for t in rec.turns if t.kind == "move" and t.speaker == "speaker")
        assert first.text.startswith("DESCRIPTION: The target is object ")
        assert (first.parse or {}).get("understood") is False
        assert rec.scores["main"] <= 100 * 0.25 ** 3  # four rounds at best


@pytest.mark.parametrize("experiment", ["easy", "medium", "hard"])
def test_naming_every_attribute_succeeds_but_scores_low(game: Reference, experiment: str) -> None:
    """Over-specification always singles the target out (so the listener selects it), and Gricean quantity
    charges every attribute beyond the fewest needed: 6 named where 1, 2 or 3 would do."""
    fewest = {"easy": 1, "medium": 2, "hard": 3}[experiment]
    for inst in game.generate("test"):
        if inst.experiment != experiment:
            continue
        rec = _run(game, inst, "speaker", "describe_everything")
        assert rec.outcome == "success" and rec.scores["rounds"] == 1.0
        assert rec.scores["overspecification"] == len(DIMS) - fewest
        assert rec.scores["main"] == 100 * 0.5 ** (len(DIMS) - fewest)


def test_every_degenerate_policy_stays_far_below_the_reference(game: Reference, table: PolicyScores) -> None:
    for role, rows in table.roles.items():
        assert table.reference[role].main == 100.0
        assert table.random[role].main <= 15.0
        for row in rows:
            if row.degenerate:
                assert row.main <= min(DEGENERATE_CAP, table.reference[role].main / 3), (role, row)


def test_the_issues_attacks_are_in_the_suite(table: PolicyScores) -> None:
    names = {role: {r.name for r in rows} for role, rows in table.roles.items()}
    assert {"echo_target_line", "describe_everything", "colour_then_answer"} <= names["speaker"]
    assert {"select_first", "word_overlap", "ask_max_then_match", "clarify_ask"} <= names["listener"]


def test_honest_programs_show_what_the_roles_need(table: PolicyScores) -> None:
    """The listener's word matching with the game's vocabulary, asking exactly on ties, is the reference
    listener; matching that never asks earns the unambiguous instances only; Dale and Reiter's incremental
    algorithm (which over-specifies) falls short of the shortest description."""
    rows = {(role, r.name): r for role, rs in table.roles.items() for r in rs}
    assert rows["listener", "vocabulary_fit"].main == 100.0
    assert 50.0 <= rows["listener", "word_overlap"].main <= 75.0
    assert rows["listener", "ask_by_length"].main <= rows["listener", "word_overlap"].main + 10
    assert 40.0 <= rows["speaker", "incremental_algorithm"].main < 100.0
    assert not any(rows[k].degenerate for k in [("listener", "vocabulary_fit"), ("listener", "word_overlap"),
                                                ("speaker", "incremental_algorithm")])


def test_asking_by_habit_does_not_pay(game: Reference) -> None:
    """A question asked when one object fits earns nothing, so asking once whatever was heard wins only the
    instances that needed exactly that one question."""
    for inst in game.generate("test", n=8):
        rec = _run(game, inst, "listener", "ask_once_then_match")
        needed = inst.params["questions_needed"]
        assert rec.scores["main"] == (100.0 if needed == 1 and rec.outcome == "success" else 0.0)
        assert rec.scores["unnecessary_clarifications"] == float(needed == 0)


def test_speaker_hears_what_quantity_made_of_its_description(game: Reference) -> None:
    def result(replies: list[str]) -> str:
        rec = play_script(game, hand(), "speaker", replies)
        return [t.text for t in rec.turns if t.to == "speaker" and t.kind == "environment"][-1]

    assert "Well described" in result(["DESCRIPTION: the large striped one"])
    assert "you named 3 attributes where 2 single the target out" in result(["DESCRIPTION: the large striped "
                                                                             "circle"])
    assert "it took 2 rounds" in result(["DESCRIPTION: large", "DESCRIPTION: striped"])


def test_reviewers_attacks_lose_and_habits_stay_below_matching(table: PolicyScores) -> None:
    """A second round of attacks (the issue's reviewers): the target's place, two random attributes, the last
    object, a question shaped like a good one asked by habit. A habit keyed to the levels (never ask in a
    scene of 4, where the teacher is never ambiguous) is word matching and stays below plain word overlap."""
    rows = {(role, r.name): r for role, rs in table.roles.items() for r in rs}
    for key in [("speaker", "place_only"), ("speaker", "random_two_then_answer"), ("listener", "select_last"),
                ("listener", "ask_directed_once")]:
        assert rows[key].degenerate and rows[key].main <= DEGENERATE_CAP, key
    assert rows["listener", "ask_by_scene_size"].main <= rows["listener", "word_overlap"].main
    assert rows["speaker", "rarest_value"].main < rows["speaker", "incremental_algorithm"].main
