"""The arena's play sessions: whole games through ``send``, corrections, hostile input, independence under threads,
the TTL, LRU eviction, and the memory of 200 abandoned games."""

from __future__ import annotations

import gc
import threading
import tracemalloc
import weakref

import pytest
from playschool.arena.chat import gradio_messages
from playschool.arena.sessions import (
    MAX_MOVE_CHARS,
    ArenaError,
    PlaySessions,
    PlayView,
    SessionNotFound,
    explain,
    games,
    roles_for,
)
from playschool.games import game_names, hostile_replies, load_game


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reference_move(store: PlaySessions, view: PlayView) -> str:
    """The move the game's own reference player would make now in the visitor's seat (white box: the test reads
    the session's episode; the page never can)."""
    assert view.waiting_for == view.role
    return store._sessions[view.session_id].episode.teacher_move(view.role)


def play_to_the_end(store: PlaySessions, view: PlayView, limit: int = 200) -> PlayView:
    for _ in range(limit):
        if view.done:
            return view
        view = store.send(view.session_id, reference_move(store, view))
    raise AssertionError("the game did not end")


def episode_of(store: PlaySessions, sid: str) -> object:
    return store._sessions[sid].episode


# ------------------------------------------------------------------------------------------------ whole games
@pytest.mark.parametrize(("game", "role"), [("taboo", "guesser"), ("taboo", "describer"), ("wordle", "critic"),
                                            ("reference", "listener"), ("privateshared", "agent")])
def test_a_whole_game_through_send_ends_in_success(game: str, role: str) -> None:
    store = PlaySessions(ttl_s=600, max_sessions=10)
    view = store.start(game, role, seed=2)
    assert (view.game, view.role, view.done, view.waiting_for) == (load_game(game).versioned_id, role, False, role)
    assert view.instance_id.startswith("train/")  # visitors never see CLU2's test items
    assert view.messages and view.messages[0].kind == "instruction" and view.score is None
    sent = []
    while not view.done:
        move = reference_move(store, view)
        sent.append(move)
        before = len(view.messages)
        view = store.send(view.session_id, move)
        assert view.messages[:before] != [] and len(view.messages) > before  # the conversation only grows
    assert view.outcome == "success" and view.waiting_for is None
    record = store._sessions[view.session_id].episode.record()
    assert view.score == record.scores["main"] > 0
    assert "Success" in view.explanation and f"{view.score:.0f}/100" in view.explanation
    # Everything the visitor wrote is in the view, as theirs, in order.
    assert [m.text for m in view.messages if m.role == "user"] == sent
    assert all(m.kind == "move" for m in view.messages if m.role == "user")


def test_the_same_seed_gives_the_same_instance_and_views() -> None:
    store = PlaySessions(ttl_s=600, max_sessions=10)
    a, b = store.start("taboo", "guesser", seed=5), store.start("taboo", "guesser", seed=5)
    assert a.session_id != b.session_id and a.instance_id == b.instance_id and a.messages == b.messages
    ids = {store.start("wordle", "guesser", seed=s).instance_id for s in range(12)}
    assert len(ids) > 1  # the seed picks among the instances


def test_an_unreadable_move_draws_a_correction_and_the_game_goes_on() -> None:
    store = PlaySessions(ttl_s=600, max_sessions=10)
    view = store.start("taboo", "guesser", seed=3)
    view = store.send(view.session_id, "I have no idea what to type")
    assert not view.done and view.waiting_for == "guesser"
    move, correction = view.messages[-2], view.messages[-1]
    assert (move.kind, move.error, move.reward) == ("move", "format", -1.0)
    assert correction.kind == "correction" and correction.role == "assistant"
    rendered = gradio_messages(view.messages)[-1]["content"]
    assert "correction" in rendered and "(reward -1)" in gradio_messages(view.messages)[-2]["content"]
    assert play_to_the_end(store, view).outcome == "success"


def test_every_listed_game_and_role_can_be_started() -> None:
    assert games() == game_names()
    for name in games():
        roles = roles_for(name)
        assert roles and set(roles) <= set(load_game(name).learner_roles)
    assert "critic" in roles_for("wordle")  # a role only some instances have is still offered


def test_the_explanation_says_how_it_ended_and_whose_fault_it_was() -> None:
    won = explain("success", "guessed in 2", {"main": 50.0, "format_errors": 1.0, "rule_errors": 1.0})
    assert won.startswith("Success (guessed in 2)") and "50/100" in won and "2 move(s) needed a correction" in won
    lost = explain("lose", "out of guesses", {"main": 0.0})
    assert lost.startswith("Not solved") and "0/100" in lost and "correction" not in lost
    assert "not your fault" in explain("error", "game error", {})
    assert "not the model's fault" in explain("error", "", {}, who="the model")
    assert "scores 0/100" in explain("aborted", "guesser: format error", {"main": 0.0})


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("game", "role", "split"), [("chess", "white", "train"), ("taboo", "referee", "train"),
                                                     ("taboo", "guesser", "test"), ("taboo", "guesser", "dev"),
                                                     ("taboo\x00<script>", "guesser", "train")])
def test_unknown_games_roles_and_splits_are_clear_errors(game: str, role: str, split: str) -> None:
    store = PlaySessions(ttl_s=600, max_sessions=10)
    keep = store.start("wordle", "guesser", seed=0)
    with pytest.raises(ArenaError) as err:
        store.start(game, role, split=split)
    assert isinstance(err.value, ValueError) and str(err.value)
    assert len(store) == 1 and store.view(keep.session_id).messages == keep.messages  # nothing lost


def test_unknown_session_ids_are_a_clear_error_and_lose_nothing() -> None:
    store = PlaySessions(ttl_s=600, max_sessions=10)
    keep = store.start("wordle", "guesser", seed=0)
    for sid in ("nope", "", None, keep.session_id + "x", "../../etc/passwd"):
        with pytest.raises(SessionNotFound, match="start a new one"):
            store.send(sid, "GUESS: crane")
    store.close("never-existed")  # closing an unknown id is harmless
    assert len(store) == 1 and store.view(keep.session_id) == keep


def test_hostile_moves_end_at_worst_in_an_aborted_game() -> None:
    store = PlaySessions(ttl_s=600, max_sessions=500)
    for i, text in enumerate(hostile_replies(60)):
        view = store.start(["taboo", "wordle", "negotiation"][i % 3], "guesser" if i % 3 < 2 else "alice", seed=i)
        while not view.done:
            view = store.send(view.session_id, text)
        assert view.outcome in ("aborted", "lose")
        if view.outcome == "aborted":
            assert view.score == 0 and "stopped" in view.explanation
    huge = store.start("taboo", "guesser", seed=1)
    view = store.send(huge.session_id, "GUESS: " + "x" * 1_000_000)
    assert "cut" in view.notice and len(view.messages[-2].text) <= MAX_MOVE_CHARS
    odd = store.start("wordle", "guesser", seed=1)
    for thing in (None, 12345, b"GUESS: crane", "\ud800 lone surrogate"):
        view = store.send(odd.session_id, thing)
    assert view.messages  # every one was a move the game answered


def test_a_move_after_the_end_changes_nothing() -> None:
    store = PlaySessions(ttl_s=600, max_sessions=10)
    end = play_to_the_end(store, store.start("reference", "listener", seed=0))
    again = store.send(end.session_id, "SELECT: 1")
    assert again.messages == end.messages and again.outcome == end.outcome and "over" in again.notice


# ------------------------------------------------------------------------------------------------ threads
def test_concurrent_visitors_never_see_each_others_games() -> None:
    store = PlaySessions(ttl_s=600, max_sessions=100)
    plans = [("taboo", "guesser"), ("wordle", "guesser"), ("reference", "listener"), ("repair", "builder")] * 3
    results: dict[int, tuple[PlayView, PlayView]] = {}
    errors: list[BaseException] = []
    go = threading.Barrier(len(plans))

    def visitor(i: int) -> None:
        try:
            game, role = plans[i]
            go.wait()
            first = store.start(game, role, seed=i)
            results[i] = (first, play_to_the_end(store, first))
        except BaseException as exc:  # noqa: BLE001  (reported below, on the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(len(plans))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len({first.session_id for first, _ in results.values()}) == len(plans)
    for i, (first, last) in results.items():
        game, role = plans[i]
        assert (last.game.split("-v")[0], last.role, last.instance_id) == (game, role, first.instance_id)
        assert last.messages[: len(first.messages)] == first.messages and last.outcome == "success"
        # The same game played alone gives the same transcript: nothing leaked in from another visitor.
        alone = PlaySessions(ttl_s=600, max_sessions=1)
        assert play_to_the_end(alone, alone.start(game, role, seed=i)).messages == last.messages


def test_two_moves_sent_at_once_to_one_game_are_played_one_after_the_other() -> None:
    store = PlaySessions(ttl_s=600, max_sessions=10)
    view = store.start("wordle", "guesser", seed=4)
    go = threading.Barrier(4)

    def click() -> None:
        go.wait()
        store.send(view.session_id, "GUESS: crane")

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    moves = [m for m in store.view(view.session_id).messages if m.kind == "move"]
    assert len(moves) == 4  # none lost, none interleaved into a broken state


# ------------------------------------------------------------------------------------------------ lifetime
def test_idle_games_expire_after_the_ttl_and_moves_keep_them_alive() -> None:
    clock = FakeClock()
    store = PlaySessions(ttl_s=60, max_sessions=10, clock=clock)
    busy, idle = store.start("wordle", "guesser", seed=0), store.start("wordle", "guesser", seed=1)
    clock.now += 40
    store.send(busy.session_id, "GUESS: crane")
    clock.now += 40  # busy: 40 s idle; idle: 80 s
    assert store.sweep() == 1 and len(store) == 1
    with pytest.raises(SessionNotFound, match="this game expired; start a new one"):
        store.send(idle.session_id, "GUESS: crane")
    clock.now += 61  # lazily, on the next start: no sweep() needed
    store.start("wordle", "guesser", seed=2)
    assert len(store) == 1
    with pytest.raises(SessionNotFound):
        store.view(busy.session_id)


def test_a_full_store_evicts_the_least_recently_used_game() -> None:
    clock = FakeClock()
    store = PlaySessions(ttl_s=600, max_sessions=3, clock=clock)
    views = []
    for i in range(3):
        views.append(store.start("wordle", "guesser", seed=i))
        clock.now += 1
    store.send(views[0].session_id, "GUESS: crane")  # the oldest is now the most recently used
    newest = store.start("wordle", "guesser", seed=9)
    assert len(store) == 3
    with pytest.raises(SessionNotFound, match="this game expired; start a new one"):
        store.send(views[1].session_id, "GUESS: crane")
    for alive in (views[0], views[2], newest):
        store.view(alive.session_id)
    store.close(newest.session_id)
    assert len(store) == 2


def test_200_abandoned_games_leave_no_session_behind() -> None:
    clock = FakeClock()
    store = PlaySessions(ttl_s=10, max_sessions=1000, clock=clock)

    def abandon(n: int) -> list[weakref.ref[object]]:
        refs = []
        for i in range(n):
            view = store.start("wordle", "guesser", seed=i)
            store.send(view.session_id, "GUESS: crane")
            refs.append(weakref.ref(episode_of(store, view.session_id)))
        return refs

    def traced() -> int:
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    abandon(200)  # warm up: instances generated, the game's own bounded caches filled
    clock.now += 11
    store.sweep()
    tracemalloc.start()
    try:
        base = traced()
        refs20 = abandon(20)
        clock.now += 11
        assert store.sweep() == 20
        after20 = traced()
        refs200 = abandon(200)
        live200 = traced()
        clock.now += 11
        assert store.sweep() == 200 and len(store) == 0
        after200 = traced()
    finally:
        tracemalloc.stop()
    assert all(r() is None for r in refs20 + refs200), "a dropped game is still referenced"
    per_game = (live200 - after20) / 200
    print(f"\ntraced bytes over the baseline: after 20 abandoned games {after20 - base}, with 200 live "
          f"{live200 - base} ({per_game:.0f} per game), after 200 abandoned {after200 - base}")
    assert per_game > 1000  # the measurement sees live games at all
    # Linear growth would leave ~180 games' worth more after 200 than after 20; allow a few games' worth of noise.
    assert after200 - after20 < 5 * per_game
