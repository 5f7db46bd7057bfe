"""Conversations the backend tests share: the transformers and vLLM backends must treat the same inputs alike
(plain turns, a system prompt, unicode, a long prompt)."""

from __future__ import annotations

CONVERSATIONS = [
    [{"role": "user", "content": "hi"}],
    [{"role": "system", "content": "You are a guesser. Answer with GUESS: word."},
     {"role": "user", "content": "It is a yellow fruit that monkeys like to eat."}],
    [{"role": "user", "content": "Tell me a story about the river and the village, please."}],
    [{"role": "user", "content": "one"}, {"role": "assistant", "content": "two"},
     {"role": "user", "content": "three? Ünïcödé 🙂"}],
    [{"role": "user", "content": "word " * 40}],
]
