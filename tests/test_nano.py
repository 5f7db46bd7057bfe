"""The shipped nano model: its ledger verifies, it never saw a validation or test instance, and it plays."""

from __future__ import annotations

import json

import pytest
from playschool.games import load_game

from playschool.budget import verify_ledger
from playschool.nano import NANO_DIR, nano_model_path
from playschool.spec import embedded_model_path, load_player


def _training_data() -> dict:
    return json.loads((NANO_DIR / "training_data.json").read_text())


def test_the_shipped_ledger_verifies_and_matches_the_card() -> None:
    s = verify_ledger(NANO_DIR / "ledger.jsonl")
    budget = json.loads((NANO_DIR / "budget.json").read_text())
    assert budget["ledger_head"] == s.head and budget["used_tokens"] == s.total_tokens <= s.budget_tokens
    assert s.header["datasets"]["sft"] == _training_data()["fingerprint"]
    assert s.head in (NANO_DIR / "README.md").read_text()
    assert len(s.evals) >= 3  # learning-curve points: the start, during training, the end
    assert embedded_model_path("nano") == nano_model_path() == NANO_DIR


def test_no_evaluated_instance_was_trained_on() -> None:
    trained = _training_data()["instances"]
    assert trained and {split for _, _, split in trained} == {"train"}
    by_game: dict[str, set[str]] = {}
    for game, instance_id, _ in trained:
        by_game.setdefault(game, set()).add(instance_id)
    for game_id, ids in by_game.items():
        game = load_game(game_id)
        # Compare contents, not only ids: a held-out instance with the same content under another id counts too.
        train_keys = {game.instance_key(game.regenerate(i, 0).params) for i in ids}
        for split in ("validation", "test"):
            held = {game.instance_key(i.params) for i in game.generate(split)}
            assert not train_keys & held, f"{game_id}: {split} instances in the nano model's training data"


@pytest.mark.slow
def test_nano_plays_format_valid_moves_where_it_was_trained() -> None:
    """What its card claims: the format is learned in both trained roles (the random init gets no move through),
    and the listener wins some held-out episodes (it does not yet read the descriptions: about chance)."""
    from playschool.runner import Runner, plan_episodes

    backend = load_player("nano", device="cpu")
    tasks = plan_episodes(["mapnav"], "test", roles=["follower"], n=2)
    tasks += plan_episodes(["reference"], "test", roles=["listener"], n=10)
    records = Runner({"learner": backend}).run(tasks).records
    assert len(records) == len(tasks) and all(r.outcome != "error" for r in records)
    for role in ("follower", "listener"):
        moves = [t for r in records for t in r.turns if t.kind == "move" and t.speaker == role]
        valid = [t for t in moves if not (t.parse or {}).get("error")]
        assert moves and len(valid) >= len(moves) / 2, role
    assert sum(r.scores["main"] for r in records if r.learner_role == "listener") > 0
