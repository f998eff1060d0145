"""Scale-free features of candles, one pure function shared by training, live inference and the API.

RSI, MACD, Bollinger Bands, ATR and the SMA ratios come from ``market.indicators``, the module the
charts draw their indicators with, so a chart's RSI is the one the models read (before scaling).

Every feature at row ``t`` depends only on candles up to ``t`` (no look-ahead), and every one is
free of the price and volume scale (ratios to price or ATR, z-scores, oscillators in 0..1) so a
model trained on one symbol transfers to another.

>>> spec = FeatureSpec()
>>> feats = compute_features(candles, spec)  # doctest: +SKIP
>>> list(feats.columns) == feature_columns(spec) + ["warmup"]  # doctest: +SKIP
True
>>> X = window_matrix(feats[feature_columns(spec)], window=8)  # doctest: +SKIP

The first ``spec.warmup`` rows are flagged ``warmup``: there the indicators are undefined (NaN,
never filled) or still depend on where the series started (the exponential smoothing in RSI, MACD,
ATR and ADX has not yet forgotten its seed). From row ``spec.warmup`` on, features computed from
any longer history agree (to about 1e-4 of their scale), so live inference needs ``spec.warmup``
candles of history before the model's window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib
from numpy.lib.stride_tricks import sliding_window_view

from labels.autolabel import ohlc_arrays
from market import indicators
from training.feature_config import FeatureSpec, cdl_lookback

# Bump when a feature's definition changes: dataset versions hash it.
FEATURES_VERSION = 1
GEOMETRY = ("body", "upper_shadow", "lower_shadow", "range")


def feature_columns(spec: FeatureSpec) -> list[str]:
    """Names of the feature columns :func:`compute_features` returns, in its (stable) order."""
    cols = [f"rsi_{n}" for n in spec.rsi_periods]
    if spec.macd:
        cols += ["macd", "macd_signal", "macd_hist"]
    cols += ["bb_pctb", "bb_width", "atr", "adx"]
    if spec.obv:
        cols.append("obv_z")
    cols += [f"close_sma_{n}" for n in spec.ma_ratios]
    if spec.stoch:
        cols += ["stoch_k", "stoch_d"]
    cols += list(GEOMETRY) + [f"{g}_atr" for g in GEOMETRY] + ["gap"]
    cols += [f"ret_{k}" for k in spec.return_lags]
    cols.append("volume_z")
    cols += [f"cdl_{name[3:].lower()}" for name in spec.patterns]
    return cols


def compute_features(candles: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Features of each candle, same index, columns ``feature_columns(spec) + ["warmup"]``.

    * RSI, ADX, stochastic K/D: TA-Lib's 0..100 scaled to 0..1.
    * MACD line, signal and histogram divided by the close; ATR divided by the close.
    * Bollinger %b (0 at the lower band, 1 at the upper; 0.5 when the bands collapse) and width
      (band distance over the middle band).
    * ``obv_z``: z-score of on-balance volume over ``obv_window`` candles (free of OBV's origin).
    * ``close_sma_n``: close / SMA(n) - 1. ``ret_k``: log(close_t / close_{t-k}).
    * Candle geometry: body (close - open, signed), upper and lower shadow and high-low range,
      each over the close and (``*_atr``) over the ATR; ``gap``: open / previous close - 1.
    * ``volume_z``: z-score of volume over ``volume_zscore_window`` candles (0 if it is flat).
    * ``cdl_<name>``: sign of TA-Lib's pattern output, -1 bearish, 0 none, 1 bullish.

    ``warmup`` is true for the first ``spec.warmup`` rows and for any later row where a feature
    is NaN (a NaN in the candles); NaN values are left as they are.
    """
    spec.validate("features")
    times = candles.index
    if not (times.is_monotonic_increasing and times.is_unique):
        raise ValueError("candles must be indexed by unique, ascending open times")
    o, h, low, c = ohlc_arrays(candles)
    if "volume" not in candles.columns:
        raise ValueError("candles lack column 'volume'")
    v = np.ascontiguousarray(candles["volume"].to_numpy(dtype=np.float64))
    columns = feature_columns(spec)
    # Column-major, so that each feature is written contiguously and the frame shares the memory.
    out = np.empty((len(c), len(columns)), dtype=np.float64, order="F")
    slot = {name: i for i, name in enumerate(columns)}
    if len(c) == 0:
        frame = pd.DataFrame(out, index=times, columns=columns)
        frame["warmup"] = np.zeros(0, dtype=bool)
        return frame

    def put(name: str, values: np.ndarray) -> None:
        out[:, slot[name]] = values

    with np.errstate(divide="ignore", invalid="ignore"):
        for n in spec.rsi_periods:
            put(f"rsi_{n}", indicators.rsi(c, n) / 100)
        if spec.macd:
            line, signal, hist = indicators.macd(c, *spec.macd)
            put("macd", line / c)
            put("macd_signal", signal / c)
            put("macd_hist", hist / c)
        std = float(spec.bollinger_std)
        upper, middle, lower = indicators.bbands(c, spec.bollinger_period, std)
        width = upper - lower
        put(
            "bb_pctb",
            np.where(width > 0, (c - lower) / width, np.where(np.isnan(width), np.nan, 0.5)),
        )
        put("bb_width", width / middle)
        atr = indicators.atr(h, low, c, spec.atr_period)
        put("atr", atr / c)
        put("adx", talib.ADX(h, low, c, spec.adx_period) / 100)
        if spec.obv:
            put("obv_z", _zscore(talib.OBV(c, v), spec.obv_window))
        for n in spec.ma_ratios:
            put(f"close_sma_{n}", c / indicators.sma(c, n) - 1)
        if spec.stoch:
            fastk, slowk, slowd = spec.stoch
            k, d = talib.STOCH(h, low, c, fastk, slowk, 0, slowd, 0)
            put("stoch_k", k / 100)
            put("stoch_d", d / 100)
        top, bottom = np.maximum(o, c), np.minimum(o, c)
        geometry = {"body": c - o, "upper_shadow": h - top, "lower_shadow": bottom - low}
        geometry["range"] = h - low
        for name, value in geometry.items():
            put(name, value / c)
            put(f"{name}_atr", np.where((value == 0) & (atr == 0), 0.0, value / atr))
        prev = np.concatenate(([np.nan], c[:-1]))
        put("gap", o / prev - 1)
        log_c = np.log(c)
        for k in spec.return_lags:
            put(f"ret_{k}", _lagged_diff(log_c, k))
        put("volume_z", _zscore(v, spec.volume_zscore_window))
        for name in spec.patterns:
            signs = np.sign(getattr(talib, name)(o, h, low, c)).astype(np.float64)
            signs[: cdl_lookback(name)] = np.nan
            put(f"cdl_{name[3:].lower()}", signs)

    frame = pd.DataFrame(out, index=times, columns=columns, copy=False)
    warm = np.isnan(out).any(axis=1)
    warm[: spec.warmup] = True
    frame["warmup"] = warm
    return frame


def _lagged_diff(x: np.ndarray, k: int) -> np.ndarray:
    result = np.full_like(x, np.nan)
    if k < len(x):
        result[k:] = x[k:] - x[:-k]
    return result


def _zscore(x: np.ndarray, window: int) -> np.ndarray:
    """(x - mean) / std over the trailing ``window`` values, 0 where the window is flat."""
    result = np.full_like(x, np.nan)
    if len(x) < window:
        return result
    view = sliding_window_view(x, window)
    mean = view.mean(axis=1)
    std = view.std(axis=1)
    dev = x[window - 1 :] - mean
    # Flat windows (std 0, up to rounding) mean the value equals the mean: z is 0.
    flat = std <= 1e-12 * np.maximum(np.abs(mean), 1e-300)
    result[window - 1 :] = np.where(flat, 0.0, dev / np.where(flat, 1.0, std))
    return result


def window_matrix(features: pd.DataFrame, window: int) -> pd.DataFrame:
    """Each row with the values of the ``window`` rows up to it, flattened for tabular models.

    Columns are ``f"{col}@{k}"`` for k = 0 (the row itself) .. window-1 (k rows back), grouped by
    k, for every column of ``features`` except ``warmup``; NaN where the history is missing. A row
    is complete when none of the rows in its window is a warm-up row.
    """
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValueError(f"window must be a whole number >= 1, got {window!r}")
    cols = [col for col in features.columns if col != "warmup"]
    values = features[cols].to_numpy(dtype=np.float64)
    n, f = values.shape
    out = np.full((n, f * window), np.nan)
    for k in range(min(window, n)):
        out[k:, k * f : (k + 1) * f] = values[: n - k]
    names = [f"{col}@{k}" for k in range(window) for col in cols]
    return pd.DataFrame(out, index=features.index, columns=names, copy=False)
