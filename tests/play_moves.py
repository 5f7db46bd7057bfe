"""Moves that win a game the arena serves: the game's own reference player plays the same instance (same split,
same role) offline, and its moves are read off the record. Games are deterministic given the moves, so sending
these texts through the arena replays the same, successful episode."""

from __future__ import annotations

from typing import Any


def reference_moves(game: str, role: str, instance_id: str, arena: Any = None) -> list[str]:
    from playschool.arena.sessions import PLAY_SPLIT, instances
    from playschool.games import load_game

    from playschool.players import ReferencePlayer
    from playschool.runner import EpisodeTask, Runner

    g = load_game(game)
    inst = next(i for i in instances(game, PLAY_SPLIT) if i.id == instance_id)
    summary = Runner({"learner": ReferencePlayer()}, concurrency=1, progress=False).run([EpisodeTask(g, inst, role)])
    record = summary.records[0]
    assert record.outcome == "success", f"the reference player does not win {instance_id}: {record.reason}"
    return [t.text for t in record.turns if t.kind == "move" and t.speaker == role]
