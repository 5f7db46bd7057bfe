"""DPO on preference pairs under the token budget.

Launch (one process, or several GPUs unchanged)::

    playschool train dpo --model models/sft --data pairs.jsonl --out models/dpo --budget-tokens 2M
    accelerate launch baselines/dpo.py --model PATH --data playschool/playpen-interactions@v2.0.0 \\
        --out models/dpo --budget-tokens 50M --lora

``--data`` takes JSONL files of pairs (``playschool train pairs`` builds them by branching: at a learner
turn, k sampled replies are each played to the end against the teacher and the higher episode score is
preferred) and interactions datasets (config ``preferences``). Only train-split pairs are used. Each pair
feeds the prompt twice (with the chosen and with the rejected reply): both count against the budget; the
frozen reference model's forward passes carry no gradient and do not (see ``playschool.budget.policy``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.baselines.common import (
    RecipeError,
    check_feedback_mode,
    config_dict,
    fingerprint_rows,
    finish,
    load_pairs,
    lora_config,
    model_fingerprint,
    saved_line,
    training_instances,
)
from playschool.baselines.config import parse_config


@dataclass
class DPORecipe:
    """Direct preference optimisation on (prompt, chosen, rejected) learner turns."""

    model: str = field(metadata={"help": "Hub id or local folder of the learner (usually an SFT model)"})
    data: list[str] = field(metadata={"help": "pair JSONL files and/or interactions datasets (NAME[@REV])"})
    out: str = field(metadata={"help": "output folder for the model, its ledger and card"})
    budget_tokens: int = field(metadata={"help": "token budget (K/M/G suffixes allowed)"})
    revision: str | None = None
    games: list[str] | None = field(default=None, metadata={"help": "only these games (ids or names)"})
    beta: float = 0.1
    max_length: int = 2048
    epochs: float = 1.0
    max_steps: int = -1
    learning_rate: float = 5e-6
    batch_size: int = 2
    gradient_accumulation: int = 1
    lora: bool = field(default=False, metadata={"help": "train a LoRA adapter (peft); the reference is the base"})
    lora_r: int = 16
    lora_alpha: int = 32
    bf16: bool = False
    seed: int = 0
    feedback: str = field(default="all", metadata={"help": "what the learner is shown of the teacher's feedback: "
                                                           "all, environment or none; pairs must be built "
                                                           "with the same mode"})
    use_cpu: bool = False
    recipe: str = "dpo"


def train(cfg: DPORecipe, *, callbacks: Sequence[Any] = ()) -> dict[str, Any]:
    """Run the recipe; returns ``budget.json``'s content."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from playschool.budget import BudgetCallback

    check_feedback_mode(cfg.feedback)  # a typo fails before any model is loaded
    out = Path(cfg.out)
    pairs, report = load_pairs(cfg.data, games=cfg.games, feedback=cfg.feedback)
    random.Random(cfg.seed).shuffle(pairs)
    fingerprint = fingerprint_rows({k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs)
    tokenizer = AutoTokenizer.from_pretrained(cfg.model, revision=cfg.revision)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset = Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs])
    budget = BudgetCallback(cfg.budget_tokens, out / "ledger.jsonl", header={
        "model": model_fingerprint(cfg.model, cfg.revision), "datasets": {"dpo": fingerprint},
        "recipe": config_dict(cfg), "data": {"pairs": report.kept, "held_out_dropped": report.held_out}})
    args = DPOConfig(
        output_dir=str(out / "checkpoints"), num_train_epochs=cfg.epochs, max_steps=cfg.max_steps, beta=cfg.beta,
        learning_rate=cfg.learning_rate, per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation, bf16=cfg.bf16, seed=cfg.seed,
        max_length=cfg.max_length, report_to=[], logging_steps=10, save_strategy="no", use_cpu=cfg.use_cpu)
    model = AutoModelForCausalLM.from_pretrained(cfg.model, revision=cfg.revision)
    try:
        trainer = DPOTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                             peft_config=lora_config(cfg), callbacks=[budget, *callbacks])
    except (KeyError, ValueError) as exc:
        raise RecipeError(f"DPO could not prepare the pairs: {exc}") from exc
    try:
        trainer.train()
    except BaseException:
        budget.close("interrupted")
        raise
    if not trainer.is_world_process_zero():
        return {}
    return finish(out, trainer=trainer, tokenizer=tokenizer, ledger=out / "ledger.jsonl", recipe="dpo",
                  config=config_dict(cfg), data=report, data_fingerprint=fingerprint,
                  instances=training_instances(pairs))


def main(argv: Sequence[str] | None = None) -> int:
    cfg = parse_config(DPORecipe, argv, prog="playschool train dpo", doc=__doc__)
    result = train(cfg)
    if result:
        print(saved_line(cfg.out, result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
