"""The contract over every registered game: whatever is registered must pass ``check_game``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playschool.games import check_game, game_names, load_game


@pytest.mark.parametrize("name", game_names())
def test_every_registered_game_passes_check_game(name: str) -> None:
    results = check_game(name)
    assert [r.name for r in results if not r.passed] == []
    assert any("1000/role" in r.detail for r in results)  # the hostile-output fuzz ran at full size


@pytest.mark.parametrize("name", game_names())
def test_every_game_has_a_card_and_learner_roles(name: str) -> None:
    game = load_game(name)
    assert game.card and game.learner_roles and set(game.learner_roles) <= set(game.roles)
    for score in game.score_ranges:
        assert score in game.card, f"the card of {name} does not explain the score {score!r}"


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", game_names())
def test_every_game_has_a_golden_transcript_with_teacher_feedback(name: str) -> None:
    files = sorted(GOLDEN.glob(f"{name}*.json"))
    assert files, f"{name} has no golden transcript in {GOLDEN}"
    kinds = set()
    for f in files:
        data = json.loads(f.read_text())
        turns = data["turns"] if isinstance(data, dict) else data
        kinds |= {t["kind"] for t in turns}
        # a reward at every learner move, not only at the end
        learner = data.get("learner_role") if isinstance(data, dict) else None
        moves = [t for t in turns if t["kind"] == "move" and (learner is None or t["speaker"] == learner)]
        assert moves and all(t.get("reward") is not None for t in moves), f.name
    assert kinds & {"clarification", "correction"}, f"{name}: golden transcripts show no teacher feedback"
