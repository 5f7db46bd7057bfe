"""vLLM backend: the runner's batches go to vLLM's offline engine (``vllm.LLM``) as one request batch per call.

Every call renders each conversation with the tokenizer's chat template (the same ids the transformers backend
builds, :mod:`playschool.backends.prompts`), answers the ones that cannot be sent (template failure, context
overflow), and hands all the others to ONE ``LLM.generate`` call as token prompts, each with its own
``SamplingParams``. vLLM schedules them itself (continuous batching, paged KV cache), so nothing is sorted or
chunked here; with automatic prefix caching, a turn whose prompt starts with an earlier turn's prompt (every
multi-turn episode) reuses that prefix's KV blocks instead of computing them again. Each reply reports how many
of its prompt tokens came from the cache (``meta["cached_tokens"]``), and :attr:`VLLMBackend.usage` sums them.

A sampled reply depends on its request's seed (decoding seed, episode, turn) and its prompt only, never on what
else was in the call. vLLM needs a GPU; ``pip install 'playschool[vllm]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .base import BACKEND_ERROR, Conversation, Decoding, Reply, Usage
from .prompts import Pending, eos_token_ids, kept_tokens, prepare

#: Engine keyword arguments that change what the engine computes or how much it can hold; describe() lists
#: those that were given.
_RECORDED_ENGINE_KWARGS = ("tensor_parallel_size", "pipeline_parallel_size", "quantization", "kv_cache_dtype",
                           "block_size", "max_num_seqs", "max_num_batched_tokens", "enforce_eager",
                           "enable_chunked_prefill", "tokenizer", "tokenizer_revision", "trust_remote_code",
                           "generation_config", "swap_space", "cpu_offload_gb")


def import_vllm() -> Any:
    """The ``vllm`` module, or an ImportError that says how to install it."""
    try:
        import vllm
    except ImportError as exc:
        raise ImportError(f"the vllm backend needs vLLM (and a GPU): pip install 'playschool[vllm]' ({exc})") from exc
    return vllm


class VLLMBackend:
    """A :class:`~playschool.backends.base.Backend` around ``vllm.LLM``.

    ``path_or_id`` is a local folder or a Hub id. ``max_context`` caps the model length (vLLM's
    ``max_model_len``; default: the model's own). ``gpu_memory_utilization``, ``enable_prefix_caching``,
    ``seed`` and any ``engine_kwargs`` go to ``vllm.LLM``. ``max_batch_size`` bounds how many conversations the
    runner sends in one call; vLLM fits them to the GPU itself.
    """

    def __init__(
        self,
        path_or_id: str | Path,
        *,
        revision: str | None = None,
        dtype: str = "auto",
        max_batch_size: int = 256,
        max_context: int | None = None,
        gpu_memory_utilization: float = 0.9,
        enable_prefix_caching: bool = True,
        seed: int = 0,
        **engine_kwargs: Any,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        vllm = import_vllm()
        from transformers import AutoConfig, AutoTokenizer, GenerationConfig

        path = str(path_or_id)
        # A path that exists is never resolved against the Hub: offline runs must not touch it.
        load_kwargs: dict[str, Any] = {"revision": revision, "local_files_only": Path(path).exists()}
        trust = {"trust_remote_code": True} if engine_kwargs.get("trust_remote_code") else {}
        # Our own tokenizer, loaded as the transformers backend loads it: the prompt ids are ours, not vLLM's.
        tokenizer = AutoTokenizer.from_pretrained(path, **load_kwargs, **trust)
        config = AutoConfig.from_pretrained(path, **load_kwargs, **trust)
        try:
            generation = GenerationConfig.from_pretrained(path, **load_kwargs)
        except OSError:  # no generation_config.json: what transformers derives from config.json
            generation = GenerationConfig.from_model_config(config)
        engine = vllm.LLM(model=path, revision=revision, dtype=dtype, enable_prefix_caching=enable_prefix_caching,
                          seed=seed, max_model_len=max_context, gpu_memory_utilization=gpu_memory_utilization,
                          **engine_kwargs)
        self._setup(engine, tokenizer, sampling_params_cls=vllm.SamplingParams,
                    tokens_prompt=_vllm_tokens_prompt(vllm), max_batch_size=max_batch_size,
                    max_context=max_context or _engine_max_len(engine),
                    eos_ids=eos_token_ids(generation.eos_token_id, tokenizer.eos_token_id))
        # Hub loads record the resolved commit; local folders have none.
        self.path, self.revision = path, revision or getattr(config, "_commit_hash", None)
        self.name = f"vllm:{path}" + (f"@{revision}" if revision else "")
        self.vllm_version: str | None = str(getattr(vllm, "__version__", "unknown"))
        self.settings: dict[str, Any] = {
            "dtype": dtype, "enable_prefix_caching": enable_prefix_caching, "seed": seed,
            "gpu_memory_utilization": gpu_memory_utilization,
            "engine_kwargs": {k: engine_kwargs[k] for k in _RECORDED_ENGINE_KWARGS if k in engine_kwargs},
        }

    @classmethod
    def from_engine(cls, engine: Any, tokenizer: Any, *, sampling_params_cls: Callable[..., Any] | None = None,
                    tokens_prompt: Callable[..., Any] = dict, name: str = "vllm:in-memory",
                    max_context: int | None = None, max_batch_size: int = 256,
                    eos_ids: Sequence[int] | None = None, enable_prefix_caching: bool = True) -> VLLMBackend:
        """A backend around an engine already built: anything with vLLM's offline API
        (``generate(prompts, sampling_params, use_tqdm=False)`` returning RequestOutput-like objects), such as a
        ``vllm.LLM`` made elsewhere or a CPU stand-in in tests. ``sampling_params_cls`` defaults to the engine's
        ``sampling_params_cls`` attribute (a stand-in names its own), else ``vllm.SamplingParams``. ``eos_ids``
        defaults to the tokenizer's EOS; ``max_context`` to the engine's ``max_model_len`` when it has one."""
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        if sampling_params_cls is None:
            sampling_params_cls = getattr(engine, "sampling_params_cls", None) or import_vllm().SamplingParams
        self = cls.__new__(cls)
        self._setup(engine, tokenizer, sampling_params_cls=sampling_params_cls, tokens_prompt=tokens_prompt,
                    max_batch_size=max_batch_size, max_context=max_context or _engine_max_len(engine),
                    eos_ids=eos_token_ids(list(eos_ids or []), tokenizer.eos_token_id))
        self.path, self.revision, self.name = name.removeprefix("vllm:"), None, name
        self.vllm_version = None
        self.settings = {"enable_prefix_caching": enable_prefix_caching, "engine": type(engine).__name__}
        return self

    def _setup(self, engine: Any, tokenizer: Any, *, sampling_params_cls: Callable[..., Any],
               tokens_prompt: Callable[..., Any], max_batch_size: int, max_context: int | None,
               eos_ids: list[int]) -> None:
        if not getattr(tokenizer, "chat_template", None):
            # Conversations only make sense through a chat template; fail at load, not on every request.
            raise ValueError("tokenizer has no chat template (is this a base model?)")
        self.engine = engine
        self.tokenizer = tokenizer
        self.sampling_params_cls = sampling_params_cls
        self.tokens_prompt = tokens_prompt
        self.max_batch_size = max_batch_size
        self.max_context = max_context
        self.eos_ids = eos_ids
        self.usage = Usage()

    def describe(self) -> dict[str, Any]:
        """What a run manifest needs to reload exactly this model and engine."""
        return {
            "backend": "vllm",
            "model": self.path,
            "revision": self.revision,
            # What vLLM resolved "auto" to (it may differ from the checkpoint's, e.g. float32 served as float16).
            "dtype": _engine_dtype(self.engine) or self.settings.get("dtype", "auto"),
            "max_context": self.max_context,
            "prefix_caching": self.settings.get("enable_prefix_caching"),
            "vllm_version": self.vllm_version,
            "eos_token_ids": list(self.eos_ids),
            **{k: v for k, v in self.settings.items() if k not in ("dtype", "enable_prefix_caching")},
        }

    def sampling_params(self, decoding: Decoding, seed: int) -> Any:
        """One request's sampling parameters: exactly what ``decoding`` says, nothing from the checkpoint."""
        common: dict[str, Any] = {"n": 1, "max_tokens": decoding.max_new_tokens, "stop_token_ids": list(self.eos_ids),
                                  "skip_special_tokens": True}
        if decoding.greedy:
            return self.sampling_params_cls(temperature=0.0, **common)
        return self.sampling_params_cls(temperature=decoding.temperature, top_p=decoding.top_p, seed=seed, **common)

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        """One reply per conversation, in input order; never raises for a bad conversation or a failed engine."""
        replies, pending = prepare(self.tokenizer, conversations, decoding, self.max_context)
        if pending:
            for p, reply in zip(pending, self._generate(pending, decoding), strict=True):
                replies[p.index] = reply
        return [r for r in replies if r is not None]

    def _generate(self, pending: list[Pending], decoding: Decoding) -> list[Reply]:
        prompts = [self.tokens_prompt(prompt_token_ids=p.ids) for p in pending]
        params = [self.sampling_params(decoding, p.seed) for p in pending]
        try:
            outputs = list(self.engine.generate(prompts, params, use_tqdm=False))
            if len(outputs) != len(pending):
                raise RuntimeError(f"the engine returned {len(outputs)} outputs for {len(pending)} prompts")
            replies = [self._reply(p, out) for p, out in zip(pending, outputs, strict=True)]
        except Exception as exc:  # an engine failure fails this call's requests, not the run
            detail = f"vllm engine failed: {type(exc).__name__}: {exc}"
            return [Reply(text="", prompt_tokens=len(p.ids), error=BACKEND_ERROR, detail=detail) for p in pending]
        self.usage.add(replies)
        return replies

    def _reply(self, p: Pending, out: Any) -> Reply:
        echoed = getattr(out, "prompt_token_ids", None)
        if echoed is not None and list(echoed) != p.ids:
            # Outputs come back in prompt order; a mismatch means the engine re-tokenized or reordered them.
            raise RuntimeError("the engine's prompt ids differ from the rendered ones")
        completion = out.outputs[0]
        # Count up to and including the first EOS, as the transformers backend does; decode with our tokenizer,
        # so the text is what the transformers backend would write for the same tokens.
        kept, stopped = kept_tokens(list(completion.token_ids), self.eos_ids)
        return Reply(
            text=str(self.tokenizer.decode(kept, skip_special_tokens=True)),
            prompt_tokens=len(p.ids),
            completion_tokens=len(kept),
            meta={"finish_reason": completion.finish_reason or ("stop" if stopped else "length"),
                  "cached_tokens": int(getattr(out, "num_cached_tokens", 0) or 0)},
        )


def _vllm_tokens_prompt(vllm: Any) -> Callable[..., Any]:
    try:
        from vllm.inputs import TokensPrompt

        return TokensPrompt
    except ImportError:  # a version that moved it: a TokensPrompt is a TypedDict, so a dict is one
        return getattr(vllm, "TokensPrompt", dict)


def _engine_dtype(engine: Any) -> str | None:
    config = getattr(getattr(engine, "llm_engine", None), "model_config", None)
    value = getattr(config, "dtype", None)
    return None if value is None else str(value).removeprefix("torch.")


def _engine_max_len(engine: Any) -> int | None:
    """vLLM's resolved ``max_model_len`` (the model's context, or the cap it was given), when the engine says."""
    config = getattr(getattr(engine, "llm_engine", None), "model_config", None)
    value = getattr(config, "max_model_len", None)
    return int(value) if value is not None else None


__all__ = ["VLLMBackend", "import_vllm"]
