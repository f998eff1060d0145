"""Replay candle files (CSV or Parquet, one per symbol) as a live feed.

At the first call (``t0``) each file is shifted in time so that its middle candle falls at ``t0``:
the first half is history (``backfill``), the second half plays live at ``speed`` (1.0 = real
time, 60 = a minute of the file per second), then, with ``loop``, the file starts again right
after its end (the price jumps back, as recorded). The shift is a whole number of the file's
candles, so a 1 m file stays on minute boundaries.

``poll`` always emits 1 s candles. A coarser file candle is played as a deterministic 1 s path
whose aggregate is exactly that candle: first open, max high, min low, last close, summed volume.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.candles import OHLCV, Candle, bucket_start, resample, timeframe_ms
from market.feeds.base import Feed, FeedError
from market.feeds.files import OhlcvFileError, read_ohlcv_file

if TYPE_CHECKING:  # the composite is built in runtime/; only its type is named here
    from runtime.config import Config

log = logging.getLogger(__name__)


def _price_decimals(prices: np.ndarray) -> int:
    scale = np.maximum(np.abs(prices), 1e-12)
    for decimals in range(10):
        if np.all(np.abs(np.round(prices, decimals) - prices) <= 1e-9 * scale):
            return decimals
    return 10


def split_volume(volume: float, weights: np.ndarray) -> np.ndarray:
    """Parts of ``volume`` in proportion to ``weights`` that add up to exactly ``volume`` in
    any order: all but the last are multiples of a power of two 2**-24 below the volume."""
    if volume <= 0:
        return np.zeros(len(weights))
    quantum = math.ldexp(1.0, math.frexp(volume)[1] - 24)
    parts = np.floor(volume * weights / weights.sum() / quantum) * quantum
    parts[-1] = volume - parts[:-1].sum()
    return parts


def split_candle(candle: Candle, seconds: int, decimals: int) -> list[Candle]:
    """A deterministic 1 s path through ``candle`` (open, then the extreme on the way, then the
    other extreme, then close) whose aggregate is exactly ``candle``."""
    if seconds <= 1:
        return [candle.with_closed()]
    o, h, lo, c, v = candle.open, candle.high, candle.low, candle.close, candle.volume
    rng = np.random.default_rng([candle.time % 2**63, seconds])
    first, second = (lo, h) if c >= o else (h, lo)
    i1 = int(rng.integers(0, seconds - 1))
    i2 = int(rng.integers(i1 + 1, seconds))
    xs = [-1, i1, i2, seconds - 1] if i2 < seconds - 1 else [-1, i1, seconds - 1]
    ys = [o, first, second, c] if i2 < seconds - 1 else [o, first, c]
    span = h - lo
    path = np.interp(np.arange(seconds), xs, ys)
    path += rng.normal(0.0, span * 0.04, seconds)
    closes = np.clip(np.round(path, decimals), lo, h)
    closes[i1] = first
    if i2 < seconds - 1:
        closes[i2] = second
    closes[-1] = c
    opens = np.concatenate(([o], closes[:-1]))
    wick = rng.exponential(span * 0.02, (2, seconds))
    highs = np.clip(np.round(np.maximum(opens, closes) + wick[0], decimals), lo, h)
    lows = np.clip(np.round(np.minimum(opens, closes) - wick[1], decimals), lo, h)
    highs = np.maximum(highs, np.maximum(opens, closes))
    lows = np.minimum(lows, np.minimum(opens, closes))
    (highs if first == h else lows)[i1] = first
    (highs if second == h else lows)[i2] = second
    weights = rng.gamma(2.0, size=seconds) * (1.0 + np.abs(closes - opens) / max(span, 1e-12))
    volumes = split_volume(v, weights)
    return [
        Candle(candle.time + 1000 * i, *values)
        for i, values in enumerate(
            zip(
                opens.tolist(),
                highs.tolist(),
                lows.tolist(),
                closes.tolist(),
                volumes.tolist(),
                strict=True,
            )
        )
    ]


class _Replay:
    """One symbol's file and where it sits on the wall clock."""

    def __init__(self, path: Path):
        frame = read_ohlcv_file(path)
        self.path = path
        self.times = frame.index.to_numpy(dtype=np.int64)
        self.values = frame[list(OHLCV)].to_numpy(dtype=float)
        gaps = np.diff(self.times)
        self.frame_ms = int(gaps.min()) if gaps.size else 60_000
        if self.frame_ms % 1000:
            raise OhlcvFileError(
                path, f"candles must be whole seconds apart, found {self.frame_ms} ms"
            )
        self.period = int(self.times[-1] - self.times[0]) + self.frame_ms
        self.decimals = _price_decimals(self.values[:, :4])
        self.middle = int(self.times[len(self.times) // 2])
        self.shift = 0
        self.cursor: int | None = None
        self.finished = False
        self._split_cache: dict[int, list[Candle]] = {}

    def place(self, t0: int) -> None:
        self.shift = bucket_start(t0 - self.middle, self.frame_ms)
        self.cursor = bucket_start(t0, 1000)

    def file_candles(self, lo: int, hi: int, loop: bool) -> list[Candle]:
        """File candles, shifted (and repeated when looping), with ``lo <= time < hi``."""
        base = int(self.times[0]) + self.shift
        k_lo = max(0, (lo - base) // self.period)
        k_hi = (hi - 1 - base) // self.period
        if not loop:
            k_hi = min(k_hi, 0)
        out: list[Candle] = []
        for k in range(k_lo, k_hi + 1):
            offset = self.shift + k * self.period
            i0, i1 = np.searchsorted(self.times, [lo - offset, hi - offset])
            out.extend(
                Candle(int(t) + offset, *row)
                for t, row in zip(
                    self.times[i0:i1].tolist(), self.values[i0:i1].tolist(), strict=True
                )
            )
        return out

    def seconds(self, lo: int, hi: int, loop: bool) -> list[Candle]:
        """1 s candles with ``lo <= time < hi`` (file candles split when coarser)."""
        if self.frame_ms == 1000:
            return self.file_candles(lo, hi, loop)
        out: list[Candle] = []
        for candle in self.file_candles(lo - self.frame_ms + 1, hi, loop):
            parts = self._split_cache.get(candle.time)
            if parts is None:
                parts = split_candle(candle, self.frame_ms // 1000, self.decimals)
                if len(self._split_cache) > 64:
                    self._split_cache.clear()
                self._split_cache[candle.time] = parts
            out.extend(p for p in parts if lo <= p.time < hi)
        return out


class CsvFeed(Feed):
    """Replays ``files`` ({symbol: path}); see the module docstring."""

    name = "csv"

    def __init__(
        self,
        files: Mapping[str, str | Path],
        speed: float = 1.0,
        loop: bool = True,
        clock: Callable[[], float] = time.time,
    ):
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self.loop = loop
        self._clock = clock
        self._replays = {symbol: _Replay(Path(path)) for symbol, path in files.items()}
        self._t0: int | None = None

    @classmethod
    def from_config(cls, config: Config) -> CsvFeed:
        csv = config.feed.csv
        files = {symbol: config.resolve(path) for symbol, path in csv.files.items()}
        return cls(files, speed=csv.speed, loop=csv.loop)

    def _replay(self, symbol: str, now_ms: int) -> _Replay:
        replay = self._replays.get(symbol)
        if replay is None:
            raise FeedError(f"csv feed: no file configured for {symbol}")
        if self._t0 is None:
            self._t0 = now_ms
            for each in self._replays.values():
                each.place(now_ms)
        return replay

    def replay_time(self, now_ms: int) -> int:
        """Where the replay stands (in shifted file time) at wall time ``now_ms``."""
        t0 = self._t0 if self._t0 is not None else now_ms
        return t0 + int((now_ms - t0) * self.speed)

    def backfill(self, symbol: str, timeframe: str, start_ms: int, end_ms: int) -> list[Candle]:
        now_ms = int(self._clock() * 1000)
        replay = self._replay(symbol, now_ms)
        frame = timeframe_ms(timeframe)
        limit = min(end_ms, self.replay_time(now_ms))
        first = -(-start_ms // frame) * frame
        last = bucket_start(limit, frame)
        if first >= last:
            return []
        if frame >= replay.frame_ms:
            candles = replay.file_candles(first, last, self.loop)
            if frame > replay.frame_ms:
                return resample(candles, frame)
            return [c for c in candles if c.time + frame <= limit]
        seconds = replay.seconds(first, last, self.loop)
        return seconds if frame == 1000 else resample(seconds, frame)

    def poll(self, symbol: str, now_ms: int) -> list[Candle]:
        replay = self._replay(symbol, now_ms)
        clock = self.replay_time(now_ms)
        current = bucket_start(clock, 1000)
        cursor = replay.cursor if replay.cursor is not None else current
        if cursor > current:
            return []
        candles = replay.seconds(cursor, current + 1000, self.loop)
        replay.cursor = current
        if not candles and not self.loop and not replay.finished:
            end = int(replay.times[-1]) + replay.shift + replay.frame_ms
            if clock >= end:
                replay.finished = True
                log.info("csv replay of %s (%s) reached the end of the file", symbol, replay.path)
        return [c.with_closed(c.time + 1000 <= clock) for c in candles]
