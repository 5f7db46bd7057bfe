"""The counting policy on hand-counted batches: padding, packing, completion-only loss, odd inputs."""

from __future__ import annotations

import numpy as np
import pytest

from playschool.budget import POLICY_VERSION, count_tokens, fingerprint_tokens

torch = pytest.importorskip("torch")


def test_padding_is_not_counted() -> None:
    # Two sequences of 3 and 2 real tokens, left- and right-padded to 4: 5 tokens, whichever side pads.
    batch = {"input_ids": torch.tensor([[0, 5, 6, 7], [8, 9, 0, 0]]),
             "attention_mask": torch.tensor([[0, 1, 1, 1], [1, 1, 0, 0]])}
    assert count_tokens(batch) == 5


def test_completion_only_loss_still_counts_the_prompt() -> None:
    # Labels mask the 3 prompt tokens; the prompt is fed all the same, so all 5 real tokens count.
    batch = {"input_ids": torch.tensor([[1, 2, 3, 4, 5, 0]]), "attention_mask": torch.tensor([[1, 1, 1, 1, 1, 0]]),
             "labels": torch.tensor([[-100, -100, -100, 4, 5, -100]])}
    assert count_tokens(batch) == 5


def test_packed_batch_without_mask_counts_every_position() -> None:
    # Three sequences (3 + 2 + 2) packed into one row with position_ids and no attention mask: 7 tokens.
    batch = {"input_ids": torch.tensor([[1, 2, 3, 4, 5, 6, 7]]), "position_ids": torch.tensor([[0, 1, 2, 0, 1, 0, 1]])}
    assert count_tokens(batch) == 7


def test_preference_batch_counts_prompt_once_per_completion() -> None:
    # Prompt of 2 + chosen of 2, prompt of 2 + rejected of 1, padded to 4: 4 + 3 = 7 (the prompt is fed twice).
    batch = {"input_ids": torch.tensor([[1, 2, 3, 4], [1, 2, 5, 0]]),
             "attention_mask": torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])}
    assert count_tokens(batch) == 7


def test_lists_embeds_and_empty_inputs() -> None:
    assert count_tokens({"input_ids": [[1, 2], [3, 4]], "attention_mask": [[1, 1], [1, 0]]}) == 3
    assert count_tokens({"inputs_embeds": np.zeros((2, 5, 8))}) == 10
    assert count_tokens({"input_ids": torch.tensor([4, 5, 6])}) == 3
    assert count_tokens({}) == 0
    # A 4-D (block-diagonal) mask marks allowed pairs, not tokens: the ids are counted.
    assert count_tokens({"input_ids": torch.ones(1, 6, dtype=torch.long),
                         "attention_mask": torch.ones(1, 1, 6, 6)}) == 6


def test_fingerprint_ignores_padding_but_not_tokens() -> None:
    left = {"input_ids": torch.tensor([[0, 5, 6]]), "attention_mask": torch.tensor([[0, 1, 1]])}
    right = {"input_ids": torch.tensor([[5, 6, 0, 0]]), "attention_mask": torch.tensor([[1, 1, 0, 0]])}
    other = {"input_ids": torch.tensor([[5, 7]]), "attention_mask": torch.tensor([[1, 1]])}
    assert fingerprint_tokens(left).hexdigest() == fingerprint_tokens(right).hexdigest()
    assert fingerprint_tokens(left).hexdigest() != fingerprint_tokens(other).hexdigest()
    assert POLICY_VERSION.endswith("/1")
