"""Model inputs from a dataset: windows per series, and class balancing of the training rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.features import window_matrix
from training.training_config import BALANCING


@dataclass
class WindowedData:
    """Model inputs of a dataset: one row per candle with a complete, warm window."""

    X: pd.DataFrame
    y: np.ndarray
    times: np.ndarray
    series: np.ndarray  # "<symbol>|<timeframe>"


def build_windows(
    df: pd.DataFrame, feature_cols: list[str], window: int, target: str = "label"
) -> WindowedData:
    """Window matrix per (symbol, timeframe) series; rows whose window touches a warm-up row or
    the series start are dropped."""
    parts, labels, times, series = [], [], [], []
    for (symbol, timeframe), group in df.groupby(["symbol", "timeframe"], sort=True):
        group = group.sort_values("time", kind="stable")
        matrix = window_matrix(group[feature_cols], window)
        warm = group["warmup"].astype(bool).to_numpy()
        touched = pd.Series(warm).rolling(window, min_periods=1).max().to_numpy() > 0
        keep = ~touched
        keep[: window - 1] = False
        parts.append(matrix.loc[keep].astype(np.float64))
        labels.append(group[target].astype(str).to_numpy()[keep])
        times.append(group["time"].to_numpy(dtype=np.int64)[keep])
        series.append(np.full(int(keep.sum()), f"{symbol}|{timeframe}", dtype=object))
    if not parts or not sum(len(p) for p in parts):
        raise ValueError(
            f"no rows with a complete window of {window} candles after the features' warm-up: "
            "the dataset is too short"
        )
    return WindowedData(
        X=pd.concat(parts).reset_index(drop=True),
        y=np.concatenate(labels),
        times=np.concatenate(times),
        series=np.concatenate(series),
    )


def balance(y: np.ndarray, method: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """Training row indices and sample weights for a balancing method.

    ``class_weight``: every row, weighted ``n / (k * n_class)``; ``oversample``: rows of smaller
    classes drawn again (seeded) up to the largest class, no weights; ``none``: as is.
    """
    rows = np.arange(len(y))
    if method == "none":
        return rows, None
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    if method == "class_weight":
        weights = len(y) / (len(classes) * counts)
        return rows, weights[inverse]
    if method == "oversample":
        rng = np.random.default_rng(seed)
        target = counts.max()
        picked = [rows]
        for code, count in enumerate(counts):
            if count < target:
                picked.append(rng.choice(rows[inverse == code], size=target - count, replace=True))
        return np.sort(np.concatenate(picked), kind="stable"), None
    raise ValueError(f"unknown balancing {method!r} (use one of {list(BALANCING)})")
