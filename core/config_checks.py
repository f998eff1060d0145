"""Checks shared by the training config sections' ``validate`` methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def whole(value: Any, low: int) -> bool:
    """A whole number (not a bool) of at least ``low``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def requirer(section: Any, key: str) -> Callable[[bool, str, str], None]:
    """``need(ok, name, message)``: a ValueError naming ``key.name``, the rule and the value."""

    def need(ok: bool, name: str, message: str) -> None:
        if not ok:
            raise ValueError(f"{key}.{name}: {message}, got {getattr(section, name)!r}")

    return need
