"""``module:attr`` targets: how users plug their own code in (agents, curricula) without touching the package."""

from __future__ import annotations

import importlib
from typing import Any


def resolve(target: str, what: str) -> Any:
    """The object ``target`` names (``package.module:attr`` or ``module:attr.sub``); ``what`` names the kind of
    plug-in in the errors (``"agent"``, ``"curriculum"``). Every failure is a ``ValueError`` that says what to fix."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"a {what} is given as 'module:attr', got {target!r}")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {what} module {module_name!r}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


__all__ = ["resolve"]
