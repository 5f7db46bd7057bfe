"""Reference game: the listener's parser, instances, move tables for both learner roles, clarification and
correction exactly when due, golden transcripts, reference vs random players and the game contract.

Regenerate the golden transcripts after an intended change of behaviour (which also bumps the game version):
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_reference.py -k golden``.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, learner_moves, play_script
from playschool.games import TEACHER, EpisodeRecord, FormatError, Instance, check_game
from playschool.games.checks import play
from playschool.games.reference import Reference
from playschool.games.reference.generator import LEVELS, target_pool
from playschool.games.reference.moves import parse_listener, parse_speaker
from playschool.games.reference.scene import (
    DIMS,
    dims_named,
    fits,
    matching,
    minimal_unique,
    parse_description,
    question_text,
    render,
)

from playschool import EpisodeTask, Runner
from playschool.players import RandomPlayer, ReferencePlayer


@pytest.fixture(scope="module")
def game() -> Reference:
    return Reference()


def obj(spec: str) -> dict[str, str]:
    """``"large red striped circle top left"`` -> an object dict."""
    size, colour, pattern, shape, row, column = spec.split()
    return {"colour": colour, "shape": shape, "size": size, "pattern": pattern, "column": column, "row": row}


# A hand-made scene. The target (1) needs two attributes: "large striped" is its shortest unique description.
SCENE = [obj("large red striped circle top left"), obj("small red striped circle top left"),
         obj("large blue plain square bottom middle"), obj("small green dotted triangle bottom right"),
         obj("large red plain circle top right")]
AMBIGUOUS_PLAN = [{"colour": "red", "shape": "circle"}, {"pattern": "striped"}, {"size": "large"}]
UNIQUE_PLAN = [{"size": "large", "pattern": "striped"}]


def hand(plan: list[dict[str, str]] = AMBIGUOUS_PLAN, target: int = 1) -> Instance:
    mode = {1: "unique", 2: "ambiguous", 3: "ambiguous2"}[len(plan)]
    params = {"objects": SCENE, "target": target, "mode": mode, "ambiguous": len(plan) > 1,
              "questions_needed": len(plan) - 1, "descriptions": plan, "max_clarifications": 3}
    return Instance(id=f"hand/{mode}", game=Reference().versioned_id, split="test", experiment="medium", seed=7,
                    params=params)


def kinds_after(rec: EpisodeRecord) -> list[str]:
    """The kind of the first message the learner got after each of its moves."""
    return [next(t.kind for t in rec.turns[m.index + 1:] if t.to == rec.learner_role and t.kind != "move")
            for m in learner_moves(rec)]


def teacher_texts(rec: EpisodeRecord) -> list[str]:
    return [t.text for t in rec.turns if t.kind == "move" and t.speaker != rec.learner_role]


# ------------------------------------------------------------------------------------------- parser
@pytest.mark.parametrize(("text", "include", "exclude"), [
    ("the large red striped circle at the top left", {"size": {"large"}, "colour": {"red"},
                                                     "pattern": {"striped"}, "shape": {"circle"},
                                                     "row": {"top"}, "column": {"left"}}, {}),
    ("The BIG round one, upper centre", {"size": {"large"}, "shape": {"circle"}, "row": {"top"},
                                         "column": {"middle"}}, {}),
    ("a tiny violet rhombus with polka dots", {"size": {"small"}, "colour": {"purple"},
                                              "shape": {"diamond"}, "pattern": {"dotted"}}, {}),
    ("the red or blue one", {"colour": {"red", "blue"}}, {}),
    ("the circle that is not striped", {"shape": {"circle"}}, {"pattern": {"striped"}}),
    ("the non-striped one, which isn't on the left", {}, {"pattern": {"striped"}, "column": {"left"}}),
    ("neither red nor blue", {}, {"colour": {"red", "blue"}}),
    ("not the big one but the red one", {"colour": {"red"}}, {"size": {"large"}}),
    ("no stripes, and without any dots", {}, {"pattern": {"striped", "dotted"}}),
    ("no, the small one", {"size": {"small"}}, {}),  # "no" negates only the very next word
    ("the one over there, number 3", {}, {}),
    ("", {}, {}),
])
def test_parse_description(text: str, include: dict[str, set[str]], exclude: dict[str, set[str]]) -> None:
    d = parse_description(text)
    assert d.include == include and d.exclude == exclude
    assert d.understood == bool(include or exclude)


def test_description_summary_and_match() -> None:
    d = parse_description("not plain, the red circle")
    assert d.summary() == "red, circle, not plain"
    assert parse_description("top left big star").summary() == "large, star, top, left"
    assert [d.matches(o) for o in SCENE] == [True, True, False, False, False]
    assert matching(SCENE, [d, parse_description("large")]) == [0]


@pytest.mark.parametrize(("question", "dims"), [
    ("Which colour?", ["colour"]), ("the large one or the small one?", ["size"]),
    ("Where is it?", ["column", "row"]), ("Which side, and is it striped?", ["pattern", "column"]),
    ("Which one do you mean?", []),
])
def test_dims_named(question: str, dims: list[str]) -> None:
    assert dims_named(question) == dims


def test_render_round_trips_through_the_listener(game: Reference) -> None:
    """Whatever the teacher speaker says, the listener understands exactly those attributes."""
    for inst in game.generate("validation", n=6):
        target = inst.params["objects"][inst.params["target"] - 1]
        for k in (1, 2, 3, 6):
            for dims in itertools.combinations(DIMS, k):
                d = parse_description(render(target, dims))
                assert d.include == {dim: {target[dim]} for dim in dims} and not d.exclude, (target, dims)
    assert render(SCENE[0], ("size", "pattern")) == "the large striped one"
    assert render(SCENE[0], ("colour", "row", "column")) == "the red one at the top left"
    assert render(SCENE[2], ("shape", "column")) == "the square in the middle"


def test_questions() -> None:
    assert question_text("colour", ["blue", "red"]) == "Which colour: red or blue?"
    assert question_text("size", ["small", "large"]) == "The large one or the small one?"
    assert question_text("column", ["right", "middle", "left"]) == \
        "The one on the left, in the middle or on the right?"
    assert question_text("row", ["bottom", "top"]) == "The one at the top or at the bottom?"


@pytest.mark.parametrize(("text", "kind", "body"), [
    ("DESCRIPTION: the red one", "describe", "the red one"),
    ("  description :  big circle \nthanks", "describe", "big circle"),
    ("Sure!\nDESCRIPTION: the red one", "describe", "the red one"),
    ("**DESCRIPTION:** the red one", "describe", "the red one"),  # Markdown decoration is forgiven
    ("SELECT: 3", "select", 3), ("select: #3.", "select", 3), ("SELECT: object 3", "select", 3),
    ("- **SELECT:** `3`", "select", 3),
    ("CLARIFY: Which colour?", "clarify", "Which colour?"),
    ("Hmm, two fit.\nCLARIFY: Which colour?\nThanks!", "clarify", "Which colour?"),
])
def test_parse_moves_accept(text: str, kind: str, body: Any) -> None:
    move = parse_speaker(text) if kind == "describe" else parse_listener(text)
    assert move.kind == kind
    assert (move.number if kind == "select" else move.text) == body


@pytest.mark.parametrize(("text", "role"), [
    ("the red one", "speaker"), ("DESCRIPTION:", "speaker"), ("DESCRIPTION: " + "red " * 100, "speaker"),
    ("SELECT: 3", "speaker"), ("SELECT: three", "listener"), ("SELECT: 3 or 4", "listener"),
    ("CLARIFY:   ", "listener"), ("3", "listener"), ("DESCRIPTION: red", "listener"),
    # One move per reply: two move lines are a format error, in both roles.
    ("DESCRIPTION: the red one\nDESCRIPTION: the blue one", "speaker"),
    ("CLARIFY: which one?\nSELECT: 2", "listener"),
])
def test_parse_moves_reject(text: str, role: str) -> None:
    with pytest.raises(FormatError):
        (parse_speaker if role == "speaker" else parse_listener)(text)


# ------------------------------------------------------------------------------------------- instances
def test_target_combinations_are_held_out() -> None:
    pools = {s: set(target_pool(s)) for s in ("train", "validation", "test")}
    assert all(len(p) >= 20 for p in pools.values())  # each split's instances cycle without repeats
    assert not (pools["train"] & pools["test"]) and not (pools["train"] & pools["validation"])
    assert len(pools["train"] | pools["validation"] | pools["test"]) == 6 * 5 * 2 * 3


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_instances_follow_their_level(game: Reference, split: str) -> None:
    pool = set(target_pool(split))
    for inst in game.generate(split, n=20):
        p, level = inst.params, LEVELS[inst.experiment]
        objects, t = p["objects"], p["target"] - 1
        target = objects[t]
        assert f"{target['colour']} {target['shape']} {target['size']} {target['pattern']}" in pool
        assert level.objects[0] <= len(objects) <= level.objects[1]
        assert len({tuple(o[d] for d in DIMS) for o in objects}) == len(objects)  # no two alike
        fewest = minimal_unique(objects, t)
        assert len(fewest[0]) == level.unique_size
        # Near-duplicates (one attribute off the target) in every level, easy included: the attributes
        # that single the target out are the ones they differ in.
        near = {d for o in objects for d in DIMS if o is not target and
                [e for e in DIMS if o[e] != target[e]] == [d]}
        assert len(near) >= level.near_duplicates >= 1
        assert all(near <= set(dims) for dims in fewest)  # only naming d rules out a duplicate off in d
        index = int(inst.id.rsplit("/", 1)[1])
        assert p["mode"] == level.modes[index % len(level.modes)]
        assert p["ambiguous"] == (p["mode"] != "unique")
        # The plan: every stage but the last leaves 2+ candidates, each fewer; all stages leave the target.
        said: list[str] = []
        counts = []
        for stage in p["descriptions"]:
            assert all(target[d] == v for d, v in stage.items())
            said += list(stage)
            counts.append(len(fits(objects, target, said)))
        assert counts[-1] == 1 and all(c >= 2 for c in counts[:-1]) and counts == sorted(counts, reverse=True)
        assert len(counts) - 1 == p["questions_needed"] == {"unique": 0, "ambiguous": 1, "ambiguous2": 2}[p["mode"]]
        assert 1 <= len(p["descriptions"][0]) <= level.unique_size + 1
        if p["mode"] == "unique":
            assert len(p["descriptions"][0]) in (level.unique_size, level.unique_size + 1)
        if inst.experiment == "easy":
            assert not p["ambiguous"]


def test_description_length_does_not_give_ambiguity_away(game: Reference) -> None:
    """On medium and hard, ambiguous and unique first descriptions share lengths: a listener cannot tell
    whether to ask by counting attribute words (in v1 one count told them apart on every level)."""
    for exp in ("medium", "hard"):
        lengths: dict[bool, set[int]] = {True: set(), False: set()}
        for inst in game.generate("train", n=40):
            if inst.experiment == exp:
                lengths[inst.params["ambiguous"]].add(len(inst.params["descriptions"][0]))
        assert lengths[True] & lengths[False], (exp, lengths)


def test_each_target_once_per_split_and_experiment(game: Reference) -> None:
    insts = game.generate("test")
    for exp in game.experiments:
        combos = [tuple(i.params["objects"][i.params["target"] - 1][d] for d in ("colour", "shape", "size",
                                                                                  "pattern"))
                  for i in insts if i.experiment == exp]
        assert len(set(combos)) == len(combos) == game.split_sizes["test"]


def test_instance_key_is_the_scene(game: Reference) -> None:
    """Re-numbering the objects (and a different plan) is the same item; another target is another item."""
    params = hand().params
    shuffled = {**params, "objects": SCENE[::-1], "target": len(SCENE), "descriptions": UNIQUE_PLAN}
    assert game.instance_key(shuffled) == game.instance_key(params)
    assert game.instance_key({**params, "target": 2}) != game.instance_key(params)
    keys = {s: {game.instance_key(i.params) for i in game.generate(s)} for s in ("train", "validation", "test")}
    assert len(keys["test"]) == 3 * game.split_sizes["test"]
    assert not keys["test"] & (keys["train"] | keys["validation"])
    other = {game.instance_key(i.params) for i in game.generate("test", seed=11)}
    assert not other & keys["test"]


# ------------------------------------------------------------------------------------------- speaker role
# The hand scene's target needs two attributes ("large striped"). main = 100 x 0.5^redundant x 0.25^(rounds-1).
SPEAKER_TABLE = [
    pytest.param(["DESCRIPTION: the large striped one"], "success", [1.5], 100.0, ["environment"],
                 id="minimal-description"),
    # One attribute more than needed (the shape) halves the score; the shaping (0.5) is the same.
    pytest.param(["DESCRIPTION: the large striped circle"], "success", [1.0], 50.0, ["environment"],
                 id="one-redundant-attribute"),
    # Everything the table shows: 6 attributes for 2 needed, 1/16 of full credit.
    pytest.param(["DESCRIPTION: the large red striped circle at the top left"], "success", [0.5625], 6.25,
                 ["environment"], id="over-specification"),
    # Three rounds and four attributes (colour and shape are redundant): 100 x 0.5^2 x 0.25^2.
    pytest.param(["DESCRIPTION: the red circle", "DESCRIPTION: the large one", "DESCRIPTION: striped"],
                 "success", [0.158697, 0.125965, 0.230963], 1.5625,
                 ["clarification", "clarification", "environment"], id="two-clarifications"),
    # A description no object fits is a round too.
    pytest.param(["DESCRIPTION: the green circle", "DESCRIPTION: the large striped one"], "success",
                 [-0.5, 0.75], 25.0, ["correction", "environment"], id="no-match-then-repair"),
    pytest.param(["DESCRIPTION: the thing over there", "DESCRIPTION: big and striped"], "success",
                 [-0.1, 0.75], 25.0, ["clarification", "environment"], id="not-understood"),
    pytest.param(["DESCRIPTION: the small striped one"], "lose", [-1.2], 0.0, ["environment"],
                 id="misleading-description-loses"),
    pytest.param(["the large striped one", "DESCRIPTION: the large striped one"], "success", [-1.0, 1.5],
                 100.0, ["correction", "environment"], id="format-error-is-not-a-round"),
    pytest.param(["I think", "hm", "DESCRIPTION large"], "aborted", [-1.0, -1.0, -1.0], 0.0,
                 ["correction", "correction", "environment"], id="three-format-errors-abort"),
    pytest.param(["DESCRIPTION: green circle", "DESCRIPTION: blue star", "DESCRIPTION: purple"], "aborted",
                 [-0.5, -0.5, -0.5], 0.0, ["correction", "correction", "environment"],
                 id="three-no-matches-abort"),
    # Out of questions after the third: the teacher listener takes its lowest-numbered candidate (here, luckily,
    # the target). Four rounds: 0.25^3 of full credit.
    pytest.param(["DESCRIPTION: the red one"] * 4, "success", [0.158697, 0.0, 0.0, 0.015625], 1.5625,
                 ["clarification"] * 3 + ["environment"], id="out-of-questions"),
]


@pytest.mark.parametrize(("replies", "outcome", "rewards", "main", "kinds"), SPEAKER_TABLE)
def test_speaker_sequences(game: Reference, replies: list[str], outcome: str, rewards: list[float],
                           main: float, kinds: list[str]) -> None:
    rec = play_script(game, hand(), "speaker", replies)
    assert rec.outcome == outcome
    assert [t.reward for t in learner_moves(rec)] == rewards
    assert rec.scores["main"] == main
    assert kinds_after(rec) == kinds


def test_speaker_texts_and_scores(game: Reference) -> None:
    rec = play_script(game, hand(), "speaker",
                      ["DESCRIPTION: the red circle", "DESCRIPTION: the blue one", "DESCRIPTION: the large one",
                       "DESCRIPTION: striped"])
    assert teacher_texts(rec) == ["CLARIFY: The large one or the small one?",
                                  "CLARIFY: The plain one or the striped one?", "SELECT: 1"]
    to_speaker = [t.text for t in rec.turns if t.to == "speaker" and t.kind != "instruction"]
    assert to_speaker[0].startswith('The listener asks: "The large one or the small one?"')
    assert to_speaker[1].startswith('No object fits "the blue one" together with what you said before '
                                    '("the red circle"). (I understood: blue.)')
    assert to_speaker[-1].startswith("The listener selected a large red striped circle (top left): that is the "
                                     "target.")
    notes = [t.parse or {} for t in learner_moves(rec)]
    assert notes[0] == {"act": "describe", "understood": True, "heard": "red, circle",
                        "attributes": ["colour", "shape"], "candidates_before": 5, "candidates": 3,
                        "consistent": True, "ok": True}
    assert notes[1]["error"] == "rule"
    # The description after the no-fit correction is a repair, and true of the target.
    assert (notes[2]["act"], notes[2]["repaired"], notes[2]["consistent"]) == ("repair", True, True)
    assert notes[3]["act"] == "answer" and "repaired" not in notes[3]
    s = rec.scores
    assert (s["rounds"], s["clarifications"], s["candidates_left"], s["first_unique"]) == (4.0, 2.0, 1.0, 0.0)
    assert s["overspecification"] == 2.0  # red, circle, large, striped where "large striped" would do
    assert s["main"] == 100 * 0.5 ** 2 * 0.25 ** 3 and s["rule_errors"] == 1.0
    assert "clarification_precision" not in s  # the listener was the teacher


def test_speaker_repair_notes(game: Reference) -> None:
    """``repaired`` answers a correction or a not-understood report: true iff the new description is
    understood and true of the target; ``consistent`` is left out where nothing was understood."""
    rec = play_script(game, hand(), "speaker", ["DESCRIPTION: the green circle", "DESCRIPTION: the small one",
                                                 "DESCRIPTION: no idea", "DESCRIPTION: the green one"])
    notes = [t.parse or {} for t in learner_moves(rec)]
    assert notes[0]["error"] == "rule"  # nothing fits: no notes survive on an invalid move
    assert (notes[1]["act"], notes[1]["repaired"], notes[1]["consistent"]) == ("repair", False, False)
    assert notes[2]["act"] == "answer" and "consistent" not in notes[2] and not notes[2]["understood"]
    assert (notes[3]["act"], notes[3]["repaired"]) == ("repair", False)  # understood, but rules the target out
    assert rec.outcome == "lose" and rec.scores["main"] == 0.0
    assert all("ambiguous" not in n for n in notes)  # the speaker cannot ask


def test_speaker_sees_a_table_not_a_description(game: Reference) -> None:
    """The speaker's prompt names the target by a letter; no line of it describes the target, so copying
    the marked line (100 on every test instance in v1) says nothing the listener understands."""
    ep = game.new_episode(hand(), "speaker")
    turn = ep.pending()
    assert turn is not None and turn.role == "speaker"
    text = turn.messages[0]["content"]
    assert "| object | size | colour | pattern | shape | row | column |" in text
    # Reading order of the grid: the two top-left objects (A, B), then top right, bottom middle, bottom right.
    assert "| A | large | red | striped | circle | top | left |" in text
    assert "| B | small | red | striped | circle | top | left |" in text
    assert text.rstrip().endswith("The target is object A.")
    assert "DESCRIPTION: <your description>" in text
    target = SCENE[0]
    for line in text.splitlines():
        if "target" in line.lower():
            assert sum(v in line for v in target.values()) < 2, line
    listener_view = game.new_episode(hand(), "listener").pending()
    assert listener_view is not None
    assert "target is object" not in listener_view.messages[0]["content"]
    assert "1. a large red striped circle (top left)" in listener_view.messages[0]["content"]


# ------------------------------------------------------------------------------------------- listener role
# main = 100 if the listener selects the target asking exactly when 2+ objects fit what it heard, else 0.
LISTENER_TABLE = [
    pytest.param(AMBIGUOUS_PLAN, ["CLARIFY: Which one do you mean?", "CLARIFY: The large one or the small one?",
                                  "SELECT: 1"], "success", [0.2, 0.2, 1.0], 100.0,
                 ["the red circle", "the striped one", "the large one"], (1.0, 1.0), id="asks-twice-when-needed"),
    # A question about one attribute gets that attribute (not the plan, and not both): here the size, which
    # leaves two large red circles, so a second question is still needed.
    pytest.param(AMBIGUOUS_PLAN, ["CLARIFY: Is it the large one?", "CLARIFY: Which pattern?", "SELECT: 1"],
                 "success", [0.2, 0.2, 1.0], 100.0, ["the red circle", "the large one", "the striped one"],
                 (1.0, 1.0), id="directed-questions"),
    pytest.param(AMBIGUOUS_PLAN, ["CLARIFY: Is it the large one?", "SELECT: 1"], "success", [0.2, 0.0], 0.0,
                 ["the red circle", "the large one"], (1.0, 0.5), id="selecting-while-two-fit-is-a-guess"),
    pytest.param(AMBIGUOUS_PLAN, ["SELECT: 2"], "lose", [-1.0], 0.0, ["the red circle"], (None, 0.0),
                 id="guess-under-ambiguity-loses"),
    pytest.param(AMBIGUOUS_PLAN, ["SELECT: 1"], "success", [0.0], 0.0, ["the red circle"], (None, 0.0),
                 id="lucky-guess-earns-nothing"),
    pytest.param(UNIQUE_PLAN, ["CLARIFY: Which colour?", "SELECT: 1"], "success", [-0.5, 0.0], 0.0,
                 ["the large striped one", "the red one"], (0.0, None), id="needless-question-earns-nothing"),
    pytest.param(UNIQUE_PLAN, ["I pick 1", "SELECT: 1"], "success", [-1.0, 1.0], 100.0,
                 ["the large striped one"], (None, None), id="format-error-repaired"),
    pytest.param(UNIQUE_PLAN, ["SELECT: 9", "SELECT: 1"], "success", [-0.5, 1.0], 100.0,
                 ["the large striped one"], (None, None), id="rule-error-repaired"),
    pytest.param(UNIQUE_PLAN, ["SELECT: 0", "SELECT: 7", "SELECT: 12"], "aborted", [-0.5, -0.5, -0.5], 0.0,
                 ["the large striped one"], (None, None), id="three-rule-errors-abort"),
    # Questions naming nothing get the plan (striped, then large); the third is needless (one object fits),
    # the fourth a rule error.
    pytest.param(AMBIGUOUS_PLAN, ["CLARIFY: a", "CLARIFY: b", "CLARIFY: c", "CLARIFY: d", "SELECT: 1"],
                 "success", [0.2, 0.2, -0.5, -0.5, 0.0], 0.0,
                 ["the red circle", "the striped one", "the large one", "the one on the left"], (2 / 3, 1.0),
                 id="fourth-question-is-a-rule-error"),
]


@pytest.mark.parametrize(("plan", "replies", "outcome", "rewards", "main", "said", "precision_recall"),
                         LISTENER_TABLE)
def test_listener_sequences(game: Reference, plan: list[dict[str, str]], replies: list[str], outcome: str,
                            rewards: list[float], main: float, said: list[str],
                            precision_recall: tuple[float | None, float | None]) -> None:
    rec = play_script(game, hand(plan), "listener", replies)
    assert rec.outcome == outcome
    assert [t.reward for t in learner_moves(rec)] == rewards
    assert rec.scores["main"] == pytest.approx(main)
    assert teacher_texts(rec) == [f"DESCRIPTION: {s}" for s in said]
    precision, recall = precision_recall
    assert rec.scores.get("clarification_precision") == (None if precision is None else pytest.approx(precision))
    assert rec.scores.get("clarification_recall") == recall


def test_listener_notes_and_feedback(game: Reference) -> None:
    rec = play_script(game, hand(), "listener", ["CLARIFY: Which one?", "SELECT: 2"])
    notes = [t.parse for t in learner_moves(rec)]
    assert notes == [{"act": "clarify", "ambiguous": True, "candidates": 3, "ok": True},
                     {"act": "select", "candidates": 2, "correct": False, "consistent": True, "ambiguous": True,
                      "ok": True}]
    relayed = [t for t in rec.turns if t.to == "speaker" and t.kind == "clarification"]
    assert [t.text.splitlines()[0] for t in relayed] == ['The listener asks: "Which one?"']
    assert rec.turns[-1].text == "Object 2 is not the target: the speaker meant object 1. The game is over."
    assert rec.scores["unnecessary_clarifications"] == 0.0 and rec.scores["clarification_recall"] == 0.5
    assert rec.scores["guessed"] == 1.0


def test_listener_consistency_and_ambiguity_notes(game: Reference) -> None:
    """``consistent``: the object selected fits what was said; ``ambiguous`` only where a question was
    allowed (not after the third question)."""
    rec = play_script(game, hand(UNIQUE_PLAN), "listener", ["SELECT: 3"])
    assert (learner_moves(rec)[0].parse or {})["consistent"] is False  # a blue square for "large striped"
    rec = play_script(game, hand(), "listener", ["CLARIFY: a", "CLARIFY: b", "CLARIFY: c", "SELECT: 1"])
    select = learner_moves(rec)[-1].parse or {}
    assert select["consistent"] is True and "ambiguous" not in select
    lucky = play_script(game, hand(), "listener", ["SELECT: 1"])
    assert lucky.turns[-1].text.startswith("Object 1 is the target, but several objects still fitted")


# ------------------------------------------------------------------------------------------- clarification exactly when due
def test_teacher_listener_asks_exactly_when_ambiguous(game: Reference) -> None:
    """Self-play on every test instance: the listener asks iff 2+ objects fit, never guesses and never asks
    needlessly (so it scores 100); a planned ambiguity always takes a question."""
    for inst in game.generate("test"):
        ep = game.new_episode(inst, "listener", {r: TEACHER for r in game.roles})
        rec = play(ep, {}).record()
        assert rec.outcome == "success" and rec.scores["main"] == 100.0
        notes = [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == "listener"]
        assert all((n["act"] == "clarify") == (n["candidates"] > 1) for n in notes)
        assert (inst.params["questions_needed"] > 0) == (rec.scores["clarifications"] > 0)


def test_feedback_kind_follows_what_the_description_fits(game: Reference) -> None:
    """Random learner descriptions: a correction iff nothing fits, a clarification iff 2+ fit, else a pick."""
    rng = random.Random(3)
    for inst in game.generate("validation", n=10):
        objects = inst.params["objects"]
        for _ in range(5):
            other = rng.choice(objects)
            dims = rng.sample(DIMS, rng.randint(1, 3))
            # Half the time, a value no object has in this combination: describe a mix of two objects.
            spec = {d: other[d] for d in dims} | ({dims[0]: rng.choice(objects)[dims[0]]} if rng.random() < 0.5
                                                  else {})
            text = "DESCRIPTION: " + render(spec | {d: "x" for d in DIMS if d not in spec}, list(spec))
            fitting = len(matching(objects, [parse_description(text)]))
            ep = game.new_episode(inst, "speaker")
            ep.act(text)
            kind = next(t.kind for t in reversed(ep.turns) if t.to == "speaker")
            assert kind == ("correction" if fitting == 0 else "clarification" if fitting > 1 else "environment")


# ------------------------------------------------------------------------------------------- golden
def _golden(game: Reference, role: str, replies: list[str], name: str) -> list[dict[str, Any]]:
    inst = next(i for i in game.generate("test", n=2) if i.id == "test/medium/0001")
    assert inst.params["target"] == 5 and inst.params["descriptions"] == [
        {"colour": "green", "shape": "circle", "size": "large"}, {"pattern": "striped"}], \
        "the test split changed: rewrite the golden replies, then the golden files"
    rec = play_script(game, inst, role, replies)
    turns = golden_turns(rec)
    check_golden(GOLDEN_DIR / name, {"instance_id": rec.instance_id, "outcome": rec.outcome,
                                     "main": rec.scores["main"], "turns": turns})
    return turns


def test_golden_speaker(game: Reference) -> None:
    turns = _golden(game, "speaker", [
        "I would say the green striped circle.",    # format error -> correction
        "DESCRIPTION: the small green circle",      # no object fits -> correction
        "DESCRIPTION: the big green circle",        # two fit -> the listener asks (clarification)
        "DESCRIPTION: the striped one",             # unique -> the listener selects the target
    ], "reference_speaker.json")
    assert [t["kind"] for t in turns if t["to"] == "speaker"] == \
        ["instruction", "correction", "correction", "clarification", "environment"]


def test_golden_listener(game: Reference) -> None:
    turns = _golden(game, "listener", [
        "The big green circle... I'd better ask.",  # format error -> correction
        "CLARIFY: Which one do you mean?",          # needed: two large green circles
        "SELECT: 5",
    ], "reference_listener.json")
    assert [t["kind"] for t in turns if t["to"] == "listener"] == \
        ["instruction", "observation", "correction", "observation", "environment"]


# ------------------------------------------------------------------------------------------- players and contract
@pytest.mark.parametrize("role", ["speaker", "listener"])
def test_reference_beats_random(game: Reference, role: str) -> None:
    """On the whole test split the reference player (the teacher in the learner's role) scores 100, the
    random player (random legal moves) stays near chance."""
    tasks = [EpisodeTask(game, inst, role) for inst in game.generate("test")]
    best = Runner({"learner": ReferencePlayer()}).run(tasks).records
    worst = Runner({"learner": RandomPlayer(0)}).run(tasks).records
    n = 3 * game.split_sizes["test"]
    assert len(best) == len(worst) == n
    assert all(r.scores["main"] == 100.0 for r in best)
    assert sum(r.scores["main"] for r in worst) / n <= 15
    # Format-valid: the random player loses by chance, never by breaking the format.
    assert all(r.scores["format_errors"] == 0 for r in worst)


def test_never_asking_earns_only_the_unambiguous_instances(game: Reference) -> None:
    """A listener that never asks (it takes the first fitting object) scores 100 where the first description
    fits one object and 0 where it fits several, even when its pick is right: a guess is not understanding."""
    for inst in game.generate("test"):
        ep = game.new_episode(inst, "listener")
        while ep.pending() is not None:
            ep.act(f"SELECT: {ep.candidates[0] + 1}")
        rec = ep.record()
        assert rec.scores["main"] == (0.0 if inst.params["ambiguous"] else 100.0)
        assert rec.scores["guessed"] == float(inst.params["ambiguous"])


def test_check_game(game: Reference) -> None:
    results = check_game(game)
    assert all(r.passed for r in results)
    assert any("1000/role" in r.detail for r in results)


def test_scores_survive_json_round_trip(game: Reference) -> None:
    for inst, role, replies in [(hand(), "speaker", ["DESCRIPTION: the red circle", "DESCRIPTION: the large one",
                                                     "DESCRIPTION: striped"]),
                                (hand(), "listener", ["CLARIFY: Which colour?", "CLARIFY: and?", "SELECT: 1"])]:
        rec = play_script(game, inst, role, replies)
        back = EpisodeRecord.from_json(rec.to_json())
        assert game.score(back) == rec.scores


def test_card_documents_every_score(game: Reference) -> None:
    card = game.card
    assert card.startswith("Reference:")
    for word in ("speaker", "listener", "easy", "medium", "hard", "DESCRIPTION:", "SELECT:", "CLARIFY:",
                 "clarification", "correction", "environment", "observation", "instruction", "Version history",
                 "main", *game.score_ranges):
        assert word in card, word
