"""A tiny transformers model, built at test time and loaded through ``from_pretrained``, plays full episodes of
every built-in game in both roles, batched, with records and scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from playschool import Decoding, RecordStore, Runner, iter_records, load_player
from playschool.backends.hf import HFBackend
from playschool.runner import plan_episodes
from playschool.scoring import check_scores


class CountingHF(HFBackend):
    """Records the size of every generate call, to show turns of different episodes share a batch."""

    sizes: list[int]

    def generate(self, conversations, decoding):
        self.sizes.append(len(conversations))
        return super().generate(conversations, decoding)


@pytest.mark.slow
def test_tiny_model_plays_both_games_batched(tiny_model_path: Path, tmp_path: Path) -> None:
    spec_backend = load_player(f"hf:{tiny_model_path}", device="cpu")
    assert isinstance(spec_backend, HFBackend)  # the spec path builds the real backend
    backend = CountingHF(tiny_model_path, device="cpu", max_batch_size=32)
    backend.sizes = []
    tasks = plan_episodes(["taboo", "wordle"], "test", n=1)
    roles = {(t.game.name, t.learner_role) for t in tasks}
    assert roles == {("taboo", "describer"), ("taboo", "guesser"), ("wordle", "guesser"), ("wordle", "critic")}
    with RecordStore(tmp_path) as store:
        summary = Runner({"learner": backend}, decoding=Decoding(max_new_tokens=12), concurrency=32,
                         on_record=store.append).run(tasks)
    assert summary.played == len(tasks) and not summary.failed
    assert max(backend.sizes) == len(tasks)  # the first turn of every episode went out as one batch
    records = list(iter_records(tmp_path))
    assert len(records) == len(tasks)
    for rec in records:
        assert rec.outcome in ("success", "lose", "aborted")
        assert 0.0 <= rec.scores["main"] <= 100.0
        learner_moves = [t for t in rec.turns if t.kind == "move" and t.speaker == rec.learner_role]
        assert learner_moves, rec.key
        assert all(t.tokens and t.tokens["prompt"] > 0 and t.tokens["completion"] > 0 for t in learner_moves)
        assert all(t.reward is not None for t in learner_moves)
    checked, mismatches = check_scores(records)
    assert checked == len(tasks) and mismatches == []
