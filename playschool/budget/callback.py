"""``BudgetCallback``: counts the tokens a Trainer actually feeds, writes the ledger, stops before the budget.

Works with any ``transformers.Trainer`` subclass (TRL's SFT and DPO trainers included) by two hooks that need
nothing from the trainer but what callbacks receive:

* **Counting** — a forward pre-hook on the model counts every *gradient-bearing* forward call (training mode,
  autograd on) with :func:`~playschool.budget.policy.count_tokens`. This is the ledger's truth: what went
  through the learner, whatever a collator or trainer did to the batches on the way (a DPO reference forward
  runs without gradients and is not counted, per the policy).
* **Stopping** — the trainer's dataloader is gated: when the trainer draws the first micro-batch of an
  optimizer step, the gate draws all of that step's micro-batches (the trainer prefetches them anyway), counts
  them, and ends the epoch instead of handing them over if they would take the total above the budget. That
  step is never fed; training stops there. A trainer that transforms batches before its forward (so the gate's
  count is not what is fed) is still held by a last guard in the hook: a forward that would pass the budget
  raises :class:`BudgetExceededError` before it runs.

Under data parallelism (``accelerate launch``) counts are summed over processes before each decision, so every
process stops at the same step; only the main process writes the ledger.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from .ledger import LedgerWriter
from .policy import count_tokens, fingerprint_tokens

log = logging.getLogger(__name__)


class BudgetExceededError(RuntimeError):
    """A gradient-bearing forward pass would have taken the total above the budget; it was not run."""


def _world() -> Any | None:
    """torch.distributed when a multi-process group is running, else None."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist
    return None


def _global_sum(value: int, device: Any) -> int:
    dist = _world()
    if dist is None:
        return value
    import torch

    t = torch.tensor([value], dtype=torch.long, device=device)
    dist.all_reduce(t)
    return int(t.item())


def _global_digest(hexdigest: str) -> str:
    dist = _world()
    if dist is None:
        return hexdigest
    parts: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, hexdigest)
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def gather(obj: Any) -> list[Any]:
    """``obj`` from every process, in rank order (``[obj]`` in a single process). Every process must call it at
    the same point: recipes use it to bring per-process records (curriculum choices) to the main process."""
    dist = _world()
    if dist is None:
        return [obj]
    parts: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, obj)
    return parts


class _Gate:
    """Wraps an epoch's batch iterator: hands out one optimizer step's micro-batches only if they fit."""

    def __init__(self, callback: BudgetCallback, per_step: int) -> None:
        self.callback = callback
        self.per_step = max(1, per_step)

    def wrap(self, batches: Iterator[Any]) -> Iterator[Any]:
        cb = self.callback
        pending: deque[Any] = deque()
        while True:
            if not pending:
                if cb.exhausted:
                    return
                for _ in range(self.per_step):
                    try:
                        pending.append(next(batches))
                    except StopIteration:
                        break
                local = sum(count_tokens(b) for b in pending if isinstance(b, Mapping))
                step_tokens = _global_sum(local, cb.device)
                if not pending and step_tokens == 0:
                    return  # the epoch is over (on every process)
                # Decide against what earlier approved steps will have fed, not what is committed yet: a loader
                # that reads ahead (accelerate's does, by one batch) asks for this step before the last ends.
                if cb.reserved + step_tokens > cb.budget_tokens:
                    cb.exhausted = True
                    cb.refused_step_tokens = step_tokens
                    return  # ends the epoch: these batches are never fed
                cb.reserved += step_tokens
                cb.approved.append(step_tokens)
            yield pending.popleft()


def _install_gate(dataloader: Any, gate: _Gate) -> bool:
    """Gate this dataloader object's iteration; other loaders are untouched.

    accelerate's prepared loaders call ``self.base_dataloader.__iter__()`` explicitly, which finds an instance
    attribute, so the base loader gets a gated ``__iter__`` of its own. A plain loader is iterated with
    ``iter()``, which looks at the type, so it is given a per-object subclass.
    """
    if dataloader is None:
        return False
    if type(dataloader).__name__ == "DataLoaderDispatcher":
        return False  # only the main process reads the base loader there: a gate would deadlock the others
    base = getattr(dataloader, "base_dataloader", None)
    if base is not None:
        base_iter = type(base).__iter__
        base.__iter__ = lambda: gate.wrap(iter(base_iter(base)))
        return True
    cls = type(dataloader)
    if getattr(cls, "_playschool_gated", False):
        dataloader._playschool_gate = gate
        return True
    original_iter = cls.__iter__

    def gated_iter(self: Any) -> Iterator[Any]:
        return self._playschool_gate.wrap(iter(original_iter(self)))

    try:
        dataloader.__class__ = type(cls.__name__, (cls,), {"__iter__": gated_iter, "_playschool_gated": True})
        dataloader._playschool_gate = gate
    except TypeError:  # an extension type that cannot be re-classed: only the forward guard holds
        return False
    return True


class BudgetCallback(TrainerCallback):
    """Count fed tokens per optimizer step into a hash-chained ledger and stop before ``budget_tokens``.

    ``header`` goes into the ledger's first line: pass ``model`` (id and revision), ``datasets`` (name ->
    fingerprint) and ``recipe`` (the recipe's config as a dict). After training, :attr:`total` is the number of
    budget tokens used, :attr:`stop_reason` says why training ended and :attr:`head` is the ledger's last hash.
    """

    def __init__(self, budget_tokens: int, ledger: str | Path, header: Mapping[str, Any] | None = None, *,
                 gate: bool = True) -> None:
        if int(budget_tokens) <= 0:
            raise ValueError(f"budget_tokens must be a positive number of tokens, got {budget_tokens!r}")
        self.budget_tokens = int(budget_tokens)
        self.ledger_path = Path(ledger)
        self.header = dict(header or {})
        self.total = 0
        self.steps = 0
        self.exhausted = False
        self.refused_step_tokens = 0
        self.reserved = 0  # tokens of the steps the gate let through (fed, or about to be)
        self.approved: deque[int] = deque()
        self.stop_reason = ""
        self.head = ""
        self.device: Any = "cpu"
        self._writer: LedgerWriter | None = None
        self._handle: Any = None
        self._gated = False
        self._reset_step()
        self._rollout = 0
        self._teacher = 0
        # Online RL makes its batches in a rollout, after the dataloader: such recipes call admit() instead.
        self.gate = gate

    # ------------------------------------------------------------------------------------- counting
    def _reset_step(self) -> None:
        self._step_tokens = 0
        self._micro = 0
        self._digest = hashlib.sha256()

    def _pre_forward(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        import torch

        if not (module.training and torch.is_grad_enabled()):
            return
        inputs = dict(kwargs)
        if args and "input_ids" not in inputs:
            inputs["input_ids"] = args[0]
        n = count_tokens(inputs)
        if self.total + self._step_tokens + n > self.budget_tokens:
            raise BudgetExceededError(
                f"a forward pass of {n} tokens would take the total to {self.total + self._step_tokens + n}, "
                f"above the budget of {self.budget_tokens}; it was not run")
        self._step_tokens += n
        self._micro += 1
        fingerprint_tokens(inputs, self._digest)

    def add_generation(self, *, rollout_tokens: int = 0, teacher_tokens: int = 0) -> None:
        """Log generation tokens of the current step (rollouts by the learner, replies by a model teacher).

        Not part of the budget under the current policy; kept in their own ledger columns.
        """
        self._rollout += int(rollout_tokens)
        self._teacher += int(teacher_tokens)

    def admit(self, tokens: int) -> bool:
        """Reserve ``tokens`` (this process's count; summed over processes) for the next optimizer step, or
        refuse them if they would take the total above the budget. For recipes whose batches are made after the
        dataloader (GRPO's rollouts): call it with the step's fed tokens before handing the batch to the trainer,
        and stop without training on it when it returns False."""
        step_tokens = _global_sum(int(tokens), self.device)
        if self.exhausted or self.reserved + step_tokens > self.budget_tokens:
            self.exhausted = True
            self.refused_step_tokens = step_tokens
            return False
        self.reserved += step_tokens
        self.approved.append(step_tokens)
        return True

    def record_eval(self, scores: Mapping[str, float], label: str = "") -> None:
        """Add a learning-curve point (scores at the current budget) to the ledger."""
        if self._writer is not None:
            self._writer.evaluation(scores, label=label)

    def record_choice(self, choice: Mapping[str, Any]) -> None:
        """Add a curriculum choice (``arm`` and why; see ``playschool.baselines.curriculum``) to the ledger."""
        if self._writer is not None and not self._writer.closed:
            self._writer.choice(choice)

    # ------------------------------------------------------------------------------------ callbacks
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model = kwargs.get("model")
        if model is None:
            raise RuntimeError("BudgetCallback needs the model (the trainer passes it to callbacks)")
        if state.global_step > 0:
            raise RuntimeError("resuming a budgeted run from a checkpoint is not supported: the new ledger would "
                               "not cover the steps already taken; start the run again")
        self.device = getattr(args, "device", "cpu")
        self._handle = model.register_forward_pre_hook(self._pre_forward, with_kwargs=True)
        self._gated = self.gate and _install_gate(kwargs.get("train_dataloader"),
                                                  _Gate(self, args.gradient_accumulation_steps))
        if self.gate and not self._gated:
            log.warning("budget: could not gate the training dataloader; the forward guard alone enforces the budget")
        if state.is_world_process_zero:
            import torch

            header = {"budget_tokens": self.budget_tokens, "world_size": max(1, args.world_size),
                      "gradient_accumulation_steps": args.gradient_accumulation_steps,
                      "per_device_train_batch_size": args.per_device_train_batch_size,
                      "torch": torch.__version__, **self.header}
            self._writer = LedgerWriter(self.ledger_path, header)

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._reset_step()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        tokens = _global_sum(self._step_tokens, self.device)
        micro = _global_sum(self._micro, self.device)
        digest = _global_digest(self._digest.hexdigest())
        gated = self.approved.popleft() if self.approved else None
        if gated is not None and tokens != gated:
            log.warning("budget: step %d fed %d tokens where its batches held %d (the trainer changes batches "
                        "before the forward); the ledger records what was fed", state.global_step, tokens, gated)
            self.reserved += tokens - gated
        self.total += tokens
        self.steps += 1
        # Every process generates its own rollouts: the ledger's columns are the sums over processes.
        rollout, teacher = _global_sum(self._rollout, self.device), _global_sum(self._teacher, self.device)
        if self._writer is not None:
            self._writer.step(tokens, digest, micro_batches=micro, rollout_tokens=rollout,
                              teacher_tokens=teacher, global_step=state.global_step)
            self.head = self._writer.head
        self._rollout = self._teacher = 0
        self._reset_step()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.exhausted:
            control.should_training_stop = True

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        self.stop_reason = "budget" if self.exhausted else "completed"
        if self._writer is not None and not self._writer.closed:
            self._writer.close(self.stop_reason, refused_step_tokens=self.refused_step_tokens)
            self.head = self._writer.head

    def close(self, reason: str, *, refused_step_tokens: int = 0) -> None:
        """End the ledger when training stopped another way (an exception, a refused rollout): the steps taken
        stay verifiable."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        self.stop_reason = reason
        if self._writer is not None and not self._writer.closed:
            self._writer.close(reason, refused_step_tokens=refused_step_tokens)
            self.head = self._writer.head


__all__ = ["BudgetCallback", "BudgetExceededError", "gather"]
