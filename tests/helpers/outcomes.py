"""A 1 m candle ladder whose prices are easy to compute by hand: candle i opens at 100 + i and
closes at 100.5 + i (or ``close_offset`` above its open)."""

from core.candles import Candle

M = 60_000


def ladder(t0: int, count: int, first: int = 0, close_offset: float = 0.5) -> list[Candle]:
    return [
        Candle(t0 + i * M, 100 + i, 101 + i, 99 + i, 100 + i + close_offset, 1.0)
        for i in range(first, first + count)
    ]
