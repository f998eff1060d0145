"""The one wait: a condition polled until it holds, never a fixed sleep.

The default timeout is sized for a busy machine (two CPU hogs beside the suite): a condition that
holds returns at once, so a long timeout costs nothing unless the test is failing anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 60.0,
    interval: float = 0.05,
    shows: Callable[[], object] | None = None,
) -> T:
    """The first truthy ``predicate()``; an ``AssertionError`` if none comes within ``timeout``,
    saying what ``shows()`` returns then (what the page showed instead, say): a wait that fails
    once in many runs must say why the one time it does."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            said = f"; {shows()}" if shows is not None else ""
            raise AssertionError(f"condition not met within {timeout:g} s{said}")
        time.sleep(interval)
