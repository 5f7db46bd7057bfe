"""The game contract (episode state machine, records, registry, check_game) on the toy game."""

from __future__ import annotations

import json

import pytest
from playschool.games import (
    LEARNER,
    TEACHER,
    EpisodeRecord,
    GameCheckError,
    RecordError,
    UnknownGameError,
    check_game,
    hostile_replies,
    load_game,
    register,
    sanitize,
    unregister,
)
from playschool.games.checks import play
from playschool.games.episode import MAX_REPLY_CHARS
from toygame import HigherLower


@pytest.fixture()
def game() -> HigherLower:
    return HigherLower()


def _small(game: HigherLower, secret: int = 7):
    inst = next(i for i in game.generate("test") if i.experiment == "small")
    return inst.__class__(**{**inst.to_dict(), "params": {"top": 10, "secret": secret}})


def test_check_game_passes_on_a_correct_game(game: HigherLower) -> None:
    results = check_game(game)
    assert [r.name for r in results] == ["generation_deterministic", "same_seed_same_transcript",
                                         "terminates_and_scores_in_range", "hostile_replies_never_crash",
                                         "random_player_is_format_valid", "instances_distinct_and_held_out",
                                         "records_replay_identically", "cheap_policies_lose"]
    assert all(r.passed for r in results)


def test_check_game_catches_a_nondeterministic_teacher(game: HigherLower) -> None:
    import random

    from toygame import HigherLowerEpisode

    class Flaky(HigherLowerEpisode):
        def teacher_move(self, role: str) -> str:
            if role == "guesser":  # global RNG: exactly what the contract forbids
                return f"GUESS: {random.randint(self.lo, max(self.lo, self.hi))}"
            return super().teacher_move(role)

    class FlakyGame(HigherLower):
        def episode_class(self):
            return Flaky

    with pytest.raises(GameCheckError, match="same_seed_same_transcript"):
        check_game(FlakyGame())


def test_check_game_catches_a_crash_on_hostile_text(game: HigherLower) -> None:
    from toygame import HigherLowerEpisode

    class Fragile(HigherLowerEpisode):
        def parse(self, role: str, text: str):
            if not text:
                raise IndexError("empty")  # a bug: not a FormatError
            return super().parse(role, text)

    class FragileGame(HigherLower):
        def episode_class(self):
            return Fragile

    results = check_game(FragileGame(), raise_on_failure=False)
    failed = {r.name for r in results if not r.passed}
    assert "hostile_replies_never_crash" in failed


def test_format_error_gets_a_correction_and_bounded_repairs(game: HigherLower) -> None:
    ep = game.new_episode(_small(game), "guesser")
    ep.act("I think it is five")
    assert not ep.done
    last = ep.turns[-1]
    assert (last.kind, last.to) == ("correction", "guesser")
    ep.act("GUESS: 7")  # the repair works and resets the counter
    assert ep.outcome == "success"
    rec = ep.record()
    moves = [t for t in rec.turns if t.kind == "move" and t.speaker == "guesser"]
    assert moves[0].parse == {"ok": False, "error": "format", "message": "Reply 'GUESS: <n>'."}
    assert moves[0].reward == ep.format_penalty
    assert rec.scores["format_errors"] == 1.0 and rec.scores["main"] == 100.0


def test_too_many_errors_abort_with_a_reason(game: HigherLower) -> None:
    ep = game.new_episode(_small(game), "guesser")
    for _ in range(ep.max_format_repairs + 1):
        ep.act("nonsense")
    assert ep.outcome == "aborted" and "format error" in ep.reason
    rec = ep.record()
    assert rec.scores["main"] == 0.0 and rec.scores["played"] == 0.0


def test_rule_error_is_distinct_from_format_error(game: HigherLower) -> None:
    ep = game.new_episode(_small(game), "guesser")
    ep.act("GUESS: 11")  # parses, but outside 1..10
    move = [t for t in ep.turns if t.kind == "move"][0]
    assert move.parse["error"] == "rule" and move.reward == ep.rule_penalty


def test_learner_in_either_role_and_self_play(game: HigherLower) -> None:
    inst = _small(game, secret=3)
    keeper = game.new_episode(inst, "keeper")
    # the teacher guesser moved first (binary search: 5), so the keeper is asked right away
    assert keeper.pending().role == "keeper"

    def honest(msgs: tuple[dict[str, str], ...]) -> str:
        guess = int(msgs[-1]["content"].rsplit("GUESS:", 1)[1])
        return "CORRECT" if guess == 3 else ("HIGHER" if guess < 3 else "LOWER")

    rec = play(keeper, {"keeper": honest}).record()
    assert rec.outcome == "success" and rec.roles == {"guesser": TEACHER, "keeper": LEARNER}
    both = game.new_episode(inst, "guesser", {"guesser": TEACHER, "keeper": TEACHER})
    assert both.done and both.outcome == "success"


def test_histories_alternate_and_merge_consecutive_messages(game: HigherLower) -> None:
    ep = game.new_episode(_small(game), "guesser")
    ep.act("bad")
    ep.act("also bad")
    msgs = ep.pending().messages
    roles = [m["role"] for m in msgs]
    assert all(a != b for a, b in zip(roles, roles[1:])), roles


def test_move_limit_ends_every_episode(game: HigherLower) -> None:
    inst = next(i for i in game.generate("test") if i.experiment == "large")
    ep = game.new_episode(inst, "guesser")
    n = 0
    while not ep.done:
        ep.act(f"GUESS: {1 + n % 2}")  # valid moves that never converge
        n += 1
    assert ep.moves <= game.max_moves and ep.outcome in ("lose", "success")


def test_sanitize_makes_any_text_storable() -> None:
    text, cut = sanitize("a\ud800b\x00c")
    assert text == "a?bc" and cut is None
    text, cut = sanitize("x" * (MAX_REPLY_CHARS + 5))
    assert len(text) == MAX_REPLY_CHARS and cut == MAX_REPLY_CHARS + 5
    assert sanitize(None) == ("", None) and sanitize(42) == ("42", None)


def test_hostile_replies_cover_the_categories() -> None:
    replies = hostile_replies(1000)
    assert len(replies) == 1000 and replies == hostile_replies(1000)
    assert "" in replies and max(map(len, replies)) >= 100_000
    assert any("\ud800" in r for r in replies) and any("Ignore all previous" in r for r in replies)
    assert any(r.startswith("GUESS:") for r in replies) and any("\x01" in r for r in replies)


def test_record_json_round_trip_and_malformed_records(game: HigherLower) -> None:
    rec = play(game.new_episode(_small(game), "guesser"), {"guesser": lambda m: "GUESS: 7"}).record()
    assert EpisodeRecord.from_json(rec.to_json()) == rec
    assert rec.to_json().isascii()
    data = json.loads(rec.to_json())
    with pytest.raises(RecordError, match="lacks field"):
        EpisodeRecord.from_dict({k: v for k, v in data.items() if k != "turns"})
    with pytest.raises(RecordError, match="unknown outcome"):
        EpisodeRecord.from_dict({**data, "outcome": "won"})
    with pytest.raises(RecordError, match="not valid JSON"):
        EpisodeRecord.from_json('{"game": ')
    with pytest.raises(RecordError, match="malformed"):
        EpisodeRecord.from_dict({**data, "turns": [{"index": "x"}]})


def test_registry_ids_versions_and_packs() -> None:
    with pytest.raises(UnknownGameError, match="registered games"):
        load_game("nosuchgame")
    register("higherlower", "toygame:HigherLower")
    try:
        assert load_game("higherlower").versioned_id == "higherlower-v1"
        assert load_game("higherlower-v1") is load_game("higherlower-v1")
        with pytest.raises(UnknownGameError, match="installed higherlower is higherlower-v1"):
            load_game("higherlower-v2")
    finally:
        unregister("higherlower")
    with pytest.raises(UnknownGameError):
        load_game("higherlower")


def test_entry_point_game_packs_are_discovered(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from playschool.games import registry

    eps = [EntryPoint("packgame", "toygame:HigherLower", registry.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps if group == registry.ENTRY_POINT_GROUP else [])
    registry._targets.cache_clear()
    registry.load_game.cache_clear()
    try:
        assert "packgame" in registry.game_names()
        assert registry.load_game("packgame").name == "higherlower"
        clash = [EntryPoint("taboo", "toygame:HigherLower", registry.ENTRY_POINT_GROUP)]
        monkeypatch.setattr(registry, "entry_points", lambda group: clash)
        registry._targets.cache_clear()
        with pytest.raises(RuntimeError, match="already a registered game"):
            registry.game_names()
    finally:
        registry._targets.cache_clear()
        registry.load_game.cache_clear()


def test_generation_is_seeded_and_splits_differ(game: HigherLower) -> None:
    a = [i.to_dict() for i in game.generate("test", seed=1)]
    assert a == [i.to_dict() for i in game.generate("test", seed=1)]
    assert a != [i.to_dict() for i in game.generate("test", seed=2)]
    assert {i.split for i in game.generate("train")} == {"train"}
    with pytest.raises(ValueError, match="unknown split"):
        game.generate("dev")


def test_games_can_note_details_on_a_move(game: HigherLower) -> None:
    from toygame import HigherLowerEpisode

    class Noting(HigherLowerEpisode):
        def apply(self, role, move):
            self.note(value=move)
            return super().apply(role, move)

    class NotingGame(HigherLower):
        def episode_class(self):
            return Noting

    ep = NotingGame().new_episode(_small(game, secret=7), "guesser")
    ep.act("GUESS: 7")
    move = next(t for t in ep.turns if t.kind == "move" and t.speaker == "guesser")
    assert move.parse == {"value": 7, "ok": True}


def test_game_cards_are_rendered_from_docstrings() -> None:
    from playschool.games.cards import card_path, render_card, stale_cards

    assert stale_cards() == [], "run: python -m playschool.games.cards"
    for name in ("taboo", "wordle"):
        text = card_path(name).read_text()
        assert load_game(name).card in text and text == render_card(load_game(name))
