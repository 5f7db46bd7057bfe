"""The tiny-model builder and the transformers backend, end to end through ``from_pretrained``."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from backend_cases import CONVERSATIONS  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from playschool.backends import BACKEND_ERROR, CONTEXT_OVERFLOW, Backend, Decoding, HFBackend  # noqa: E402
from playschool.tiny import build_tiny_model, default_model_path  # noqa: E402

GREEDY = Decoding(max_new_tokens=10)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def backend(tiny_model_path: Path) -> HFBackend:
    return HFBackend(tiny_model_path, max_batch_size=32)


class _GenerateSpy:
    """Wraps ``model.generate`` on one instance to record the tensors each batched call received."""

    def __init__(self, model: Any) -> None:
        self.calls: list[dict[str, Any]] = []
        self._inner = model.generate

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self._inner(*args, **kwargs)


# --- the builder ---------------------------------------------------------------------------------------

def test_build_round_trips_through_from_pretrained(tiny_model_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path, local_files_only=True)
    assert model.config.model_type == "llama"
    assert 500 <= len(tokenizer) <= 1000 == model.config.vocab_size
    assert {tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token, tokenizer.unk_token} == {
        "<|bos|>", "<|eos|>", "<|pad|>", "<|unk|>"}
    text = tokenizer.apply_chat_template(CONVERSATIONS[1], tokenize=False, add_generation_prompt=True)
    assert text.startswith("<|bos|><|system|>\n") and text.endswith("<|eos|>\n<|assistant|>\n")
    without = tokenizer.apply_chat_template(CONVERSATIONS[1], tokenize=False)
    assert not without.endswith("<|assistant|>\n")
    # Byte-level BPE: any text round-trips, including non-ASCII.
    ids = tokenizer("Ünïcödé 🙂 text", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == "Ünïcödé 🙂 text"
    assert tokenizer.unk_token_id not in ids


def test_build_is_deterministic_and_keeps_global_rng(tmp_path: Path, tiny_model_path: Path) -> None:
    state = torch.get_rng_state()
    again = build_tiny_model(tmp_path / "again", seed=0)
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert torch.equal(state, torch.get_rng_state())
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert _sha256(again / name) == _sha256(tiny_model_path / name), name
    assert _sha256(other / "model.safetensors") != _sha256(again / "model.safetensors")


def test_vocab_corpus_changes_the_tokenizer(tmp_path: Path, tiny_model_path: Path) -> None:
    built = build_tiny_model(tmp_path / "extra", vocab_corpus=["xylophonequartz " * 50])
    tokenizer = AutoTokenizer.from_pretrained(built)
    assert len(tokenizer(" xylophonequartz", add_special_tokens=False)["input_ids"]) == 1


def test_default_model_path_builds_once_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYSCHOOL_CACHE", str(tmp_path))
    first = default_model_path()
    assert first == tmp_path / "tiny-v1" and (first / "model.safetensors").is_file()
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert default_model_path() == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp  # not rebuilt
    assert [p.name for p in tmp_path.iterdir()] == ["tiny-v1"]  # no temporary folder left behind


def test_default_model_path_loser_of_a_race_uses_the_winner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import playschool.tiny as tiny

    def build_while_another_process_wins(path: Path) -> Path:
        (tmp_path / "tiny-v1").mkdir()
        (tmp_path / "tiny-v1" / "config.json").write_text("winner")
        (Path(path) / "config.json").write_text("loser")
        return Path(path)

    monkeypatch.setenv("PLAYSCHOOL_CACHE", str(tmp_path))
    monkeypatch.setattr(tiny, "build_tiny_model", build_while_another_process_wins)
    assert (default_model_path() / "config.json").read_text() == "winner"
    assert [p.name for p in tmp_path.iterdir()] == ["tiny-v1"]


# --- the backend ----------------------------------------------------------------------------------------

def test_backend_contract_and_describe(backend: HFBackend, tiny_model_path: Path) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == f"hf:{tiny_model_path}"
    info = backend.describe()
    assert info["backend"] == "hf" and info["model"] == str(tiny_model_path)
    assert info["dtype"] == "float32" and info["device"] == "cpu"
    assert info["num_parameters"] == sum(p.numel() for p in backend.model.parameters())


def test_batched_greedy_equals_one_at_a_time(backend: HFBackend) -> None:
    batched = backend.generate(CONVERSATIONS, GREEDY)
    single = [backend.generate([c], GREEDY)[0] for c in CONVERSATIONS]
    assert [r.text for r in batched] == [r.text for r in single]
    assert [r.completion_tokens for r in batched] == [r.completion_tokens for r in single]
    assert all(r.error is None for r in batched)
    # The random model is not degenerate: replies differ, so order mistakes would show.
    assert len({r.text for r in batched}) > 1


def test_left_padding_one_generate_per_chunk_and_input_order(
    backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = [r.text for r in backend.generate(CONVERSATIONS, GREEDY)]
    spy = _GenerateSpy(backend.model)
    monkeypatch.setattr(backend.model, "generate", spy)
    monkeypatch.setattr(backend, "max_batch_size", 2)
    replies = backend.generate(CONVERSATIONS, GREEDY)
    assert [r.text for r in replies] == expected  # chunking and sorting do not change replies or order
    assert len(spy.calls) == 3  # ceil(5 / 2) batched calls
    pad = backend.tokenizer.pad_token_id
    padded_rows = 0
    for call in spy.calls:
        ids, mask = call["input_ids"], call["attention_mask"]
        assert bool(mask[:, -1].all())  # every prompt ends at the last column: left padding
        padded_rows += int((mask[:, 0] == 0).sum())
        assert bool((ids[mask == 0] == pad).all())
        # Sorted by length inside the call: little padding within a chunk.
        assert list(mask.sum(1)) == sorted(mask.sum(1).tolist())
    assert padded_rows > 0


def test_prompt_tokens_match_the_tokenizer(backend: HFBackend) -> None:
    replies = backend.generate(CONVERSATIONS, GREEDY)
    for conversation, reply in zip(CONVERSATIONS, replies, strict=True):
        ids = backend.tokenizer.apply_chat_template(conversation, add_generation_prompt=True)["input_ids"]
        assert reply.prompt_tokens == len(ids)
        assert 1 <= reply.completion_tokens <= GREEDY.max_new_tokens
        if reply.meta["finish_reason"] == "length":
            assert reply.completion_tokens == GREEDY.max_new_tokens


def test_completion_tokens_stop_at_first_eos(backend: HFBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows that finish early are padded by generate(); the count includes EOS and excludes the padding."""
    tok = backend.tokenizer
    words = tok(" river stone", add_special_tokens=False)["input_ids"]
    eos, pad = tok.eos_token_id, tok.pad_token_id
    continuations = [words + [eos, pad, pad, pad], words + [tok.convert_tokens_to_ids("<|user|>"), eos, pad, pad]]

    def fake_generate(*, input_ids: Any, attention_mask: Any, **_: Any) -> Any:
        new = torch.tensor(continuations[: input_ids.shape[0]])
        return torch.cat([input_ids, new], dim=1)

    monkeypatch.setattr(backend.model, "generate", fake_generate)
    short, long_ = backend.generate(CONVERSATIONS[:2], GREEDY)
    assert short.text == " river stone" and short.completion_tokens == len(words) + 1
    assert long_.text == " river stone" and long_.completion_tokens == len(words) + 2  # special skipped
    assert short.meta["finish_reason"] == long_.meta["finish_reason"] == "stop"


def test_context_overflow_is_a_reply_and_never_reaches_the_model(
    tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = HFBackend(tiny_model_path, max_context=48)
    spy = _GenerateSpy(small.model)
    monkeypatch.setattr(small.model, "generate", spy)
    short, long_, other = small.generate([CONVERSATIONS[0], CONVERSATIONS[4], CONVERSATIONS[0]], GREEDY)
    assert long_.error == CONTEXT_OVERFLOW and long_.text == "" and "48" in long_.detail
    assert short.error is None and other.error is None and short.text == other.text
    assert [c["input_ids"].shape[0] for c in spy.calls] == [2]
    # Exactly at the limit still fits: prompt + max_new_tokens == max_context.
    limit = short.prompt_tokens + GREEDY.max_new_tokens
    assert HFBackend(tiny_model_path, max_context=limit).generate([CONVERSATIONS[0]], GREEDY)[0].error is None


def test_missing_pad_token_falls_back_to_eos(tiny_model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "nopad"
    shutil.copytree(tiny_model_path, copy)
    config = json.loads((copy / "tokenizer_config.json").read_text())
    del config["pad_token"]
    (copy / "tokenizer_config.json").write_text(json.dumps(config))
    nopad = HFBackend(copy)
    assert nopad.tokenizer.pad_token == "<|eos|>"
    replies = nopad.generate(CONVERSATIONS, GREEDY)
    assert [r.text for r in replies] == [r.text for r in HFBackend(tiny_model_path).generate(CONVERSATIONS, GREEDY)]


def test_tokenizer_without_chat_template_is_rejected_at_load(tiny_model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "base"
    shutil.copytree(tiny_model_path, copy)
    (copy / "chat_template.jinja").unlink()
    with pytest.raises(ValueError, match="chat template"):
        HFBackend(copy)


def test_template_failure_is_an_error_reply(backend: HFBackend) -> None:
    bad, good = backend.generate([[{"role": "user"}], CONVERSATIONS[0]], GREEDY)  # no "content"
    assert bad.error == BACKEND_ERROR and good.error is None


def test_sampling_is_seeded_and_leaves_global_rng(backend: HFBackend) -> None:
    sample = Decoding(max_new_tokens=10, temperature=1.0, top_p=0.9, seed=7)
    state = torch.get_rng_state()
    first = backend.generate(CONVERSATIONS, sample)
    assert torch.equal(state, torch.get_rng_state())
    assert [r.text for r in backend.generate(CONVERSATIONS, sample)] == [r.text for r in first]
    nucleus = backend.generate(CONVERSATIONS, Decoding(max_new_tokens=10, temperature=1.0, top_p=0.0))
    assert [r.text for r in nucleus] == [r.text for r in backend.generate(CONVERSATIONS, GREEDY)]  # best only
    reseeded = backend.generate(CONVERSATIONS, Decoding(max_new_tokens=10, temperature=1.0, seed=8))
    assert [r.text for r in reseeded] != [r.text for r in first]
    assert [r.text for r in first] != [r.text for r in backend.generate(CONVERSATIONS, GREEDY)]


def test_importing_backends_does_not_import_torch() -> None:
    code = ("import sys, playschool.backends; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


def test_samples_do_not_depend_on_batching_and_duplicates_differ(backend: HFBackend) -> None:
    sample = Decoding(max_new_tokens=12, temperature=1.0, seed=3)
    together = [r.text for r in backend.generate(CONVERSATIONS, sample)]
    alone = [backend.generate([c], sample)[0].text for c in CONVERSATIONS]
    reversed_order = [r.text for r in backend.generate(list(reversed(CONVERSATIONS)), sample)][::-1]
    assert together == alone == reversed_order  # a sample is a function of the conversation and the seed
    group = [r.text for r in backend.generate([CONVERSATIONS[0]] * 4, sample)]
    assert group[0] == together[0] and len(set(group)) > 1  # a GRPO-style group gets distinct samples


def test_a_request_seed_makes_a_sample_independent_of_how_calls_are_chunked(tiny_model_path: Path) -> None:
    from playschool.backends.base import Request

    sample = Decoding(max_new_tokens=12, temperature=1.0, seed=3)
    # The same conversation twice, as two episodes' turns: each request carries its own seed.
    requests = [Request(c, seed=100 + i) for i, c in enumerate([CONVERSATIONS[0], *CONVERSATIONS])]
    wide = [r.text for r in HFBackend(tiny_model_path, max_batch_size=32).generate(requests, sample)]
    narrow = HFBackend(tiny_model_path, max_batch_size=2)
    chunked = [r.text for r in narrow.generate(requests, sample)]
    split_calls = [r.text for part in (requests[:3], requests[3:]) for r in narrow.generate(part, sample)]
    assert wide == chunked == split_calls  # no copy counter per call: the seed alone decides
    assert wide[0] != wide[1]  # the same conversation under two episodes' seeds samples differently
    again = narrow.generate([Request(CONVERSATIONS[0], seed=100)], sample)[0].text
    assert again == wide[0]


def test_greedy_ignores_the_checkpoints_generation_defaults(tiny_model_path: Path, tmp_path: Path) -> None:
    # A checkpoint may ship sampling or penalty defaults; "greedy" must mean greedy whatever it says.
    copy = tmp_path / "opinionated"
    shutil.copytree(tiny_model_path, copy)
    defaults = {"do_sample": True, "temperature": 5.0, "top_k": 3, "repetition_penalty": 8.0,
                "no_repeat_ngram_size": 1}
    path = copy / "generation_config.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**config, **defaults}))
    plain = [r.text for r in HFBackend(tiny_model_path).generate(CONVERSATIONS, GREEDY)]
    backend = HFBackend(copy)
    assert [r.text for r in backend.generate(CONVERSATIONS, GREEDY)] == plain
    assert backend.describe()["generation_defaults_ignored"]["repetition_penalty"] == 8.0  # the manifest says so
