"""Hugging Face transformers backend: batched, left-padded generation with a local or Hub causal LM.

Every call renders each conversation with the tokenizer's chat template, drops the ones that cannot fit the
model's context (they get a ``context_overflow`` reply and never reach the model), sorts the rest by
length so that chunks carry little padding, and runs one ``model.generate`` per chunk of at most
``max_batch_size`` conversations. Replies come back in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
)

from playschool.backends.base import (
    BACKEND_ERROR,
    CONTEXT_OVERFLOW,
    Conversation,
    Decoding,
    Reply,
    request_seed,
)
from playschool.games.seeding import stable_seed


class HFBackend:
    """A :class:`~playschool.backends.base.Backend` around ``AutoModelForCausalLM``.

    ``path_or_id`` is a local folder (loaded with ``local_files_only``) or a Hub id. ``device`` is
    ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available). ``dtype`` goes to ``from_pretrained``
    (``"auto"`` keeps the checkpoint's dtype). ``max_context`` overrides the context length read from the
    config (``max_position_embeddings``).
    """

    def __init__(
        self,
        path_or_id: str | Path,
        *,
        revision: str | None = None,
        device: str = "cpu",
        dtype: str | torch.dtype = "auto",
        max_batch_size: int = 32,
        max_context: int | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        self.path = str(path_or_id)
        self.revision = revision
        self.max_batch_size = max_batch_size
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)

        # A path that exists is never resolved against the Hub: tests and offline runs must not touch it.
        local = Path(self.path).exists()
        load_kwargs: dict[str, Any] = {"revision": revision, "local_files_only": local}
        tokenizer = AutoTokenizer.from_pretrained(self.path, **load_kwargs)
        model = AutoModelForCausalLM.from_pretrained(self.path, dtype=dtype, **load_kwargs)
        model.to(self.device).eval()  # type: ignore[arg-type]  # transformers' stub of .to is too narrow
        self._setup(model, tokenizer, max_context)
        self.name = f"hf:{self.path}" + (f"@{revision}" if revision else "")

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, *, name: str = "hf:in-memory", max_batch_size: int = 32,
                   max_context: int | None = None) -> HFBackend:
        """A backend around a model already in memory (a model being trained: GRPO rollouts, learning-curve
        points). The model is used as it is (its device, dtype and mode): the caller puts it in ``eval()`` for
        generation. The tokenizer is copied, so setting left padding here changes nothing for the trainer."""
        import copy

        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        self = cls.__new__(cls)
        self.path, self.revision, self.max_batch_size = name, None, max_batch_size
        self.device = next(model.parameters()).device
        self._setup(model, copy.deepcopy(tokenizer), max_context)
        self.name = name
        return self

    def _setup(self, model: Any, tokenizer: Any, max_context: int | None) -> None:
        self.tokenizer = tokenizer
        if not self.tokenizer.chat_template:
            # Conversations only make sense through a chat template; fail at load, not on every request.
            raise ValueError(f"{self.path}: tokenizer has no chat template (is this a base model?)")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = model
        self.max_context: int | None = max_context or getattr(self.model.config, "max_position_embeddings", None)
        self.eos_ids = _eos_ids(self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id)
        self.pad_id: int = self.tokenizer.pad_token_id
        # The checkpoint's generation_config.json may carry sampling or penalty defaults (a repetition
        # penalty, top-k, a temperature) that generate() would merge into any configuration we pass: replace
        # it with one that holds only the special tokens, so decoding is what Decoding says and nothing else.
        self.checkpoint_generation_defaults = self.model.generation_config.to_diff_dict()
        self.model.generation_config = GenerationConfig(
            bos_token_id=self.model.generation_config.bos_token_id, eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id)
        # Hub loads record the resolved commit; local folders have none.
        self.commit: str | None = getattr(self.model.config, "_commit_hash", None)

    def describe(self) -> dict[str, Any]:
        """What a run manifest needs to reload exactly this model."""
        return {
            "backend": "hf",
            "model": self.path,
            "revision": self.revision or self.commit,
            "dtype": str(self.model.dtype).removeprefix("torch."),
            "device": str(self.device),
            "num_parameters": self.model.num_parameters(),
            "max_context": self.max_context,
            # What the checkpoint asked generate() to do by default, and we deliberately do not.
            "generation_defaults_ignored": {k: v for k, v in self.checkpoint_generation_defaults.items()
                                            if k not in ("bos_token_id", "eos_token_id", "pad_token_id",
                                                         "transformers_version")},
        }

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        """One reply per conversation, in input order; never raises for a single bad conversation."""
        replies: list[Reply | None] = [None] * len(conversations)
        pending: list[tuple[int, list[int]]] = []  # (input index, prompt ids)
        self._row_seeds: dict[int, int] = {}
        seen: dict[tuple[int, ...], int] = {}
        for i, conversation in enumerate(conversations):
            try:
                text = self.tokenizer.apply_chat_template(
                    list(conversation), tokenize=False, add_generation_prompt=True
                )
                # The template already writes BOS; adding special tokens again would double it.
                ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            except Exception as exc:  # a template may reject a conversation (e.g. role order)
                replies[i] = Reply(text="", error=BACKEND_ERROR, detail=f"chat template failed: {exc!r}")
                continue
            needed = len(ids) + decoding.max_new_tokens
            if self.max_context is not None and needed > self.max_context:
                replies[i] = Reply(
                    text="", prompt_tokens=len(ids), error=CONTEXT_OVERFLOW,
                    detail=f"prompt {len(ids)} + max_new_tokens {decoding.max_new_tokens} "
                           f"> context {self.max_context}",
                )
                continue
            pending.append((i, ids))
            # A sample depends on the request's seed (the runner's: decoding seed, episode and turn) and the
            # conversation, never on batching, sorting or chunking. Without a request seed, identical
            # conversations in one call (a GRPO group) still get distinct samples through their copy index.
            copy = seen.get(tuple(ids), 0)
            seen[tuple(ids)] = copy + 1
            own = getattr(conversation, "seed", None)
            self._row_seeds[i] = (stable_seed(request_seed(conversation, decoding.seed), *ids) if own is not None
                                  else stable_seed(decoding.seed, copy, *ids))

        # Similar lengths side by side means little padding in each chunk.
        pending.sort(key=lambda item: len(item[1]))
        for start in range(0, len(pending), self.max_batch_size):
            chunk = pending[start:start + self.max_batch_size]
            for (i, _), reply in zip(chunk, self._generate_chunk(chunk, decoding), strict=True):
                replies[i] = reply
        return [r for r in replies if r is not None]

    def _generate_chunk(self, chunk: list[tuple[int, list[int]]], decoding: Decoding) -> list[Reply]:
        """Run one batched ``generate`` over a chunk; on CUDA out-of-memory, split it and try again."""
        try:
            return self._generate_batch(chunk, decoding)
        except torch.cuda.OutOfMemoryError:
            if len(chunk) == 1:
                return [Reply(text="", prompt_tokens=len(chunk[0][1]), error=BACKEND_ERROR,
                              detail="CUDA out of memory for a single conversation")]
            torch.cuda.empty_cache()
            half = len(chunk) // 2
            return self._generate_chunk(chunk[:half], decoding) + self._generate_chunk(chunk[half:], decoding)

    def _generation_config(self, decoding: Decoding) -> GenerationConfig:
        """An explicit configuration: what ``decoding`` says and nothing inherited from the checkpoint's
        ``generation_config.json`` (a repetition penalty, top-k or a default temperature there would silently
        change "greedy"). Sampling, when asked for, happens in :class:`_SeededSampler`."""
        return GenerationConfig(max_new_tokens=decoding.max_new_tokens, do_sample=False, num_beams=1,
                                eos_token_id=self.eos_ids, pad_token_id=self.pad_id,
                                bos_token_id=self.model.generation_config.bos_token_id)

    @torch.inference_mode()
    def _generate_batch(self, chunk: list[tuple[int, list[int]]], decoding: Decoding) -> list[Reply]:
        width = max(len(ids) for _, ids in chunk)
        # Left padding: every prompt ends at the same column, so new tokens line up for all rows.
        input_ids = torch.tensor([[self.pad_id] * (width - len(ids)) + ids for _, ids in chunk])
        attention_mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for _, ids in chunk])
        kwargs: dict[str, Any] = {"generation_config": self._generation_config(decoding)}
        if not decoding.greedy:
            # generate() cannot take a torch.Generator, so sampling happens in a logits processor with one
            # generator per conversation: reproducible without touching the global RNG, and a reply does not
            # depend on how the call was sorted or chunked. The greedy step then picks the sampled token.
            kwargs["logits_processor"] = LogitsProcessorList(
                [_SeededSampler([self._row_seeds[i] for i, _ in chunk], decoding, self.device)]
            )
        out = self.model.generate(
            input_ids=input_ids.to(self.device), attention_mask=attention_mask.to(self.device), **kwargs
        )
        new_tokens = out[:, width:].tolist()

        replies = []
        for (_, ids), row in zip(chunk, new_tokens, strict=True):
            # Count up to and including the first EOS; what follows is padding added after the row finished.
            stop = next((k for k, tok in enumerate(row) if tok in self.eos_ids), None)
            kept = row if stop is None else row[: stop + 1]
            replies.append(Reply(
                text=str(self.tokenizer.decode(kept, skip_special_tokens=True)),
                prompt_tokens=len(ids),
                completion_tokens=len(kept),
                meta={"finish_reason": "length" if stop is None else "stop"},
            ))
        return replies


class _SeededSampler(LogitsProcessor):
    """Temperature/top-p sampling with a private generator per row; returns a one-hot mask for greedy."""

    def __init__(self, seeds: list[int], decoding: Decoding, device: torch.device) -> None:
        self.temperature = decoding.temperature
        self.top_p = decoding.top_p
        self.generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        probs = torch.softmax(scores.float() / self.temperature, dim=-1)
        if self.top_p < 1.0:
            # Keep the smallest set of tokens whose mass reaches top_p (always at least the best one).
            sorted_probs, order = probs.sort(dim=-1, descending=True)
            drop = sorted_probs.cumsum(dim=-1) - sorted_probs >= self.top_p
            drop[..., 0] = False
            sorted_probs = sorted_probs.masked_fill(drop, 0.0)
            probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
        picks = torch.stack([
            torch.multinomial(probs[r], 1, generator=g).squeeze(0) for r, g in enumerate(self.generators)
        ])
        forced = torch.full_like(scores, float("-inf"))
        return forced.scatter(-1, picks.unsqueeze(-1), 0.0)  # type: ignore[return-value]


def _eos_ids(config_eos: int | list[int] | None, tokenizer_eos: int | None) -> list[int]:
    """All token ids that end a reply (generation configs may list several, e.g. ``<|eot_id|>``)."""
    ids = config_eos if isinstance(config_eos, list) else [config_eos]
    return sorted({i for i in [*ids, tokenizer_eos] if i is not None})


__all__ = ["HFBackend"]
