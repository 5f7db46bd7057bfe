"""GRPO with the teacher in the loop: the learner plays whole Playpen episodes, the game's scorer is the reward.

Launch (one process on CPU, or ``accelerate launch`` on GPUs)::

    playschool train grpo --model nano --out models/grpo --budget-tokens 2M --roles reference:listener
    accelerate launch baselines/grpo.py --model PATH --out models/grpo --budget-tokens 100M \\
        --roles taboo:guesser wordle:guesser --group-size 8 --groups-per-step 8 --bf16

Each optimizer step, the curriculum (``--curriculum``; default: the learner's own learning-progress bandit) picks
what the learner practises for each of ``--groups-per-step`` groups: a (game, role, experiment), then a train-split
instance of it. Every group's ``--group-size`` episodes are played with sampling against the programmatic teacher,
all groups of the step batched together (``baselines/rollout.py``); clarification requests, corrections and
environment feedback reach the learner as the next message (``--feedback`` ablates them). Each episode becomes one
sequence whose ``env_mask`` leaves teacher and environment tokens out of the loss; its reward is the game's score.

Budget: the tokens of a step (every sequence's prompt and completion, fed once per ``--num-iterations``) are
reserved in the budget ledger *before* the trainer sees them; a step that would pass the budget is refused and
training ends. Generated tokens go into the ledger's ``rollout_tokens`` column (not budgeted, per the policy).
Every curriculum choice is a ``choice`` line of the ledger. The model is saved with the ledger, ``budget.json``,
``training_data.json`` (every instance played: train split only), ``eval.json`` (held-out test scores before and
after, with 95% intervals, when ``--eval-n`` is not 0) and a card.

``--model nano`` starts from the embedded nano model. ``--use-vllm`` generates the rollouts with TRL's vLLM engine
on GPU (``pip install 'playschool[vllm]'``).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.baselines.common import (
    DataReport,
    RecipeError,
    config_dict,
    fingerprint_rows,
    finish,
    lora_config,
    model_fingerprint,
    recipe_main,
)

log = logging.getLogger(__name__)


@dataclass
class GRPORecipe:
    """Online RL (GRPO) on whole episodes against the teacher, under the token budget."""

    model: str = field(metadata={"help": "Hub id or local folder of the learner ('nano': the embedded model)"})
    out: str = field(metadata={"help": "output folder for the model, its ledger and card"})
    budget_tokens: int = field(metadata={"help": "token budget (K/M/G suffixes allowed)"})
    roles: list[str] = field(default_factory=lambda: ["reference:listener"],
                             metadata={"help": "GAME:ROLE pairs the learner may practise (each with every "
                                               "experiment of the game)"})
    revision: str | None = None
    curriculum: str = field(default="learner-bandit", metadata={
        "help": "learner-bandit | learner-choice | uniform | fixed | module:attr"})
    feedback: str = field(default="all", metadata={"help": "all | environment | none: what of the teacher's "
                                                           "feedback the learner is shown"})
    group_size: int = field(default=4, metadata={"help": "episodes per group (GRPO's G): one instance, sampled"})
    groups_per_step: int = field(default=2, metadata={"help": "groups (curriculum choices) per optimizer step"})
    gradient_accumulation: int = field(default=1, metadata={"help": "micro-batches per step (the step's "
                                                                    "sequences are split evenly)"})
    num_iterations: int = field(default=1, metadata={"help": "passes over each step's rollouts (GRPO's mu); "
                                                             "each pass is fed, so each counts"})
    max_new_tokens: int = field(default=48, metadata={"help": "longest learner reply per turn"})
    max_length: int = field(default=2048, metadata={"help": "longest training sequence (an episode's "
                                                            "completion is cut to fit; its reward stays)"})
    temperature: float = 1.0
    top_p: float = 1.0
    turn_weight: float = field(default=0.0, metadata={"help": "reward = main/100 + this x the learner's summed "
                                                              "per-move rewards (0: episode score only)"})
    learning_rate: float = 1e-5
    lr_scheduler: str = "constant"
    beta: float = field(default=0.0, metadata={"help": "KL coefficient against the starting model (0: none)"})
    epsilon: float = 0.2
    max_steps: int = field(default=-1, metadata={"help": "stop after this many steps (-1: at the budget)"})
    eval_roles: list[str] | None = field(default=None, metadata={"help": "GAME:ROLE pairs for held-out scores "
                                                                         "(default: --roles)"})
    eval_n: int = field(default=5, metadata={"help": "test instances per experiment for the before/after "
                                                     "scores (0: no evaluation)"})
    eval_every: int = field(default=0, metadata={"help": "learning-curve point every N steps (0: start/end)"})
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    bf16: bool = False
    gradient_checkpointing: bool = field(default=False, metadata={"help": "recompute activations in the backward "
                                                                          "pass (less memory, slower)"})
    use_vllm: bool = field(default=False, metadata={"help": "generate rollouts with TRL's vLLM engine (GPU)"})
    rollout_batch: int = field(default=64, metadata={"help": "most conversations per generate call"})
    reuse_cache: bool = field(default=False, metadata={"help": "rollouts reuse keys/values within a step (a "
                                                              "group's shared prompt, an episode's history); "
                                                              "cleared whenever the weights change"})
    seed: int = 0
    use_cpu: bool = False
    recipe: str = "grpo"


class BudgetReached(Exception):
    """A step's rollouts would take the total above the budget: they are not trained on."""


def _check(cfg: GRPORecipe) -> None:
    from playschool.feedback import FEEDBACK_MODES

    if cfg.group_size < 2:
        raise RecipeError("--group-size must be at least 2 (GRPO compares episodes within a group)")
    if cfg.groups_per_step < 1 or cfg.num_iterations < 1:
        raise RecipeError("--groups-per-step and --num-iterations must be at least 1")
    if (cfg.group_size * cfg.groups_per_step) % cfg.gradient_accumulation:
        raise RecipeError(f"--gradient-accumulation {cfg.gradient_accumulation} must divide the step's "
                          f"{cfg.group_size * cfg.groups_per_step} sequences")
    if cfg.feedback not in FEEDBACK_MODES:
        raise RecipeError(f"--feedback must be one of {', '.join(FEEDBACK_MODES)}, got {cfg.feedback!r}")
    if cfg.feedback == "none" and cfg.turn_weight:
        raise RecipeError("--feedback none: only the final outcome may reach the reward; use --turn-weight 0")


def resolve_model(model: str) -> str:
    """A model folder or Hub id as given, or the folder of an embedded model (``nano``, ``tiny``)."""
    from playschool.spec import embedded_model_path

    return str(embedded_model_path(model)) if model in ("nano", "tiny") else model


def _arms(roles: Sequence[tuple[str, str]]) -> list[Any]:
    from playschool.baselines.curriculum import Arm
    from playschool.games import load_game

    return [Arm(game, role, exp) for game, role in roles for exp in load_game(game).experiments]


class Rollouts:
    """The ``rollout_func`` TRL calls once per step with the step's prompts (placeholders: what is played comes
    from the curriculum), plus what the recipe keeps from it: the records played and the last batch's numbers."""

    def __init__(self, cfg: GRPORecipe, tokenizer: Any, curriculum: Any, budget: Any,
                 choices: list[dict[str, Any]] | None = None) -> None:
        from playschool.baselines.rollout import InstancePicker

        self.cfg, self.tokenizer, self.curriculum, self.budget = cfg, tokenizer, curriculum, budget
        self.choices = choices if choices is not None else []  #: filled by the curriculum's on_choice
        self.picker = InstancePicker(cfg.seed)
        self.played: list[tuple[str, str, str]] = []
        self.episodes = 0
        self.rollout_seconds = 0.0
        self.generated = 0
        self.step_rewards: list[float] = []  #: mean reward of each trained step's episodes
        self._backend: Any = None

    def _log_choices(self) -> None:
        """Every process's choices of this step into the ledger (the main process writes), with their rank: under
        data parallelism each process runs its own curriculum over its own groups."""
        from playschool.budget.callback import gather

        for rank, part in enumerate(gather(list(self.choices))):
            for choice in part:
                self.budget.record_choice({**choice, "rank": rank})
        self.choices.clear()

    def backend(self, trainer: Any) -> Any:
        """The rollout backend, made on the first step: it wraps the model being trained (the same object every
        step), so the weights it generates with are always the current ones."""
        if self._backend is None:
            if self.cfg.use_vllm:
                from playschool.baselines.vllm_rollout import TrainerVLLMBackend

                self._backend = TrainerVLLMBackend(trainer, self.tokenizer, max_context=self.cfg.max_length)
            else:
                from playschool.backends.hf import HFBackend

                model = trainer.accelerator.unwrap_model(trainer.model)
                self._backend = HFBackend.from_model(model, self.tokenizer, max_batch_size=self.cfg.rollout_batch,
                                                     max_context=self.cfg.max_length)
                self._backend.set_cache_reuse(self.cfg.reuse_cache)
        # Keys and values computed with last step's weights are wrong for this step's: nothing held survives it.
        store = getattr(self._backend, "prefix_store", None)
        if store is not None:
            store.clear()
        return self._backend

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        from playschool.baselines.rollout import rollout

        from playschool.backends.base import Decoding

        cfg, g = self.cfg, trainer.num_generations
        if len(prompts) % g:
            raise RecipeError(f"this process got {len(prompts)} rollouts, not whole groups of {g}: make the "
                              "per-device batch a multiple of --group-size")
        step = int(trainer.state.global_step)
        arms, groups = [], []
        for _ in range(len(prompts) // g):
            arm = self.curriculum.choose(step)
            inst = self.picker.draw(arm.game, arm.experiment, arm.role)
            arms.append(arm)
            groups.append((self.picker.game(arm.game), inst, arm.role))
        self._log_choices()
        model = trainer.accelerator.unwrap_model(trainer.model)
        was_training = model.training
        model.eval()  # no dropout while sampling; generation runs without gradients (not budgeted)
        try:
            batch = rollout(self.backend(trainer), self.tokenizer, groups, group_size=g, step=step,
                            decoding=Decoding(max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature,
                                              top_p=cfg.top_p, seed=cfg.seed),
                            feedback=cfg.feedback, turn_weight=cfg.turn_weight, max_length=cfg.max_length)
        finally:
            if was_training:
                model.train()
        for j, arm in enumerate(arms):
            mains = [float(r.scores.get("main", 0.0)) for r in batch.records[j * g:(j + 1) * g]]
            self.curriculum.update(arm, sum(mains) / len(mains))
        self.budget.add_generation(rollout_tokens=batch.rollout_tokens)
        self.generated += batch.rollout_tokens
        self.rollout_seconds += batch.seconds
        if not self.budget.admit(batch.fed_tokens * cfg.num_iterations):
            raise BudgetReached(f"step {step}: its {batch.fed_tokens * cfg.num_iterations} tokens would pass the "
                                f"budget of {self.budget.budget_tokens}")
        self.step_rewards.append(sum(batch.rewards) / len(batch.rewards))
        self.episodes += len(batch.records)
        self.played += [(r.game, r.instance_id, r.split) for r in batch.records]
        return batch.trl_output()


def _progress_class() -> type:
    from transformers import TrainerCallback

    class BudgetProgress(TrainerCallback):
        """One bar over the budget (GRPO has no epoch length): tokens spent, the last step's mean reward and
        episodes played. Drawn only on a terminal of the main process; list it after the budget callback."""

        def __init__(self, budget: Any, rollouts: Rollouts) -> None:
            self.budget, self.rollouts, self.bar = budget, rollouts, None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            import sys

            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.budget.budget_tokens, unit="tok", unit_scale=True, desc="grpo budget",
                            disable=not (state.is_world_process_zero and sys.stderr.isatty()))

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.update(self.budget.total - self.bar.n)
                rewards = self.rollouts.step_rewards
                self.bar.set_postfix(step=state.global_step, reward=f"{rewards[-1]:.3f}" if rewards else "-",
                                     episodes=self.rollouts.episodes)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.close()

        def close(self) -> None:
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return BudgetProgress


def playpen_reward(prompts: list[Any], completions: list[Any], playpen_reward: list[float],
                   **kwargs: Any) -> list[float | None]:
    """The episode's reward as the rollout computed it from the game's scorer (TRL reward-function signature)."""
    return [float(r) for r in playpen_reward]


def _asker(trainer_box: list[Any], tokenizer: Any) -> Any:
    """The learner answering the curriculum's menu (greedy, short), through one backend around the trained model,
    made at the first question (the trainer exists by then)."""
    from playschool.backends.base import Decoding
    from playschool.backends.hf import HFBackend

    made: list[Any] = []

    def ask(messages: list[dict[str, str]]) -> str:
        model = trainer_box[0].accelerator.unwrap_model(trainer_box[0].model)
        if not made:
            made.append(HFBackend.from_model(model, tokenizer))
        was_training = model.training
        model.eval()
        try:
            reply = made[0].generate([messages], Decoding(max_new_tokens=16))[0]
        finally:
            if was_training:
                model.train()
        return str(reply.text)

    return ask


def train(cfg: GRPORecipe) -> dict[str, Any]:
    """Run the recipe; returns ``budget.json``'s content (empty on processes other than the main one)."""
    import os

    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is marked experimental in TRL
    from datasets import Dataset
    from playschool.baselines.curriculum import make_curriculum
    from playschool.baselines.heldout import cheap_best, parse_roles
    from trl import GRPOConfig, GRPOTrainer

    from playschool.budget import BudgetCallback

    _check(cfg)
    roles = parse_roles(cfg.roles)
    eval_roles = parse_roles(cfg.eval_roles) if cfg.eval_roles else roles
    model_path = resolve_model(cfg.model)
    out = Path(cfg.out)
    tokenizer = AutoTokenizer.from_pretrained(model_path, revision=cfg.revision)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_path, revision=cfg.revision)
    arms = _arms(roles)
    budget = BudgetCallback(cfg.budget_tokens, out / "ledger.jsonl", gate=False, header={
        "model": model_fingerprint(model_path, cfg.revision),
        "datasets": {"arms": fingerprint_rows(a.key for a in arms)},
        "recipe": config_dict(cfg), "data": {"arms": [a.key for a in arms]}})
    trainer_box: list[Any] = []
    choices: list[dict[str, Any]] = []  # this process's choices of the step; Rollouts brings them to the ledger
    curriculum = make_curriculum(
        cfg.curriculum, arms, seed=cfg.seed, on_choice=choices.append,
        ask=_asker(trainer_box, tokenizer) if cfg.curriculum == "learner-choice" else None)
    rollouts = Rollouts(cfg, tokenizer, curriculum, budget, choices)
    per_step = cfg.group_size * cfg.groups_per_step
    # Placeholder prompts: TRL's sampler repeats each G times, so G consecutive slots make one group; what is
    # played in a group is the curriculum's choice, made in the rollout.
    slots = Dataset.from_list([{"prompt": f"playpen group {i}"} for i in range(max(64, 4 * cfg.groups_per_step))])
    args = GRPOConfig(
        output_dir=str(out / "checkpoints"), per_device_train_batch_size=per_step // cfg.gradient_accumulation,
        gradient_accumulation_steps=cfg.gradient_accumulation, num_generations=cfg.group_size,
        num_iterations=cfg.num_iterations, max_steps=cfg.max_steps if cfg.max_steps > 0 else 1_000_000,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler, beta=cfg.beta, epsilon=cfg.epsilon,
        temperature=cfg.temperature, top_p=cfg.top_p, max_completion_length=cfg.max_new_tokens, bf16=cfg.bf16,
        use_vllm=cfg.use_vllm, seed=cfg.seed, report_to=[], logging_steps=1, save_strategy="no",
        use_cpu=cfg.use_cpu, log_completions=False, disable_tqdm=True, gradient_checkpointing=cfg.gradient_checkpointing,
        mask_truncated_completions=False)
    scores: dict[str, Any] = {}
    if cfg.eval_n:
        model.eval()
        scores["before"], scores["moves_before"] = _held_out(model, tokenizer, eval_roles, cfg.eval_n)
        model.train()
    trainer = GRPOTrainer(model=model, reward_funcs=[playpen_reward], args=args, train_dataset=slots,
                          processing_class=tokenizer, peft_config=lora_config(cfg), callbacks=[budget],
                          rollout_func=rollouts)
    trainer_box.append(trainer)
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # a log dict per step; the bar and the ledger say it better
    progress = _progress_class()(budget, rollouts)
    trainer.add_callback(progress)
    started = time.perf_counter()
    try:
        trainer.train()
    except BudgetReached as exc:
        log.info("%s", exc)
        budget.close("budget", refused_step_tokens=budget.refused_step_tokens)
    except BaseException:
        budget.close("interrupted")
        raise
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    if not trainer.is_world_process_zero():
        return {}
    trained = trainer.accelerator.unwrap_model(trainer.model)
    if cfg.eval_n:
        trained.eval()
        scores["after"], scores["moves_after"] = _held_out(trained, tokenizer, eval_roles, cfg.eval_n)
        scores["cheap_best"] = {k: {"policy": name, "main": main}
                                for k, (name, main) in cheap_best(eval_roles).items()}
    instances = [list(t) for t in sorted(set(rollouts.played))]
    report = DataReport(sources=[a.key for a in arms], kept=rollouts.episodes)
    extra = _card_extra(scores, rollouts, seconds)
    result = finish(out, trainer=trainer, tokenizer=tokenizer, ledger=out / "ledger.jsonl", recipe="grpo",
                    config=config_dict(cfg), data=report, data_fingerprint=fingerprint_rows(rollouts.played),
                    instances=instances, extra=extra)
    eval_doc = {"roles": [f"{g}:{r}" for g, r in eval_roles], "test_n_per_experiment": cfg.eval_n, **scores,
                "train_seconds": round(seconds, 1), "rollout_seconds": round(rollouts.rollout_seconds, 1),
                "episodes": rollouts.episodes, "generated_tokens": rollouts.generated, "budget": result}
    (out / "eval.json").write_text(json.dumps(eval_doc, indent=1) + "\n")
    shutil.rmtree(out / "checkpoints", ignore_errors=True)  # save_strategy "no": only TRL's empty folder
    (out / "rewards.json").write_text(json.dumps([round(r, 6) for r in rollouts.step_rewards]) + "\n")
    return result


def _held_out(model: Any, tokenizer: Any, roles: Sequence[tuple[str, str]], n: int) -> tuple[list[Any], Any]:
    """Greedy test-split play: scores with 95% intervals, and how varied the moves are (a collapse check)."""
    from playschool.baselines.heldout import model_records, move_profile, role_scores

    records = model_records(model, tokenizer, roles, "test", n=n)
    return [s.row() for s in role_scores(records, roles)], move_profile(records, roles)


def _card_extra(scores: dict[str, Any], rollouts: Rollouts, seconds: float) -> str:
    lines = ["## Rollouts", "",
             f"- {rollouts.episodes} episodes played against the teacher in {seconds:.0f} s of training "
             f"({rollouts.rollout_seconds:.0f} s of rollouts); {rollouts.generated:,} tokens generated"]
    if "before" in scores and "after" in scores:
        lines += ["", "## Held-out test play (greedy), before and after", "",
                  "| game:role | n | before main [95% CI] | after main [95% CI] | top move share before -> after "
                  "| best cheap policy |", "|---|---|---|---|---|---|"]
        for b, a in zip(scores["before"], scores["after"]):
            key = f"{b['game']}:{b['role']}"
            mb, ma = scores["moves_before"][key], scores["moves_after"][key]
            cheap = scores["cheap_best"].get(key, {"policy": "-", "main": 0.0})
            lines.append(f"| {key} | {a['n']} | {b['main']:.1f} [{b['main_lo']:.1f}, {b['main_hi']:.1f}] | "
                         f"{a['main']:.1f} [{a['main_lo']:.1f}, {a['main_hi']:.1f}] | {mb['top_share']:.2f} -> "
                         f"{ma['top_share']:.2f} (`{ma['top_move']}`) | {cheap['policy']} {cheap['main']:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    return recipe_main(GRPORecipe, train, argv, prog="playschool train grpo", doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
