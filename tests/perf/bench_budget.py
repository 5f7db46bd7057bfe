"""Overhead of the token-budget callback: the same training run with and without ``BudgetCallback``.

    python tests/perf/bench_budget.py                 # 60 steps, batch 8 x 256 tokens, a ~7M-parameter Llama
    python tests/perf/bench_budget.py --steps 200 --hidden 512 --seq 512

Both variants train the same model from the same initial weights on the same batches (a fixed synthetic
dataset of random token ids, right-padded to varied lengths), on CPU, in this process, interleaved in rounds
(with, without, with, ...) so drift in the machine's load hits both alike. Reported: seconds per optimizer step
(median over rounds) and the ratio with/without. The callback's work per step is a forward pre-hook (count
and hash the fed tokens), the dataloader gate (count the next step's batches), and one ledger line.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def _collate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    import torch

    width = max(len(r["input_ids"]) for r in rows)
    ids = [r["input_ids"] + [0] * (width - len(r["input_ids"])) for r in rows]
    mask = [[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"])) for r in rows]
    labels = [[t if m else -100 for t, m in zip(i, k)] for i, k in zip(ids, mask)]
    return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask), "labels": torch.tensor(labels)}


SPENT = {"seconds": 0.0}


def _timed(fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT["seconds"] += time.perf_counter() - t0
    return wrapper


def instrument() -> None:
    """Time the callback's own work directly (hook, gate's counting, ledger line): under a noisy machine the
    wall-time ratio wobbles by more than the overhead, the instrumented share does not."""
    from playschool.budget import callback

    callback.BudgetCallback._pre_forward = _timed(callback.BudgetCallback._pre_forward)  # type: ignore[method-assign]
    callback.BudgetCallback.on_step_end = _timed(callback.BudgetCallback.on_step_end)  # type: ignore[method-assign]
    callback.count_tokens = _timed(callback.count_tokens)  # the gate's counting


def run(model_dir: Path, rows: list[dict[str, Any]], steps: int, batch: int, with_budget: bool, tmp: Path) -> float:
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    from playschool.budget import BudgetCallback

    args = TrainingArguments(output_dir=str(tmp / "out"), per_device_train_batch_size=batch, max_steps=steps,
                             use_cpu=True, report_to=[], save_strategy="no", disable_tqdm=True,
                             train_sampling_strategy="sequential", remove_unused_columns=False, logging_steps=10**6)
    callbacks = []
    if with_budget:
        ledger = tmp / f"ledger-{time.time_ns()}.jsonl"
        callbacks.append(BudgetCallback(10**12, ledger))
    trainer = Trainer(model=AutoModelForCausalLM.from_pretrained(model_dir), args=args, train_dataset=rows,
                      data_collator=_collate, callbacks=callbacks)
    start = time.perf_counter()
    trainer.train()
    return (time.perf_counter() - start) / steps


def main() -> None:
    import random

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(2)
    rng = random.Random(0)
    rows = [{"input_ids": [rng.randrange(1, 4000) for _ in range(rng.randint(a.seq // 2, a.seq))]}
            for _ in range(a.steps * a.batch)]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=4096, hidden_size=a.hidden, intermediate_size=a.hidden * 2,
                          num_hidden_layers=a.layers, num_attention_heads=4, num_key_value_heads=4)
        LlamaForCausalLM(cfg).save_pretrained(tmp / "model")
        n_params = sum(p.numel() for p in LlamaForCausalLM(cfg).parameters())
        run(tmp / "model", rows[: 2 * a.batch], 2, a.batch, True, tmp)  # warm-up (imports, allocator)
        instrument()
        times: dict[bool, list[float]] = {True: [], False: []}
        own: list[float] = []
        for _ in range(a.rounds):
            for flag in (True, False):
                SPENT["seconds"] = 0.0
                times[flag].append(run(tmp / "model", rows, a.steps, a.batch, flag, tmp))
                if flag:
                    own.append(SPENT["seconds"] / a.steps)
    base, cb = statistics.median(times[False]), statistics.median(times[True])
    print(f"model {n_params / 1e6:.1f}M params, {a.steps} steps x batch {a.batch} x <= {a.seq} tokens, "
          f"{a.rounds} rounds, CPU")
    print(f"without callback  {base * 1000:8.2f} ms/step   (rounds: {', '.join(f'{t * 1000:.1f}' for t in times[False])})")
    print(f"with callback     {cb * 1000:8.2f} ms/step   (rounds: {', '.join(f'{t * 1000:.1f}' for t in times[True])})")
    print(f"ratio with/without {cb / base:.4f}  (overhead {100 * (cb / base - 1):+.2f}%, wall time)")
    mine = statistics.median(own)
    print(f"callback's own work {mine * 1000:.3f} ms/step = {100 * mine / base:.3f}% of a step (instrumented)")


if __name__ == "__main__":
    main()
