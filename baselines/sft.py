"""SFT on Playpen episodes under the token budget: learner turns as assistant messages, loss on them only.

Launch (one process, or several GPUs unchanged)::

    playschool train sft --model hf-or-path --data runs/reference-train --out models/sft --budget-tokens 5M
    accelerate launch baselines/sft.py --model PATH --data runs/a playschool/playpen-interactions@v2.0.0 \\
        --out models/sft --budget-tokens 100M --lora

``--data`` takes run folders (``records.jsonl``, e.g. the reference player on the train split:
``playschool run --learner teacher --split train --out runs/reference-train``) and interactions datasets
(a folder or Hub id, ``NAME@REVISION``). Episodes below ``--min-main`` are dropped; validation and test
instances are never trained on. The model is saved with ``ledger.jsonl`` (verify it with
``playschool budget verify``), ``budget.json``, ``training_data.json`` and a model card.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.baselines.common import (
    DataReport,
    RecipeError,
    check_feedback_mode,
    config_dict,
    curriculum_steps,
    fingerprint_rows,
    finish,
    load_conversations,
    lora_config,
    model_fingerprint,
    recipe_main,
    tokenize_with_learner_mask,
    training_instances,
)
from playschool.baselines.curriculum import CURRICULA, arm_from_key, arm_of
from playschool.baselines.curriculum_stream import ArmStream, feedback_callback


@dataclass
class SFTRecipe:
    """Supervised fine-tuning on the learner's moves of good episodes."""

    model: str = field(metadata={"help": "Hub id or local folder of the learner"})
    data: list[str] = field(metadata={"help": "run folders and/or interactions datasets (NAME[@REV])"})
    out: str = field(metadata={"help": "output folder for the model, its ledger and card"})
    budget_tokens: int = field(metadata={"help": "token budget (K/M/G suffixes allowed)"})
    revision: str | None = None
    min_main: float = field(default=50.0, metadata={"help": "keep episodes with at least this main score"})
    games: list[str] | None = field(default=None, metadata={"help": "only these games (ids or names)"})
    max_length: int = field(default=2048, metadata={"help": "longer conversations are dropped (counted)"})
    epochs: float = field(default=1.0, metadata={"help": "passes over the data; 0 = as many as the budget buys "
                                                         "(the learning-rate schedule then ends at the budget)"})
    max_steps: int = -1
    learning_rate: float = 2e-5
    batch_size: int = 4
    gradient_accumulation: int = 1
    warmup_steps: int = 0
    lr_scheduler: str = field(default="linear", metadata={"help": "linear, cosine, constant, ..."})
    weight_decay: float = 0.0
    group_by_length: bool = field(default=False, metadata={"help": "batch conversations of similar length "
                                                                    "(less padding: faster, same budget)"})
    lora: bool = field(default=False, metadata={"help": "train a LoRA adapter (peft) instead of all weights"})
    lora_r: int = 16
    lora_alpha: int = 32
    bf16: bool = False
    seed: int = 0
    feedback: str = field(default="all", metadata={"help": "what the learner is shown of the teacher's feedback: "
                                                           "all, environment (no clarifications/corrections) "
                                                           "or none (no environment messages either)"})
    save_every: int = field(default=0, metadata={"help": "save a checkpoint every N optimizer steps (0: none)"})
    use_cpu: bool = False
    curriculum: str = field(default="none", metadata={
        "help": "serve each optimizer step from one (game, role, experiment) chosen by a curriculum: "
                "learner-bandit (learning progress on the training loss), learner-choice (the model picks from a "
                "menu), uniform, fixed, or module:attr; none = the usual shuffled epochs"})
    recipe: str = "sft"


def build_dataset(cfg: SFTRecipe, tokenizer: Any) -> tuple[Any, DataReport, str, list[list[str]]]:
    """Tokenized training rows (``input_ids``, ``assistant_masks``), the data report, fingerprint, instances."""
    from datasets import Dataset

    convs, report = load_conversations(cfg.data, min_main=cfg.min_main, games=cfg.games, feedback=cfg.feedback)
    rows, used = [], []
    for c in convs:
        # What follows the learner's last move teaches nothing (no loss there) but would be fed and counted.
        last = max(i for i, m in enumerate(c.messages) if m["role"] == "assistant")
        row = tokenize_with_learner_mask(tokenizer, c.messages[: last + 1])
        if len(row["input_ids"]) > cfg.max_length:
            report.too_long += 1
            continue
        if cfg.curriculum != "none":
            row["arm"] = arm_of(c.game, c.role, c.instance_id).key  # what the curriculum chooses between
        rows.append(row)
        used.append(c)
    if not rows:
        raise RecipeError(f"every conversation is longer than --max-length {cfg.max_length}")
    report.kept = len(rows)
    random.Random(cfg.seed).shuffle(rows)  # the order is part of the fingerprint
    fp = fingerprint_rows({"messages": c.messages, "id": c.id} for c in used)
    return Dataset.from_list(rows), report, fp, training_instances(used)


def curriculum_stream(cfg: SFTRecipe, dataset: Any, args: Any) -> ArmStream:
    """The rows of ``dataset`` served one optimizer step per curriculum choice (``--curriculum``).

    A stream has no length, so the trainer needs ``max_steps`` (:func:`~playschool.baselines.common.curriculum_steps`,
    at the rows' lengths); the budget gate stops the run at the budget whichever comes first.
    """
    per_step = cfg.batch_size * cfg.gradient_accumulation * max(1, int(args.world_size))
    steps = curriculum_steps(cfg, per_step, [len(ids) for ids in dataset["input_ids"]])
    rows = [{"input_ids": ids, "assistant_masks": mask}
            for ids, mask in zip(dataset["input_ids"], dataset["assistant_masks"])]
    return ArmStream(rows, [arm_from_key(k) for k in dataset["arm"]], cfg.curriculum, rows_per_step=per_step,
                     max_steps=steps, seed=cfg.seed)


def train(cfg: SFTRecipe, *, callbacks: Sequence[Any] = (),
          extra_callbacks: Callable[[Any], Sequence[Any]] | None = None) -> dict[str, Any]:
    """Run the recipe; returns ``budget.json``'s content. ``extra_callbacks(budget_callback)`` makes callbacks
    that need the budget callback (learning-curve points go into its ledger)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from playschool.budget import BudgetCallback

    check_feedback_mode(cfg.feedback)  # a typo fails before any model is loaded
    if cfg.curriculum not in ("none", *CURRICULA) and ":" not in cfg.curriculum:
        raise RecipeError(f"unknown --curriculum {cfg.curriculum!r}: none, {', '.join(CURRICULA)} or module:attr")
    out = Path(cfg.out)
    tokenizer = AutoTokenizer.from_pretrained(cfg.model, revision=cfg.revision)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset, report, fingerprint, instances = build_dataset(cfg, tokenizer)
    budget = BudgetCallback(cfg.budget_tokens, out / "ledger.jsonl", header={
        "model": model_fingerprint(cfg.model, cfg.revision), "datasets": {"sft": fingerprint},
        "recipe": config_dict(cfg), "data": {"rows": report.kept, "held_out_dropped": report.held_out}})
    args = SFTConfig(
        output_dir=str(out / "checkpoints"), num_train_epochs=cfg.epochs, max_steps=cfg.max_steps,
        learning_rate=cfg.learning_rate, per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation, warmup_steps=cfg.warmup_steps, bf16=cfg.bf16,
        lr_scheduler_type=cfg.lr_scheduler, weight_decay=cfg.weight_decay,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        seed=cfg.seed, max_length=cfg.max_length, report_to=[], logging_steps=10, use_cpu=cfg.use_cpu,
        save_strategy="steps" if cfg.save_every else "no", save_steps=cfg.save_every or 500,
        assistant_only_loss=False, completion_only_loss=False,  # the assistant_masks column already says so
        packing=False, padding_free=False, dataset_num_proc=None)
    model = AutoModelForCausalLM.from_pretrained(cfg.model, revision=cfg.revision)
    if cfg.epochs <= 0:
        per_epoch = sum(len(ids) for ids in dataset["input_ids"])
        args.num_train_epochs = cfg.budget_tokens / per_epoch
    train_data, curriculum_callbacks = dataset, []
    if cfg.curriculum != "none":
        stream = curriculum_stream(cfg, dataset, args)
        args.max_steps, args.logging_steps = stream.max_steps, 1  # the curriculum hears every step's loss
        args.dataset_kwargs = {"skip_prepare_dataset": True}  # the stream yields input_ids and labels
        curriculum_callbacks = [feedback_callback(stream, budget=budget, model=model, tokenizer=tokenizer)]
        train_data = stream.dataset()
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_data, processing_class=tokenizer,
                         peft_config=lora_config(cfg),
                         callbacks=[budget, *curriculum_callbacks, *callbacks,
                                    *(extra_callbacks(budget) if extra_callbacks else ())])
    try:
        trainer.train()
    except BaseException:
        budget.close("interrupted")
        raise
    if not trainer.is_world_process_zero():
        return {}
    return finish(out, trainer=trainer, tokenizer=tokenizer, ledger=out / "ledger.jsonl", recipe="sft",
                  config=config_dict(cfg), data=report, data_fingerprint=fingerprint, instances=instances)


def main(argv: Sequence[str] | None = None) -> int:
    return recipe_main(SFTRecipe, train, argv, prog="playschool train sft", doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
