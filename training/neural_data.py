"""Windows, labels and per-decision returns for the neural models, from candle history.

For each candle t of a series whose window is complete (all ``window`` rows up to t past the
features' warm-up):

* ``X[i]``: the scale-free features (:func:`training.features.compute_features`) of candles
  t-window+1 .. t, oldest first. Nothing after the close of t.
* ``change_pct[i]``: ``close[t+horizon] / close[t] - 1`` in percent (NaN near the end);
  ``direction[i]``: ``UP`` above ``+band_pct``, ``DOWN`` below ``-band_pct``, else ``STABLE``.
* ``step_return[i]``: ``open[t+2] / open[t+1] - 1``, what a DQN decision at t earns
  (:mod:`models.trading_env`).

Labels look ahead by design (they are what is predicted); inputs never do, which the tests prove
by changing the future and checking that ``X`` at t stays the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from models.trading_env import step_returns
from training.feature_config import FeatureSpec
from training.features import compute_features, feature_columns


@dataclass(frozen=True)
class Windows:
    X: np.ndarray  # (n, window, features), float32
    times: np.ndarray  # open time of candle t (epoch ms)
    series: np.ndarray  # series name per row, e.g. "BTC/USDT|1m"
    close: np.ndarray  # close of t: the current price of a prediction
    change_pct: np.ndarray
    direction: np.ndarray
    step_return: np.ndarray
    features: list[str]

    def __len__(self) -> int:
        return len(self.times)

    def take(self, rows: np.ndarray) -> Windows:
        return Windows(
            self.X[rows],
            self.times[rows],
            self.series[rows],
            self.close[rows],
            self.change_pct[rows],
            self.direction[rows],
            self.step_return[rows],
            self.features,
        )

    @property
    def episode_starts(self) -> np.ndarray:
        """True at the first row of each series (rows of one series are consecutive)."""
        starts = np.ones(len(self.series), dtype=bool)
        starts[1:] = self.series[1:] != self.series[:-1]
        return starts


def direction_labels(change_pct: np.ndarray, band_pct: float) -> np.ndarray:
    """``UP`` / ``DOWN`` / ``STABLE`` by the band (percent); NaN changes get ``STABLE``."""
    return np.where(change_pct > band_pct, "UP", np.where(change_pct < -band_pct, "DOWN", "STABLE"))


def series_windows(
    candles: pd.DataFrame,
    spec: FeatureSpec,
    window: int,
    horizon: int,
    band_pct: float,
    name: str = "",
    last: int | None = None,
) -> Windows:
    """All complete windows of one series (candles indexed by open time, OHLCV columns), or
    those ending in the ``last`` candles (live inference needs only the newest)."""
    features = compute_features(candles, spec)
    columns = feature_columns(spec)
    values = features[columns].to_numpy(dtype=np.float64)
    warm = features["warmup"].to_numpy(dtype=bool)
    ends = np.arange(window - 1, len(values))
    if len(values) >= window:
        warm_in_window = np.convolve(warm.astype(int), np.ones(window, dtype=int), "full")
        complete = warm_in_window[window - 1 : len(values)] == 0
        if last is not None:
            complete &= ends >= len(values) - last
        rows = np.flatnonzero(complete)
        # Only the windows kept are copied out of the sliding view.
        view = sliding_window_view(values, window, axis=0)[rows]
        stacked = np.ascontiguousarray(view.transpose(0, 2, 1), dtype=np.float32)
        ends = ends[rows]
    else:
        ends = ends[:0]
        stacked = np.zeros((0, window, len(columns)), dtype=np.float32)
    close = candles["close"].to_numpy(dtype=np.float64)
    future = np.full(len(close), np.nan)
    if len(close) > horizon:
        future[:-horizon] = close[horizon:] / close[:-horizon] - 1
    change = future[ends] * 100
    return Windows(
        X=stacked,
        times=candles.index.to_numpy(dtype=np.int64)[ends],
        series=np.full(len(ends), name, dtype=object),
        close=close[ends],
        change_pct=change,
        direction=direction_labels(change, band_pct),
        step_return=step_returns(candles["open"].to_numpy(dtype=np.float64))[ends],
        features=columns,
    )


def concat(parts: list[Windows]) -> Windows:
    parts = [p for p in parts if len(p)]
    if not parts:
        raise ValueError("no complete windows: the history is shorter than warm-up plus window")
    return Windows(
        np.concatenate([p.X for p in parts]),
        np.concatenate([p.times for p in parts]),
        np.concatenate([p.series for p in parts]),
        np.concatenate([p.close for p in parts]),
        np.concatenate([p.change_pct for p in parts]),
        np.concatenate([p.direction for p in parts]),
        np.concatenate([p.step_return for p in parts]),
        parts[0].features,
    )


def labelled(data: Windows, kind: str) -> np.ndarray:
    """Rows whose target is known: the horizon (cnn, transformer) or the next two opens (dqn)."""
    target = data.step_return if kind == "dqn" else data.change_pct
    return np.flatnonzero(np.isfinite(target))
