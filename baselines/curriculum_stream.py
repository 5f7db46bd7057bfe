"""Serving training rows by curriculum choice: one optimizer step of SFT or DPO per choice of the curriculum
(:mod:`playschool.baselines.curriculum`), the learner's loss fed back as its signal, and the model answering the
menu of ``learner-choice``.

A trainer asks for batches, not for arms; :class:`ArmStream` turns the curriculum's choices into a stream of rows
(choice ``k`` serves optimizer step ``k``) and :func:`feedback_callback` tells the curriculum how the step went.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from playschool.baselines.curriculum import Arm, Ask, OnChoice, make_curriculum


def sft_row(row: Any) -> dict[str, list[int]]:
    """An SFT row (``input_ids``, ``assistant_masks``) as ``input_ids`` and ``labels`` (-100 outside the learner's
    tokens): what :class:`ArmStream` serves by default."""
    ids = list(row["input_ids"])
    return {"input_ids": ids, "labels": [t if m else -100 for t, m in zip(ids, row["assistant_masks"])]}


class ArmStream:
    """Training rows served by arm, one curriculum choice per optimizer step (``--curriculum`` of SFT and DPO).

    ``rows`` are tokenized rows and ``arms`` the arm of each. Iterating yields ``rows_per_step`` rows (batch
    size x gradient accumulation x processes: one optimizer step) of the arm the curriculum chose for that step,
    each as ``convert(row)`` (by default :func:`sft_row`: ``input_ids`` and ``labels`` from ``input_ids`` and
    ``assistant_masks``; DPO serves its pairs' ``prompt_ids``, ``chosen_ids`` and ``rejected_ids``), a dict of
    the integer sequences named in ``columns``, cycling through the arm's rows in a seeded order reshuffled at
    every pass; it stops after ``max_steps`` choices. Step ``k`` (1-based, as the ledger counts optimizer steps)
    is served by the ``k``-th choice: :attr:`arm_of_step` and :attr:`pending` (the choice reports not yet
    written) are keyed by it.

    With a ``transformers.Trainer``, pass ``accelerator_config={"dispatch_batches": False}`` (TRL's trainers
    set it for a streamed dataset) so that the budget callback can gate the loader.

    The curriculum's signal is set by whoever calls :meth:`update` (:func:`feedback_callback`: minus the
    training loss of the step). A trainer reads one step ahead, so a choice is made before the score of the
    step just before it arrives: the bandit's warm-up counts choices, not scores, for that reason.
    """

    def __init__(self, rows: Sequence[Any], arms: Sequence[Arm], spec: str, *, rows_per_step: int,
                 max_steps: int | None = None, seed: int = 0, on_choice: OnChoice | None = None,
                 convert: Callable[[Any], dict[str, list[int]]] = sft_row,
                 columns: Sequence[str] = ("input_ids", "labels")) -> None:
        if len(rows) != len(arms) or not rows:
            raise ValueError("ArmStream needs one arm per row and at least one row")
        if int(rows_per_step) < 1:
            raise ValueError(f"rows_per_step must be positive, got {rows_per_step!r}")
        self.by_arm: dict[Arm, list[Any]] = {}
        for row, arm in zip(rows, arms):
            self.by_arm.setdefault(arm, []).append(row)
        self.rows_per_step = int(rows_per_step)
        self.convert = convert
        self.columns = tuple(columns)
        self.max_steps = max_steps
        self.rng = random.Random(seed)
        self.chosen = 0
        self.arm_of_step: dict[int, Arm] = {}
        self.pending: dict[int, dict[str, Any]] = {}
        self.asker: Ask | None = None  #: set when a model can be asked (learner-choice)
        self._on_choice = on_choice
        self._order: dict[Arm, list[int]] = {}
        # The rows of the last choice until all were taken: an iterator dropped inside a step (a trainer peeking
        # at the first row, as TRL's SFTTrainer does) leaves it open and the next iterator serves it again from
        # its first row, so that choice k still serves optimizer step k.
        self._open: list[Any] | None = None
        self.curriculum = make_curriculum(spec, sorted(self.by_arm, key=lambda a: a.key), seed=seed,
                                          ask=self._ask, on_choice=self._heard)

    def _ask(self, messages: list[dict[str, str]]) -> str:
        if self.asker is None:
            raise RuntimeError("no model to ask yet")
        return self.asker(messages)

    def _heard(self, info: dict[str, Any]) -> None:
        self.pending[int(info["step"])] = info
        if self._on_choice is not None:
            self._on_choice(info)

    def _next_row(self, arm: Arm) -> Any:
        order = self._order.get(arm)
        if not order:
            order = list(range(len(self.by_arm[arm])))
            self.rng.shuffle(order)
            self._order[arm] = order
        return self.by_arm[arm][order.pop()]

    def __iter__(self) -> Any:
        while True:
            if self._open is None:
                if self.max_steps is not None and self.chosen >= self.max_steps:
                    return
                step = self.chosen + 1
                arm = self.curriculum.choose(step)
                self.chosen = step
                self.arm_of_step[step] = arm
                self._open = [self._next_row(arm) for _ in range(self.rows_per_step)]
            for row in self._open:
                yield self.convert(row)
            self._open = None  # only once all of the step's rows were taken

    def update_step(self, step: int, score: float) -> Arm | None:
        """Tell the curriculum the score of optimizer step ``step`` (on the arm that served it)."""
        arm = self.arm_of_step.pop(int(step), None)
        if arm is not None:
            self.curriculum.update(arm, score)
        return arm

    def dataset(self) -> Any:
        """The stream as a ``datasets.IterableDataset`` (what TRL's trainers take), read lazily, in order."""
        from datasets import Features, IterableDataset, Value
        from datasets import Sequence as Seq

        features = Features({c: Seq(Value("int64")) for c in self.columns})
        return IterableDataset.from_generator(_Generate(self), features=features)


def _not_in_another_process(token: str) -> Any:
    raise RuntimeError(f"{token} cannot be copied into another process: its curriculum must hear every score "
                       "(use dataloader_num_workers=0)")


class _Generate:
    """The stream's generator for ``datasets``, which hashes it (pickles it): by the stream's identity, not its
    rows, curriculum and model; it cannot be unpickled in another process."""

    def __init__(self, stream: ArmStream) -> None:
        self.stream = stream

    def __call__(self) -> Any:
        return iter(self.stream)

    def __reduce__(self) -> Any:
        return (_not_in_another_process, (f"ArmStream-{id(self.stream)}",))


def model_asker(model: Any, tokenizer: Any, *, max_new_tokens: int = 8,
                on_tokens: Callable[[int], None] | None = None) -> Ask:
    """``ask(messages)`` for learner-choice: the model answers the menu greedily, without gradients, in eval
    mode (its training mode is restored after); ``on_tokens`` hears the number of tokens it generated."""

    def ask(messages: list[dict[str, str]]) -> str:
        import torch

        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                enc = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                    return_dict=True)
                device = next(model.parameters()).device
                enc = {k: v.to(device) for k, v in enc.items()}
                out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                     pad_token_id=tokenizer.pad_token_id)
        finally:
            model.train(was_training)
        new = out[0, enc["input_ids"].shape[1]:]
        if on_tokens is not None:
            on_tokens(int(new.numel()))
        return str(tokenizer.decode(new, skip_special_tokens=True))

    return ask


def feedback_callback(stream: ArmStream, *, budget: Any = None, signal: str = "-loss", model: Any = None,
                      tokenizer: Any = None) -> Any:
    """A ``TrainerCallback`` that closes the loop of an :class:`ArmStream`.

    * each optimizer step's choice goes into the budget ledger (``budget.record_choice``) when the step begins,
      so a choice line precedes the step it served (a step the budget refused is never begun: its choice is
      not in the ledger);
    * the curriculum hears minus the training loss of each step (``logs["loss"]``: run with
      ``logging_steps=1``): the loss falling on an arm is learning progress there, its rising is forgetting;
    * for ``learner-choice`` the model being trained answers the menu (:func:`model_asker`; its generated
      tokens are logged as rollout tokens, not budgeted). Pass ``model`` and ``tokenizer`` when a trainer may
      read the stream before training begins (TRL's SFTTrainer peeks at the first row when it is built); the
      trainer's own model takes over when training begins.
    """
    from transformers import TrainerCallback

    def asker(model: Any, tokenizer: Any) -> Ask:
        on_tokens = (lambda n: budget.add_generation(rollout_tokens=n)) if budget is not None else None
        return model_asker(model, tokenizer, on_tokens=on_tokens)

    if model is not None and tokenizer is not None:
        stream.asker = asker(model, tokenizer)

    class CurriculumFeedback(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if type(kwargs.get("train_dataloader")).__name__ == "DataLoaderDispatcher":
                raise RuntimeError("a curriculum stream needs each process to read its own batches: pass "
                                   "accelerator_config={'dispatch_batches': False} (TRL's trainers set it for a "
                                   "streamed dataset; a plain Trainer does not), or the budget gate cannot work")
            if getattr(args, "dataloader_num_workers", 0):
                raise RuntimeError("a curriculum stream is read in the training process (dataloader_num_workers=0): "
                                   "a worker process would choose from a copy that never hears a score")
            model, tokenizer = kwargs.get("model"), kwargs.get("processing_class")
            if model is not None and tokenizer is not None:
                stream.asker = asker(model, tokenizer)

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            info = stream.pending.pop(state.global_step + 1, None)
            if info is not None and budget is not None:
                budget.record_choice({**info, "signal": signal})

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and "loss" in logs:
                stream.update_step(state.global_step, -float(logs["loss"]))

    return CurriculumFeedback()


__all__ = ["ArmStream", "feedback_callback", "model_asker", "sft_row"]
