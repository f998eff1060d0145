"""A strategy for tests that need a backtest to stay running (a queue behind it, Cancel)."""

from __future__ import annotations

import threading

import pytest

from backtest import strategies as registry
from backtest.rules import BuyAndHold, Strategy


class Blocking(Strategy):
    """Holds its run until ``release`` is set, then buys and holds: a long run in progress."""

    name = "test_blocking"
    release = threading.Event()

    def signals(self, candles):
        assert self.release.wait(30), "the test never released the blocking run"
        return BuyAndHold().signals(candles)


@pytest.fixture
def blocking(monkeypatch):
    """Registers ``Blocking``; yields its release event (set again at the end)."""
    monkeypatch.setitem(registry.STRATEGIES, Blocking.name, Blocking)
    Blocking.release.clear()
    yield Blocking.release
    Blocking.release.set()
