"""The CLU2 interactional plane: planning, playing into a resumable run folder, items, missing episodes,
shards and game packs. Games without the embedding model keep it fast."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playschool.benchmark import scorecard
from playschool.benchmark.interactional import plan, run_interactional_plane
from playschool.games import register, unregister

from playschool.backends.base import Conversation, Decoding, Reply
from playschool.manifest import ManifestMismatchError
from playschool.players import RandomPlayer
from playschool.store import iter_records

GAMES = ["reference", "mapnav"]


class Unusable:
    """A learner that must not be asked: proves a resumed run plays nothing."""

    inline = True
    max_batch_size = 8

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        raise AssertionError("a recorded episode was played again")

    def describe(self) -> dict[str, Any]:
        return {"backend": "unusable"}


class Down(Unusable):
    """A learner whose server is down: its episodes fail and are not recorded."""

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        return [Reply("", error="backend_error", detail="connection refused")] * len(conversations)


def test_reference_player_scores_the_ceiling_and_a_rerun_resumes(tmp_path: Path) -> None:
    items = run_interactional_plane("teacher", out_dir=tmp_path, games=GAMES, n=1)
    planned = plan(GAMES, n=1)
    mains = [i for i in items if i.task.startswith("game/")]
    assert len(mains) == len(planned) == len(list(iter_records(tmp_path)))
    assert all(i.score == 100.0 and i.valid for i in mains)
    assert {i.task for i in mains} == {"game/reference/listener", "game/reference/speaker",
                                       "game/mapnav/follower", "game/mapnav/instructor"}
    again = run_interactional_plane("teacher", out_dir=tmp_path, games=GAMES, n=1, player=Unusable())
    assert sorted(i.key for i in again) == sorted(i.key for i in items)
    card = scorecard(items, n_boot=50)
    assert card["dimensions"]["collaborative_language_use"]["score"] == 100.0
    assert card["clemscore"]["score"] == 100.0


def test_random_player_is_near_the_floor_and_format_valid(tmp_path: Path) -> None:
    items = run_interactional_plane("random", out_dir=tmp_path, games=GAMES, n=2)
    card = scorecard(items, n_boot=50)
    for task, t in card["tasks"].items():
        if task.startswith("game/"):
            assert t["raw"] <= 25.0, task  # random legal moves: near chance, far from the reference player
    # It plays in the right format: no format error ever needs recovering from.
    assert "collab/format_recovery" not in card["tasks"] and card["coverage"]["missing"] == 0


def test_unplayable_episodes_count_as_missing_failures_until_played(tmp_path: Path) -> None:
    items = run_interactional_plane("random", out_dir=tmp_path, games=["mapnav"], n=1, player=Down())
    assert items and all(i.details.get("missing") and i.score == 0.0 and not i.valid for i in items)
    assert scorecard(items, n_boot=10)["coverage"]["missing"] == len(plan(["mapnav"], n=1))
    again = run_interactional_plane("random", out_dir=tmp_path, games=["mapnav"], n=1, player=RandomPlayer())
    assert not any(i.details.get("missing") for i in again)


def test_a_run_folder_refuses_other_settings(tmp_path: Path) -> None:
    run_interactional_plane("random", out_dir=tmp_path, games=["mapnav"], n=1)
    with pytest.raises(ManifestMismatchError, match="another configuration"):
        run_interactional_plane("random", out_dir=tmp_path, games=["mapnav"], n=2)
    with pytest.raises(TypeError, match="unknown runner option"):
        run_interactional_plane("random", out_dir=tmp_path, games=["mapnav"], n=1, colour="red")


def test_shards_partition_the_plan() -> None:
    whole = {t.key for t in plan(GAMES, n=3)}
    parts = [{t.key for t in plan(GAMES, n=3, shard=(i, 3))} for i in range(3)]
    assert set().union(*parts) == whole and sum(map(len, parts)) == len(whole)
    assert all(parts)


@pytest.fixture
def pack_game() -> Iterator[None]:
    register("higherlower", "toygame:HigherLower")
    yield
    unregister("higherlower")


def test_game_packs_are_played_and_scored(tmp_path: Path, pack_game: None) -> None:
    assert "higherlower" in {t.game.name for t in plan(n=1)}  # default: every registered game, packs included
    items = run_interactional_plane("teacher", out_dir=tmp_path, games=["higherlower"], n=1)
    card = scorecard(items, n_boot=10)
    assert {"game/higherlower/guesser", "game/higherlower/keeper"} <= set(card["tasks"])
