"""``playschool budget verify LEDGER`` and ``playschool budget report LEDGER [--png FILE]``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .ledger import LedgerError, verify_ledger


def _verify(args: argparse.Namespace) -> int:
    try:
        s = verify_ledger(args.ledger, allow_incomplete=args.allow_incomplete, expect_head=args.expect_head)
    except LedgerError as exc:
        print(f"INVALID {exc}")
        return 1
    state = "complete" if s.complete else "incomplete (no end record)"
    print(f"OK {s.path}: {len(s.steps)} steps, {s.total_tokens:,} of {s.budget_tokens:,} budget tokens, "
          f"{state}; head {s.head}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import plot, summary_lines

    try:
        s = verify_ledger(args.ledger, allow_incomplete=True)
    except LedgerError as exc:
        print(f"INVALID {exc}")
        return 1
    for line in summary_lines(s):
        print(line)
    if not args.no_png:
        png = Path(args.png) if args.png else Path(args.ledger).with_suffix(".png")
        print(f"plot           {plot(s, png)}")
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("budget", help="verify a token-budget ledger or report on it")
    bsub = p.add_subparsers(dest="budget_command", required=True)
    v = bsub.add_parser("verify", help="recompute the hash chain and totals; exit 1 naming the first bad line")
    v.add_argument("ledger")
    v.add_argument("--allow-incomplete", action="store_true", help="accept a ledger without an end record")
    v.add_argument("--expect-head", help="the ledger's last hash as quoted elsewhere (model card, results)")
    v.set_defaults(fn=_verify)
    r = bsub.add_parser("report", help="print totals and write a PNG of tokens over steps (and the learning curve)")
    r.add_argument("ledger")
    r.add_argument("--png", help="output image (default: LEDGER with .png)")
    r.add_argument("--no-png", action="store_true")
    r.set_defaults(fn=_report)


__all__ = ["add_parser"]
