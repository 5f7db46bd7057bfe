"""The token-budget counting policy: what one post-training token is, and how a batch is counted.

Policy ``POLICY_VERSION`` (bump it whenever a rule below changes; every ledger names the version it used):

1. **What counts.** Every non-padding token of every sequence fed through the learner in a *gradient-bearing*
   forward pass: the model is in training mode and autograd is on. Prompt and completion both count, whatever
   the loss mask says (a completion-only loss still feeds the prompt). A sequence fed twice counts twice:
   epochs, repeats and the chosen *and* rejected sequences of a preference pair (each fed with its prompt).
2. **Adapters.** LoRA and other adapters count exactly like full fine-tuning: the tokens go through the
   learner whatever fraction of its weights receives gradients.
3. **Context.** Teacher and environment text inside the learner's context counts, because it is fed.
4. **Not in the budget, logged separately.** Forward passes without gradients: evaluation, a frozen reference
   model (DPO), log-probabilities of old policies, and *generation* of rollouts by the learner and of replies
   by a model teacher. Generation is inference, and a budget on fed training tokens is what makes recipes
   comparable; ledgers still log ``rollout_tokens`` and ``teacher_tokens`` per step so a reader sees the
   full cost, and a later policy version may charge them.
5. **Padding.** A position is padding when the batch's ``attention_mask`` is 0 there. A batch fed without an
   attention mask (packed or padding-free batches) has no padding: every position counts.
6. **Steps.** The ledger's unit is the optimizer step; its tokens are the sum over the micro-batches of that
   step (gradient accumulation) and, under data parallelism, over all processes.
7. **Stopping.** A run stops *before* the first optimizer step whose tokens would take the total above the
   budget: that step's batches are never fed. The total is therefore always at most the budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

POLICY_VERSION = "playschool-token-budget/1"


def _as_tensor(value: Any) -> Any:
    """Tensor-likes (torch tensors, numpy arrays) pass; nested lists become a numpy array."""
    if hasattr(value, "shape"):
        return value
    import numpy as np

    return np.asarray(value)


def count_tokens(inputs: Mapping[str, Any]) -> int:
    """Non-padding tokens of one model input (a collated batch or a forward call's keyword arguments).

    Uses ``attention_mask`` where present (rule 5); otherwise every position of ``input_ids`` (or of
    ``inputs_embeds``, without its hidden dimension). A batch without any of them feeds no tokens.
    """
    mask = inputs.get("attention_mask")
    if mask is not None:
        mask = _as_tensor(mask)
        if len(mask.shape) == 2:
            return int((mask != 0).sum())
        # 4-D masks (packed sequences with block-diagonal attention) mark allowed pairs, not tokens: fall back
        # to the ids, which carry no padding in such batches.
    ids = inputs.get("input_ids")
    if ids is not None:
        ids = _as_tensor(ids)
        return int(ids.shape[0] * ids.shape[1]) if len(ids.shape) == 2 else int(ids.shape[0])
    embeds = inputs.get("inputs_embeds")
    if embeds is not None:
        shape = _as_tensor(embeds).shape
        return int(shape[0] * shape[1])
    return 0


def fingerprint_tokens(inputs: Mapping[str, Any], digest: Any | None = None) -> Any:
    """Feed the counted token ids of one input into a sha256 (created when ``digest`` is None) and return it.

    Only counted positions enter the hash, row by row, so the fingerprint does not depend on how a batch was
    padded. It identifies *which* tokens a step fed; together with the dataset fingerprints in the ledger's
    header it lets an auditor who holds the data check a step.
    """
    import numpy as np

    h = digest if digest is not None else hashlib.sha256()
    ids = inputs.get("input_ids")
    if ids is None:
        return h
    ids_np = np.asarray(ids.detach().cpu() if hasattr(ids, "detach") else ids)
    mask = inputs.get("attention_mask")
    mask_np = None
    if mask is not None:
        mask_np = np.asarray(mask.detach().cpu() if hasattr(mask, "detach") else mask)
        if mask_np.shape != ids_np.shape:
            mask_np = None
    rows = ids_np if ids_np.ndim == 2 else ids_np[None, :]
    for i, row in enumerate(rows):
        kept = row if mask_np is None else row[mask_np[i] != 0]
        h.update(np.ascontiguousarray(kept, dtype=np.int64).tobytes())
        h.update(b"|")
    return h


__all__ = ["POLICY_VERSION", "count_tokens", "fingerprint_tokens"]
