"""Watching a model play in the arena: one view per turn with the tiny model, refused specs, the backend cache
(each model loaded once, a bounded number kept), and model failures that end the game, not the arena."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from playschool.arena.sessions import ArenaError, PlayView
from playschool.arena.watch import BackendCache, check_spec, watch

from playschool.backends.base import CONTEXT_OVERFLOW, Decoding, Reply
from playschool.players import ScriptedPlayer


def moves(view: PlayView) -> int:
    return sum(1 for m in view.messages if m.kind == "move")


def assert_streamed_per_turn(views: list[PlayView]) -> None:
    assert len(views) >= 2 and views[-1].done and not any(v.done for v in views[:-1])
    assert moves(views[0]) == 0 and views[0].messages[0].kind == "instruction"
    for before, after in zip(views, views[1:]):
        assert moves(after) == moves(before) + 1  # exactly one move of the watched role per view
        assert after.messages[: len(before.messages)] == before.messages  # the conversation only grows
    assert len({(v.session_id, v.instance_id, v.role) for v in views}) == 1


def test_the_tiny_model_plays_taboo_streamed_one_view_per_turn(tiny_model_path: Path) -> None:
    cache = BackendCache(max_loaded=2)
    views = list(watch(f"hf:{tiny_model_path}", "taboo", "guesser", seed=0, backends=cache, max_new_tokens=16))
    assert_streamed_per_turn(views)
    last = views[-1]
    assert last.outcome in ("success", "lose", "aborted") and last.score is not None and last.explanation
    assert "the model" in last.explanation or "Main score" in last.explanation
    assert last.waiting_for is None and cache.loaded() == [check_spec(f"hf:{tiny_model_path}")]
    # Greedy decoding: the same seed is the same game, and the loaded model is reused, not loaded again.
    again = list(watch(f"hf:{tiny_model_path}", "taboo", "guesser", seed=0, backends=cache, max_new_tokens=16))
    assert [v.messages for v in again] == [v.messages for v in views] and len(cache) == 1


def test_the_games_reference_player_can_be_watched_move_by_move() -> None:
    views = list(watch("teacher", "reference", "listener", seed=1))
    assert_streamed_per_turn(views)
    assert views[-1].outcome == "success" and views[-1].score == 100.0
    random_views = list(watch("random", "wordle", "guesser", seed=1))
    assert random_views[-1].done and moves(random_views[-1]) >= 1


@pytest.mark.parametrize("spec", ["agent:os:system", "scripted:/etc/passwd", "human", "nonsense", "hf:",
                                  "openai:gpt@ftp://x"])
def test_specs_that_run_code_or_make_no_sense_are_refused_before_anything_loads(spec: str) -> None:
    loads: list[str] = []
    cache = BackendCache(loader=lambda s: loads.append(s) or ScriptedPlayer(["x"]))  # type: ignore[func-returns-value]
    with pytest.raises(ArenaError):
        watch(spec, "taboo", "guesser", backends=cache)
    with pytest.raises(ArenaError):
        cache.get(spec)
    assert loads == []


@pytest.mark.parametrize(("game", "role"), [("chess", "white"), ("taboo", "referee")])
def test_unknown_games_and_roles_are_refused_when_called(game: str, role: str) -> None:
    with pytest.raises(ArenaError):
        watch("tiny", game, role)  # at the call, not at the first next(): nothing loads


# ------------------------------------------------------------------------------------------------ the cache
def test_each_model_is_loaded_once_however_many_visitors_ask_at_once() -> None:
    loads: list[str] = []

    def slow_loader(spec: str) -> Any:
        loads.append(spec)
        time.sleep(0.2)
        return ScriptedPlayer(["GUESS: crane"], name=spec)

    cache = BackendCache(max_loaded=2, loader=slow_loader)
    got: list[Any] = []
    go = threading.Barrier(8)

    def visitor() -> None:
        go.wait()
        got.append(cache.get("hf:/models/a"))

    threads = [threading.Thread(target=visitor) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert loads == ["hf:/models/a"] and len(got) == 8 and all(b is got[0] for b in got)


def test_the_cache_keeps_at_most_max_loaded_models_least_recently_used_out_first() -> None:
    cache = BackendCache(max_loaded=2, loader=lambda s: ScriptedPlayer(["x"], name=s))
    a = cache.get("hf:/m/a")
    cache.get("hf:/m/b")
    assert cache.get("hf:/m/a") is a  # a is now the most recently used
    cache.get("hf:/m/c")
    assert cache.loaded() == ["hf:/m/a", "hf:/m/c"] and len(cache) == 2
    with pytest.raises(ValueError):
        BackendCache(max_loaded=0)


def test_a_model_that_cannot_load_is_an_arena_error() -> None:
    def broken(spec: str) -> Any:
        raise OSError("no such folder")

    cache = BackendCache(loader=broken)
    views = watch("hf:/nowhere", "wordle", "guesser", backends=cache)
    with pytest.raises(ArenaError, match="cannot load"):
        next(views)
    assert len(cache) == 0


class _Failing:
    name = "failing"
    max_batch_size = 1

    def __init__(self, reply: Reply | None) -> None:
        self._reply = reply

    def generate(self, conversations: Sequence[Any], decoding: Decoding) -> list[Reply]:
        if self._reply is None:
            raise RuntimeError("CUDA out of memory")
        return [self._reply]

    def describe(self) -> dict[str, Any]:
        return {"backend": "test"}


@pytest.mark.parametrize(("reply", "why"), [(None, "the model failed"),
                                            (Reply("", error=CONTEXT_OVERFLOW, detail="too long"), "context")])
def test_a_failing_model_ends_the_watched_game_as_aborted(reply: Reply | None, why: str) -> None:
    cache = BackendCache(loader=lambda s: _Failing(reply))
    views = list(watch("hf:/m/failing", "wordle", "guesser", seed=0, backends=cache))
    assert len(views) == 2 and views[-1].outcome == "aborted" and views[-1].score == 0
    assert why in views[-1].explanation


def test_a_scripted_stand_in_model_wins_and_every_turn_is_a_view() -> None:
    # A backend replying with the reference moves of the same seed: the watched game ends in success.
    ref = list(watch("teacher", "reference", "listener", seed=3))
    answers = [m.text for m in ref[-1].messages if m.kind == "move"]
    cache = BackendCache(loader=lambda s: ScriptedPlayer(answers, cycle=False))
    views = list(watch("hf:/m/scripted", "reference", "listener", seed=3, backends=cache))
    assert_streamed_per_turn(views)
    assert views[-1].messages == ref[-1].messages and views[-1].outcome == "success"
    with pytest.raises(ArenaError):
        watch("hf:/m/scripted", "reference", "listener", max_new_tokens=0, backends=cache)
