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
    return Instance(id=f"hand/{mode}", game="reference-v1", split="test", experiment="medium", seed=7,
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
    ("SELECT: 3", "select", 3), ("select: #3.", "select", 3), ("SELECT: object 3", "select", 3),
    ("CLARIFY: Which colour?", "clarify", "Which colour?"),
])
def test_parse_moves_accept(text: str, kind: str, body: Any) -> None:
    move = parse_speaker(text) if kind == "describe" else parse_listener(text)
    assert move.kind == kind
    assert (move.number if kind == "select" else move.text) == body


@pytest.mark.parametrize(("text", "role"), [
    ("the red one", "speaker"), ("DESCRIPTION:", "speaker"), ("DESCRIPTION: " + "red " * 100, "speaker"),
    ("SELECT: 3", "speaker"), ("SELECT: three", "listener"), ("SELECT: 3 or 4", "listener"),
    ("CLARIFY:   ", "listener"), ("3", "listener"), ("DESCRIPTION: red", "listener"),
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
        assert len(minimal_unique(objects, t)[0]) == level.unique_size
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
        if inst.experiment == "easy":
            assert not p["ambiguous"]


def test_each_target_once_per_split_and_experiment(game: Reference) -> None:
    insts = game.generate("test", n=20)
    for exp in game.experiments:
        combos = [tuple(i.params["objects"][i.params["target"] - 1][d] for d in ("colour", "shape", "size",
                                                                                  "pattern"))
                  for i in insts if i.experiment == exp]
        assert len(set(combos)) == len(combos)


# ------------------------------------------------------------------------------------------- speaker role
SPEAKER_TABLE = [
    pytest.param(["DESCRIPTION: the large striped circle"], "success", [1.5], 100.0, ["environment"],
                 id="unique-first-description"),
    pytest.param(["DESCRIPTION: the red circle", "DESCRIPTION: the large one", "DESCRIPTION: striped"],
                 "success", [0.158697, 0.125965, 1.215338], 60.0,
                 ["clarification", "clarification", "environment"], id="two-clarifications"),
    pytest.param(["DESCRIPTION: the green circle", "DESCRIPTION: the large striped one"], "success",
                 [-0.5, 1.5], 80.0, ["correction", "environment"], id="no-match-then-repair"),
    pytest.param(["DESCRIPTION: the thing over there", "DESCRIPTION: big and striped"], "success", [-0.1, 1.5],
                 80.0, ["clarification", "environment"], id="not-understood"),
    pytest.param(["DESCRIPTION: the small striped one"], "lose", [-1.2], 0.0, ["environment"],
                 id="misleading-description-loses"),
    pytest.param(["the large striped one", "DESCRIPTION: the large striped one"], "success", [-1.0, 1.5],
                 100.0, ["correction", "environment"], id="format-error-repaired"),
    pytest.param(["I think", "hm", "DESCRIPTION large"], "aborted", [-1.0, -1.0, -1.0], 0.0,
                 ["correction", "correction", "environment"], id="three-format-errors-abort"),
    pytest.param(["DESCRIPTION: green circle", "DESCRIPTION: blue star", "DESCRIPTION: purple"], "aborted",
                 [-0.5, -0.5, -0.5], 0.0, ["correction", "correction", "environment"],
                 id="three-no-matches-abort"),
    # Out of questions after the third: the teacher listener takes its lowest-numbered candidate (here, luckily,
    # the target).
    pytest.param(["DESCRIPTION: the red one"] * 4, "success", [0.158697, 0.0, 0.0, 1.0], 40.0,
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
    first = learner_moves(rec)[0].parse or {}
    assert first == {"act": "describe", "understood": True, "heard": "red, circle", "attributes": ["colour", "shape"],
                     "candidates_before": 5, "candidates": 3, "consistent": True, "ok": True}
    s = rec.scores
    assert (s["rounds"], s["clarifications"], s["candidates_left"], s["first_unique"]) == (4.0, 2.0, 1.0, 0.0)
    assert s["overspecification"] == 2.0  # red, circle, large, striped where "large striped" would do
    assert s["main"] == 40.0 and s["rule_errors"] == 1.0
    assert "clarification_precision" not in s  # the listener was the teacher


def test_speaker_sees_scene_with_target_listener_does_not(game: Reference) -> None:
    ep = game.new_episode(hand(), "speaker")
    turn = ep.pending()
    assert turn is not None and turn.role == "speaker"
    text = turn.messages[0]["content"]
    assert "- top left: a large red striped circle   <-- TARGET" in text
    assert "DESCRIPTION: <your description>" in text
    listener_view = game.new_episode(hand(), "listener").pending()
    assert listener_view is not None
    assert "TARGET" not in listener_view.messages[0]["content"]
    assert "1. a large red striped circle (top left)" in listener_view.messages[0]["content"]


# ------------------------------------------------------------------------------------------- listener role
LISTENER_TABLE = [
    pytest.param(AMBIGUOUS_PLAN, ["CLARIFY: Which one do you mean?", "CLARIFY: The large one or the small one?",
                                  "SELECT: 1"], "success", [0.2, 0.2, 1.0], 100.0,
                 ["the red circle", "the striped one", "the large one"], (1.0, 1.0), id="asks-twice-when-needed"),
    pytest.param(AMBIGUOUS_PLAN, ["CLARIFY: Is it the large one?", "SELECT: 1"], "success", [0.2, 1.0], 100.0,
                 ["the red circle", "the large striped one"], (1.0, 1.0), id="question-directed-answer"),
    pytest.param(AMBIGUOUS_PLAN, ["SELECT: 2"], "lose", [-1.0], 0.0, ["the red circle"], (None, 0.0),
                 id="guess-under-ambiguity-loses"),
    pytest.param(AMBIGUOUS_PLAN, ["SELECT: 1"], "success", [1.0], 100.0, ["the red circle"], (None, 0.0),
                 id="lucky-guess"),
    pytest.param(UNIQUE_PLAN, ["CLARIFY: Which colour?", "SELECT: 1"], "success", [-0.2, 1.0], 80.0,
                 ["the large striped one", "the red one"], (0.0, None), id="needless-question"),
    pytest.param(UNIQUE_PLAN, ["I pick 1", "SELECT: 1"], "success", [-1.0, 1.0], 100.0,
                 ["the large striped one"], (None, None), id="format-error-repaired"),
    pytest.param(UNIQUE_PLAN, ["SELECT: 9", "SELECT: 1"], "success", [-0.5, 1.0], 100.0,
                 ["the large striped one"], (None, None), id="rule-error-repaired"),
    pytest.param(UNIQUE_PLAN, ["SELECT: 0", "SELECT: 7", "SELECT: 12"], "aborted", [-0.5, -0.5, -0.5], 0.0,
                 ["the large striped one"], (None, None), id="three-rule-errors-abort"),
    pytest.param(AMBIGUOUS_PLAN, ["CLARIFY: a", "CLARIFY: b", "CLARIFY: c", "CLARIFY: d", "SELECT: 1"],
                 "success", [0.2, 0.2, -0.2, -0.5, 1.0], 80.0,
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
                     {"act": "select", "ambiguous": True, "candidates": 2, "correct": False, "ok": True}]
    relayed = [t for t in rec.turns if t.to == "speaker" and t.kind == "clarification"]
    assert [t.text.splitlines()[0] for t in relayed] == ['The listener asks: "Which one?"']
    assert rec.turns[-1].text == "Object 2 is not the target: the speaker meant object 1. The game is over."
    assert rec.scores["unnecessary_clarifications"] == 0.0 and rec.scores["clarification_recall"] == 0.5


# ------------------------------------------------------------------------------------------- clarification exactly when due
def test_teacher_listener_asks_exactly_when_ambiguous(game: Reference) -> None:
    """Self-play on every test instance: the listener asks iff 2+ objects fit; a planned ambiguity always
    takes a question, at most as many as planned (a question naming the decisive attribute saves one)."""
    for inst in game.generate("test"):
        ep = game.new_episode(inst, "listener", {r: TEACHER for r in game.roles})
        rec = play(ep, {}).record()
        assert rec.outcome == "success"
        notes = [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == "listener"]
        assert all((n["act"] == "clarify") == n["ambiguous"] for n in notes)
        needed = inst.params["questions_needed"]
        assert (needed > 0) == (rec.scores["clarifications"] > 0) and rec.scores["clarifications"] <= needed


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
    assert inst.params["target"] == 2 and inst.params["descriptions"] == [{"shape": "circle"}, {"pattern": "striped"}], \
        "the test split changed: rewrite the golden replies, then the golden files"
    rec = play_script(game, inst, role, replies)
    turns = golden_turns(rec)
    check_golden(GOLDEN_DIR / name, {"instance_id": rec.instance_id, "outcome": rec.outcome, "turns": turns})
    return turns


def test_golden_speaker(game: Reference) -> None:
    turns = _golden(game, "speaker", [
        "I would say the big yellow circle.",       # format error -> correction
        "DESCRIPTION: the big green circle",        # no object fits -> correction
        "DESCRIPTION: the big yellow circle",       # two fit -> the listener asks (clarification)
        "DESCRIPTION: the striped one",             # unique -> the listener selects the target
    ], "reference_speaker.json")
    assert [t["kind"] for t in turns if t["to"] == "speaker"] == \
        ["instruction", "correction", "correction", "clarification", "environment"]


def test_golden_listener(game: Reference) -> None:
    turns = _golden(game, "listener", [
        "The circle... I'd better ask.",            # format error -> correction
        "CLARIFY: Which one do you mean?",          # needed: two circles
        "SELECT: 2",
    ], "reference_listener.json")
    assert [t["kind"] for t in turns if t["to"] == "listener"] == \
        ["instruction", "observation", "correction", "observation", "environment"]


# ------------------------------------------------------------------------------------------- players and contract
@pytest.mark.parametrize("role", ["speaker", "listener"])
def test_reference_beats_random(game: Reference, role: str) -> None:
    """The reference player (the teacher in the learner's role) scores >= 90, a random player <= 15."""
    tasks = [EpisodeTask(game, inst, role) for inst in game.generate("test")]
    best = Runner({"learner": ReferencePlayer()}).run(tasks).records
    worst = Runner({"learner": RandomPlayer(0)}).run(tasks).records
    assert len(best) == len(worst) == 60
    assert sum(r.scores["main"] for r in best) / 60 >= 90
    assert sum(r.scores["main"] for r in worst) / 60 <= 15


def test_never_asking_costs_on_ambiguous_levels(game: Reference) -> None:
    """A listener that never asks (it takes the first fitting object) falls behind where descriptions are
    ambiguous: the game rewards asking."""
    means: dict[str, float] = {}
    for exp in game.experiments:
        insts = [i for i in game.generate("test") if i.experiment == exp]
        total = 0.0
        for inst in insts:
            ep = game.new_episode(inst, "listener")
            while ep.pending() is not None:
                ep.act(f"SELECT: {ep.candidates[0] + 1}")
            total += ep.record().scores["main"]
        means[exp] = total / len(insts)
    assert means["easy"] == 100.0 and means["hard"] < means["medium"] < 100.0


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
