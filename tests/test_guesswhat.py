"""Tests of the guesswhat game (table, matcher, parsing: ``tests/test_guesswhat_language.py``): move tables for both
learner roles, clarification and correction behaviour, golden transcripts, reference vs random players and
the game contract. The v2 fixes (identity questions are guesses, no credit for luck, an answerer scored on
first responses with ambiguous probes) and the notes for CLU2 are in ``test_guesswhat_v2.py``.

Regenerate the golden transcript after an intended change of behaviour (which also bumps the game version):
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_guesswhat.py -k golden``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, learner_moves, play_script
from playschool.games import TEACHER, EpisodeRecord, Instance, check_game, split_of
from playschool.games.guesswhat import GuessWhat, GuessWhatEpisode
from playschool.games.guesswhat.game import (
    MAX_CLARIFICATIONS,
    SPLIT_SALT,
    Pending,
    candidates_key,
    optimal_questions,
    split_entropy,
)
from playschool.games.guesswhat.matcher import resolve
from playschool.games.guesswhat.table import (
    load_table,
)
from test_guesswhat_language import MATCHER_TABLE

from playschool.players import RandomPlayer, ReferencePlayer
from playschool.runner import EpisodeTask, Runner

GOLDEN = GOLDEN_DIR / "guesswhat_questioner.json"
GOLDEN_ANSWERER = GOLDEN_DIR / "guesswhat_answerer.json"
# Eight animals that are easy to tell apart: feathers split off eagle+penguin, flying splits those two.
ZOO = ["cat", "dog", "eagle", "penguin", "bee", "spider", "goldfish", "snake"]


@pytest.fixture(scope="module")
def game() -> GuessWhat:
    return GuessWhat()


def instance(target: str = "penguin", candidates: Sequence[str] = ZOO, *, max_questions: int = 20,
             seed: int = 7) -> Instance:
    params = {"candidates": list(candidates), "target": target, "max_questions": max_questions}
    return Instance(id=f"hand/{target}", game="guesswhat-v2", split="test", experiment="small", seed=seed,
                    params=params)


def run(game: GuessWhat, role: str, replies: Sequence[str], inst: Instance | None = None) -> EpisodeRecord:
    """:func:`gamekit.play_script` on ``inst``, by default the penguin among the zoo animals."""
    return play_script(game, inst or instance(), role, replies)


def kinds_after_moves(rec: EpisodeRecord) -> list[list[str]]:
    """For each learner move, the kinds of the messages the learner got before its next move."""
    out: list[list[str]] = []
    for t in rec.turns:
        if t.kind == "move" and t.speaker == rec.learner_role:
            out.append([])
        elif out and t.to == rec.learner_role:
            out[-1].append(t.kind)
    return out


def check_expected(rec: EpisodeRecord, expected: dict[str, Any]) -> None:
    assert rec.outcome == expected["outcome"], rec.reason
    for key, value in expected.items():
        if key == "rewards":
            assert [t.reward for t in learner_moves(rec)] == value
        elif key == "after":
            assert kinds_after_moves(rec) == value
        elif key != "outcome":
            assert rec.scores[key] == pytest.approx(value), key


# ------------------------------------------------------------------------------------------ instances
def test_instances(game: GuessWhat) -> None:
    sizes = {"small": 8, "medium": 16, "large": 32}
    sets: dict[str, set[str]] = {}
    for split in ("train", "validation", "test"):
        insts = game.generate(split)
        sets[split] = {candidates_key(i.params["candidates"]) for i in insts}
        keys = [game.instance_key(i.params) for i in insts]
        assert len(keys) == len(set(keys)), split  # no item twice in a split
        for inst in insts:
            p = inst.params
            # The candidate set decides the split (whichever candidate is the target).
            assert split_of(candidates_key(p["candidates"]), salt=SPLIT_SALT) == split
            assert len(p["candidates"]) == len(set(p["candidates"])) == sizes[inst.experiment]
            assert p["target"] in p["candidates"] and p["max_questions"] == 20
            assert all(c in game.table.names for c in p["candidates"])
            # Every two candidates differ in some askable property: the game can be won by questions.
            signatures = [game.signatures[c] for c in p["candidates"]]
            assert len(set(signatures)) == len(signatures), inst.id
    assert not sets["test"] & (sets["train"] | sets["validation"])  # no test candidate set in training
    assert len(game.generate("test")) == 3 * 28


def test_the_target_is_any_candidate(game: GuessWhat) -> None:
    """Nothing public singles out the target: it is drawn uniformly from the candidates, and every animal is a
    target somewhere in training (in the first v2 draft test targets were 14 held-out animals among
    candidates from every split, so the candidate never seen as a training target was the one)."""
    trained = {i.params["target"] for s in ("train", "validation") for i in game.generate(s)}
    test = game.generate("test")
    assert len({i.params["target"] for i in test}) > 50  # not a small pool of held-out animals
    assert len(trained) > 90  # nearly every animal is a target in training
    # The target's position in the list is uniform-ish: no position holds it much more often than 1/N.
    for exp, size in (("small", 8), ("medium", 16)):
        positions = [i.params["candidates"].index(i.params["target"]) for i in game.generate("train")
                     if i.experiment == exp]
        assert max(positions.count(k) for k in range(size)) <= 5 * len(positions) / size


def test_another_instance_seed_gives_other_items(game: GuessWhat) -> None:
    base, other = game.generate("test"), game.generate("test", seed=12345)
    assert [i.experiment for i in base] == [i.experiment for i in other]
    assert not {game.instance_key(i.params) for i in base} & {game.instance_key(i.params) for i in other}


def test_optimal_and_entropy() -> None:
    assert [optimal_questions(n) for n in (2, 8, 9, 16, 32)] == [1, 3, 4, 4, 5]
    assert split_entropy(4, 8) == 1.0 and split_entropy(0, 8) == 0.0 and split_entropy(8, 8) == 0.0
    assert split_entropy(1, 4) == pytest.approx(0.811278, abs=1e-6)


# ------------------------------------------------------------------------------------------ learner questioner
THIRD = round(1 / 3, 4)
TWO_THIRDS = 100.0 * 2 / 3  # a right guess between two candidates still open: 2 of the 3 bits were asked for
QUESTIONER_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("win with two questions (feathers 8->2, fly 2->1)",
     ["QUESTION: Does it have feathers?", "QUESTION: Can it fly?", "GUESS: penguin"],
     {"outcome": "success", "main": 100.0, "questions": 2, "rewards": [round(2 / 3, 4), THIRD, 1.0],
      "after": [["observation", "environment"]] * 2 + [["environment"]], "information_gain": (0.8113 + 1) / 2,
      "found_by_questions": 1.0}),
    ("win with four questions: 100 x 3/4",
     ["QUESTION: Is it an animal?", "QUESTION: Does it have feathers?", "QUESTION: Does it have feathers?",
      "QUESTION: Can it fly?", "GUESS: The Penguin."],
     {"outcome": "success", "main": 75.0, "questions": 4, "uninformative_questions": 2, "settled_questions": 1,
      "rewards": [-0.1, round(2 / 3, 4), -0.1, THIRD, 1.0]}),
    ("a lucky guess without questions earns nothing", ["GUESS: penguin"],
     {"outcome": "success", "main": 0.0, "questions": 0, "rewards": [1.0], "found_by_questions": 0.0}),
    ("a wrong guess loses", ["QUESTION: Does it have feathers?", "GUESS: eagle"],
     {"outcome": "lose", "main": 0.0, "rewards": [round(2 / 3, 4), 0.0],
      "after": [["observation", "environment"], ["environment"]]}),
    ("format error, then a repair; a guess between two open candidates",
     ["Is it a bird?", "QUESTION: Is it a bird?", "GUESS: penguin"],
     {"outcome": "success", "format_errors": 1, "rewards": [-1.0, round(2 / 3, 4), 1.0], "main": TWO_THIRDS,
      "after": [["correction"], ["observation", "environment"], ["environment"]]}),
    ("three format errors abort", ["Is it a bird?", "QUESTION:", "GUESS:"],
     {"outcome": "aborted", "main": 0.0, "format_errors": 3, "after": [["correction"], ["correction"],
                                                                       ["environment"]]}),
    ("a question the answerer cannot answer is a correction; the learner rephrases",
     ["QUESTION: Can it swim?", "QUESTION: Does it live in water?", "GUESS: penguin"],
     {"outcome": "success", "rule_errors": 1, "main": TWO_THIRDS,
      "rewards": [-0.5, round(math.log2(8 / 2) / 3, 4), 1.0],
      "after": [["correction"], ["observation", "environment"], ["environment"]]}),
    ("three refusals in a row abort",
     ["QUESTION: Can it swim?", "QUESTION: What colour is it?", "QUESTION: Isn't it a bird?"],
     {"outcome": "aborted", "main": 0.0, "rule_errors": 3}),
    ("an ambiguous question gets a clarification, not a correction",
     ["QUESTION: Is it a big bird?", "QUESTION: Is it a bird?", "QUESTION: Can it fly?", "GUESS: penguin"],
     {"outcome": "success", "main": 100.0, "clarifications": 1, "questions": 2, "rule_errors": 0,
      "rewards": [-0.05, round(2 / 3, 4), THIRD, 1.0],
      "after": [["clarification"], ["observation", "environment"], ["observation", "environment"],
                ["environment"]]}),
    ("a guess that is no candidate is a rule error", ["GUESS: lion", "GUESS: penguin"],
     {"outcome": "success", "rule_errors": 1, "rewards": [-0.5, 1.0], "after": [["correction"], ["environment"]]}),
    ("an unknown word as a guess is a rule error", ["GUESS: unicorn", "GUESS: penguin"],
     {"outcome": "success", "rule_errors": 1, "rewards": [-0.5, 1.0]}),
    ("a question naming a candidate is the guess: right",
     ["QUESTION: Does it have feathers?", "QUESTION: Can it fly?", "QUESTION: Is it a penguin?"],
     {"outcome": "success", "main": 100.0, "questions": 2, "after": [["observation", "environment"]] * 2
      + [["environment"]]}),
    ("a question naming a candidate is the guess: wrong", ["QUESTION: Is it the cat?"],
     {"outcome": "lose", "main": 0.0, "questions": 0, "rewards": [0.0]}),
    ("a question naming an animal that is no candidate is a rule error",
     ["QUESTION: Is it a lion?", "GUESS: penguin"], {"outcome": "success", "rule_errors": 1, "main": 0.0}),
]


@pytest.mark.parametrize(("name", "replies", "expected"), QUESTIONER_TABLE, ids=[r[0] for r in QUESTIONER_TABLE])
def test_learner_questioner(game: GuessWhat, name: str, replies: list[str], expected: dict[str, Any]) -> None:
    check_expected(run(game, "questioner", replies), expected)


def test_question_budget(game: GuessWhat) -> None:
    rec = run(game, "questioner", ["QUESTION: Is it a mammal?", "QUESTION: Does it have feathers?",
                                   "QUESTION: Can it fly?", "GUESS: penguin"], instance(max_questions=2))
    texts = [t.text for t in rec.turns if t.to == "questioner" and t.kind in ("environment", "correction")]
    assert texts[0] == "Questions used: 1 of 2. Ask another question or guess."
    assert texts[1].startswith("That was your last question (2 of 2)")
    assert texts[2].startswith("You have used all 2 questions")
    assert rec.outcome == "success" and rec.scores["rule_errors"] == 1 and rec.scores["questions"] == 2


def test_clarifications_are_bounded(game: GuessWhat) -> None:
    vague = ["QUESTION: Is it big?"] * (MAX_CLARIFICATIONS + 1)
    rec = run(game, "questioner", [*vague, "GUESS: penguin"])
    kinds = [k for ks in kinds_after_moves(rec) for k in ks]
    assert kinds == ["clarification"] * MAX_CLARIFICATIONS + ["correction", "environment"]
    assert rec.scores["clarifications"] == MAX_CLARIFICATIONS and rec.scores["rule_errors"] == 1
    last_correction = [t.text for t in rec.turns if t.kind == "correction"][-1]
    assert last_correction.startswith("I still can't tell what you mean")
    # The teacher answerer asks back with a move of its own, the matcher's message.
    asks = [t.text for t in rec.turns if t.kind == "move" and t.speaker == "answerer"]
    assert asks == ["CLARIFY: " + resolve("Is it big?", load_table()).message] * MAX_CLARIFICATIONS


def test_clarification_and_correction_happen_exactly_when_they_should(game: GuessWhat) -> None:
    """Over the whole matcher table: a clarification iff the matcher is unsure, a correction iff it refuses
    or the question names an animal that is no candidate, the guess iff it names a candidate; the answerer
    sees exactly the questions that are not refused and are no guess."""
    for question, kind, want in MATCHER_TABLE:
        identity = kind == "answer" and want.startswith("is=")
        candidate = identity and want.removeprefix("is=") in ZOO
        rec = run(game, "questioner", [f"QUESTION: {question}"] + ([] if candidate else ["GUESS: penguin"]))
        first = kinds_after_moves(rec)[0]
        if candidate:
            assert first == ["environment"] and rec.outcome in ("success", "lose"), question
            continue
        expected = {"answer": ["observation", "environment"], "clarify": ["clarification"],
                    "refuse": ["correction"]}[kind]
        assert first == (["correction"] if identity else expected), question
        relayed = [t.text for t in rec.turns if t.to == "answerer" and t.kind == "observation"]
        assert relayed == ([f"QUESTION: {question}"] if kind != "refuse" and not identity else []), question


# ------------------------------------------------------------------------------------------ learner answerer
Plan = Callable[[GuessWhatEpisode], str]


def _question(ep: GuessWhatEpisode) -> Pending:
    assert ep.current_question is not None
    return ep.current_question


def truthful(ep: GuessWhatEpisode) -> str:
    """The right first response: a question back to an ambiguous question, else the truth."""
    q = _question(ep)
    if q.ambiguous:
        return "CLARIFY: What do you mean?"
    return "ANSWER: " + ("yes" if ep._holds(q.pred, ep.target) else "no")


def lying(ep: GuessWhatEpisode) -> str:
    q = _question(ep)
    if q.ambiguous:
        return "ANSWER: yes"
    return "ANSWER: " + ("no" if truthful(ep).endswith("yes") else "yes")


def needless(ep: GuessWhatEpisode) -> str:
    return "CLARIFY: What do you mean?"


def run_answerer(game: GuessWhat, plan: Sequence[Plan], inst: Instance | None = None,
                 then: Plan = truthful) -> EpisodeRecord:
    """The learner answers with the plan's steps in order, then with ``then``; the teacher questions."""
    ep = game.new_episode(inst or instance(), "answerer")
    assert isinstance(ep, GuessWhatEpisode)
    steps = list(plan)
    while ep.pending() is not None:
        ep.act(steps.pop(0)(ep) if steps else then(ep))
    assert not steps, "the episode ended before the plan did"
    return ep.record()


ANSWERER_TABLE: list[tuple[str, list[Plan], dict[str, Any]]] = [
    ("all first responses right", [], {"outcome": "success", "main": 100.0, "answer_accuracy": 1.0,
                                       "rule_errors": 0}),
    ("a wrong answer is corrected, then repaired: the first response was wrong", [lying, truthful],
     {"outcome": "success", "rule_errors": 0, "main": 0.0, "answer_accuracy": 3 / 4}),  # 4 questions relayed
    ("format error, then a right answer: the first response counts, format aside",
     [lambda ep: "yes", truthful], {"outcome": "success", "format_errors": 1, "main": 100.0,
                                    "answer_accuracy": 1.0}),
    ("three wrong answers to one question abort", [lying, lying, lying],
     {"outcome": "aborted", "main": 0.0, "rule_errors": 0, "answer_accuracy": 0.0}),
    ("three format errors abort", [lambda ep: "", lambda ep: "ANSWER: maybe", lambda ep: "GUESS: cat"],
     {"outcome": "aborted", "main": 0.0, "format_errors": 3}),
    ("a question back about a clear question is a wrong first response", [needless],
     {"outcome": "success", "main": 0.0, "answer_accuracy": 3 / 4, "clarifications": 1}),
]


@pytest.mark.parametrize(("name", "plan", "expected"), ANSWERER_TABLE, ids=[r[0] for r in ANSWERER_TABLE])
def test_learner_answerer(game: GuessWhat, name: str, plan: list[Plan], expected: dict[str, Any]) -> None:
    check_expected(run_answerer(game, plan), expected)


def test_answerer_correction_names_the_topic(game: GuessWhat) -> None:
    rec = run_answerer(game, [lying, truthful])
    questions = [t.text for t in rec.turns if t.kind == "move" and t.speaker == "questioner"]
    assert rec.scores["questions"] == 3 and questions[-1] == "GUESS: penguin"  # 3 questions, the optimum for 8
    correction = next(t for t in rec.turns if t.kind == "correction")
    assert correction.to == "answerer" and "is not right for the secret animal" in correction.text
    assert "The question is about" in correction.text and questions[0].removeprefix("QUESTION: ") in correction.text
    rewards = [t.reward for t in learner_moves(rec)]
    assert rewards[:2] == [-0.5, 0.2] and set(rewards[2:]) == {0.2}  # then right answers and questions back
    assert "information_gain" not in rec.scores  # the questioner's scores belong to a learner questioner


def test_answerer_sees_target_and_table_row(game: GuessWhat) -> None:
    ep = game.new_episode(instance(), "answerer")
    turn = ep.pending()
    assert turn is not None and turn.role == "answerer"
    assert len(turn.messages) == 1  # the instructions and the first question, merged into one message
    text = turn.messages[0]["content"]
    assert "The secret animal is: penguin" in text and "- can fly: no" in text and "- legs: 2" in text
    assert "CLARIFY:" in text and text.splitlines()[-1].startswith("QUESTION: ")


def test_teacher_questioner_ignores_the_target(game: GuessWhat) -> None:
    """The teacher questioner uses only public information: with the same candidates and seed, its first
    question (wording, probe or not) is the same whatever the secret animal."""
    first = set()
    for target in ZOO:
        rec = run_answerer(game, [], instance(target))
        first.add(next(t.text for t in rec.turns if t.kind == "move" and t.speaker == "questioner"))
        assert rec.outcome == "success" and rec.scores["questions"] == 3 and rec.scores["main"] == 100.0
    assert len(first) == 1


# ------------------------------------------------------------------------------------------ golden
GOLDEN_REPLIES = [
    "Is it a mammal?",                            # format error -> correction
    "QUESTION: Is it big?",                       # ambiguous -> the answerer asks back
    "QUESTION: Is it bigger than a cat?",         # answered (no): 8 -> 4
    "QUESTION: Can it swim?",                     # refused -> correction
    "QUESTION: Does it have more than four legs?",  # answered (yes): 4 -> 1
    "QUESTION: Does it have more than four legs?",  # answered again: the answers had settled it
    "QUESTION: Is it the scorpion?",              # names a candidate: the guess
]


def test_golden_transcript(game: GuessWhat) -> None:
    inst = game.generate("test", n=1)[0]
    assert inst.id == "test/small/0000" and inst.params["target"] == "scorpion", \
        "the test split changed: rewrite GOLDEN_REPLIES, then the golden file"
    rec = run(game, "questioner", GOLDEN_REPLIES, inst)
    turns = golden_turns(rec)
    check_golden(GOLDEN, {"instance_id": rec.instance_id, "outcome": rec.outcome, "turns": turns})
    kinds = [t["kind"] for t in turns]
    assert kinds.count("correction") == 2 and kinds.count("clarification") == 1
    assert rec.outcome == "success" and rec.scores["questions"] == 3 and rec.scores["main"] == 100.0
    assert rec.scores["settled_questions"] == 1


def test_golden_answerer_transcript(game: GuessWhat) -> None:
    """A learner answerer: answers a probe (a miss), answers wrongly then repairs, asks back about a clear
    question, then plays right."""
    inst = game.generate("test", n=1)[0]
    rec = run_answerer(game, [lambda ep: "ANSWER: no", lying, truthful, needless], inst)
    turns = golden_turns(rec)
    check_golden(GOLDEN_ANSWERER, {"instance_id": rec.instance_id, "outcome": rec.outcome, "turns": turns})
    notes = [t.parse or {} for t in learner_moves(rec)]
    assert notes[0]["ambiguous"] is True and notes[0]["act"] == "answer"  # a miss
    assert notes[1]["correct"] is False and notes[2]["repaired"] is True
    assert notes[3]["act"] == "clarify" and notes[3]["ambiguous"] is False  # a needless question back
    assert rec.outcome == "success" and rec.scores["main"] == 0.0


# ------------------------------------------------------------------------------------------ players, contract
def _mean_main(game: GuessWhat, player: Any) -> dict[str, float]:
    tasks = [EpisodeTask(game, inst, role) for inst in game.generate("test") for role in game.learner_roles]
    summary = Runner({"learner": player}).run(tasks)
    assert len(summary.records) == len(tasks) == 2 * 3 * 28
    return {role: sum(r.scores["main"] for r in summary.records if r.learner_role == role) / (3 * 28)
            for role in game.learner_roles}


def test_reference_player_is_near_optimal(game: GuessWhat) -> None:
    means = _mean_main(game, ReferencePlayer())
    assert means["questioner"] >= 90.0  # 97: the optimum ceil(log2 N) in most episodes
    assert means["answerer"] == 100.0


def test_random_player_scores_nothing(game: GuessWhat) -> None:
    means = _mean_main(game, RandomPlayer(0))
    assert means["questioner"] <= 5.0 and means["answerer"] <= 5.0


def test_self_play_is_deterministic(game: GuessWhat) -> None:
    inst = game.generate("validation", n=1)[2]
    for role in game.learner_roles:
        teacher = {r: TEACHER for r in game.roles}
        a, b = (game.new_episode(inst, role, teacher).record().to_json() for _ in range(2))
        assert a == b


def test_scores_survive_a_json_round_trip(game: GuessWhat) -> None:
    for rec in (run(game, "questioner", GOLDEN_REPLIES[1:4] + ["GUESS: penguin"]),
                run_answerer(game, [lying, truthful])):
        back = EpisodeRecord.from_json(rec.to_json())
        assert game.score(back) == rec.scores


def test_card_documents_roles_formats_and_scores(game: GuessWhat) -> None:
    card = game.card
    assert card.startswith("Guess What:")
    for word in ("questioner", "answerer", "small", "medium", "large", "QUESTION:", "GUESS:", "ANSWER: yes",
                 "CLARIFY", "clarification", "correction", "environment", "observation", "instruction",
                 "Version history", "v1: first version", "v2:", "Notes for CLU2", "ambiguous", "repaired",
                 "consistent", "main", *game.score_ranges):
        assert word in card, word
    assert game.versioned_id == "guesswhat-v2" and game.learner_roles == game.roles


def test_check_game(game: GuessWhat) -> None:
    results = check_game(game)
    assert all(r.passed for r in results)
    assert any("1000/role" in r.detail for r in results)
