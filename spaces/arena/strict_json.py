"""Strict JSON for uploads: UTF-8 only, no NaN or Infinity, no duplicate keys, bounded integers and nesting,
and binary content (a pickle, an archive) named as such. Nothing is ever imported, executed or unpickled."""


from __future__ import annotations

import json
import math
from typing import Any

#: Deepest nesting of arrays/objects accepted in a JSON document (an eval output nests about 6 deep).
MAX_DEPTH = 64
#: Most digits of an integer in a submitted JSON document (seeds have 10; Python refuses to convert past 4300).
MAX_INT_DIGITS = 40
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


class SubmissionError(ValueError):
    """An upload the arena refuses; the message is for the visitor and names the file and line where it
    applies."""


# ------------------------------------------------------------------------------------------- strict JSON
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of the range of a number")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer has {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS} are accepted)")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:  # parsers disagree on which of two equal keys wins: refuse rather than guess
            raise ValueError(f"key {key[:60]!r} appears twice in one object")
        out[key] = value
    return out


def _check_depth(value: Any, where: str) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SubmissionError(f"{where} nests arrays/objects more than {MAX_DEPTH} deep")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def binary_problem(data: bytes) -> str | None:
    if data.startswith(_PICKLE_MAGIC):
        return "is a Python pickle, not JSON (the arena never unpickles anything)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "is UTF-16 text; save it as UTF-8"
    if data.startswith((b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
        return "is an archive, not JSON text"
    if b"\x00" in data:
        return "is binary, not JSON text"
    return None


def loads_strict(data: bytes, where: str) -> Any:
    """Parse one JSON document from ``data`` as data only: strict UTF-8, finite numbers only, no duplicate keys,
    at most :data:`MAX_DEPTH` deep. Raises :class:`SubmissionError` naming ``where``."""
    problem = binary_problem(data)
    if problem:
        raise SubmissionError(f"{where} {problem}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{where} is not UTF-8 text (bad byte at offset {exc.start})") from exc
    if not text.strip():
        raise SubmissionError(f"{where} is empty")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_bounded_int, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                              "was the file cut short?") from exc
    except RecursionError as exc:
        raise SubmissionError(f"{where} nests arrays/objects more than {MAX_DEPTH} deep") from exc
    except ValueError as exc:  # a hook's refusal
        raise SubmissionError(f"{where} is not acceptable JSON: {str(exc)[:200]}") from exc
    _check_depth(value, where)
    return value


