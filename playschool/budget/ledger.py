"""The budget ledger: a hash-chained JSONL file, one header, one entry per optimizer step, one end record.

Every line is a JSON object with ``type`` (``header``, ``step``, ``eval``, ``choice`` or ``end``), ``prev`` (the previous
line's ``hash``; 64 zeros for the header) and ``hash`` (sha256 of the line's canonical JSON without ``hash``).
Editing any field, reordering or inserting lines breaks a hash or a link; cutting lines off the end loses the
``end`` record, whose totals must match the steps before it. :func:`verify_ledger` checks all of it and names
the first bad line.

The chain makes a ledger *tamper-evident*, not tamper-proof: whoever rewrites every hash after an edit
produces a consistent file. Quote the ledger's final hash (``LedgerSummary.head``, also written into the saved
model's card and ``budget.json``) wherever results are reported; a recomputed chain then no longer matches.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .policy import POLICY_VERSION

GENESIS = "0" * 64
ENTRY_TYPES = ("header", "step", "eval", "choice", "end")
#: Keys a ``choice`` entry sets itself: the caller's entry may not carry them.
_CHOICE_RESERVED = ("type", "prev", "hash", "after_step", "cumulative", "time")


class LedgerError(ValueError):
    """A ledger that does not verify: ``line`` (1-based) is the first bad line, ``reason`` says why."""

    def __init__(self, path: str | Path, line: int, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        super().__init__(f"{path}: line {line}: {reason}" if line else f"{path}: {reason}")


def _canonical(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def entry_hash(entry: Mapping[str, Any]) -> str:
    """sha256 of an entry's canonical JSON, its own ``hash`` field left out."""
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"}).encode()).hexdigest()


class LedgerWriter:
    """Appends chained entries to a new ledger file. Only one process (the main one) writes.

    Each line is flushed as it is written and fsync'd at most once a second and at :meth:`close`, so a killed
    run leaves a ledger that verifies up to its last step (reported as incomplete: it has no ``end``).
    """

    def __init__(self, path: str | Path, header: Mapping[str, Any]) -> None:
        self.path = Path(path)
        if self.path.exists() and self.path.stat().st_size > 0:
            raise FileExistsError(f"{self.path} already exists: a ledger is never overwritten or appended to "
                                  "by a second run (move it away, or write this run's ledger elsewhere)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "x", encoding="utf-8")  # noqa: SIM115 - lives as long as the writer
        self.head = GENESIS
        self.steps = 0
        self.total = 0
        self.rollout_total = 0
        self.teacher_total = 0
        self.budget = int(header["budget_tokens"])
        self._last_sync = time.monotonic()
        self._write({"type": "header", "policy": POLICY_VERSION, **header})

    def _write(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry["prev"] = self.head
        entry["hash"] = entry_hash(entry)
        self._fh.write(_canonical(entry) + "\n")
        self._fh.flush()
        now = time.monotonic()
        if now - self._last_sync >= 1.0:
            os.fsync(self._fh.fileno())
            self._last_sync = now
        self.head = entry["hash"]
        return entry

    def step(self, tokens: int, batch: str, *, micro_batches: int, rollout_tokens: int = 0,
             teacher_tokens: int = 0, global_step: int | None = None) -> dict[str, Any]:
        """Record one optimizer step that fed ``tokens`` budget tokens."""
        self.steps += 1
        self.total += int(tokens)
        self.rollout_total += int(rollout_tokens)
        self.teacher_total += int(teacher_tokens)
        return self._write({"type": "step", "step": self.steps, "tokens": int(tokens), "cumulative": self.total,
                            "micro_batches": int(micro_batches), "batch": batch,
                            "rollout_tokens": int(rollout_tokens), "teacher_tokens": int(teacher_tokens),
                            "global_step": global_step, "time": round(time.time(), 3)})

    def evaluation(self, scores: Mapping[str, float], *, label: str = "") -> dict[str, Any]:
        """Record scores measured at the current point (a learning-curve point; not part of the totals)."""
        return self._write({"type": "eval", "after_step": self.steps, "cumulative": self.total, "label": label,
                            "scores": {k: float(v) for k, v in scores.items()}, "time": round(time.time(), 3)})

    def choice(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Record a curriculum choice (what the learner chose to practise, ``arm``, and why; not part of the
        totals). ``entry`` is any JSON object with an ``arm`` string; ``after_step`` and ``cumulative`` are added."""
        if not isinstance(entry.get("arm"), str):
            raise ValueError(f"a choice entry needs an 'arm' string, got {entry.get('arm')!r}")
        if clash := sorted(k for k in entry if k in _CHOICE_RESERVED):
            raise ValueError(f"a choice entry may not set {clash}: the ledger sets them")
        return self._write({"type": "choice", "after_step": self.steps, "cumulative": self.total, **entry,
                            "time": round(time.time(), 3)})

    def close(self, reason: str, *, refused_step_tokens: int = 0) -> dict[str, Any]:
        """Write the end record (totals, why training stopped and, when the budget stopped it, the tokens of
        the step that was refused) and close the file."""
        entry = self._write({"type": "end", "reason": reason, "refused_step_tokens": int(refused_step_tokens),
                             "steps": self.steps, "total_tokens": self.total,
                             "rollout_tokens": self.rollout_total, "teacher_tokens": self.teacher_total,
                             "budget_tokens": self.budget, "time": round(time.time(), 3)})
        os.fsync(self._fh.fileno())
        self._fh.close()
        return entry

    @property
    def closed(self) -> bool:
        return self._fh.closed


@dataclass(frozen=True)
class LedgerSummary:
    """What a verified ledger says."""

    path: str
    header: dict[str, Any]
    steps: list[dict[str, Any]]
    evals: list[dict[str, Any]]
    end: dict[str, Any] | None
    head: str  #: the hash of the last line: quote it to pin the ledger
    total_tokens: int
    rollout_tokens: int
    teacher_tokens: int
    complete: bool = field(default=False)
    choices: list[dict[str, Any]] = field(default_factory=list)  #: curriculum choices, in order

    @property
    def budget_tokens(self) -> int:
        return int(self.header["budget_tokens"])


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8") as fh:
        for i, raw in enumerate(fh, start=1):
            if not raw.endswith("\n"):
                raise LedgerError(path, i, "the last line is cut off (a write was interrupted or the file truncated)")
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise LedgerError(path, i, f"not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise LedgerError(path, i, "not a JSON object")
            yield i, obj


def _int_field(path: Path, line: int, entry: Mapping[str, Any], key: str) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LedgerError(path, line, f"{key!r} must be a non-negative integer, got {value!r}")
    return value


def verify_ledger(path: str | Path, *, allow_incomplete: bool = False, expect_head: str | None = None) -> LedgerSummary:
    """Recompute a ledger's chain and totals; raise :class:`LedgerError` naming the first bad line.

    Checks: the first line is a header of a known policy; every line's hash matches its content and its
    ``prev`` the line before (edits, reordering, insertions); steps are numbered 1, 2, ... with non-negative
    tokens and a running ``cumulative`` that never passes the budget; the ``end`` record is last and its totals
    equal the sums of the steps (truncation loses it). ``allow_incomplete`` accepts a ledger without ``end``
    (a run that was killed); ``expect_head`` pins the last hash to one quoted elsewhere.
    """
    p = Path(path)
    if not p.is_file():
        raise LedgerError(p, 0, "no such file")
    header: dict[str, Any] | None = None
    steps: list[dict[str, Any]] = []
    evals: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []
    end: dict[str, Any] | None = None
    head, line_no = GENESIS, 0
    total = rollout = teacher = 0
    for line_no, entry in _lines(p):
        kind = entry.get("type")
        if kind not in ENTRY_TYPES:
            raise LedgerError(p, line_no, f"unknown entry type {kind!r}")
        if entry.get("prev") != head:
            raise LedgerError(p, line_no, "its 'prev' does not link to the line before: a line was inserted, "
                                          "removed or moved here")
        if entry.get("hash") != entry_hash(entry):
            raise LedgerError(p, line_no, "its hash does not match its content: the line was edited")
        head = entry["hash"]
        if end is not None:
            raise LedgerError(p, line_no, "a line after the end record")
        if line_no == 1:
            if kind != "header":
                raise LedgerError(p, line_no, "the first line must be the header")
            if entry.get("policy") != POLICY_VERSION:
                raise LedgerError(p, line_no, f"unknown counting policy {entry.get('policy')!r} "
                                              f"(this playschool knows {POLICY_VERSION!r})")
            _int_field(p, line_no, entry, "budget_tokens")
            header = entry
            continue
        if kind == "header":
            raise LedgerError(p, line_no, "a second header")
        assert header is not None
        if kind == "step":
            if entry.get("step") != len(steps) + 1:
                raise LedgerError(p, line_no, f"step {entry.get('step')!r} where step {len(steps) + 1} was due")
            tokens = _int_field(p, line_no, entry, "tokens")
            total += tokens
            rollout += _int_field(p, line_no, entry, "rollout_tokens")
            teacher += _int_field(p, line_no, entry, "teacher_tokens")
            if entry.get("cumulative") != total:
                raise LedgerError(p, line_no, f"cumulative {entry.get('cumulative')!r} but the steps sum to {total}")
            if total > header["budget_tokens"]:
                raise LedgerError(p, line_no, f"step {len(steps) + 1} takes the total to {total}, above the budget "
                                              f"of {header['budget_tokens']}")
            steps.append(entry)
        elif kind == "eval":
            if entry.get("after_step") != len(steps) or entry.get("cumulative") != total:
                raise LedgerError(p, line_no, "an evaluation point that does not match the steps before it")
            evals.append(entry)
        elif kind == "choice":
            if entry.get("after_step") != len(steps) or entry.get("cumulative") != total:
                raise LedgerError(p, line_no, "a curriculum choice that does not match the steps before it")
            if not isinstance(entry.get("arm"), str):
                raise LedgerError(p, line_no, f"a curriculum choice without an 'arm' string ({entry.get('arm')!r})")
            choices.append(entry)
        else:
            want = {"steps": len(steps), "total_tokens": total, "rollout_tokens": rollout, "teacher_tokens": teacher,
                    "budget_tokens": header["budget_tokens"]}
            for key, value in want.items():
                if entry.get(key) != value:
                    raise LedgerError(p, line_no, f"end record says {key}={entry.get(key)!r}, the steps say {value}")
            refused = entry.get("refused_step_tokens", 0)
            if entry.get("reason") == "budget" and (not isinstance(refused, int) or total + refused <= header["budget_tokens"]):
                raise LedgerError(p, line_no, f"stopped for the budget, but the refused step ({refused!r} tokens) "
                                              "would have fitted")
            end = entry
    if header is None:
        raise LedgerError(p, 1, "the ledger is empty")
    if end is None and not allow_incomplete:
        raise LedgerError(p, line_no + 1, f"no end record after line {line_no} (step {len(steps)}): the ledger was "
                                          "truncated, or the run was killed (--allow-incomplete accepts the latter)")
    if expect_head is not None and head != expect_head:
        raise LedgerError(p, line_no, f"the last hash is {head}, not the expected {expect_head}")
    return LedgerSummary(str(p), header, steps, evals, end, head, total, rollout, teacher, complete=end is not None,
                         choices=choices)


__all__ = ["GENESIS", "LedgerError", "LedgerSummary", "LedgerWriter", "entry_hash", "verify_ledger"]
