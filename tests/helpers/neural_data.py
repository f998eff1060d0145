"""Synthetic candles with a planted, learnable pattern, and a small config for the neural tests."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from training.feature_config import FeatureSpec
from training.neural_config import NeuralConfig

START = 1_700_000_000_000
# Short indicator periods: a warm-up of tens of candles instead of hundreds.
SMALL_SPEC = FeatureSpec(
    rsi_periods=(5,),
    macd=(),
    bollinger_period=5,
    atr_period=5,
    adx_period=5,
    obv=False,
    ma_ratios=(5,),
    stoch=(),
    return_lags=(1, 2, 3),
    volume_zscore_window=5,
    include_cdl=False,
)
TINY_PARAMS = {
    "cnn": {"channels": 8, "epochs": 2, "batch_size": 64},
    "transformer": {"d_model": 8, "heads": 2, "layers": 1, "epochs": 2, "batch_size": 64},
    "dqn": {"channels": 8, "hidden": 16, "episodes": 1, "train_every": 8, "batch_size": 32},
}


def small_neural(**overrides) -> NeuralConfig:
    base = NeuralConfig(
        window=8,
        horizon=3,
        stable_band_pct=0.05,
        features=SMALL_SPEC,
        params=TINY_PARAMS,
        bootstrap_params=TINY_PARAMS,
    )
    return dataclasses.replace(base, **overrides)


def wave_candles(
    n: int = 900,
    period: int = 24,
    amplitude: float = 0.02,
    noise: float = 0.0005,
    seed: int = 0,
    start: int = START,
    frame_ms: int = 60_000,
    walk: bool = False,
) -> pd.DataFrame:
    """A price that swings in a regular wave plus a little noise: where the next few candles go is
    visible in the recent ones (a learnable pattern), and buy-and-hold earns nothing over whole
    cycles while a policy that trades the swings does. ``walk``: the noise accumulates (a random
    walk, unpredictable) instead of scattering around the wave."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + 1)
    log_price = np.log(100) + amplitude * np.sin(2 * np.pi * t / period)
    steps = rng.normal(0, noise, n + 1)
    log_price += np.cumsum(steps) if walk else steps
    price = np.exp(log_price)
    open_, close = price[:-1], price[1:]
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.0005, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.0005, n))
    index = pd.Index(start + np.arange(n, dtype=np.int64) * frame_ms, name="time")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": rng.uniform(1, 2, n)},
        index=index,
    )
