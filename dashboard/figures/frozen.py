"""Figures that never change, built once per process and handed out as the dicts Plotly sends.

Plotly copies and checks its whole dark template for every figure it builds (about 13 ms of CPU
here), and the page's layout, built again for every page that opens, holds eight figures that
only say what will appear there: they took most of a layout request's 0.3 s of server CPU.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

import plotly.graph_objects as go


def frozen(build: Callable[..., go.Figure], *args) -> dict:
    """``build(*args)`` as a figure dict, built on the first call (``args`` must be hashable).
    Each call gets a dict of its own, so a caller may change it."""
    return json.loads(_built(build, args))


@lru_cache(maxsize=64)
def _built(build: Callable[..., go.Figure], args: tuple) -> str:
    return build(*args).to_json()
