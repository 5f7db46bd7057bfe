"""The post-training token budget: the counting policy, the hash-chained ledger and the Trainer callback.

``policy`` and ``ledger`` need only the standard library (and numpy); ``BudgetCallback`` imports transformers,
so it is loaded on first use.
"""

from __future__ import annotations

from typing import Any

from .ledger import LedgerError, LedgerSummary, LedgerWriter, verify_ledger
from .policy import POLICY_VERSION, count_tokens, fingerprint_tokens


def __getattr__(name: str) -> Any:
    if name in ("BudgetCallback", "BudgetExceededError"):
        from . import callback

        return getattr(callback, name)
    raise AttributeError(name)


__all__ = ["POLICY_VERSION", "BudgetCallback", "BudgetExceededError", "LedgerError", "LedgerSummary",
           "LedgerWriter", "count_tokens", "fingerprint_tokens", "verify_ledger"]
