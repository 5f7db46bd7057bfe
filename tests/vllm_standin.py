"""A CPU stand-in for vLLM's offline engine (``vllm.LLM``), backed by a transformers model.

It speaks the part of vLLM's API that :class:`playschool.backends.vllm.VLLMBackend` uses —
``generate(prompts, sampling_params, use_tqdm=False)`` over token prompts with one ``SamplingParams`` per
prompt, returning RequestOutput-like objects (``prompt_token_ids``, ``outputs[0].text/token_ids/finish_reason``,
``num_cached_tokens``) — so the backend can be tested, and benchmarked, without a GPU:

- decoding: greedy (``temperature == 0``: argmax, what the transformers backend's greedy does) or sampling
  with temperature and top-p from a private ``torch.Generator`` seeded with the request's ``seed`` (the engine's
  own generator when a request has none); a reply ends at a ``stop_token_ids`` token (kept in ``token_ids``,
  as vLLM keeps it), at ``max_tokens``, or at ``max_model_len``; a prompt longer than ``max_model_len`` raises,
  as vLLM's input validation does;
- automatic prefix caching, counted as vLLM counts it (:class:`PrefixCache`);
- every call is recorded (:attr:`StandInLLM.calls`); ``fail_next`` makes the next call raise.

Import it from tests (``from vllm_standin import StandInLLM``; pytest puts ``tests/`` on the path) or from a
benchmark after putting ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypedDict

import torch

#: vLLM's default KV-cache block size on GPUs.
BLOCK_SIZE = 16


class TokensPrompt(TypedDict):
    """Stand-in for ``vllm.inputs.TokensPrompt``: a prompt given as token ids."""

    prompt_token_ids: list[int]


@dataclass
class SamplingParams:
    """Stand-in for ``vllm.SamplingParams`` (the fields the backend sets; vLLM's defaults)."""

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    max_tokens: int | None = 16
    stop_token_ids: list[int] | None = None
    skip_special_tokens: bool = True


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list[int]
    finish_reason: str | None
    stop_reason: int | str | None = None


@dataclass
class RequestOutput:
    request_id: str
    prompt_token_ids: list[int]
    outputs: list[CompletionOutput]
    num_cached_tokens: int
    finished: bool = True


@dataclass
class EngineCall:
    """One ``generate`` call as the engine received it, and what it returned (empty if it raised)."""

    prompts: list[list[int]]
    sampling_params: list[SamplingParams]
    use_tqdm: bool
    outputs: list[RequestOutput] = field(default_factory=list)


class PrefixCache:
    """vLLM's automatic prefix caching, as far as it decides ``num_cached_tokens``.

    - The KV cache is made of blocks of ``block_size`` tokens; only *full* blocks are cached, each under a hash
      that chains its parent's hash with its own tokens, so a block hits only when the whole prefix up to and
      including it was computed before (``vllm/v1/core/kv_cache_utils.py``, ``hash_block_tokens``).
    - A request's hit is the longest run of leading blocks found in the cache, looked up over at most
      ``len(prompt) - 1`` tokens: vLLM always recomputes the last prompt token to get logits, so a prompt that is
      wholly cached still recomputes its last block (``KVCacheManager.get_computed_blocks``:
      ``max_cache_hit_length = request.num_tokens - 1``; ``FullAttentionManager.find_longest_cache_hit``:
      ``max_num_blocks = max_length // block_size``, stop at the first miss).
    - What a request computed is cached: its prompt's full blocks as soon as it is scheduled (so a later request
      in the same batch can hit them), and, when it finishes, the full blocks of prompt + output except the last
      sampled token, whose keys and values are never computed (``allocate_slots`` caches
      ``min(num_computed + num_new, request.num_tokens)`` tokens).
    - At most ``num_blocks`` blocks are kept; the least recently used goes first, and a finished request's blocks
      are released tail first, so its shared head outlives its tail (``KVCacheManager.free``: "free the blocks in
      reverse order so that the tail blocks are evicted first").
    """

    def __init__(self, block_size: int = BLOCK_SIZE, num_blocks: int = 4096) -> None:
        if block_size < 1 or num_blocks < 1:
            raise ValueError("block_size and num_blocks must be >= 1")
        self.block_size = block_size
        self.num_blocks = num_blocks
        self._blocks: OrderedDict[int, None] = OrderedDict()
        self.evictions = 0

    def block_hashes(self, tokens: Sequence[int]) -> list[int]:
        """The chained hashes of the full blocks of ``tokens``."""
        hashes: list[int] = []
        parent = 0
        for start in range(0, len(tokens) - self.block_size + 1, self.block_size):
            parent = hash((parent, tuple(tokens[start:start + self.block_size])))
            hashes.append(parent)
        return hashes

    def lookup(self, prompt: Sequence[int]) -> int:
        """How many leading prompt tokens a new request finds computed (a multiple of ``block_size``)."""
        max_blocks = (len(prompt) - 1) // self.block_size
        hits = 0
        for h in self.block_hashes(prompt)[:max_blocks]:
            if h not in self._blocks:
                break
            hits += 1
        return hits * self.block_size

    def store(self, tokens: Sequence[int]) -> None:
        """Cache the full blocks of computed ``tokens``; the head ends up most recently used."""
        for h in reversed(self.block_hashes(tokens)):
            self._blocks[h] = None
            self._blocks.move_to_end(h)
        while len(self._blocks) > self.num_blocks:
            self._blocks.popitem(last=False)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._blocks)

    def reset(self) -> None:
        self._blocks.clear()


class StandInLLM:
    """Stand-in for ``vllm.LLM`` over a transformers causal LM (see the module docstring)."""

    #: The sampling parameters type this engine takes (``VLLMBackend.from_engine`` uses it by default).
    sampling_params_cls = SamplingParams

    def __init__(self, model: Any, tokenizer: Any, *, max_model_len: int | None = None, seed: int = 0,
                 block_size: int = BLOCK_SIZE, num_blocks: int = 4096) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_model_len = int(max_model_len or model.config.max_position_embeddings)
        # Where vLLM keeps it: the backend reads the engine's resolved context length from here.
        self.llm_engine = SimpleNamespace(model_config=SimpleNamespace(max_model_len=self.max_model_len))
        self.cache = PrefixCache(block_size, num_blocks)
        self.calls: list[EngineCall] = []
        self.fail_next: BaseException | None = None
        self._generator = torch.Generator().manual_seed(seed)  # for requests without a seed of their own
        self._request_counter = 0

    @classmethod
    def from_pretrained(cls, path: str | Path, **kwargs: Any) -> StandInLLM:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        return cls(model, tokenizer, **kwargs)

    def get_tokenizer(self) -> Any:
        return self.tokenizer

    def reset_prefix_cache(self) -> bool:
        self.cache.reset()
        return True

    def generate(self, prompts: Sequence[TokensPrompt | dict[str, Any]],
                 sampling_params: SamplingParams | Sequence[SamplingParams] | None = None, *,
                 use_tqdm: bool = True) -> list[RequestOutput]:
        ids = [list(p["prompt_token_ids"]) for p in prompts]
        if sampling_params is None:
            sampling_params = SamplingParams()
        params = list(sampling_params) if isinstance(sampling_params, Sequence) else [sampling_params] * len(ids)
        call = EngineCall(ids, params, use_tqdm)
        self.calls.append(call)
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        if len(params) != len(ids):
            raise ValueError("the lengths of prompts and sampling_params must be the same")
        for prompt in ids:  # vLLM validates every input before it schedules any
            if not prompt:
                raise ValueError("the prompt is empty")
            if len(prompt) > self.max_model_len:
                raise ValueError(f"the prompt (length {len(prompt)}) is longer than the maximum model length of "
                                 f"{self.max_model_len}")
        # Scheduled in order: each request's lookup sees the prompts scheduled before it.
        cached = []
        for prompt in ids:
            cached.append(self.cache.lookup(prompt))
            self.cache.store(prompt)
        outputs = call.outputs
        for prompt, sp, hit in zip(ids, params, cached):
            tokens, finish, stop_reason = self._decode(prompt, sp)
            self.cache.store(prompt + tokens[:-1])
            text = self.tokenizer.decode(tokens, skip_special_tokens=sp.skip_special_tokens)
            outputs.append(RequestOutput(str(self._request_counter), prompt,
                                         [CompletionOutput(0, text, tokens, finish, stop_reason)], hit))
            self._request_counter += 1
        return outputs

    @torch.inference_mode()
    def _decode(self, prompt: list[int], sp: SamplingParams) -> tuple[list[int], str, int | None]:
        if sp.n != 1:
            raise ValueError("the stand-in samples one completion per request")
        greedy = sp.temperature < 1e-5  # vLLM's threshold for greedy
        generator = (torch.Generator().manual_seed(sp.seed) if sp.seed is not None and not greedy
                     else self._generator)
        stops = set(sp.stop_token_ids or ())
        max_tokens = sp.max_tokens if sp.max_tokens is not None else self.max_model_len - len(prompt)
        out = self.model(input_ids=torch.tensor([prompt]), use_cache=True)
        tokens: list[int] = []
        while True:
            logits = out.logits[0, -1].float()
            token = int(logits.argmax()) if greedy else self._sample(logits, sp, generator)
            tokens.append(token)
            if token in stops:
                return tokens, "stop", token
            if len(tokens) >= max_tokens or len(prompt) + len(tokens) >= self.max_model_len:
                return tokens, "length", None
            out = self.model(input_ids=torch.tensor([[token]]), use_cache=True, **self._with_cache(out))

    def _with_cache(self, out: Any) -> dict[str, Any]:
        """The keyword that hands the KV cache back to the model (``cache`` in transformers 5, before that
        ``past_key_values``)."""
        cache = getattr(out, "cache", None)
        return {"cache": cache} if cache is not None else {"past_key_values": out.past_key_values}

    @staticmethod
    def _sample(logits: torch.Tensor, sp: SamplingParams, generator: torch.Generator) -> int:
        probs = torch.softmax(logits / sp.temperature, dim=-1)
        if sp.top_p < 1.0:
            sorted_probs, order = probs.sort(descending=True)
            drop = sorted_probs.cumsum(-1) - sorted_probs >= sp.top_p
            drop[0] = False
            probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs.masked_fill(drop, 0.0))
        return int(torch.multinomial(probs, 1, generator=generator))


#: The name some callers use for the stand-in engine.
StandInEngine = StandInLLM

__all__ = ["BLOCK_SIZE", "CompletionOutput", "EngineCall", "PrefixCache", "RequestOutput", "SamplingParams",
           "StandInEngine", "StandInLLM", "TokensPrompt"]
