"""Command lines from recipe config dataclasses: one ``--flag`` per field, help from the field's metadata.

Each recipe keeps one dataclass as the single source of its options; this turns it into an argparse parser,
so ``python baselines/sft.py``, ``accelerate launch baselines/sft.py`` and ``playschool train sft`` take the same
flags. Token counts accept ``K``, ``M`` and ``G`` suffixes (``--budget-tokens 5M``).
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_SUFFIX = {"k": 10**3, "m": 10**6, "g": 10**9}


def parse_tokens(text: str) -> int:
    """``"250k"`` -> 250000, ``"1.5M"`` -> 1500000; a plain integer as is. Must be positive."""
    s = str(text).strip().lower().replace("_", "").replace(",", "")
    mult = _SUFFIX.get(s[-1:], 1)
    number = s[:-1] if s[-1:] in _SUFFIX else s
    try:
        value = int(float(number) * mult) if mult > 1 else int(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a token count: {text!r} (e.g. 500000, 250k, 5M, 1G)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"a token count must be positive, got {text!r}")
    return value


def _base(tp: Any) -> tuple[Any, bool]:
    """The field's type without ``| None``, and whether it is a list."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        tp = next(a for a in args if a is not type(None))
    if typing.get_origin(tp) is list:
        return typing.get_args(tp)[0], True
    return tp, False


def build_parser(cls: type[Any], *, prog: str, doc: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n")[0],
                                     epilog=(doc or "").split("\n\n", 1)[-1] if doc else None,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name == "recipe":
            continue
        flag = "--" + f.name.replace("_", "-")
        tp, is_list = _base(hints[f.name])
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default: Any = None
        if not required:
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
        help_text = f.metadata.get("help", "")
        if not required:
            help_text = f"{help_text} (default: {default})".strip()
        if tp is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
            continue
        conv = parse_tokens if f.name.endswith("_tokens") else tp
        parser.add_argument(flag, type=conv, nargs="+" if is_list else None, required=required,
                            default=default, help=help_text, metavar=f.name.upper())
    return parser


def parse_config(cls: type[T], argv: Sequence[str] | None, *, prog: str, doc: str | None = None) -> T:
    """Parse ``argv`` into an instance of the dataclass ``cls``."""
    ns = build_parser(cls, prog=prog, doc=doc).parse_args(argv)
    return cls(**{k: v for k, v in vars(ns).items()})


__all__ = ["build_parser", "parse_config", "parse_tokens"]
