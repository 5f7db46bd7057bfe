"""A record is a claim: replay recomputes every turn, outcome and score from the moves, and any edit is caught
with its reason; honest records (any player, any outcome, game errors, cut replies) replay identically."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from agents import bisect_reply
from playschool.benchmark.interactional import record_items
from playschool.games import RANDOM, TEACHER, EpisodeRecord, load_game, replay
from playschool.games.checks import play
from toygame import HigherLower

GAME = HigherLower()


def _record(secret_guess: Callable[[Any], str] = bisect_reply) -> EpisodeRecord:
    inst = GAME.generate("test", n=1)[0]
    return play(GAME.new_episode(inst, "guesser"), {"guesser": secret_guess}).record()


def _turn(rec: EpisodeRecord, **where: Any) -> int:
    return next(t.index for t in rec.turns if all(getattr(t, k) == v for k, v in where.items()))


def _edit_turn(rec: EpisodeRecord, index: int, **changes: Any) -> EpisodeRecord:
    turns = list(rec.turns)
    turns[index] = replace(turns[index], **changes)
    return replace(rec, turns=tuple(turns))


def _tampered(rec: EpisodeRecord) -> dict[str, EpisodeRecord]:
    keeper_move = _turn(rec, kind="move", speaker="keeper")
    learner_move = _turn(rec, kind="move", speaker="guesser")
    feedback = _turn(rec, to="guesser", kind="environment")
    return {
        "score": replace(rec, scores={**rec.scores, "main": 100.0}),
        "outcome": replace(rec, outcome="lose"),
        "teacher turn": _edit_turn(rec, keeper_move, text="CORRECT"),
        "feedback": _edit_turn(rec, feedback, text="CORRECT"),
        "note": _edit_turn(rec, learner_move, parse={**(rec.turns[learner_move].parse or {}), "ambiguous": True}),
        "reward": _edit_turn(rec, learner_move, reward=1.0),
        "learner move": _edit_turn(rec, learner_move, text="GUESS: 1"),
        "dropped turns": replace(rec, turns=rec.turns[:-2]),
        "instance": replace(rec, instance={**rec.instance, "params": {**rec.instance["params"], "secret": 2}}),
        "roles": replace(rec, roles={"guesser": "learner", "keeper": "nobody"}),
        "fault": replace(rec, fault="keeper"),
    }


EXPECTED = {
    "score": "scores differ from the replay's (main: 100.0 vs",
    "outcome": "outcome is 'lose' in the record but 'success' on replay",
    "teacher turn": "text is 'CORRECT' in the record but",
    "feedback": "text is 'CORRECT' in the record but",
    "note": "parse is",
    "reward": "reward is 1.0 in the record but",
    "learner move": "in the record but",
    "dropped turns": "the record has",
    "instance": "the record's instance differs from the one its seed generates",
    "roles": "are not an assignment of",
    "fault": "fault is 'keeper' in the record but '' on replay",
}


def test_an_honest_record_replays_identically() -> None:
    rec = _record()
    result = replay(rec, game=GAME)
    assert result.valid and result.record == rec


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_every_kind_of_edit_is_caught_with_its_reason(case: str) -> None:
    rec = _record()
    result = replay(_tampered(rec)[case], game=GAME)
    assert not result.valid
    assert any(EXPECTED[case] in p for p in result.problems), result.problems


def test_a_json_round_trip_of_an_edited_line_is_caught_too() -> None:
    data = json.loads(_record().to_json())
    data["scores"]["main"] = 100.0
    assert not replay(EpisodeRecord.from_dict(data), game=GAME).valid


def test_the_planned_instance_is_required_when_known() -> None:
    rec = _record()
    other = GAME.generate("test", n=2)[1]
    result = replay(rec, instance=other, game=GAME)
    assert not result.valid and "is not the planned one" in result.problems[0]


def test_invalid_and_unknown_records_are_reported_not_raised() -> None:
    rec = _record()
    other_version = replay(replace(rec, game="higherlower-v9"), game=GAME)
    assert not other_version.valid and "the record is of higherlower-v9" in other_version.problems[0]
    unknown = replay(replace(rec, game="nosuchgame-v1"))
    assert not unknown.valid and "unknown game" in unknown.problems[0]
    bad_id = replay(replace(rec, instance_id="nonsense"), game=GAME)
    assert not bad_id.valid and "is not an instance id" in bad_id.problems[0]


def test_errors_aborts_and_random_play_replay_identically() -> None:
    inst = GAME.generate("test", n=1)[0]
    aborted = play(GAME.new_episode(inst, "guesser"), {"guesser": lambda _m: "no idea"}).record()
    assert aborted.outcome == "aborted" and aborted.fault == "guesser" and replay(aborted, game=GAME).valid
    random_play = play(GAME.new_episode(inst, "guesser", {"guesser": RANDOM, "keeper": TEACHER}), {}).record()
    assert replay(random_play, game=GAME).valid
    long = play(GAME.new_episode(inst, "guesser"), {"guesser": lambda _m: "GUESS: 5 " + "x" * 20_000}).record()
    assert any(t.truncated_from for t in long.turns) and replay(long, game=GAME).valid


def test_an_external_abort_is_kept_but_scores_nothing() -> None:
    inst = GAME.generate("test", n=1)[0]
    ep = GAME.new_episode(inst, "guesser")
    ep.act("GUESS: 1")
    ep.abort("context overflow: prompt too long")
    rec = ep.record()
    result = replay(rec, game=GAME)
    assert result.valid and result.record is not None and result.record.scores["main"] == 0.0
    # A record that claims a natural end it never reached is not an external abort.
    claimed = replace(rec, outcome="aborted", reason="guesser: format error", fault="guesser")
    assert not replay(claimed, game=GAME).valid
    # Nor can a cut record blame the partner (which would have the episode excluded instead of scored 0).
    blamed = replace(rec, reason="keeper: context overflow: prompt too long", fault="keeper")
    result = replay(blamed, game=GAME)
    assert not result.valid and any("fault is 'keeper' in the record but 'guesser'" in p for p in result.problems)


def test_clu2_items_come_from_the_replay_not_the_record() -> None:
    game = load_game("reference")
    inst = game.generate("test", n=1)[0]
    rec = play(game.new_episode(inst, "listener", {"speaker": TEACHER, "listener": RANDOM}), {}).record()
    honest = record_items(rec, learner_as=RANDOM)
    forged = record_items(replace(rec, scores={**rec.scores, "main": 100.0}, outcome="success"), learner_as=RANDOM)
    assert honest[0].valid == (rec.outcome != "aborted")
    assert forged[0].score == 0.0 and not forged[0].valid and forged[0].details["invalid_record"]
    assert len(forged) == 1  # an invalid record gives no sub-metric items


def test_a_record_cannot_hand_the_learners_role_to_the_teacher() -> None:
    # Replayed as written, a record whose learner role the teacher "played" would score the teacher's play.
    game = load_game("reference")
    inst = game.generate("test", n=1)[0]
    rec = play(game.new_episode(inst, "listener", {"speaker": TEACHER, "listener": TEACHER}), {}).record()
    assert replay(rec).valid and rec.scores["main"] == 100.0
    items = record_items(rec)  # CLU2 scoring a model: the learner's role must be played by the learner
    assert items[0].score == 0.0 and "are not CLU2's" in items[0].details["invalid_record"][0]
    assert record_items(rec, learner_as=TEACHER)[0].score == 100.0  # evaluating the reference player itself
