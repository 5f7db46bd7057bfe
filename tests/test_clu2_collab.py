"""CLU2 collaborative sub-metrics: hand-made records with known answers, and real records from the games
cross-checked against the games' own scores where a game reports the same quantity."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from playschool.benchmark.collab import episode_submetrics
from playschool.benchmark.interactional import items_from_records
from playschool.games import TEACHER, EpisodeRecord, Turn, stable_seed

from playschool.players import ReferencePlayer, ScriptedPlayer
from playschool.runner import Runner, plan_episodes


def _record(turns: list[tuple[str, str, str, dict[str, Any] | None]], *, role: str = "follower",
            outcome: str = "success", scores: dict[str, float] | None = None) -> EpisodeRecord:
    """A record from (speaker, to, kind, parse) tuples; moves have kind 'move'."""
    return EpisodeRecord(
        game="mapnav-v2", instance_id="test/small/0000", split="test", seed=1, experiment="small",
        roles={"instructor": "teacher", "follower": "learner"}, learner_role=role, instance={},
        turns=tuple(Turn(index=i, speaker=s, to=to, kind=k, text="...", parse=p) for i, (s, to, k, p)
                    in enumerate(turns)),
        outcome=outcome, reason="", scores=scores if scores is not None else {"main": 50.0})


def _move(parse: dict[str, Any] | None, speaker: str = "follower") -> tuple[str, str, str, dict[str, Any] | None]:
    return (speaker, "game", "move", parse)


OK = {"ok": True}
BAD = {"ok": False, "error": "format", "message": "?"}
CORRECTION = ("game", "follower", "correction", None)


def test_clarification_counts_on_a_hand_made_record() -> None:
    rec = _record([
        _move({**OK, "act": "clarify", "ambiguous": True}),    # TP
        _move({**OK, "act": "clarify", "ambiguous": False}),   # FP
        _move({**OK, "act": "move", "ambiguous": True}),       # FN
        _move({**OK, "act": "move", "ambiguous": False}),      # TN
        _move({**OK, "act": "move", "ambiguous": False}),      # TN
        _move({**OK, "act": "instruct"}, speaker="instructor"),  # not the learner: ignored
        _move({**OK, "act": "move"}),                          # no ambiguity note: not a decision
    ])
    m = episode_submetrics(rec)
    assert m["clarification_precision"].score == 0.5
    assert m["clarification_recall"].score == 0.5
    assert m["clarification_f1"].score == pytest.approx(2 / 4)
    assert m["clarification_f1"].details == {"tp": 1, "fp": 1, "fn": 1, "tn": 2}
    assert m["rule_compliance"].score == 1.0
    assert "repair_rate" not in m and "probe_accuracy" not in m and "efficiency" not in m


def test_nothing_to_ask_and_nothing_asked_gives_no_clarification_item() -> None:
    m = episode_submetrics(_record([_move({**OK, "act": "move", "ambiguous": False})] * 3))
    assert not {"clarification_f1", "clarification_precision", "clarification_recall"} & set(m)
    assert m["rule_compliance"].score == 1.0


def test_never_asking_when_it_was_ambiguous_scores_zero() -> None:
    m = episode_submetrics(_record([_move({**OK, "act": "move", "ambiguous": True})]))
    assert m["clarification_f1"].score == 0.0 and m["clarification_recall"].score == 0.0
    assert "clarification_precision" not in m  # it never asked: no precision item


def test_asking_always_is_not_rewarded() -> None:
    rec = _record([_move({**OK, "act": "clarify", "ambiguous": False})] * 4
                  + [_move({**OK, "act": "clarify", "ambiguous": True})])
    m = episode_submetrics(rec)
    assert m["clarification_precision"].score == pytest.approx(1 / 5)
    assert m["clarification_f1"].score == pytest.approx(2 / (2 + 4))


def test_repair_reads_the_games_repaired_notes_not_format_recovery() -> None:
    rec = _record([
        _move(BAD), CORRECTION, _move(OK),                         # a format error, recovered
        _move(BAD), CORRECTION, CORRECTION, _move(BAD),            # not recovered
        _move({**OK, "repaired": True}),                           # fixes what a correction named; recovers too
        _move({"ok": False, "error": "rule", "message": "no", "repaired": False}),  # a refused repair attempt
        _move({**OK, "repaired": False}),                          # a valid move that does not fix it
        _move({**OK, "probe": True, "correct": True}),
        _move({**OK, "probe": True, "correct": False}),
        ("game", "instructor", "correction", None),                # to another role: ignored
        _move({**OK, "consistent": True}), _move({**OK, "consistent": False}), _move({**OK, "consistent": True}),
    ], scores={"main": 40.0, "efficiency": 0.4})
    m = episode_submetrics(rec)
    assert m["repair"].score == pytest.approx(1 / 3) and m["repair"].details == {"needed": 3, "repaired": 1}
    assert m["format_recovery"].score == pytest.approx(2 / 3)
    assert m["format_recovery"].details == {"chances": 3, "recovered": 2}
    assert m["coherence"].score == pytest.approx(2 / 3)
    assert m["rule_compliance"].score == pytest.approx(1 - 4 / 12)
    assert m["probe_accuracy"].score == 0.5
    assert m["efficiency"].score == 0.4


def test_aborted_episodes_fail_where_the_situation_existed_and_only_there() -> None:
    rec = _record([_move({**OK, "act": "clarify", "ambiguous": True}), _move(BAD), CORRECTION, _move(BAD)],
                  outcome="aborted", scores={"main": 0.0, "efficiency": 0.7})
    m = episode_submetrics(rec)
    assert set(m) == {"clarification_f1", "clarification_precision", "clarification_recall", "format_recovery",
                      "rule_compliance", "efficiency"}  # no probe, repair or coherence item: no such situation
    assert all(s.score == 0.0 and not s.valid for s in m.values())


def test_items_come_from_replayed_records_and_carry_the_episode_and_transcript() -> None:
    rec = _play("reference", "listener", ReferencePlayer(), n=1)[0]
    items = (items_from_records([rec], learner_as=TEACHER)
             + items_from_records([rec.to_dict()], learner_as=TEACHER))  # JSON dicts are read too
    assert items[0].task == "game/reference/listener" and items[0].valid
    assert all(i.item_id == rec.key and i.details["episode"] == rec.key for i in items)
    assert items[0].details["transcript"].endswith(".html")


def test_malformed_record_names_its_position() -> None:
    from playschool.games import RecordError

    good = _play("reference", "listener", ReferencePlayer(), n=1)[0].to_dict()
    with pytest.raises(RecordError, match="record 1"):
        items_from_records([good, {"game": "x"}])


# --------------------------------------------------------------------------- real records from the games
def _noisy(options: list[str]) -> Callable[[Any], str]:
    """A deterministic player choosing among plausible (and some invalid) replies."""
    def reply(conversation: Any) -> str:
        return random.Random(stable_seed(len(conversation), conversation[-1]["content"])).choice(options)
    return reply


def _play(game: str, role: str, player: Any, n: int = 4) -> list[EpisodeRecord]:
    return Runner({"learner": player}).run(plan_episodes([game], "test", roles=[role], n=n)).records


def test_mapnav_follower_counts_match_the_games_clarification_counts() -> None:
    records = _play("mapnav", "follower", ScriptedPlayer(_noisy(
        ["MOVE: north", "MOVE: south", "MOVE: east", "MOVE: west", "CLARIFY: which door?", "hm"])))
    compared = 0
    for rec in records:
        m = episode_submetrics(rec)
        if "clarification_f1" in m and rec.outcome != "aborted":
            d = m["clarification_f1"].details
            assert d["tp"] + d["fp"] == rec.scores["clarifications"]
            assert d["fp"] == rec.scores["unneeded_clarifications"]
            assert d["fn"] == rec.scores["missed_clarifications"]
            compared += 1
        assert m["efficiency"].score == (0.0 if rec.outcome == "aborted" else rec.scores["efficiency"])
    assert compared >= 1


def test_privateshared_probe_accuracy_matches_the_games() -> None:
    records = _play("privateshared", "customer", ScriptedPlayer(_noisy(
        ["PROBE: yes", "PROBE: no", "ANSWER: I am not sure", "ANSWER: yes please"])))
    probed = [r for r in records if "probe_accuracy" in r.scores]
    assert probed
    for rec in probed:
        got = episode_submetrics(rec)["probe_accuracy"].score
        assert got == (0.0 if rec.outcome == "aborted" else pytest.approx(rec.scores["probe_accuracy"]))


def test_the_reference_player_is_perfect_wherever_a_sub_metric_measures_it() -> None:
    from playschool.games import game_names

    records = Runner({"learner": ReferencePlayer()}).run(plan_episodes(game_names(), "test", n=2)).records
    measured = set()
    for item in items_from_records(records, learner_as=TEACHER):
        if item.task.startswith("collab/"):
            assert item.score == 1.0, item
            measured.add(item.task)
    # Every sub-metric that a game feeds is exercised by the reference player somewhere.
    assert {"collab/clarification_f1", "collab/repair", "collab/coherence", "collab/probe_accuracy",
            "collab/rule_compliance", "collab/efficiency"} <= measured
