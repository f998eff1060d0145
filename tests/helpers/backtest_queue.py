"""Leaving no backtest behind: a test that filled the queue cancels what waits, lets the running
run end, and waits for it, so no run logs to MLflow (process-wide URIs) after the test."""

from __future__ import annotations

import threading

from tests.helpers.waiting import wait_for

ENDED = ("done", "failed", "cancelled")


def settle(orch, release: threading.Event) -> None:
    """Cancel every queued run of ``orch``, set ``release`` and wait until none runs."""
    for run in orch.backtests.list(1000):
        if run["status"] == "queued":
            orch.backtests.cancel(run["id"])
    release.set()
    wait_for(lambda: all(run["status"] in ENDED for run in orch.backtests.list(1000)))
