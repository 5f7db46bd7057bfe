"""The vLLM backend, on CPU: a stand-in for vLLM's offline engine backed by the tiny transformers model.

The stand-in (``tests/vllm_standin.py``) decodes with the same model the transformers backend loads, so greedy
replies must agree token for token with ``HFBackend``: that proves both render the same prompt ids and treat
end-of-sequence tokens alike. It also counts prefix-cache hits the way vLLM does.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from backend_cases import CONVERSATIONS  # noqa: E402
from playschool.games import stable_seed  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from vllm_standin import PrefixCache, SamplingParams, StandInLLM, TokensPrompt  # noqa: E402

from playschool.backends import BACKEND_ERROR, CONTEXT_OVERFLOW, Backend, Decoding, HFBackend  # noqa: E402
from playschool.backends.base import Request  # noqa: E402
from playschool.backends.prompts import render_prompt  # noqa: E402
from playschool.backends.vllm import VLLMBackend  # noqa: E402
from playschool.runner import Runner, plan_episodes  # noqa: E402
from playschool.spec import ModelSpec, SpecError, check_hf_target, load_player, parse_spec  # noqa: E402

GREEDY = Decoding(max_new_tokens=10)
SAMPLE = Decoding(max_new_tokens=8, temperature=1.0, top_p=0.95, seed=3)


@pytest.fixture(scope="module")
def model_and_tokenizer(tiny_model_path: Path) -> tuple[Any, Any]:
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path, local_files_only=True)
    return model, AutoTokenizer.from_pretrained(tiny_model_path, local_files_only=True)


@pytest.fixture(scope="module")
def hf(tiny_model_path: Path) -> HFBackend:
    return HFBackend(tiny_model_path)


@pytest.fixture()
def engine(model_and_tokenizer: tuple[Any, Any]) -> StandInLLM:
    """A fresh engine (empty prefix cache, no recorded calls) over the shared model."""
    model, tokenizer = model_and_tokenizer
    return StandInLLM(model, tokenizer)


def _backend(engine: StandInLLM, **kwargs: Any) -> VLLMBackend:
    return VLLMBackend.from_engine(engine, engine.tokenizer, sampling_params_cls=SamplingParams,
                                   tokens_prompt=TokensPrompt, name="vllm:tiny", **kwargs)


@pytest.fixture()
def backend(engine: StandInLLM) -> VLLMBackend:
    return _backend(engine)


def _view(replies: list[Any]) -> list[tuple[Any, ...]]:
    return [(r.text, r.prompt_tokens, r.completion_tokens, r.error, r.meta.get("finish_reason")) for r in replies]


# --- one call, input order, the same replies as the transformers backend -------------------------------------

def test_one_engine_call_per_generate_with_token_prompts_in_input_order(backend: VLLMBackend,
                                                                        engine: StandInLLM) -> None:
    assert isinstance(backend, Backend)
    replies = backend.generate(CONVERSATIONS, GREEDY)
    assert len(engine.calls) == 1  # five conversations, one engine call: vLLM schedules them itself
    call = engine.calls[0]
    assert call.use_tqdm is False
    assert call.prompts == [render_prompt(engine.tokenizer, c) for c in CONVERSATIONS]
    assert [r.prompt_tokens for r in replies] == [len(p) for p in call.prompts]
    # Each reply belongs to its own conversation: asking one at a time gives the same replies.
    alone = [backend.generate([c], GREEDY)[0] for c in CONVERSATIONS]
    assert _view(replies) == _view(alone)
    assert len({r.text for r in replies}) > 1  # distinct replies, so an order mistake would show


def test_greedy_replies_equal_the_transformers_backend(backend: VLLMBackend, hf: HFBackend) -> None:
    ours = backend.generate(CONVERSATIONS, GREEDY)
    theirs = hf.generate(CONVERSATIONS, GREEDY)
    assert _view(ours) == _view(theirs)
    assert all(r.error is None and r.meta["cached_tokens"] >= 0 for r in ours)


def test_end_of_sequence_handling_equals_the_transformers_backend(engine: StandInLLM,
                                                                  tiny_model_path: Path) -> None:
    # The random model rarely writes its EOS, so let a token it often writes mid-reply end replies too.
    _backend(engine).generate(CONVERSATIONS, GREEDY)
    written = Counter(t for out in engine.calls[0].outputs for t in set(out.outputs[0].token_ids[1:-1]))
    stop_token, times = written.most_common(1)[0]
    assert times >= 2
    ours = _backend(engine, eos_ids=[stop_token]).generate(CONVERSATIONS, GREEDY)
    hf = HFBackend(tiny_model_path)
    hf.eos_ids = sorted({*hf.eos_ids, stop_token})
    theirs = hf.generate(CONVERSATIONS, GREEDY)
    assert _view(ours) == _view(theirs)  # counted up to and including the stop token, which the text omits
    stopped = [r for r in ours if r.meta["finish_reason"] == "stop"]
    assert len(stopped) >= 2 and all(r.completion_tokens < GREEDY.max_new_tokens for r in stopped)
    assert engine.calls[-1].sampling_params[0].stop_token_ids == sorted({engine.tokenizer.eos_token_id, stop_token})


def test_runner_records_equal_the_transformers_backends(backend: VLLMBackend, engine: StandInLLM,
                                                        hf: HFBackend) -> None:
    tasks = plan_episodes(["reference", "wordle"], "test", n=2)
    decoding = Decoding(max_new_tokens=12)
    ours = Runner({"learner": backend}, decoding=decoding).run(tasks)
    theirs = Runner({"learner": hf}, decoding=decoding).run(tasks)
    assert ours.played == theirs.played == len(tasks) and not ours.failed
    by_key = {r.key: r for r in theirs.records}
    for record in ours.records:
        assert record.turns == by_key[record.key].turns, record.key
        assert record.outcome == by_key[record.key].outcome
    # One engine call per runner batch, and multi-turn episodes reuse their earlier turns' KV blocks.
    assert len(engine.calls) == ours.model_calls
    assert backend.usage.calls == ours.model_calls
    assert backend.usage.requests == sum(len(c.prompts) for c in engine.calls) > len(tasks)
    assert 0 < backend.usage.cached_prompt_tokens < backend.usage.prompt_tokens


# --- seeds -------------------------------------------------------------------------------------------------

def _seeds_by_prompt(engine: StandInLLM) -> dict[tuple[int, ...], int | None]:
    call = engine.calls[-1]
    return {tuple(p): sp.seed for p, sp in zip(call.prompts, call.sampling_params, strict=True)}


def test_request_seeds_do_not_depend_on_the_batch(backend: VLLMBackend, engine: StandInLLM) -> None:
    # What the runner sends: each request's seed comes from (decoding seed, episode, move number).
    requests = [Request(c, seed=stable_seed(SAMPLE.seed, f"episode-{i}", 0)) for i, c in enumerate(CONVERSATIONS[:4])]
    together = [r.text for r in backend.generate(requests, SAMPLE)]
    seeds = _seeds_by_prompt(engine)
    for request in requests:  # the rule: the request's seed and the prompt ids
        ids = render_prompt(engine.tokenizer, request)
        assert seeds[tuple(ids)] == stable_seed(request.seed, *ids)
    assert len(set(seeds.values())) == len(requests)  # distinct requests, distinct seeds
    reordered = [r.text for r in backend.generate(requests[::-1], SAMPLE)][::-1]
    assert _seeds_by_prompt(engine) == seeds
    subset = [r.text for r in backend.generate(requests[1:3], SAMPLE)]
    assert together == reordered and subset == together[1:3]  # a sample is the request's, not the batch's
    other = [r.text for r in backend.generate([Request(r, seed=(r.seed or 0) + 1) for r in requests], SAMPLE)]
    assert other != together and together != [r.text for r in backend.generate(requests, GREEDY)]


def test_the_same_conversation_in_two_episodes_samples_differently(backend: VLLMBackend,
                                                                   engine: StandInLLM) -> None:
    conv = CONVERSATIONS[2]
    first, second = backend.generate([Request(conv, seed=11), Request(conv, seed=12)], SAMPLE)
    params = engine.calls[-1].sampling_params
    assert params[0].seed != params[1].seed and first.text != second.text
    assert backend.generate([Request(conv, seed=11)], SAMPLE)[0].text == first.text


def test_without_request_seeds_a_group_of_copies_gets_distinct_seeds(backend: VLLMBackend,
                                                                     engine: StandInLLM) -> None:
    conv = CONVERSATIONS[0]
    group = backend.generate([conv] * 4, SAMPLE)
    ids = render_prompt(engine.tokenizer, conv)
    assert [sp.seed for sp in engine.calls[-1].sampling_params] == [stable_seed(SAMPLE.seed, k, *ids)
                                                                    for k in range(4)]
    assert len({r.text for r in group}) > 1
    assert backend.generate([conv], SAMPLE)[0].text == group[0].text


def test_sampling_parameters_sent_to_the_engine(backend: VLLMBackend, engine: StandInLLM) -> None:
    backend.generate(CONVERSATIONS[:2], GREEDY)
    eos = [engine.tokenizer.eos_token_id]
    for sp in engine.calls[-1].sampling_params:
        assert (sp.temperature, sp.seed, sp.max_tokens, sp.stop_token_ids, sp.skip_special_tokens, sp.n) == (
            0.0, None, 10, eos, True, 1)
    backend.generate(CONVERSATIONS[:2], SAMPLE)
    for sp in engine.calls[-1].sampling_params:
        assert (sp.temperature, sp.top_p, sp.max_tokens, sp.stop_token_ids) == (1.0, 0.95, 8, eos)
        assert isinstance(sp.seed, int)


# --- requests that cannot be sent, and a failing engine --------------------------------------------------------

def test_context_overflow_is_a_reply_and_never_reaches_the_engine(engine: StandInLLM, tiny_model_path: Path) -> None:
    small = _backend(engine, max_context=48)
    short, long_, other = small.generate([CONVERSATIONS[0], CONVERSATIONS[4], CONVERSATIONS[0]], GREEDY)
    assert long_.error == CONTEXT_OVERFLOW and long_.text == ""
    # The same reply, word for word, as the transformers backend gives.
    hf_long = HFBackend(tiny_model_path, max_context=48).generate([CONVERSATIONS[4]], GREEDY)[0]
    assert (long_.detail, long_.prompt_tokens) == (hf_long.detail, hf_long.prompt_tokens)
    assert short.error is None and short.text == other.text
    assert [len(c.prompts) for c in engine.calls] == [2]
    assert small.generate([CONVERSATIONS[4]], GREEDY)[0].error == CONTEXT_OVERFLOW
    assert len(engine.calls) == 1  # nothing left to send: no engine call at all
    # Exactly at the limit still fits: prompt + max_new_tokens == max_context.
    limit = short.prompt_tokens + GREEDY.max_new_tokens
    assert _backend(engine, max_context=limit).generate([CONVERSATIONS[0]], GREEDY)[0].error is None


def test_the_engines_own_context_length_is_the_default_limit(model_and_tokenizer: tuple[Any, Any]) -> None:
    # This engine raises for a prompt over 48 tokens (as vLLM does); the backend must never send one.
    model, tokenizer = model_and_tokenizer
    engine = StandInLLM(model, tokenizer, max_model_len=48)
    backend = _backend(engine)
    assert backend.max_context == 48 and backend.describe()["max_context"] == 48
    replies = backend.generate(CONVERSATIONS, GREEDY)
    fits = [r.prompt_tokens + GREEDY.max_new_tokens <= 48 for r in replies]
    assert [r.error for r in replies] == [None if ok else CONTEXT_OVERFLOW for ok in fits]
    assert fits[0] and not fits[4] and len(engine.calls[0].prompts) == sum(fits)


def test_template_failure_is_an_error_reply(backend: VLLMBackend, engine: StandInLLM, hf: HFBackend) -> None:
    bad, good = backend.generate([[{"role": "user"}], CONVERSATIONS[0]], GREEDY)  # no "content"
    assert bad.error == BACKEND_ERROR and good.error is None
    assert bad.detail == hf.generate([[{"role": "user"}]], GREEDY)[0].detail
    assert [len(c.prompts) for c in engine.calls] == [1]


def test_an_engine_failure_fails_that_call_only(backend: VLLMBackend, engine: StandInLLM) -> None:
    expected = _view(backend.generate(CONVERSATIONS[:3], GREEDY))
    usage = dataclasses.replace(backend.usage)
    engine.fail_next = RuntimeError("CUDA error: device-side assert triggered")
    small = _backend(engine, max_context=max(r[1] for r in expected) + GREEDY.max_new_tokens)
    failed = small.generate([*CONVERSATIONS[:3], CONVERSATIONS[4]], GREEDY)  # must not raise
    assert [r.error for r in failed] == [BACKEND_ERROR] * 3 + [CONTEXT_OVERFLOW]  # the overflow was never sent
    assert all("device-side assert" in r.detail and r.prompt_tokens > 0 for r in failed[:3])
    assert small.usage.calls == 0  # nothing came back, nothing is counted
    assert _view(small.generate(CONVERSATIONS[:3], GREEDY)) == expected  # the next call works
    assert backend.usage == usage


def test_outputs_that_do_not_match_the_prompts_are_errors(backend: VLLMBackend, engine: StandInLLM,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = engine.generate
    monkeypatch.setattr(engine, "generate", lambda prompts, params, use_tqdm: real(prompts, params,
                                                                                  use_tqdm=use_tqdm)[::-1])
    replies = backend.generate(CONVERSATIONS[:2], GREEDY)
    assert [r.error for r in replies] == [BACKEND_ERROR] * 2 and "prompt ids" in replies[0].detail
    monkeypatch.setattr(engine, "generate", lambda prompts, params, use_tqdm: real(prompts, params,
                                                                                  use_tqdm=use_tqdm)[:1])
    assert [r.error for r in backend.generate(CONVERSATIONS[:2], GREEDY)] == [BACKEND_ERROR] * 2


# --- prefix caching -------------------------------------------------------------------------------------------

def _followed_up(conversation: list[dict[str, str]], reply: str) -> list[dict[str, str]]:
    return [*conversation, {"role": "assistant", "content": reply},
            {"role": "user", "content": "That is not it. Try again, please."}]


def test_the_next_turn_hits_the_blocks_of_the_first(backend: VLLMBackend, engine: StandInLLM) -> None:
    turn1 = CONVERSATIONS[1]
    first = backend.generate([turn1], GREEDY)[0]
    assert first.meta["cached_tokens"] == 0  # a fresh engine has nothing cached
    second = backend.generate([_followed_up(turn1, first.text)], GREEDY)[0]
    p1, p2 = engine.calls[0].prompts[0], engine.calls[1].prompts[0]
    assert p2[:len(p1)] == p1  # the chat template extends the first prompt
    # Whole blocks of what the first request computed: its prompt and all but its last sampled token.
    computed = p1 + list(engine.calls[0].outputs[0].outputs[0].token_ids)[:-1]
    common = next((k for k, (a, b) in enumerate(zip(computed, p2)) if a != b), min(len(computed), len(p2)))
    expected = min(common, len(p2) - 1) // 16 * 16
    assert second.meta["cached_tokens"] == expected >= len(p1) // 16 * 16 > 0
    usage = backend.usage
    assert (usage.calls, usage.requests, usage.prompt_tokens, usage.cached_prompt_tokens, usage.completion_tokens) == (
        2, 2, len(p1) + len(p2), expected, first.completion_tokens + second.completion_tokens)


def test_copies_in_one_call_hit_the_first_copys_blocks(backend: VLLMBackend, engine: StandInLLM) -> None:
    replies = backend.generate([CONVERSATIONS[4]] * 3, SAMPLE)
    n = replies[0].prompt_tokens
    assert [r.meta["cached_tokens"] for r in replies] == [0, (n - 1) // 16 * 16, (n - 1) // 16 * 16]
    assert backend.usage.cached_prompt_tokens == 2 * ((n - 1) // 16 * 16)


def test_prefix_cache_counts_whole_blocks_as_vllm_does() -> None:
    cache = PrefixCache(block_size=4, num_blocks=100)
    prompt = list(range(8))
    assert cache.lookup(prompt) == 0
    cache.store(prompt)
    assert cache.lookup(prompt) == 4  # fully cached: the last block is computed again for the logits
    assert cache.lookup(prompt + [8]) == 8
    assert cache.lookup(prompt + [8, 9, 10, 11, 12]) == 8  # the third block was never computed
    assert cache.lookup([0, 1, 2, 3, 9, 9, 9, 9, 9]) == 4  # a different second block stops the hit
    assert cache.lookup([9, 1, 2, 3, 4, 5, 6, 7, 8]) == 0  # chained: block 2 is not reused after another block 1
    assert cache.lookup([0, 1, 2]) == 0  # no full block


def test_prefix_cache_evicts_least_recently_used_tail_first() -> None:
    cache = PrefixCache(block_size=2, num_blocks=3)
    cache.store([1, 1, 2, 2, 3, 3])  # three blocks; the head is the most recently used
    cache.store([7, 7])  # one more: the first request's tail goes, its head stays
    assert len(cache) == 3 and cache.evictions == 1
    assert cache.lookup([1, 1, 2, 2, 3, 3, 0]) == 4
    assert cache.lookup([7, 7, 0]) == 2


# --- describe, spec strings, loading ---------------------------------------------------------------------------

def test_describe_and_name(backend: VLLMBackend, engine: StandInLLM) -> None:
    info = backend.describe()
    assert backend.name == "vllm:tiny"
    assert info["backend"] == "vllm" and info["model"] == "tiny" and info["prefix_caching"] is True
    assert info["vllm_version"] is None and info["max_context"] == engine.max_model_len
    assert info["eos_token_ids"] == [engine.tokenizer.eos_token_id]
    # Without a sampling-parameters type, the engine's own is used (a stand-in names it; vLLM's otherwise).
    plain = VLLMBackend.from_engine(engine, engine.tokenizer)
    assert plain.generate(CONVERSATIONS[:1], GREEDY)[0].error is None
    assert type(engine.calls[-1].sampling_params[0]) is SamplingParams and plain.name == "vllm:in-memory"


def test_spec_strings() -> None:
    assert parse_spec("vllm:/models/x") == ModelSpec("vllm", "/models/x")
    assert parse_spec("vllm:org/model@rev") == ModelSpec("vllm", "org/model", revision="rev")
    assert parse_spec("vllm:/path/with@sign/model") == ModelSpec("vllm", "/path/with@sign/model")
    assert str(parse_spec("vllm:org/model@rev")) == "vllm:org/model@rev"
    for bad in ("vllm:", "vllm", "vlm:/models/x"):
        with pytest.raises(SpecError, match=r"vllm:PATH\[@REVISION\]"):
            parse_spec(bad)
    with pytest.raises(SpecError, match="no such model folder"):
        check_hf_target(parse_spec("vllm:/no/such/model"))


def test_load_player_without_vllm_names_the_extra(monkeypatch: pytest.MonkeyPatch, tiny_model_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # "import vllm" raises ImportError, as when not installed
    with pytest.raises(SpecError, match=r"pip install 'playschool\[vllm\]'"):
        load_player(f"vllm:{tiny_model_path}")


def test_load_player_builds_the_engine_with_prefix_caching(monkeypatch: pytest.MonkeyPatch,
                                                           tiny_model_path: Path) -> None:
    built: list[dict[str, Any]] = []

    def fake_llm(**kwargs: Any) -> StandInLLM:
        built.append(kwargs)
        return StandInLLM.from_pretrained(kwargs["model"], max_model_len=kwargs["max_model_len"])

    fake = types.ModuleType("vllm")
    fake.__version__ = "0.0.fake"  # type: ignore[attr-defined]
    fake.LLM = fake_llm  # type: ignore[attr-defined]
    fake.SamplingParams = SamplingParams  # type: ignore[attr-defined]
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = TokensPrompt  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", fake)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)
    player = load_player(f"vllm:{tiny_model_path}", batch_size=4)
    assert isinstance(player, VLLMBackend)
    assert built == [{"model": str(tiny_model_path), "revision": None, "dtype": "auto", "enable_prefix_caching": True,
                      "seed": 0, "max_model_len": None, "gpu_memory_utilization": 0.9}]
    assert player.name == f"vllm:{tiny_model_path}" and player.max_batch_size == 256  # vLLM batches itself
    info = player.describe()
    assert (info["vllm_version"], info["max_context"], info["revision"]) == ("0.0.fake", 2048, None)
    with pytest.raises(SpecError, match="no such model folder"):
        load_player("vllm:/no/such/model")


def test_importing_the_backend_does_not_import_vllm_or_torch() -> None:
    code = ("import sys; from playschool.backends import VLLMBackend; "
            "assert 'vllm' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
