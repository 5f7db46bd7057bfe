"""Reusing keys and values across model calls in the transformers backend.

Every turn of a dialogue game re-sends the whole conversation: the game's instructions, shared by every episode,
then the episode's history, shared by all its later turns. Computed again each time, that prefill is most of the
work (in taboo ~720 prompt tokens per ~40 generated). :class:`PrefixStore` keeps the keys and values of recent
sequences (a prompt and the reply generated after it) and finds, for a new prompt, the longest prefix whose keys
and values are already known: the previous turn of the same episode, or the instructions of another episode of
the same game. Keys and values at a position depend only on the tokens up to it (causal attention), so reusing
them for an identical prefix changes no result; only the prefix's rows are left out of the computation.

:func:`batched_past` lays the prefixes of one batch out for ``generate``: each row's cached prefix is left-padded
to the longest one, and the uncached rest of each prompt is left-padded again after it. Padding sits in the
middle of a row, which the attention mask hides; positions come from the mask's running count, so every real
token keeps the position it had when its keys were computed.

Lookups go by blocks of :data:`BLOCK` tokens (a hash chain, as paged engines do), then token by token into the
next block among the entries holding the longest whole-block prefix, so a lookup costs a few dictionary probes
and short comparisons, not a scan of every stored sequence.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

#: Tokens per hashed block of a stored sequence.
BLOCK = 16

#: Keys and values of one sequence: one (keys, values) pair per layer, each ``[heads, tokens, head_dim]``.
LayerKV = list[tuple[torch.Tensor, torch.Tensor]]


@dataclass
class _Entry:
    ids: tuple[int, ...]
    kv: LayerKV
    hashes: list[int]
    prompt_len: int  # the prompt's share of ids; the rest is the reply generated after it


class PrefixStore:
    """Keys and values of recent token sequences, found again by their longest shared prefix.

    ``max_tokens`` bounds the tokens held over all sequences; the least recently used ones go first. A sequence
    whose prompt continued a held one past that one's whole prompt replaces it (an episode's next turn supersedes
    its last one), so an episode holds one entry, not one per turn; an entry that only shared instructions with
    the new prompt (another episode's) stays.
    """

    def __init__(self, max_tokens: int) -> None:
        if max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")
        self.max_tokens = max_tokens
        self.tokens = 0
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        # hash of a prefix of whole blocks -> ids of the entries holding it (an ordered set: oldest first)
        self._by_block: dict[int, dict[int, None]] = {}
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _chain(ids: Sequence[int], upto: int) -> list[int]:
        """Hashes of the prefixes of ``ids`` ending at each whole block (at most ``upto`` tokens)."""
        out: list[int] = []
        h = 0
        for start in range(0, upto - BLOCK + 1, BLOCK):
            h = hash((h, tuple(ids[start:start + BLOCK])))
            out.append(h)
        return out

    def lookup(self, ids: Sequence[int], limit: int) -> tuple[int, int | None]:
        """The longest prefix of ``ids`` (at most ``limit`` tokens) held, as ``(length, entry id)``; ``(0,
        None)`` when nothing is shared."""
        holders: dict[int, None] | None = None
        h = 0
        n = 0
        for start in range(0, limit - BLOCK + 1, BLOCK):
            h = hash((h, tuple(ids[start:start + BLOCK])))
            found = self._by_block.get(h)
            if not found:
                break
            holders, n = found, start + BLOCK
        # Every holder of the longest whole-block prefix (or, with none, every entry: a short prompt) may go on
        # for a few more tokens; the one that goes furthest wins, the newest on ties.
        candidates = list(holders) if holders is not None else list(self._entries)
        best, best_n = None, 0
        for entry_id in reversed(candidates):
            entry_ids = self._entries[entry_id].ids
            end = min(limit, len(entry_ids))
            m = n
            while m < end and entry_ids[m] == ids[m]:
                m += 1
            if m > best_n:
                best, best_n = entry_id, m
        if best is None:
            return 0, None
        if tuple(self._entries[best].ids[:n]) != tuple(ids[:n]):  # a hash collision: trust nothing
            return 0, None
        self._entries.move_to_end(best)
        return best_n, best

    def get(self, entry_id: int, length: int) -> LayerKV:
        """The first ``length`` positions of an entry's keys and values (views, not copies)."""
        return [(k[:, :length], v[:, :length]) for k, v in self._entries[entry_id].kv]

    def put(self, ids: Sequence[int], kv: LayerKV, *, prompt_len: int,
            source: tuple[int, int] | None = None) -> None:
        """Hold ``kv`` (one pair per layer, ``[heads, len(ids), head_dim]``) for ``ids``, a prompt of
        ``prompt_len`` tokens and its reply. ``source``: ``(entry id, shared length)`` of the lookup that served
        the prompt; that entry is dropped when the prompt went past its whole prompt (the same conversation,
        one turn on: what it holds beyond the shared part is its reply as generated, which the next prompt
        renders its own way)."""
        if len(ids) > self.max_tokens:
            return
        if source is not None and source[0] in self._entries and source[1] >= self._entries[source[0]].prompt_len:
            self._drop(source[0])
        entry_id = self._next_id
        self._next_id += 1
        entry = _Entry(tuple(ids), kv, self._chain(ids, len(ids)), prompt_len)
        self._entries[entry_id] = entry
        for h in entry.hashes:
            self._by_block.setdefault(h, {})[entry_id] = None
        self.tokens += len(ids)
        while self.tokens > self.max_tokens:
            self._drop(next(iter(self._entries)))

    def _drop(self, entry_id: int) -> None:
        entry = self._entries.pop(entry_id)
        self.tokens -= len(entry.ids)
        for h in entry.hashes:
            holders = self._by_block[h]
            holders.pop(entry_id, None)
            if not holders:
                del self._by_block[h]

    def clear(self) -> None:
        self._entries.clear()
        self._by_block.clear()
        self.tokens = 0


@dataclass
class BatchLayout:
    """One batch laid out for ``generate`` over cached prefixes (see the module docstring).

    ``input_ids``/``attention_mask``: ``[rows, P + S]``, where the first ``P`` columns are the (left-padded)
    cached prefixes and the next ``S`` the (left-padded) rest of each prompt. ``past``: ``None`` when no row
    has a cached prefix, else one ``(keys, values)`` pair per layer, ``[rows, heads, P, head_dim]``.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    past: LayerKV | None
    cached: list[int]


def batched_past(prompts: Sequence[Sequence[int]], prefixes: Sequence[LayerKV | None], pad_id: int) -> BatchLayout:
    """Lay out ``prompts`` with their cached ``prefixes`` (``None``: nothing cached; a prefix's length is its
    keys' second dimension and must leave at least one prompt token uncached)."""
    cached = [0 if kv is None else int(kv[0][0].shape[1]) for kv in prefixes]
    for ids, n in zip(prompts, cached, strict=True):
        if n >= len(ids):
            raise ValueError(f"a cached prefix of {n} tokens leaves nothing of a {len(ids)}-token prompt to feed")
    width_p = max(cached)
    width_s = max(len(ids) - n for ids, n in zip(prompts, cached, strict=True))
    rows, masks = [], []
    for ids, n in zip(prompts, cached, strict=True):
        rest = len(ids) - n
        rows.append([pad_id] * (width_p - n) + list(ids[:n]) + [pad_id] * (width_s - rest) + list(ids[n:]))
        masks.append([0] * (width_p - n) + [1] * n + [0] * (width_s - rest) + [1] * rest)
    past: LayerKV | None = None
    if width_p:
        template = next(kv for kv in prefixes if kv is not None)
        past = []
        for layer, (k0, v0) in enumerate(template):
            keys = k0.new_zeros((len(prompts), k0.shape[0], width_p, k0.shape[2]))
            values = v0.new_zeros((len(prompts), v0.shape[0], width_p, v0.shape[2]))
            for r, kv in enumerate(prefixes):
                if kv is not None and cached[r]:
                    keys[r, :, width_p - cached[r]:] = kv[layer][0]
                    values[r, :, width_p - cached[r]:] = kv[layer][1]
            past.append((keys, values))
    return BatchLayout(torch.tensor(rows), torch.tensor(masks), past, cached)


def row_kv(cache: Any, row: int, positions: torch.Tensor) -> LayerKV:
    """Copies of one row's keys and values at ``positions`` (columns of the batch cache), per layer."""
    return [(layer.keys[row][:, positions].clone(), layer.values[row][:, positions].clone())
            for layer in cache.layers]


def reusable(model: Any) -> str | None:
    """``None`` when this model's cache can be reused as above, else why not (sliding windows, recurrent state
    and other cache kinds keep more than keys and values per position)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    try:
        cache = DynamicCache(config=model.config)
    except Exception as exc:  # a model whose config DynamicCache cannot read
        return f"no dynamic cache for this model ({type(exc).__name__})"
    kinds = {type(layer).__name__ for layer in cache.layers}
    if not cache.layers:
        # Layers are made on first use when the config names no layer types: plain full attention.
        return None
    if kinds != {DynamicLayer.__name__}:
        return f"cache layers {sorted(kinds)} keep more than keys and values per position"
    return None


__all__ = ["BLOCK", "BatchLayout", "LayerKV", "PrefixStore", "batched_past", "reusable", "row_kv"]
