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
With ``--curriculum``, each optimizer step's pairs come from one (game, role, experiment) chosen by the
curriculum, which hears minus the step's DPO loss (see ``playschool.baselines.curriculum``).
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
    curriculum_steps,
    fingerprint_rows,
    finish,
    load_pairs,
    lora_config,
    model_fingerprint,
    recipe_main,
    training_instances,
)
from playschool.baselines.curriculum import CURRICULA, Arm, arm_from_key, arm_of
from playschool.baselines.curriculum_stream import ArmStream, feedback_callback


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
    curriculum: str = field(default="none", metadata={
        "help": "serve each optimizer step's pairs from one (game, role, experiment) chosen by a curriculum: "
                "learner-bandit (learning progress on the DPO loss), learner-choice (the model picks from a "
                "menu), uniform, fixed, or module:attr; none = the usual shuffled epochs"})
    recipe: str = "dpo"


#: The columns of a pair as DPOTrainer prepares it (tokenized, the completions after the prompt).
PAIR_COLUMNS = ("prompt_ids", "chosen_ids", "rejected_ids")


def pair_arm(pair: dict[str, Any]) -> Arm:
    """The (game, role, experiment) a pair was built in, from its ``meta``."""
    meta = pair.get("meta") or {}
    missing = [k for k in ("game", "role", "instance_id") if meta.get(k) is None]
    if missing:
        raise RecipeError(f"a pair without meta {', '.join(missing)} cannot be served by a curriculum")
    return arm_of(meta["game"], meta["role"], meta["instance_id"])


def _served(row: dict[str, list[int]]) -> dict[str, list[int]]:
    return {c: list(row[c]) for c in PAIR_COLUMNS}


def curriculum_stream(cfg: DPORecipe, dataset: Any, args: Any) -> ArmStream:
    """The pairs of ``dataset`` as DPOTrainer prepared them (tokenized, too-long prompts dropped; with their
    ``arm``) served one optimizer step per curriculum choice (``--curriculum``), as ``prompt_ids``,
    ``chosen_ids`` and ``rejected_ids``, which the trainer then takes as they are.

    ``max_steps`` as SFT's (:func:`~playschool.baselines.common.curriculum_steps`), at the tokens a pair feeds (its
    prompt twice and both completions, each sequence cut at ``--max-length``).
    """
    if len(dataset) == 0:
        raise RecipeError(f"every pair's prompt is at least --max-length {cfg.max_length} tokens long")
    per_step = cfg.batch_size * cfg.gradient_accumulation * max(1, int(args.world_size))
    rows = [dict(zip(PAIR_COLUMNS, ids)) for ids in zip(*(dataset[c] for c in PAIR_COLUMNS))]
    fed = [sum(min(len(r["prompt_ids"]) + len(r[c]), cfg.max_length) for c in ("chosen_ids", "rejected_ids"))
           for r in rows]
    steps = curriculum_steps(cfg, per_step, fed)
    return ArmStream(rows, [arm_from_key(k) for k in dataset["arm"]], cfg.curriculum, rows_per_step=per_step,
                     max_steps=steps, seed=cfg.seed, convert=_served, columns=PAIR_COLUMNS)


def train(cfg: DPORecipe, *, callbacks: Sequence[Any] = ()) -> dict[str, Any]:
    """Run the recipe; returns ``budget.json``'s content."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from playschool.budget import BudgetCallback

    check_feedback_mode(cfg.feedback)  # a typo fails before any model is loaded
    if cfg.curriculum not in ("none", *CURRICULA) and ":" not in cfg.curriculum:
        raise RecipeError(f"unknown --curriculum {cfg.curriculum!r}: none, {', '.join(CURRICULA)} or module:attr")
    out = Path(cfg.out)
    pairs, report = load_pairs(cfg.data, games=cfg.games, feedback=cfg.feedback)
    random.Random(cfg.seed).shuffle(pairs)
    fingerprint = fingerprint_rows({k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs)
    tokenizer = AutoTokenizer.from_pretrained(cfg.model, revision=cfg.revision)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    rows = [{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs]
    if cfg.curriculum != "none":
        for row, p in zip(rows, pairs):
            row["arm"] = pair_arm(p).key  # what the curriculum chooses between; DPOTrainer keeps the column
    dataset = Dataset.from_list(rows)
    budget = BudgetCallback(cfg.budget_tokens, out / "ledger.jsonl", header={
        "model": model_fingerprint(cfg.model, cfg.revision), "datasets": {"dpo": fingerprint},
        "recipe": config_dict(cfg), "data": {"pairs": report.kept, "held_out_dropped": report.held_out}})
    # With a curriculum: the curriculum hears every step's loss, and each process reads its own stream (the
    # budget gate needs it; DPOTrainer would set it itself for a stream given to it, but the stream comes later).
    streamed = {"logging_steps": 1, "accelerator_config": {"dispatch_batches": False}}
    args = DPOConfig(
        output_dir=str(out / "checkpoints"), num_train_epochs=cfg.epochs, max_steps=cfg.max_steps, beta=cfg.beta,
        learning_rate=cfg.learning_rate, per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation, bf16=cfg.bf16, seed=cfg.seed,
        max_length=cfg.max_length, report_to=[], save_strategy="no", use_cpu=cfg.use_cpu,
        **(streamed if cfg.curriculum != "none" else {"logging_steps": 10}))
    model = AutoModelForCausalLM.from_pretrained(cfg.model, revision=cfg.revision)
    try:
        trainer = DPOTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                             peft_config=lora_config(cfg), callbacks=[budget, *callbacks])
    except (KeyError, ValueError) as exc:
        raise RecipeError(f"DPO could not prepare the pairs: {exc}") from exc
    if cfg.curriculum != "none":
        # DPOTrainer prepared the pairs (tokenized, filtered) as without a curriculum; the stream serves those
        # rows by arm, and nothing between it and the collator drops a row, so choice k serves step k.
        stream = curriculum_stream(cfg, trainer.train_dataset, trainer.args)
        trainer.args.max_steps = stream.max_steps  # a stream has no length
        trainer.train_dataset = stream.dataset()
        trainer.add_callback(feedback_callback(stream, budget=budget))
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
    return recipe_main(DPORecipe, train, argv, prog="playschool train dpo", doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
