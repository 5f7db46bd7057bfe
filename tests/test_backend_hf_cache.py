"""Reuse of keys and values across calls in the transformers backend: the prefix store, the batch layout, and
the backend playing the same episodes with and without reuse (identical replies, less prefill)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from playschool.backends import Decoding, HFBackend, Usage  # noqa: E402
from playschool.backends.base import Reply, Request  # noqa: E402
from playschool.backends.hf_cache import BLOCK, PrefixStore, batched_past, reusable  # noqa: E402
from playschool.runner import Runner, plan_episodes  # noqa: E402

GREEDY = Decoding(max_new_tokens=12)


def _kv(n: int, layers: int = 2, heads: int = 2, dim: int = 4, start: float = 0.0) -> list[Any]:
    """Fake keys/values whose value at a position is its index (so slices can be checked)."""
    pos = torch.arange(n, dtype=torch.float32) + start
    k = pos.view(1, n, 1).expand(heads, n, dim).clone()
    return [(k.clone(), -k.clone()) for _ in range(layers)]


# --- the store ---------------------------------------------------------------------------------------------

def test_lookup_finds_the_longest_shared_prefix_past_whole_blocks() -> None:
    store = PrefixStore(10_000)
    a = list(range(100))
    store.put(a, _kv(100), prompt_len=90)
    query = a[:53] + [999, 1000]
    n, eid = store.lookup(query, len(query) - 1)
    assert n == 53 and eid is not None  # three whole blocks (48) then five more tokens, token by token
    keys = store.get(eid, n)[0][0]
    assert keys.shape[1] == 53 and keys[0, -1, 0].item() == 52.0


def test_lookup_never_gives_the_whole_prompt_and_misses_cleanly() -> None:
    store = PrefixStore(10_000)
    a = list(range(40))
    store.put(a, _kv(40), prompt_len=40)
    assert store.lookup(a, len(a) - 1)[0] == 39  # generate needs at least one token to feed
    assert store.lookup([7, 7, 7], 2) == (0, None)
    assert PrefixStore(10).lookup([1, 2, 3], 2) == (0, None)


def test_a_short_prompt_without_a_whole_block_still_shares_tokens() -> None:
    store = PrefixStore(10_000)
    store.put([1, 2, 3, 4, 5], _kv(5), prompt_len=5)
    assert store.lookup([1, 2, 3, 9], 3)[0] == 3


def test_a_continuation_supersedes_its_source_but_another_episodes_entry_stays() -> None:
    store = PrefixStore(10_000)
    instructions = list(range(64))
    episode_a = instructions + [100, 101, 102]
    store.put(episode_a + [7, 8], _kv(69), prompt_len=len(episode_a))
    # Episode B shares only the instructions with A: A's entry must survive for A's next turn.
    episode_b = instructions + [200, 201]
    n, eid = store.lookup(episode_b, len(episode_b) - 1)
    assert n == 64
    store.put(episode_b + [9], _kv(67), prompt_len=len(episode_b), source=(eid, n))  # type: ignore[arg-type]
    assert len(store) == 2
    # A's next turn goes past A's whole prompt: the old entry is superseded.
    next_a = episode_a + [7, 50, 51]
    n, eid = store.lookup(next_a, len(next_a) - 1)
    assert n == len(episode_a) + 1
    store.put(next_a + [3], _kv(len(next_a) + 1), prompt_len=len(next_a), source=(eid, n))  # type: ignore[arg-type]
    assert len(store) == 2
    assert store.tokens == len(episode_b) + 1 + len(next_a) + 1


def test_tokens_are_bounded_and_the_least_recently_used_go_first() -> None:
    store = PrefixStore(100)
    first, second, third = [1] * 40, [2] * 40, [3] * 40
    store.put(first, _kv(40), prompt_len=40)
    store.put(second, _kv(40), prompt_len=40)
    assert store.lookup(first, 39)[0] == 39  # touch first: second is now the oldest
    store.put(third, _kv(40), prompt_len=40)
    assert store.tokens <= 100 and len(store) == 2
    assert store.lookup(second, 39) == (0, None)
    assert store.lookup(first, 39)[0] == 39 and store.lookup(third, 39)[0] == 39
    store.put([4] * 101, _kv(101), prompt_len=101)  # larger than the whole budget: not held
    assert store.tokens <= 100 and store.lookup([4] * 101, 100) == (0, None)


def test_dropping_an_entry_hands_its_blocks_to_another_holder() -> None:
    store = PrefixStore(10_000)
    shared = list(range(32))
    store.put(shared + [1], _kv(33), prompt_len=33)
    store.put(shared + [2], _kv(33), prompt_len=33)
    newest = store.lookup(shared + [2, 5], 34)[1]
    store._drop(newest)  # type: ignore[arg-type]
    n, eid = store.lookup(shared + [1, 5], 34)
    assert n == 33 and eid is not None


def test_a_hash_collision_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    store = PrefixStore(10_000)
    store.put([1] * 32, _kv(32), prompt_len=32)
    monkeypatch.setattr("builtins.hash", lambda _x: 42)  # every block hashes alike
    store2 = PrefixStore(10_000)
    store2.put([1] * 32, _kv(32), prompt_len=32)
    assert store2.lookup([2] * 32 + [5], 32) == (0, None)


# --- the batch layout --------------------------------------------------------------------------------------

def test_layout_keeps_each_tokens_position_and_hides_the_padding() -> None:
    prompts = [list(range(10, 20)), list(range(30, 36)), list(range(50, 53))]
    prefixes = [_kv(7), None, _kv(1)]
    layout = batched_past(prompts, prefixes, pad_id=0)
    assert layout.cached == [7, 0, 1]
    width_p, width = 7, layout.input_ids.shape[1]
    assert width == width_p + max(3, 6, 2)
    for row, ids in enumerate(prompts):
        mask = layout.attention_mask[row]
        assert layout.input_ids[row][mask.bool()].tolist() == ids  # the real tokens, in order
        # Positions from the mask's running count give every real token its place in the prompt.
        positions = (mask.cumsum(0) - 1)[mask.bool()].tolist()
        assert positions == list(range(len(ids)))
    assert layout.past is not None
    keys = layout.past[0][0]
    assert keys.shape == (3, 2, 7, 4)
    assert keys[0, 0, :, 0].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert keys[2, 0, -1, 0].item() == 0.0 and keys[2, 0, :-1].abs().sum().item() == 0.0


def test_layout_refuses_a_prefix_that_covers_the_prompt() -> None:
    with pytest.raises(ValueError, match="nothing"):
        batched_past([[1, 2, 3]], [_kv(3)], pad_id=0)
    assert batched_past([[1, 2]], [None], pad_id=0).past is None


# --- the backend -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pair(tiny_model_path: Path) -> tuple[HFBackend, HFBackend]:
    return HFBackend(tiny_model_path, max_batch_size=4), HFBackend(tiny_model_path, max_batch_size=4,
                                                                  reuse_cache=True)


def _dialogues() -> list[list[dict[str, str]]]:
    rules = "You are the guesser in a word game. Answer with GUESS: word, and nothing else. " * 4
    return [[{"role": "system", "content": rules}, {"role": "user", "content": f"Clue {i}: " + "fruit " * (i * 3)}]
            for i in range(6)] + [[{"role": "user", "content": "hi"}]]


def _tokens(backend: HFBackend, conversation: Any) -> list[int]:
    text = backend.tokenizer.apply_chat_template(list(conversation), tokenize=False, add_generation_prompt=True)
    return list(backend.tokenizer(text, add_special_tokens=False)["input_ids"])


def test_reuse_gives_the_same_replies_over_several_turns_and_caches_what_it_says(
        pair: tuple[HFBackend, HFBackend]) -> None:
    plain, reuse = pair
    reuse.prefix_store.clear()  # type: ignore[union-attr]
    convs = _dialogues()
    previous: list[list[int]] = [[] for _ in convs]
    for turn in range(3):
        a, b = plain.generate(convs, GREEDY), reuse.generate(convs, GREEDY)
        assert [r.text for r in a] == [r.text for r in b]
        assert [r.completion_tokens for r in a] == [r.completion_tokens for r in b]
        for i, (conv, reply) in enumerate(zip(convs, b, strict=True)):
            ids = _tokens(reuse, conv)
            assert reply.prompt_tokens == len(ids)
            assert 0 <= reply.meta["cached_tokens"] <= len(ids) - 1
            if turn:
                # At least what the episode's previous prompt and reply share with this prompt is reused.
                shared = min(len(os.path.commonprefix([previous[i], ids])), len(ids) - 1)
                assert reply.meta["cached_tokens"] >= shared > 0
            previous[i] = ids
        convs = [c + [{"role": "assistant", "content": r.text}, {"role": "user", "content": f"No. Try {turn}."}]
                 for c, r in zip(convs, a, strict=True)]
    assert reuse.usage.cached_prompt_tokens > 0
    assert reuse.usage.computed_prompt_tokens < plain.usage.computed_prompt_tokens


def test_prompts_sharing_instructions_in_one_call_compute_them_once(tiny_model_path: Path) -> None:
    backend = HFBackend(tiny_model_path, max_batch_size=8, reuse_cache=True)
    plain = HFBackend(tiny_model_path, max_batch_size=8)
    convs = [c for c in _dialogues()[:6]]
    replies = backend.generate(convs, GREEDY)
    assert [r.text for r in replies] == [r.text for r in plain.generate(convs, GREEDY)]
    shared = len(os.path.commonprefix([_tokens(backend, c) for c in convs]))
    assert shared >= 2 * BLOCK
    assert backend.usage.warmed_tokens == shared
    assert all(r.meta["cached_tokens"] == shared for r in replies)
    u = backend.usage
    assert u.computed_prompt_tokens == u.prompt_tokens - 6 * shared + shared


def test_sampled_replies_do_not_change_with_reuse(pair: tuple[HFBackend, HFBackend]) -> None:
    plain, reuse = pair
    sampling = Decoding(max_new_tokens=10, temperature=1.0, seed=3)
    convs = [Request(c, seed=100 + i) for i, c in enumerate(_dialogues())]
    first = plain.generate(convs, sampling)
    assert [r.text for r in reuse.generate(convs, sampling)] == [r.text for r in first]
    follow = [Request(list(c) + [{"role": "assistant", "content": r.text}, {"role": "user", "content": "again"}],
                      seed=200 + i) for i, (c, r) in enumerate(zip(convs, first, strict=True))]
    b = reuse.generate(follow, sampling)
    assert [r.text for r in b] == [r.text for r in plain.generate(follow, sampling)]
    assert all(r.meta["cached_tokens"] > 0 for r in b)


@pytest.mark.parametrize("game", ["taboo", "wordle", "guesswhat"])
def test_the_runner_plays_the_same_episodes_with_less_prefill(tiny_model_path: Path, game: str) -> None:
    tasks = plan_episodes([game], "test", n=3)[:6]
    plain = HFBackend(tiny_model_path, max_batch_size=8)
    reuse = HFBackend(tiny_model_path, max_batch_size=8, reuse_cache=True, cache_tokens=4096)
    a = Runner({"learner": plain}, decoding=GREEDY, concurrency=8).run(tasks)
    b = Runner({"learner": reuse}, decoding=GREEDY, concurrency=8).run(tasks)
    key = lambda r: r.key  # noqa: E731
    assert [r.turns for r in sorted(a.records, key=key)] == [r.turns for r in sorted(b.records, key=key)]
    assert [r.scores for r in sorted(a.records, key=key)] == [r.scores for r in sorted(b.records, key=key)]
    assert reuse.usage.prompt_tokens == plain.usage.prompt_tokens
    assert reuse.usage.computed_prompt_tokens < plain.usage.computed_prompt_tokens
    assert reuse.prefix_store is not None and reuse.prefix_store.tokens <= 4096


def test_overflow_and_template_failures_are_not_cached(tiny_model_path: Path) -> None:
    backend = HFBackend(tiny_model_path, max_batch_size=4, reuse_cache=True, max_context=64)
    replies = backend.generate([[{"role": "user", "content": "word " * 200}], [{"role": "user", "content": "hi"}]],
                               GREEDY)
    assert replies[0].error == "context_overflow" and replies[1].error is None
    assert backend.usage.requests == 1 and backend.usage.prompt_tokens == replies[1].prompt_tokens
    assert backend.prefix_store is not None and backend.prefix_store.tokens < 64


def test_a_sliding_window_model_keeps_computing_everything() -> None:
    from transformers import MistralConfig, MistralForCausalLM

    model = MistralForCausalLM(MistralConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                             num_attention_heads=4, num_key_value_heads=2, vocab_size=64,
                                             sliding_window=8))
    assert "DynamicSlidingWindowLayer" in (reusable(model) or "")


def test_describe_and_switching_reuse(tiny_model_path: Path) -> None:
    backend = HFBackend(tiny_model_path, reuse_cache=True, cache_tokens=1234)
    assert backend.describe()["cache_reuse"] == {"max_tokens": 1234, "block": BLOCK}
    backend.set_cache_reuse(False)
    assert backend.describe()["cache_reuse"] is None and backend.prefix_store is None
    assert backend.cache_reuse_off == "not asked for"


def test_usage_counts_only_replies_that_reached_the_model() -> None:
    usage = Usage()
    usage.add([Reply("a", prompt_tokens=10, completion_tokens=2, meta={"cached_tokens": 4}),
               Reply("", prompt_tokens=99, error="context_overflow")])
    usage.warmed_tokens = 3
    assert usage.to_dict() == {"calls": 1, "requests": 1, "prompt_tokens": 10, "cached_prompt_tokens": 4,
                               "warmed_tokens": 3, "computed_prompt_tokens": 9, "completion_tokens": 2}
    usage.reset()
    assert usage.computed_prompt_tokens == 0 and usage.calls == 0
