"""Research tests' helpers: real candles stored in an orchestrator, runs waited for."""

from __future__ import annotations

import pandas as pd

from core.candles import Candle
from tests.helpers.waiting import wait_for

ENDED = ("done", "failed", "cancelled")


def frame_candles(frame: pd.DataFrame) -> list[Candle]:
    """A candle frame (index: open time in ms) as Candle objects."""
    return [
        Candle(int(t), float(o), float(h), float(lo), float(c), float(v))
        for t, o, h, lo, c, v in zip(
            frame.index, frame["open"], frame["high"], frame["low"], frame["close"],
            frame["volume"], strict=True,
        )
    ]  # fmt: skip


def store_frame(orch, symbol: str, timeframe: str, frame: pd.DataFrame) -> None:
    """Store a candle frame as an imported series of ``orch``."""
    orch.store.merge_history(symbol, timeframe, frame_candles(frame))


def wait_research(orch, run_id: str, timeout: float = 120) -> dict:
    def ended():
        run = orch.research.get(run_id)
        return run if run and run["status"] in ENDED else None

    return wait_for(ended, timeout=timeout)
