"""BudgetCallback on a real Trainer with a tiny model: counts what is fed, stops before the budget, exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playschool.budget import BudgetCallback, BudgetExceededError, verify_ledger

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::FutureWarning")]

# Row lengths (real tokens); rows are padded per batch. Sequential sampling makes the steps hand-countable.
LENGTHS = [5, 3, 8, 2, 6, 6, 4, 7, 1, 9, 3, 5]


def _collate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    width = max(len(r["input_ids"]) for r in rows)
    ids = [r["input_ids"] + [0] * (width - len(r["input_ids"])) for r in rows]
    mask = [[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"])) for r in rows]
    labels = [[t if m else -100 for t, m in zip(i, k)] for i, k in zip(ids, mask)]
    return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask), "labels": torch.tensor(labels)}


def _train(model_path: Path, tmp_path: Path, budget: int, *, accumulation: int = 2, batch: int = 2,
           epochs: int = 1, name: str = "ledger.jsonl") -> tuple[BudgetCallback, Path]:
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    rows = [{"input_ids": [10 + (i + j) % 50 for j in range(n)]} for i, n in enumerate(LENGTHS)]
    args = TrainingArguments(output_dir=str(tmp_path / "out"), per_device_train_batch_size=batch,
                             gradient_accumulation_steps=accumulation, num_train_epochs=epochs, use_cpu=True,
                             report_to=[], save_strategy="no", disable_tqdm=True, train_sampling_strategy="sequential",
                             remove_unused_columns=False, learning_rate=1e-3)
    ledger = tmp_path / name
    cb = BudgetCallback(budget, ledger, header={"model": {"id": "tiny"}, "recipe": {"recipe": "test"}})
    trainer = Trainer(model=AutoModelForCausalLM.from_pretrained(model_path), args=args, train_dataset=rows,
                      data_collator=_collate, callbacks=[cb])
    trainer.train()
    return cb, ledger


def test_counts_every_micro_batch_of_every_epoch(tiny_model_path: Path, tmp_path: Path) -> None:
    cb, ledger = _train(tiny_model_path, tmp_path, budget=10_000, epochs=2)
    s = verify_ledger(ledger)
    # batch 2, accumulation 2: a step feeds 4 rows; 12 rows = 3 steps per epoch, 2 epochs.
    per_step = [sum(LENGTHS[i:i + 4]) for i in range(0, 12, 4)]  # 18, 23, 18
    assert [e["tokens"] for e in s.steps] == per_step * 2
    assert s.total_tokens == cb.total == 2 * sum(LENGTHS) == 118
    assert all(e["micro_batches"] == 2 for e in s.steps) and s.end and s.end["reason"] == "completed"


def test_stops_before_the_step_that_would_pass_the_budget(tiny_model_path: Path, tmp_path: Path) -> None:
    # 18 + 23 = 41 fit in 58; the third step (18) would make 59: it is never fed.
    cb, ledger = _train(tiny_model_path, tmp_path, budget=58)
    s = verify_ledger(ledger)
    assert [e["tokens"] for e in s.steps] == [18, 23]
    assert (s.total_tokens, s.end and s.end["reason"], cb.refused_step_tokens) == (41, "budget", 18)
    assert s.end and s.end["refused_step_tokens"] == 18
    # Exactly at the budget: the step that reaches it is taken.
    _, exact = _train(tiny_model_path, tmp_path, budget=59, name="exact.jsonl")
    assert verify_ledger(exact).total_tokens == 59


def test_a_budget_below_the_first_step_feeds_nothing(tiny_model_path: Path, tmp_path: Path) -> None:
    cb, ledger = _train(tiny_model_path, tmp_path, budget=17)
    s = verify_ledger(ledger)
    assert (s.total_tokens, len(s.steps), cb.stop_reason) == (0, 0, "budget")


def test_the_forward_guard_refuses_a_pass_beyond_the_budget(tiny_model_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    model.train()
    cb = BudgetCallback(5, "unused.jsonl")
    handle = model.register_forward_pre_hook(cb._pre_forward, with_kwargs=True)
    try:
        with torch.no_grad():  # no gradients: not counted, not refused
            model(input_ids=torch.ones(1, 9, dtype=torch.long))
        model(input_ids=torch.ones(1, 4, dtype=torch.long))
        with pytest.raises(BudgetExceededError, match="above the budget of 5"):
            model(input_ids=torch.ones(1, 2, dtype=torch.long))
    finally:
        handle.remove()
    assert cb._step_tokens == 4


def test_rejects_bad_budgets_and_existing_ledgers(tiny_model_path: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        BudgetCallback(0, tmp_path / "x.jsonl")
    (tmp_path / "ledger.jsonl").write_text("{}\n")
    with pytest.raises(FileExistsError):
        _train(tiny_model_path, tmp_path, budget=100)
