"""Tiny, deterministic, offline causal LMs for tests, demos and the embedded default learner.

Nothing here downloads anything: the tokenizer is a byte-level BPE trained on the fly on a small built-in
English corpus (plus whatever the caller adds), the model is a randomly initialised Llama of a few hundred
thousand parameters, and both are written with ``save_pretrained`` so that every consumer loads them through
the real ``from_pretrained`` path, exactly as it would load a Hub model.

The weights are random, so the model's text is gibberish; what matters is that it is a real transformers
model with a real chat template, that it is small enough to run on two CPU cores in milliseconds, and that
the same seed always gives the same bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Bump when anything below changes the built files, so stale caches are never reused.
TINY_VERSION = "tiny-v1"

BOS, EOS, PAD, UNK = "<|bos|>", "<|eos|>", "<|pad|>", "<|unk|>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>")

# Each turn is "<|role|>\n{content}<|eos|>\n"; the generation prompt opens an assistant turn, so a model
# that has learned the format ends its reply with EOS, which is where generation stops.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)

# Small built-in corpus: enough distinct English words (and the vocabulary of our games) for the BPE
# trainer to reach roughly a thousand tokens, so that prompts tokenize into plausible lengths.
_CORPUS = """
The teacher describes a word without saying it, and the learner has to guess the word. If the guess is
wrong, the teacher gives a clue or asks a question. When the learner does not understand, it may ask for
clarification: what do you mean, could you say that again, which one do you mean? A good player listens,
thinks, and answers in the expected format. The game ends when the word is found or the turns run out.
In the word game, the player guesses a five letter word. After every guess the teacher marks each letter:
green when the letter is in the right place, yellow when it is in the word but in another place, and grey
when it is not in the word at all. Good guesses use the feedback from earlier turns. Words like apple,
bread, chair, dance, eagle, flame, grape, house, image, juice, knife, lemon, money, night, ocean, piano,
queen, river, stone, table, uncle, voice, water, youth and zebra are common answers.
Please answer with one word only. Your answer must start with GUESS: followed by the word. That move is not
allowed, try again. The format was wrong; please repair your answer. Well done, you found it! Sorry, you
lost this round. The episode was aborted after too many errors. Thank you for playing with me today.
Once upon a time there was a small village near a quiet forest. Every morning the children walked to
school along the river, and every evening they came back home for dinner with their families. They liked
to read books, paint pictures, sing songs, build towers from wooden blocks and play games in the garden.
The weather changes with the seasons: spring brings flowers and rain, summer is warm and bright, autumn
paints the leaves red and yellow, and winter covers the hills with snow. People talk about the weather
because it is something everyone shares. Language is a tool for working together; we use it to plan, to
explain, to correct each other and to build common ground. A conversation is a joint activity.
Question: What is the capital of France? Answer: Paris. Question: How many legs does a spider have?
Answer: eight. Which of the following is a mammal? A) shark B) dolphin C) trout D) octopus. The correct
choice is B. Numbers: one two three four five six seven eight nine ten hundred thousand million 0 1 2 3 4
5 6 7 8 9 10 42 100 2024. Science studies nature through observation, measurement and experiment; history
studies the past through sources; mathematics studies structure, quantity, space and change.
The system prompt sets the rules. The user writes a message. The assistant replies helpfully, honestly
and briefly. I think the answer is probably right, but I am not completely sure. Let me check again.
Could you give me a hint? Is it an animal? Is it bigger than a cat? Can you eat it? Does it grow on trees?
Yes. No. Maybe. Sometimes. I don't know. Of course! Great, thanks. Here is my next guess.
"""


def build_tiny_model(
    path: str | Path,
    *,
    seed: int = 0,
    vocab_corpus: Iterable[str] | None = None,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    max_position_embeddings: int = 2048,
    vocab_size: int = 1000,
    intermediate_size: int | None = None,
) -> Path:
    """Build a tiny Llama causal LM plus tokenizer with a chat template and save both into ``path``.

    Deterministic: the same arguments produce byte-identical files. The global torch RNG is left as it was
    (initialisation runs inside :func:`torch.random.fork_rng`). Returns ``path`` as a :class:`Path`.
    """
    # Heavy imports stay inside so that importing playschool never pulls in torch.
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(vocab_corpus, vocab_size),
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        additional_special_tokens=list(ROLE_TOKENS),
        chat_template=CHAT_TEMPLATE,
        model_max_length=max_position_embeddings,
        padding_side="left",  # decoder-only batched generation needs left padding
    )

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=_token_id(tokenizer, BOS),
        eos_token_id=_token_id(tokenizer, EOS),
        pad_token_id=_token_id(tokenizer, PAD),
        tie_word_embeddings=False,  # a tied random model just repeats its last token
    )
    # fork_rng restores the global CPU RNG on exit, so callers' random streams are untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _token_id(tokenizer: Any, token: str) -> int:
    """The id of a single special token (``convert_tokens_to_ids`` is typed to also return lists)."""
    token_id = tokenizer.convert_tokens_to_ids(token)
    if not isinstance(token_id, int):
        raise TypeError(f"{token!r} is not a single token")
    return token_id


def _train_tokenizer(vocab_corpus: Iterable[str] | None, vocab_size: int):  # -> tokenizers.Tokenizer
    """Train a byte-level BPE (GPT-2 style: every byte is representable, so no input is ever unknown)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=[BOS, EOS, PAD, UNK, *ROLE_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    texts = [line for line in _CORPUS.splitlines() if line.strip()]
    if vocab_corpus is not None:
        texts.extend(vocab_corpus)
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def cache_dir() -> Path:
    """Where built artefacts live: ``$PLAYSCHOOL_CACHE`` or ``~/.cache/playschool``."""
    env = os.environ.get("PLAYSCHOOL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "playschool"


def default_model_path() -> Path:
    """Return the cached default tiny model, building it on first use.

    The build goes into a private temporary folder next to the target and is moved into place with one
    ``os.replace``, so a concurrent caller sees either no folder or a complete one. If two processes
    build at once, the first rename wins and the loser discards its copy (both copies are identical).
    """
    root = cache_dir()
    target = root / TINY_VERSION
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{TINY_VERSION}.tmp-", dir=root))
    try:
        build_tiny_model(tmp)
        try:
            os.replace(tmp, target)
        except OSError:
            # Someone else finished first (the target is now a non-empty folder): use theirs.
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


__all__ = ["TINY_VERSION", "build_tiny_model", "cache_dir", "default_model_path"]
