"""Candle factories."""

from __future__ import annotations

import numpy as np

from core.candles import Candle


def make_candles(
    n: int,
    start: int = 1_700_000_000_000,
    frame_ms: int = 1000,
    seed: int = 1,
    price: float = 100.0,
    closed_last: bool = True,
) -> list[Candle]:
    """A consistent random-walk candle series (OHLC valid, volume > 0)."""
    rng = np.random.default_rng(seed)
    out = []
    close = price
    for i in range(n):
        open_ = close
        close = max(0.01, open_ * float(np.exp(rng.normal(0, 0.002))))
        high = max(open_, close) * (1 + abs(float(rng.normal(0, 0.001))))
        low = min(open_, close) * (1 - abs(float(rng.normal(0, 0.001))))
        out.append(
            Candle(
                start + i * frame_ms,
                open_,
                high,
                low,
                close,
                float(rng.uniform(1, 10)),
                closed=closed_last or i < n - 1,
            )
        )
    return out
