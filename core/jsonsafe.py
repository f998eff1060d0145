"""JSON-safe values for what the stores write as JSON text."""

from __future__ import annotations

import math
from typing import Any


def clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None, numpy numbers plain ones.

    >>> clean({"a": float("nan"), "b": [1, 2.5]})
    {'a': None, 'b': [1, 2.5]}
    """
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return clean(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
