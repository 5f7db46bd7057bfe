"""What every local backend does to a conversation before a model sees it, in one place.

A conversation becomes prompt token ids through the tokenizer's chat template; one that the template rejects
or that cannot fit the model's context gets an error reply and is never sent; every request that is sent gets
its own sampling seed. Backends that share these rules (transformers, vLLM) give the same prompt ids, the same
error replies and the same seeds for the same call, so their greedy replies can be compared token for token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from playschool.games.seeding import stable_seed

from .base import BACKEND_ERROR, CONTEXT_OVERFLOW, Conversation, Decoding, Reply, request_seed


def render_prompt(tokenizer: Any, conversation: Conversation) -> list[int]:
    """The prompt token ids of a conversation: chat template with the generation prompt, then tokenized.

    Raises whatever the template raises (e.g. on a role order it does not accept)."""
    text = tokenizer.apply_chat_template(list(conversation), tokenize=False, add_generation_prompt=True)
    # The template already writes BOS; adding special tokens again would double it.
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def template_failure(exc: BaseException) -> Reply:
    """The reply to a conversation the chat template could not render."""
    return Reply(text="", error=BACKEND_ERROR, detail=f"chat template failed: {exc!r}")


def context_overflow(prompt_tokens: int, decoding: Decoding, max_context: int | None) -> Reply | None:
    """The reply to a prompt that cannot fit ``max_context`` with ``max_new_tokens`` more; ``None`` if it fits."""
    if max_context is None or prompt_tokens + decoding.max_new_tokens <= max_context:
        return None
    return Reply(
        text="", prompt_tokens=prompt_tokens, error=CONTEXT_OVERFLOW,
        detail=f"prompt {prompt_tokens} + max_new_tokens {decoding.max_new_tokens} > context {max_context}",
    )


class SeedRule:
    """Per-request sampling seeds for one call, in the order requests are admitted.

    A sample depends on the request's seed (the runner's: decoding seed, episode and turn) and the prompt, never
    on batching, sorting or chunking. Without a request seed, identical prompts in one call (a GRPO group) still
    get distinct samples through their copy index: the how-many-th identical prompt admitted in this call.
    """

    def __init__(self, decoding: Decoding) -> None:
        self.decoding = decoding
        self._copies: dict[tuple[int, ...], int] = {}

    def seed(self, conversation: Conversation, ids: Sequence[int]) -> int:
        key = tuple(ids)
        copy = self._copies.get(key, 0)
        self._copies[key] = copy + 1
        if getattr(conversation, "seed", None) is not None:
            return stable_seed(request_seed(conversation, self.decoding.seed), *ids)
        return stable_seed(self.decoding.seed, copy, *ids)


@dataclass(frozen=True)
class Pending:
    """A conversation that goes to the model: its input position, prompt ids and sampling seed."""

    index: int
    ids: list[int]
    seed: int


def prepare(tokenizer: Any, conversations: Sequence[Conversation], decoding: Decoding,
            max_context: int | None) -> tuple[list[Reply | None], list[Pending]]:
    """Render every conversation; answer the ones that cannot be sent.

    Returns one slot per conversation (the error reply, or ``None`` for one that is sent) and the pending
    prompts in input order. Only pending prompts advance the copy index of :class:`SeedRule`.
    """
    replies: list[Reply | None] = [None] * len(conversations)
    pending: list[Pending] = []
    seeds = SeedRule(decoding)
    for i, conversation in enumerate(conversations):
        try:
            ids = render_prompt(tokenizer, conversation)
        except Exception as exc:  # a template may reject a conversation (e.g. role order)
            replies[i] = template_failure(exc)
            continue
        overflow = context_overflow(len(ids), decoding, max_context)
        if overflow is not None:
            replies[i] = overflow
            continue
        pending.append(Pending(i, ids, seeds.seed(conversation, ids)))
    return replies, pending


def eos_token_ids(config_eos: int | Sequence[int] | None, tokenizer_eos: int | None) -> list[int]:
    """All token ids that end a reply (generation configs may list several, e.g. ``<|eot_id|>``), sorted."""
    ids: list[int | None] = [config_eos] if config_eos is None or isinstance(config_eos, int) else [*config_eos]
    return sorted({i for i in [*ids, tokenizer_eos] if i is not None})


def kept_tokens(tokens: Sequence[int], eos_ids: Sequence[int] | set[int]) -> tuple[list[int], bool]:
    """The reply's tokens up to and including the first end-of-sequence token, and whether there was one."""
    stop = next((k for k, tok in enumerate(tokens) if tok in eos_ids), None)
    return (list(tokens), False) if stop is None else (list(tokens[: stop + 1]), True)


__all__ = ["Pending", "SeedRule", "context_overflow", "eos_token_ids", "kept_tokens", "prepare", "render_prompt",
           "template_failure"]
