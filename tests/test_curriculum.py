"""The learner's curriculum: the learning-progress bandit follows progress and forgetting, the baselines spread as
they say, the model's own menu choice is parsed robustly and falls back to the bandit, user policies load from
``module:attr``, every choice is reported, and a Trainer fed by the arm stream writes its choices into the ledger."""

from __future__ import annotations

import json
import math
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from playschool.baselines.curriculum import (
    CURRICULA,
    Arm,
    LearningProgressBandit,
    arm_from_key,
    arm_of,
    arms_for,
    make_curriculum,
    parse_choice,
)
from playschool.baselines.curriculum_stream import ArmStream, feedback_callback

from playschool.budget import verify_ledger

A, B, C = Arm("taboo", "guesser", "high"), Arm("taboo", "guesser", "low"), Arm("wordle", "guesser", "plain")
ARMS = [A, B, C]


def _simulate(spec: str, score: Any, n: int, *, seed: int = 0, **kw: Any) -> tuple[list[Arm], list[dict[str, Any]]]:
    """Run ``n`` choices; ``score(arm, tries_of_arm, step, rng)`` is what the learner scores on the chosen arm."""
    seen: list[dict[str, Any]] = []
    cur = make_curriculum(spec, ARMS, seed=seed, on_choice=seen.append, **kw)
    rng, tries, chosen = random.Random(1234), Counter[Arm](), []
    for step in range(n):
        arm = cur.choose(step)
        tries[arm] += 1
        cur.update(arm, score(arm, tries[arm], step, rng))
        chosen.append(arm)
    return chosen, seen


def _improving(arm: Arm, tries: int, step: int, rng: random.Random) -> float:
    """A's score rises 0 -> 80 over its first 40 tries; B and C stay at 30 +- noise."""
    if arm == A:
        return min(80.0, 2.0 * tries) + rng.gauss(0, 3)
    return 30.0 + rng.gauss(0, 3)


def test_arms_cover_every_learner_role_and_experiment() -> None:
    arms = arms_for(["taboo", "wordle-v2"])
    assert [a.key for a in arms][:3] == ["taboo:describer:high", "taboo:describer:medium", "taboo:describer:low"]
    assert len(arms) == 6 + 3  # wordle's critic exists only in its critic experiment
    assert Arm("wordle", "critic", "critic") in arms and Arm("wordle", "critic", "plain") not in arms
    assert {a.role for a in arms_for(["taboo", "wordle"], roles=["guesser"])} == {"guesser"}
    with pytest.raises(ValueError, match="no selected game has learner role"):
        arms_for(["taboo"], roles=["nobody"])
    assert arm_of("taboo-v2", "guesser", "train/high/0007") == A == arm_from_key(A.key)
    assert A.key == "taboo:guesser:high"


def test_the_bandit_concentrates_on_the_arm_that_is_improving() -> None:
    chosen, seen = _simulate("learner-bandit", _improving, 60)
    share = chosen.count(A) / len(chosen)
    assert share > 0.6, share  # far above the third a uniform draw gives
    assert {e["reason"] for e in seen[:6]} == {"warm-up"} and Counter(chosen[:6]) == dict.fromkeys(ARMS, 2)
    assert {e["reason"] for e in seen[6:]} <= {"progress", "explore"}
    # A softmax over progress concentrates too.
    bandit = LearningProgressBandit(ARMS, temperature=2.0, seed=0)
    rng, tries = random.Random(1234), Counter[Arm]()
    for step in range(60):
        arm = bandit.choose(step)
        tries[arm] += 1
        bandit.update(arm, _improving(arm, tries[arm], step, rng))
    assert tries[A] / 60 > 0.5, tries


def test_the_bandit_revisits_an_arm_that_is_being_forgotten() -> None:
    def forgetting(arm: Arm, tries: int, step: int, rng: random.Random) -> float:
        """Everything flat (mastered) until step 60; then A's score decays while the others stay."""
        base = 70.0 - (1.5 * (step - 60) if arm == A and step >= 60 else 0.0)
        return max(0.0, base) + rng.gauss(0, 3)

    chosen, _ = _simulate("learner-bandit", forgetting, 120)
    before, after = chosen[6:60].count(A) / 54, chosen[60:].count(A) / 60
    assert before < 0.5 and after > 0.5, (before, after)


def test_uniform_spreads_and_fixed_round_robins() -> None:
    chosen, seen = _simulate("uniform", _improving, 600)
    counts = Counter(chosen)
    assert all(170 <= counts[a] <= 230 for a in ARMS), counts
    assert {e["reason"] for e in seen} == {"uniform"}
    chosen, seen = _simulate("fixed", _improving, 10)
    assert chosen == [A, B, C, A, B, C, A, B, C, A]
    assert [e["index"] for e in seen] == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]


@pytest.mark.parametrize("spec", ["learner-bandit", "uniform", "fixed"])
def test_same_seed_same_choices_and_every_choice_is_reported(spec: str) -> None:
    one, seen = _simulate(spec, _improving, 80, seed=7)
    two, _ = _simulate(spec, _improving, 80, seed=7)
    assert one == two
    assert [e["arm"] for e in seen] == [a.key for a in one] and [e["step"] for e in seen] == list(range(80))
    assert all(e["policy"] == spec and e["fallback"] is False for e in seen)
    json.dumps(seen, allow_nan=False)  # ledger-ready
    if spec != "fixed":
        other, _ = _simulate(spec, _improving, 80, seed=8)
        assert other != one


def test_the_learner_picks_from_a_menu_and_bad_replies_fall_back_to_the_bandit() -> None:
    asked: list[list[dict[str, str]]] = []
    replies = iter(["2", "I'd like option 3, please.", "", "no idea", "4", "0", "9" * 5000, "-1",
                    "x" * 100_000, None, "RAISE", "1"])

    def ask(messages: list[dict[str, str]]) -> Any:
        asked.append(messages)
        reply = next(replies)
        if reply == "RAISE":
            raise RuntimeError("backend down")
        return reply

    seen: list[dict[str, Any]] = []
    cur = make_curriculum("learner-choice", ARMS, seed=0, ask=ask, on_choice=seen.append)
    picks = []
    for step in range(12):
        arm = cur.choose(step)
        cur.update(arm, 10.0 * step)
        picks.append(arm)
    assert picks[0] == B and picks[1] == C and picks[11] == A
    assert [e["fallback"] for e in seen] == [False, False] + [True] * 9 + [False]
    assert seen[0]["reason"] == "learner" and seen[0]["reply"] == "2"
    assert seen[2]["reason"] == "unparseable reply" and seen[2]["reply"] == ""
    assert seen[4]["reply"] == "4" and seen[5]["reply"] == "0"  # out of range (1..3)
    assert len(seen[6]["reply"]) == 200 and len(seen[8]["reply"]) == 200  # huge replies, truncated in the log
    assert seen[9]["reply"] == "None"
    assert seen[10]["reason"] == "ask failed" and "backend down" in seen[10]["reply"]
    assert all(e["arm"] in {a.key for a in ARMS} for e in seen)
    json.dumps(seen, allow_nan=False)
    # The menu: a system and a user message, numbered arms with recent mean score and tries.
    system, user = asked[0]
    assert (system["role"], user["role"]) == ("system", "user")
    assert "1. taboo, role guesser, high: no score yet, tried 0 times" in user["content"]
    assert "one number from 1 to 3" in user["content"]
    assert "2. taboo, role guesser, low: recent mean score 0.00, tried 1 times" in asked[1][1]["content"]
    with pytest.raises(ValueError, match="needs ask"):
        make_curriculum("learner-choice", ARMS)


def test_parse_choice_never_raises() -> None:
    assert parse_choice("3", 3) == 2 and parse_choice("Option 1.", 3) == 0 and parse_choice(" 02 ", 3) == 1
    for bad in ["", "zero", "4", "0", "-2", "9" * 10_000, "\x00\ud800", None, 3, b"1", "1" * 8]:
        assert parse_choice(bad, 3) is None


def test_a_user_policy_loads_from_module_attr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_curriculum.py").write_text(
        "class Last:\n"
        "    name = 'always-last'\n"
        "    def __init__(self, arms, seed=0):\n"
        "        self.arms, self.heard = arms, []\n"
        "    def choose(self, step):\n"
        "        return self.arms[-1]\n"
        "    def update(self, arm, score):\n"
        "        self.heard.append((arm, score))\n"
        "class KeyFirst(Last):\n"
        "    def choose(self, step):\n"
        "        return self.arms[0].key\n"
        "ready = Last(['unused'])\n"
        "def bad_choice(arms, seed=0):\n"
        "    class P:\n"
        "        def choose(self, step): return 'nowhere:x:y'\n"
        "        def update(self, arm, score): pass\n"
        "    return P()\n"
        "not_a_policy = 42\n"
        "def returns_junk(arms, seed=0):\n"
        "    return 'junk'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[dict[str, Any]] = []
    cur = make_curriculum("my_curriculum:Last", ARMS, seed=3, on_choice=seen.append)
    assert cur.name == "always-last" and cur.choose(0) == C
    cur.update(C, 5.0)
    assert seen == [{"step": 0, "policy": "always-last", "arm": C.key, "fallback": False, "reason": "user policy"}]
    assert make_curriculum("my_curriculum:KeyFirst", ARMS).choose(0) == A  # an arm key is accepted too
    with pytest.raises(ValueError, match="not one of its arms"):
        make_curriculum("my_curriculum:bad_choice", ARMS).choose(0)
    with pytest.raises(ValueError, match="module:attr"):
        make_curriculum("nonsense", ARMS)
    with pytest.raises(ValueError, match="cannot import curriculum module"):
        make_curriculum("no_such_module_here:X", ARMS)
    with pytest.raises(ValueError, match="has no attribute"):
        make_curriculum("my_curriculum:Missing", ARMS)
    with pytest.raises(TypeError, match="not a curriculum"):
        make_curriculum("my_curriculum:not_a_policy", ARMS)
    with pytest.raises(TypeError, match="returned str"):
        make_curriculum("my_curriculum:returns_junk", ARMS)
    sys.modules.pop("my_curriculum", None)


def test_bad_arguments_are_refused() -> None:
    assert CURRICULA == ("learner-bandit", "learner-choice", "uniform", "fixed")
    with pytest.raises(ValueError, match="at least one arm"):
        make_curriculum("uniform", [])
    with pytest.raises(ValueError, match="distinct"):
        make_curriculum("uniform", [A, A])
    with pytest.raises(ValueError, match="epsilon"):
        LearningProgressBandit(ARMS, epsilon=2.0)
    cur = make_curriculum("learner-bandit", ARMS)
    with pytest.raises(ValueError, match="not an arm"):
        cur.update(Arm("x", "y", "z"), 1.0)
    cur.update(A, float("nan"))  # ignored: a NaN loss would poison every mean after it
    assert not LearningProgressBandit(ARMS).scores[A]


# ------------------------------------------------------------------------------ the stream on a real Trainer
torch = pytest.importorskip("torch")


def _collate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    width = max(len(r["input_ids"]) for r in rows)
    ids = [r["input_ids"] + [0] * (width - len(r["input_ids"])) for r in rows]
    mask = [[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"])) for r in rows]
    labels = [r["labels"] + [-100] * (width - len(r["labels"])) for r in rows]
    return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask), "labels": torch.tensor(labels)}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("spec", ["learner-bandit", "learner-choice"])
def test_a_trainer_fed_by_the_stream_logs_each_choice_before_its_step(spec: str, tiny_model_path: Path,
                                                                      tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from playschool.budget import BudgetCallback

    # Each arm's rows have their own length, so a step's fed tokens say which arm served it.
    length = {A: 3, B: 5, C: 8}
    rows, arms = [], []
    for arm, n in length.items():
        for i in range(4):
            rows.append({"input_ids": [10 + (i + j) % 50 for j in range(n)], "assistant_masks": [0] + [1] * (n - 1)})
            arms.append(arm)
    heard: list[dict[str, Any]] = []
    stream = ArmStream(rows, arms, spec, rows_per_step=4, max_steps=40, seed=0, on_choice=heard.append)
    budget = BudgetCallback(300, tmp_path / "ledger.jsonl", header={"model": {"id": "tiny"}, "recipe": {"recipe": "t"}})
    args = TrainingArguments(output_dir=str(tmp_path / "out"), per_device_train_batch_size=2,
                             gradient_accumulation_steps=2, max_steps=40, use_cpu=True, report_to=[],
                             save_strategy="no", disable_tqdm=True, remove_unused_columns=False, learning_rate=1e-3,
                             logging_steps=1, accelerator_config={"dispatch_batches": False})
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path)
    trainer = Trainer(model=AutoModelForCausalLM.from_pretrained(tiny_model_path), args=args,
                      train_dataset=stream.dataset(), data_collator=_collate, processing_class=tokenizer,
                      callbacks=[budget, feedback_callback(stream, budget=budget)])
    trainer.train()
    s = verify_ledger(tmp_path / "ledger.jsonl")
    assert s.end and s.end["reason"] == "budget" and s.total_tokens <= 300
    assert len(s.choices) == len(s.steps) > 0  # the refused step's choice is not in the ledger
    for k, (choice, step) in enumerate(zip(s.choices, s.steps), start=1):
        assert choice["step"] == step["step"] == k and choice["after_step"] == k - 1
        assert step["tokens"] == 4 * length[arm_from_key(choice["arm"])]  # the step fed its chosen arm's rows
        assert choice["policy"] == spec and choice["signal"] == "-loss"
    assert [e["arm"] for e in heard[: len(s.choices)]] == [c["arm"] for c in s.choices]
    # The curriculum heard minus the loss of every step taken.
    cur: Any = stream.curriculum
    window = cur.scores if spec == "learner-bandit" else cur.bandit.scores
    scores = [x for q in window.values() for x in q]
    assert len(scores) == len(s.steps) and all(x < 0 for x in scores)
    if spec == "learner-choice":  # the model was asked (its generated tokens are logged, not budgeted)
        assert s.rollout_tokens > 0 and all("reply" in c for c in s.choices)


@pytest.fixture(scope="module")
def ref_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reference-player records of 2 train instances per experiment of reference and mapnav (12 arms)."""
    from playschool.players import ReferencePlayer
    from playschool.runner import Runner, plan_episodes
    from playschool.store import RecordStore

    run = tmp_path_factory.mktemp("runs") / "ref"
    records = Runner({"learner": ReferencePlayer()}).run(plan_episodes(["reference", "mapnav"], "train", n=2)).records
    with RecordStore(run) as store:
        for r in records:
            store.append(r)
    return run


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
@pytest.mark.parametrize("spec", ["learner-bandit", "learner-choice"])
def test_sft_with_a_curriculum_stops_at_its_budget_and_logs_its_choices(
        spec: str, ref_run: Path, tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("trl")
    from playschool.baselines.sft import SFTRecipe, build_dataset
    from transformers import AutoTokenizer

    from playschool.cli import main as cli_main

    out = tmp_path / "sft"
    rc = cli_main(["train", "sft", "--model", str(tiny_model_path), "--data", str(ref_run), "--out", str(out),
                   "--budget-tokens", "8k", "--batch-size", "1", "--use-cpu", "--max-length", "4096",
                   "--curriculum", spec])
    assert rc == 0
    s = verify_ledger(out / "ledger.jsonl")
    budget = json.loads((out / "budget.json").read_text())
    assert s.end and s.end["reason"] == budget["stop_reason"] == "budget" and s.total_tokens <= 8000
    assert s.header["recipe"]["curriculum"] == spec
    assert len(s.choices) == len(s.steps) > 1 and [c["after_step"] for c in s.choices] == list(range(len(s.steps)))
    # Each step fed a row of the arm chosen for it (batch size 1: a step's tokens are one row's length), also
    # after SFTTrainer peeked at the stream's first row when it was built.
    cfg = SFTRecipe(model=str(tiny_model_path), data=[str(ref_run)], out=str(tmp_path / "unused"),
                    budget_tokens=8000, max_length=4096, curriculum=spec)
    dataset = build_dataset(cfg, AutoTokenizer.from_pretrained(tiny_model_path))[0]
    lengths: dict[str, set[int]] = {}
    for key, ids in zip(dataset["arm"], dataset["input_ids"]):
        lengths.setdefault(key, set()).add(len(ids))
    assert len(lengths) == 12
    assert all(step["tokens"] in lengths[c["arm"]] for c, step in zip(s.choices, s.steps))
    assert all(c["policy"] == spec for c in s.choices)
    if spec == "learner-bandit":
        assert all(c["reason"] == "warm-up" for c in s.choices)  # 12 arms, fewer steps
        assert len({c["arm"] for c in s.choices}) == len(s.choices)  # a new arm each step while some are untried
    else:  # the tiny model was asked every time, before training too (its babble falls back to the bandit)
        assert all(c["reason"] != "ask failed" and "reply" in c for c in s.choices) and s.rollout_tokens > 0
    capsys.readouterr()
    assert cli_main(["budget", "report", str(out / "ledger.jsonl"), "--no-png"]) == 0
    assert f"curriculum     {len(s.choices)} choices by {spec}" in capsys.readouterr().out
    assert cli_main(["train", "sft", "--model", str(tiny_model_path), "--data", str(ref_run), "--out",
                     str(tmp_path / "x"), "--budget-tokens", "8k", "--curriculum", "bogus"]) != 0
    assert "unknown --curriculum 'bogus'" in capsys.readouterr().err


def _dpo_pairs(path: Path) -> dict[str, int]:
    """Pairs of three arms whose prompts differ in length by arm; returns the words per prompt of each arm."""
    words = {A.key: 3, B.key: 12, C.key: 30}
    rows = []
    for key, n in words.items():
        arm = arm_from_key(key)
        for i in range(3):
            meta = {"game": f"{arm.game}-v1", "role": arm.role, "instance_id": f"train/{arm.experiment}/{i}",
                    "split": "train"}
            rows.append({"prompt": [{"role": "user", "content": f"Pair {i}: " + "word " * n}],
                         "chosen": [{"role": "assistant", "content": "Yes."}],
                         "rejected": [{"role": "assistant", "content": "No, never."}], "meta": meta})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return words


def test_dpo_curriculum_steps_are_sized_like_sft() -> None:
    from datasets import Dataset
    from playschool.baselines.dpo import DPORecipe, curriculum_stream

    rows = [{"prompt_ids": [1] * (2 + i), "chosen_ids": [2, 3], "rejected_ids": [4], "arm": k}
            for i, k in enumerate([A.key, A.key, B.key, C.key, C.key])]
    dataset, world = Dataset.from_list(rows), type("Args", (), {"world_size": 1})()

    def steps(**kw: Any) -> ArmStream:
        cfg = DPORecipe(model="m", data=[], out="o", budget_tokens=1000, batch_size=2, curriculum="uniform", **kw)
        return curriculum_stream(cfg, dataset, world)

    assert steps().max_steps == 3 and steps(epochs=4).max_steps == 10 and steps(max_steps=7).max_steps == 7
    fed = sum(2 * (2 + i) + 3 for i in range(5)) / 5  # prompt twice, both completions
    assert steps(epochs=0).max_steps == -(-1000 // int(fed * 2))
    assert steps(epochs=0, max_length=4).max_steps == math.ceil(1000 / (2 * (7 + 4 * 8) / 5))  # each sequence cut
    stream = steps()
    first = next(iter(stream))
    assert set(first) == {"prompt_ids", "chosen_ids", "rejected_ids"} and stream.rows_per_step == 2
    assert stream.dataset().column_names == ["prompt_ids", "chosen_ids", "rejected_ids"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
def test_dpo_with_a_curriculum_stops_at_its_budget_and_serves_each_step_from_its_arm(
        tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("trl")
    from transformers import AutoTokenizer

    from playschool.cli import main as cli_main

    words = _dpo_pairs(tmp_path / "pairs.jsonl")
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    pairs = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()]

    def n(msgs: list[dict[str, str]], gen: bool = False) -> int:
        return len(tok(tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen),
                       add_special_tokens=False)["input_ids"])

    # What one pair feeds (batch size 1: one step), by arm: its prompt twice and both completions.
    fed: dict[str, set[int]] = {}
    for p in pairs:
        key = arm_of(p["meta"]["game"], p["meta"]["role"], p["meta"]["instance_id"]).key
        fed.setdefault(key, set()).add(n(p["prompt"] + p["chosen"]) + n(p["prompt"] + p["rejected"]))
    assert set(fed) == set(words)
    assert all(not fed[a] & fed[b] for a in fed for b in fed if a < b)  # a step's tokens name its arm
    budget = 3 * sum(min(v) for v in fed.values())  # about nine steps: the warm-up (six) and some after it
    out = tmp_path / "dpo"
    rc = cli_main(["train", "dpo", "--model", str(tiny_model_path), "--data", str(tmp_path / "pairs.jsonl"),
                   "--out", str(out), "--budget-tokens", str(budget), "--batch-size", "1", "--use-cpu",
                   "--max-steps", "100", "--curriculum", "learner-bandit"])
    assert rc == 0
    s = verify_ledger(out / "ledger.jsonl")
    result = json.loads((out / "budget.json").read_text())
    assert s.end and s.end["reason"] == result["stop_reason"] == "budget" and s.total_tokens <= budget
    assert s.total_tokens + result["refused_step_tokens"] > budget  # the next step would not have fitted
    assert s.header["recipe"]["curriculum"] == "learner-bandit"
    assert len(s.choices) == len(s.steps) > 6 and [c["after_step"] for c in s.choices] == list(range(len(s.steps)))
    assert all(step["tokens"] in fed[c["arm"]] for c, step in zip(s.choices, s.steps))
    assert all(c["policy"] == "learner-bandit" and c["signal"] == "-loss" for c in s.choices)
    reasons = [c["reason"] for c in s.choices]
    assert reasons[:6] == ["warm-up"] * 6 and "warm-up" not in reasons[6:]
    assert Counter(c["arm"] for c in s.choices[:6]) == dict.fromkeys(words, 2)
    capsys.readouterr()
    assert cli_main(["train", "dpo", "--model", str(tiny_model_path), "--data", str(tmp_path / "pairs.jsonl"),
                     "--out", str(tmp_path / "x"), "--budget-tokens", "8k", "--curriculum", "bogus"]) != 0
    err = capsys.readouterr().err.strip()
    assert "unknown --curriculum 'bogus'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()  # refused before any model was loaded or anything written
