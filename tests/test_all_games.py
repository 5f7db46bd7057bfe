"""The contract over every registered game: whatever is registered must pass ``check_game``."""

from __future__ import annotations

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
