"""GRPO with the teacher in the loop, on the tiny model: env_mask on a hand-built episode, batched group rollouts,
budget admission before a step is fed, the ledger (steps, rollout tokens, curriculum choices) and the vLLM path
with a stand-in engine."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from playschool.baselines.common import RecipeError
from playschool.baselines.rollout import (
    InstancePicker,
    episode_reward,
    episode_sequence,
    play_groups,
    rollout,
)
from playschool.games import load_game

from playschool.backends.base import Decoding
from playschool.budget import verify_ledger
from playschool.cli import main as cli_main
from playschool.players import ScriptedPlayer
from playschool.runner import EpisodeTask, Runner

pytest.importorskip("trl")
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::FutureWarning")]


@pytest.fixture(scope="module")
def tokenizer(tiny_model_path: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path)


def _listener_record(replies: list[str]) -> Any:
    game = load_game("reference")
    inst = game.generate("train", n=1)[0]
    return Runner({"learner": ScriptedPlayer(replies)}).run([EpisodeTask(game, inst, "listener")]).records[0]


def test_env_mask_marks_exactly_the_learner_replies_of_a_hand_built_episode(tokenizer: Any) -> None:
    # A format error first (the game corrects it), then a move: two learner replies with teacher text between.
    record = _listener_record(["hello there", "SELECT: 2"])
    moves = [t.text for t in record.turns if t.kind == "move" and t.speaker == "listener"]
    assert moves == ["hello there", "SELECT: 2"]
    correction = next(t.text for t in record.turns if t.kind == "correction" and t.to == "listener")
    seq = episode_sequence(tokenizer, record, "listener")
    assert len(seq.completion_ids) == len(seq.env_mask) and not seq.truncated
    learned = tokenizer.decode([t for t, m in zip(seq.completion_ids, seq.env_mask) if m])
    assert learned.replace("\n", "") == "hello there<|eos|>SELECT: 2<|eos|>"
    other = tokenizer.decode([t for t, m in zip(seq.completion_ids, seq.env_mask) if not m])
    assert correction.split()[0] in other and "hello there" not in other
    # The prompt is the opening: it holds the instructions and ends right before the learner's first reply.
    prompt = tokenizer.decode(seq.prompt_ids)
    assert "hello there" not in prompt and seq.env_mask[0] == 1
    # Prompt and completion together are the learner's whole view, as the runner rendered it at its last turn.
    from playschool.views import learner_view

    msgs = learner_view(record.turns, "listener").messages
    full = tokenizer.apply_chat_template(msgs[: len(msgs) - (msgs[-1]["role"] != "assistant")], tokenize=False)
    assert tokenizer.decode(seq.prompt_ids + seq.completion_ids) == tokenizer.decode(
        tokenizer(full, add_special_tokens=False)["input_ids"])
    # With the linguistic feedback ablated, the correction's text never reaches the sequence; the mask is unchanged.
    ablated = episode_sequence(tokenizer, record, "listener", feedback="environment")
    assert correction not in tokenizer.decode(ablated.prompt_ids + ablated.completion_ids)
    assert sum(ablated.env_mask) == sum(seq.env_mask)
    # Cut to a maximum length: the completion is cut, the reward (from the whole episode) is not.
    cut = episode_sequence(tokenizer, record, "listener", max_length=len(seq.prompt_ids) + 3)
    assert cut.truncated and len(cut.completion_ids) == 3
    assert episode_reward(record) == record.scores["main"] / 100
    assert episode_reward(record, turn_weight=0.5) == pytest.approx(record.scores["main"] / 100
                                                                   + 0.5 * record.scores["reward"])


def test_groups_are_played_batched_and_each_copy_is_its_own_sample(tiny_model_path: Path, tokenizer: Any) -> None:
    from playschool.backends.hf import HFBackend

    backend = HFBackend(tiny_model_path)
    calls: list[int] = []
    original = backend.generate

    def counting(convs: Any, decoding: Decoding) -> Any:
        calls.append(len(convs))
        return original(convs, decoding)

    backend.generate = counting  # type: ignore[method-assign]
    picker = InstancePicker(seed=3)
    game = load_game("reference")
    groups = [(game, picker.draw("reference", exp, "listener"), "listener") for exp in game.experiments[:2]]
    assert all(inst.split == "train" for _, inst, _ in groups)
    batch = rollout(backend, tokenizer, groups, group_size=3, step=0,
                    decoding=Decoding(max_new_tokens=6, temperature=1.0, seed=1))
    assert len(batch.records) == len(batch.sequences) == len(batch.rewards) == 6
    for j, (_, inst, _) in enumerate(groups):
        assert {r.instance_id for r in batch.records[3 * j:3 * j + 3]} == {inst.id}
    firsts = [next(t.text for t in r.turns if t.kind == "move" and t.speaker == "listener")
              for r in batch.records[:3]]
    assert len(set(firsts)) > 1  # the copies of a group are distinct samples, not one reply three times
    assert calls[0] == 6  # every episode's first turn went into one generate call
    assert batch.rollout_tokens > 0 and batch.fed_tokens == sum(
        len(s.prompt_ids) + len(s.completion_ids) for s in batch.sequences)
    out = batch.trl_output()
    assert set(out) >= {"prompt_ids", "completion_ids", "logprobs", "env_mask", "playpen_reward"}
    # One at a time plays the same episodes (the same seeds): batching changes speed, not samples.
    one, _ = play_groups(backend, groups, group_size=3, step=0, decoding=Decoding(max_new_tokens=6, temperature=1.0,
                                                                                   seed=1), concurrency=1)
    assert sorted(json.dumps([t.text for t in r.turns]) for r in one) == sorted(
        json.dumps([t.text for t in r.turns]) for r in batch.records)


def test_rollouts_with_cache_reuse_are_the_same_samples_and_go_stale_with_the_weights(tiny_model_path: Path,
                                                                                      tokenizer: Any) -> None:
    import torch
    from playschool.baselines.grpo import GRPORecipe, Rollouts
    from transformers import AutoModelForCausalLM

    from playschool.backends.hf import HFBackend

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path).eval()
    plain = HFBackend.from_model(model, tokenizer)
    reuse = HFBackend.from_model(model, tokenizer)
    reuse.set_cache_reuse(True)
    picker = InstancePicker(seed=5)
    game = load_game("reference")
    groups = [(game, picker.draw("reference", exp, "listener"), "listener") for exp in game.experiments[:2]]
    decoding = Decoding(max_new_tokens=6, temperature=1.0, seed=2)

    def texts(backend: Any) -> list[str]:
        batch = rollout(backend, tokenizer, groups, group_size=4, step=0, decoding=decoding)
        return [json.dumps([t.text for t in r.turns]) for r in batch.records]

    assert texts(reuse) == texts(plain)
    assert reuse.usage.computed_prompt_tokens < plain.usage.computed_prompt_tokens  # a group's prompt, once
    # The recipe's backend drops what it holds at every step: keys from old weights would be wrong for new ones.
    cfg = GRPORecipe(model="tiny", out="unused", budget_tokens=1, reuse_cache=True)
    func = Rollouts(cfg, tokenizer, curriculum=None, budget=None)
    func._backend = reuse

    class _Accelerator:
        @staticmethod
        def unwrap_model(m: Any) -> Any:
            return m

    trainer = type("Trainer", (), {"accelerator": _Accelerator(), "model": model})()
    assert reuse.prefix_store is not None and len(reuse.prefix_store) > 0
    assert func.backend(trainer) is reuse and len(reuse.prefix_store) == 0
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)  # an optimizer step, roughly
    assert texts(reuse) == texts(plain)


def test_instance_picker_draws_train_only_without_repeats_until_the_pool_is_used() -> None:
    picker = InstancePicker(seed=0)
    game = load_game("reference")
    exp = game.experiments[0]
    pool = len([i for i in game.generate("train") if i.experiment == exp])
    drawn = [picker.draw("reference", exp, "listener").id for _ in range(pool)]
    assert len(set(drawn)) == pool and all(d.startswith("train/") for d in drawn)
    assert picker.draw("reference", exp, "listener").id in drawn  # the next round reshuffles the same pool
    with pytest.raises(ValueError, match="no train instance"):
        picker.draw("reference", "no-such-experiment", "listener")


def _grpo(tmp: Path, model: Path, *extra: str) -> int:
    return cli_main(["train", "grpo", "--model", str(model), "--out", str(tmp), "--roles", "reference:listener",
                     "--group-size", "2", "--groups-per-step", "2", "--max-new-tokens", "6", "--eval-n", "0",
                     "--use-cpu", "--learning-rate", "1e-4", *extra])


@pytest.mark.slow
def test_grpo_trains_to_its_budget_and_the_ledger_verifies(tiny_model_path: Path, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "grpo"
    with caplog.at_level(logging.WARNING, logger="playschool.budget.callback"):
        assert _grpo(out, tiny_model_path, "--budget-tokens", "12k", "--curriculum", "uniform", "--eval-n", "1") == 0
    s = verify_ledger(out / "ledger.jsonl")
    budget = json.loads((out / "budget.json").read_text())
    assert s.end and s.end["reason"] == "budget" and budget["stop_reason"] == "budget"
    assert 0 < s.total_tokens <= 12_000 and s.total_tokens + s.end["refused_step_tokens"] > 12_000
    assert len(s.steps) >= 2 and all(e["rollout_tokens"] > 0 for e in s.steps)
    # What the forward hook counted is what the rollout reserved before the step: no step fed anything else.
    assert not [r for r in caplog.records if "fed" in r.getMessage()]
    # Every curriculum choice is in the ledger: two groups per step, plus the refused step's.
    assert len(s.choices) == 2 * (len(s.steps) + 1)
    assert {c["arm"].split(":")[0] for c in s.choices} == {"reference"}
    data = json.loads((out / "training_data.json").read_text())
    assert data["instances"] and all(split == "train" for _, _, split in data["instances"])
    assert (out / "model.safetensors").is_file() and not (out / "training_args.bin").exists()
    assert "rollout" in (out / "README.md").read_text().lower()
    # Held-out play before and after, with intervals, a move-collapse profile and the validity suite's best cheap
    # policy for the same role.
    ev = json.loads((out / "eval.json").read_text())
    assert [(r["game"], r["role"], r["n"]) for r in ev["before"]] == [("reference", "listener", 3)]
    assert ev["after"][0]["main_lo"] <= ev["after"][0]["main"] <= ev["after"][0]["main_hi"]
    prof = ev["moves_after"]["reference:listener"]
    assert prof["moves"] >= 3 and 0 < prof["top_share"] <= 1 and prof["distinct"] >= 1
    assert ev["cheap_best"]["reference:listener"]["main"] > 0
    assert json.loads((out / "rewards.json").read_text()) and len(json.loads((out / "rewards.json").read_text())) == len(s.steps)


@pytest.mark.slow
def test_a_budget_below_one_step_trains_nothing(tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny-budget"
    assert _grpo(out, tiny_model_path, "--budget-tokens", "50", "--curriculum", "fixed") == 0
    s = verify_ledger(out / "ledger.jsonl")
    assert s.steps == [] and s.total_tokens == 0 and s.end and s.end["refused_step_tokens"] > 50


def test_recipe_input_errors_are_one_line_errors(tiny_model_path: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cases = [(["--group-size", "1"], "group-size must be at least 2"),
             (["--feedback", "none", "--turn-weight", "0.5"], "only the final outcome"),
             (["--feedback", "some"], "--feedback must be one of"),
             (["--gradient-accumulation", "3"], "must divide"),
             (["--roles", "reference:dancer"], "no learner role")]
    for i, (flags, message) in enumerate(cases):
        capsys.readouterr()
        assert _grpo(tmp_path / str(i), tiny_model_path, "--budget-tokens", "1k", *flags) != 0
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        assert not (tmp_path / str(i) / "ledger.jsonl").exists()


def test_rollout_refuses_a_slice_that_is_not_whole_groups(tokenizer: Any) -> None:
    from playschool.baselines.grpo import GRPORecipe, Rollouts

    class _Trainer:
        num_generations = 3

    cfg = GRPORecipe(model="x", out="y", budget_tokens=10)
    with pytest.raises(RecipeError, match="whole groups"):
        Rollouts(cfg, tokenizer, curriculum=None, budget=None)(["p"] * 4, _Trainer())


def test_vllm_backend_plays_through_the_trainers_engine(tokenizer: Any) -> None:
    from playschool.baselines.vllm_rollout import TrainerVLLMBackend

    class _Engine:
        def __init__(self) -> None:
            self.prompts: list[list[int]] = []

        def generate(self, prompts: list[list[int]], images: Any, num_generations: int) -> tuple[Any, ...]:
            assert images is None and num_generations == 1
            self.prompts += prompts
            reply = tokenizer("SELECT: 1", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id, 5, 6]
            return prompts, [reply for _ in prompts], None, None

    class _Trainer:
        vllm_generation = _Engine()

    backend = TrainerVLLMBackend(_Trainer(), tokenizer, max_context=4096)
    game = load_game("reference")
    tasks = [EpisodeTask(game, inst, "listener") for inst in game.generate("train", n=2)]
    records = Runner({"learner": backend}).run(tasks).records
    assert len(records) == len(tasks)
    moves = [t for r in records for t in r.turns if t.kind == "move" and t.speaker == "listener"]
    assert moves and all(t.text == "SELECT: 1" for t in moves)  # cut at the end-of-sequence token
    assert len(_Trainer.vllm_generation.prompts) >= len(tasks)
    small = TrainerVLLMBackend(_Trainer(), tokenizer, max_context=10)
    reply = small.generate([[{"role": "user", "content": "a long prompt " * 20}]], Decoding(max_new_tokens=4))[0]
    assert reply.error == "context_overflow"


@pytest.mark.slow
def test_ablation_runs_each_setting_and_scores_it_against_the_same_base(tiny_model_path: Path,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "abl"
    rc = cli_main(["train", "ablation", "--model", str(tiny_model_path), "--out", str(out), "--budget-tokens", "5k",
                   "--feedback", "all", "none", "--curricula", "uniform", "fixed", "--n", "1", "--",
                   "--group-size", "2", "--groups-per-step", "1", "--max-new-tokens", "6", "--use-cpu"])
    assert rc == 0
    doc = json.loads((out / "ablation.json").read_text())
    assert [(r["run"], r["feedback"], r["curriculum"]) for r in doc["runs"]] == [
        ("feedback-all", "all", "uniform"), ("feedback-none", "none", "uniform"), ("curriculum-fixed", "all", "fixed")]
    for r in doc["runs"]:
        s = verify_ledger(out / r["run"] / "ledger.jsonl")
        assert s.header["recipe"]["feedback"] == r["feedback"] and s.header["recipe"]["curriculum"] == r["curriculum"]
        assert s.header["budget_tokens"] == 5000 and r["used_tokens"] == s.total_tokens <= 5000
        assert r["improvement"]["collaborative_language_use"]["ci"] and r["rewards"] and len(r["rewards"]) == r["steps"]
        # Every run is paired with the one base evaluation.
        res = json.loads((out / r["run"] / "eval" / "results.json").read_text())
        assert res["base"] and res["improvement"]["coverage"]["shared_items"] > 0
    table = (out / "ablation.md").read_text()
    assert "feedback-none" in table and "Δ collab" in table
    assert (out / "ablation.png").stat().st_size > 1000


@pytest.mark.slow
def test_learner_choice_asks_the_model_and_falls_back_on_a_bad_reply(tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "choice"
    assert _grpo(out, tiny_model_path, "--budget-tokens", "6k", "--curriculum", "learner-choice") == 0
    s = verify_ledger(out / "ledger.jsonl")
    assert s.choices and all(c["policy"] == "learner-choice" for c in s.choices)
    # Every menu reply is logged; the tiny model babbles, and a reply without a valid option number falls back to
    # the bandit's choice (a babble that happens to hold one is taken at its word).
    from playschool.baselines.curriculum import parse_choice

    n_arms = len(load_game("reference").experiments)
    assert all(c["fallback"] is (parse_choice(c["reply"], n_arms) is None) for c in s.choices)
    assert any(c["fallback"] for c in s.choices)
