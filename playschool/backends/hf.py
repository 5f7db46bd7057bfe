"""Hugging Face transformers backend: batched, left-padded generation with a local or Hub causal LM.

Every call renders each conversation with the tokenizer's chat template, drops the ones that cannot fit the
model's context (they get a ``context_overflow`` reply and never reach the model), sorts the rest by
length so that chunks carry little padding, and runs one ``model.generate`` per chunk of at most
``max_batch_size`` conversations. Replies come back in input order.
"""

from __future__ import annotations

import os
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
from transformers.generation.utils import GenerateDecoderOnlyOutput

from playschool.backends.base import (
    BACKEND_ERROR,
    Conversation,
    Decoding,
    Reply,
    Usage,
)
from playschool.backends.hf_cache import BLOCK, PrefixStore, batched_past, reusable, row_kv
from playschool.backends.prompts import eos_token_ids, kept_tokens, prepare


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
        reuse_cache: bool = False,
        cache_tokens: int = 65_536,
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
        self.set_cache_reuse(reuse_cache, cache_tokens)
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
        self.set_cache_reuse(False)
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
        self.usage = Usage()
        self.max_context: int | None = max_context or getattr(self.model.config, "max_position_embeddings", None)
        self.eos_ids = eos_token_ids(self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id)
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

    def set_cache_reuse(self, on: bool, cache_tokens: int = 65_536) -> None:
        """Reuse keys and values across calls (see :mod:`playschool.backends.hf_cache`): a prompt's longest
        prefix already computed (the episode's previous turn and reply, or instructions shared with another
        episode) is not computed again. ``cache_tokens`` bounds the tokens held (each costs
        ``2 * layers * kv_heads * head_dim`` numbers of the model's dtype). Greedy replies stay the same up to
        floating-point summation order. A model whose cache is not plain keys and values (sliding windows,
        recurrent layers) keeps computing everything; :attr:`cache_reuse_off` says why."""
        self.prefix_store: PrefixStore | None = None
        self.cache_reuse_off: str | None = "not asked for"
        if on:
            self.cache_reuse_off = reusable(self.model)
            if self.cache_reuse_off is None:
                self.prefix_store = PrefixStore(cache_tokens)

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
            "cache_reuse": (None if self.prefix_store is None
                            else {"max_tokens": self.prefix_store.max_tokens, "block": BLOCK}),
            # What the checkpoint asked generate() to do by default, and we deliberately do not.
            "generation_defaults_ignored": {k: v for k, v in self.checkpoint_generation_defaults.items()
                                            if k not in ("bos_token_id", "eos_token_id", "pad_token_id",
                                                         "transformers_version")},
        }

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        """One reply per conversation, in input order; never raises for a single bad conversation."""
        # Rendering, error replies and per-request seeds follow the rules every local backend shares.
        replies, prepared = prepare(self.tokenizer, conversations, decoding, self.max_context)
        self._row_seeds = {p.index: p.seed for p in prepared}
        pending = [(p.index, p.ids) for p in prepared]  # (input index, prompt ids)

        # Similar lengths side by side means little padding in each chunk.
        pending.sort(key=lambda item: len(item[1]))
        for start in range(0, len(pending), self.max_batch_size):
            chunk = pending[start:start + self.max_batch_size]
            for (i, _), reply in zip(chunk, self._generate_chunk(chunk, decoding), strict=True):
                replies[i] = reply
        out = [r for r in replies if r is not None]
        self.usage.add(out)
        return out

    def _generate_chunk(self, chunk: list[tuple[int, list[int]]], decoding: Decoding) -> list[Reply]:
        """Run one batched ``generate`` over a chunk; on CUDA out-of-memory, split it and try again."""
        try:
            return self._generate_batch(chunk, decoding)
        except torch.cuda.OutOfMemoryError:
            if len(chunk) == 1:
                return [Reply(text="", prompt_tokens=len(chunk[0][1]), error=BACKEND_ERROR,
                              detail="CUDA out of memory for a single conversation")]
            if self.prefix_store is not None:
                self.prefix_store.clear()  # held keys and values are the first memory to give back
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
        store = self.prefix_store
        if store is not None:
            self._warm_shared_prefixes(store, [ids for _, ids in chunk])
        # Each row's longest prefix already computed (never the whole prompt: generate needs a token to feed).
        hits = [store.lookup(ids, len(ids) - 1) if store is not None else (0, None) for _, ids in chunk]
        prefixes = [store.get(eid, n) if store is not None and eid is not None else None for n, eid in hits]
        # Left padding: every prompt ends at the same column, so new tokens line up for all rows. With cached
        # prefixes, each row's prefix is right-aligned in the first columns and the rest after it.
        layout = batched_past([ids for _, ids in chunk], prefixes, self.pad_id)
        width = layout.input_ids.shape[1]
        kwargs: dict[str, Any] = {"generation_config": self._generation_config(decoding)}
        if not decoding.greedy:
            # generate() cannot take a torch.Generator, so sampling happens in a logits processor with one
            # generator per conversation: reproducible without touching the global RNG, and a reply does not
            # depend on how the call was sorted or chunked. The greedy step then picks the sampled token.
            kwargs["logits_processor"] = LogitsProcessorList(
                [_SeededSampler([self._row_seeds[i] for i, _ in chunk], decoding, self.device)]
            )
        if store is not None:
            kwargs["generation_config"].return_dict_in_generate = True
            if layout.past is not None:
                from transformers import DynamicCache

                kwargs[_CACHE_KWARG] = DynamicCache(
                    ddp_cache_data=[(k.to(self.device), v.to(self.device)) for k, v in layout.past],
                    config=self.model.config)
        out = self.model.generate(input_ids=layout.input_ids.to(self.device),
                                  attention_mask=layout.attention_mask.to(self.device), **kwargs)
        sequences = out.sequences if store is not None else out
        new_tokens = sequences[:, width:].tolist()

        replies = []
        for r, ((_, ids), row) in enumerate(zip(chunk, new_tokens, strict=True)):
            # Count up to and including the first EOS; what follows is padding added after the row finished.
            kept, stopped = kept_tokens(row, self.eos_ids)
            cache = getattr(out, _CACHE_KWARG, None) if store is not None else None
            if store is not None and cache is not None:  # a model generating without a cache has none to keep
                self._remember(store, cache, r, layout.attention_mask[r], ids, kept, hits[r])
            replies.append(Reply(
                text=str(self.tokenizer.decode(kept, skip_special_tokens=True)),
                prompt_tokens=len(ids),
                completion_tokens=len(kept),
                meta={"finish_reason": "stop" if stopped else "length", "cached_tokens": layout.cached[r]},
            ))
        return replies

    def _warm_shared_prefixes(self, store: PrefixStore, prompts: list[list[int]]) -> None:
        """Compute once a prefix that several prompts of this call share and nothing holds yet (every episode
        of a game starting together with the same instructions; a group of identical prompts): otherwise each
        row would compute it, since rows of one call cannot see each other's keys."""
        cold = sorted(ids for ids in prompts if store.lookup(ids, len(ids) - 1)[0] < 2 * BLOCK)
        start = 0
        while start < len(cold):
            # A run of sorted prompts whose neighbours share at least two blocks shares their smallest overlap.
            shared, end = len(cold[start]) - 1, start + 1
            while end < len(cold):
                overlap = min(len(os.path.commonprefix([cold[end - 1], cold[end]])), len(cold[end]) - 1)
                if overlap < 2 * BLOCK:
                    break
                shared, end = min(shared, overlap), end + 1
            if end - start > 1:
                ids = cold[start][:shared]
                out = self.model(input_ids=torch.tensor([ids], device=self.device), use_cache=True)
                cache = getattr(out, _CACHE_KWARG)
                store.put(ids, row_kv(cache, 0, torch.arange(len(ids), device=self.device)), prompt_len=len(ids))
                self.usage.warmed_tokens += len(ids)
            start = end

    def _remember(self, store: PrefixStore, cache: Any, row: int, mask: torch.Tensor, ids: list[int],
                  kept: list[int], hit: tuple[int, int | None]) -> None:
        """Hold one row's prompt and reply for later turns. The cache has every token fed: the prompt and the
        reply but its last token (generated, never fed back)."""
        width = mask.shape[0]
        fed = min(len(kept), cache.get_seq_length() - width)
        positions = torch.cat([mask.nonzero().flatten(), torch.arange(width, width + fed)]).to(self.device)
        store.put(ids + kept[:fed], row_kv(cache, row, positions), prompt_len=len(ids),
                  source=None if hit[1] is None else (hit[1], hit[0]))


# transformers 5 renamed generate()'s and its output's `past_key_values` to `cache` (the old name warns).
_CACHE_KWARG = "cache" if "cache" in getattr(GenerateDecoderOnlyOutput, "__dataclass_fields__", {}) else "past_key_values"


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


__all__ = ["HFBackend"]
