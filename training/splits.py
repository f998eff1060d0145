"""Train / validation / test splits by time, with a purge gap between the periods.

Nothing is shuffled. The period boundaries are global times, the same for every series (symbol,
timeframe), so no period of one series overlaps a later period of another. After each boundary
the first ``purge`` candles of every series are dropped: with ``purge >= window`` no window of a
validation or test row reaches back into an earlier period, and a label span that straddles a
boundary cannot leak the later period into the earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd


class Split(NamedTuple):
    """Positional row indices of each period, in time order."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    boundaries: tuple[int, int]  # first time of validation, first time of test


def check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    """Three positive fractions adding up to 1, or a ValueError saying what is wrong."""
    if len(fractions) != 3:
        raise ValueError(f"split fractions must be 3 numbers (train, val, test), got {fractions}")
    train, val, test = (float(f) for f in fractions)
    if min(train, val, test) <= 0:
        raise ValueError(f"split fractions must all be > 0, got {list(fractions)}")
    if abs(train + val + test - 1.0) > 1e-6:
        raise ValueError(f"split fractions must add up to 1, got {list(fractions)}")
    return train, val, test


def time_split(
    times: Sequence[int] | np.ndarray,
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
    purge: int = 0,
    groups: Sequence[Any] | np.ndarray | None = None,
) -> Split:
    """Split rows by time into train, validation and test index arrays.

    ``times`` are the rows' candle times; ``groups`` (same length, optional) names the series
    each row belongs to, e.g. ``symbol + "|" + timeframe``. The boundaries are the times below
    which ``fractions[0]`` and ``fractions[0] + fractions[1]`` of all rows lie; the first
    ``purge`` candles of each series at or after a boundary are dropped.

    >>> split = time_split(range(20), (0.5, 0.25, 0.25), purge=2)
    >>> split.train.tolist(), split.val.tolist(), split.test.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [12, 13, 14], [17, 18, 19])
    """
    train_f, val_f, _ = check_fractions(fractions)
    if purge < 0:
        raise ValueError(f"purge must be >= 0 candles, got {purge}")
    time_values = np.asarray(times, dtype=np.int64)
    n = len(time_values)
    if n == 0:
        raise ValueError("cannot split an empty dataset")
    ordered = np.sort(time_values, kind="stable")
    val_start = int(ordered[min(n - 1, int(n * train_f))])
    test_start = int(ordered[min(n - 1, int(n * (train_f + val_f)))])

    period = np.where(time_values < val_start, 0, np.where(time_values < test_start, 1, 2))
    keep = np.ones(n, dtype=bool)
    group_values = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups)
    if len(group_values) != n:
        raise ValueError(f"groups has {len(group_values)} entries for {n} times")
    if purge:
        frame = pd.DataFrame({"group": group_values, "time": time_values, "period": period})
        frame = frame.sort_values(["group", "time"], kind="stable")
        rank = frame.groupby(["group", "period"], sort=False).cumcount().to_numpy()
        drop = (frame["period"].to_numpy() > 0) & (rank < purge)
        keep[frame.index.to_numpy()[drop]] = False

    def indices(p: int) -> np.ndarray:
        rows = np.flatnonzero((period == p) & keep)
        return rows[np.argsort(time_values[rows], kind="stable")]

    split = Split(indices(0), indices(1), indices(2), (val_start, test_start))
    for name, rows in zip(("train", "validation", "test"), split[:3], strict=True):
        if len(rows) == 0:
            raise ValueError(
                f"the {name} period is empty after purging {purge} candles per series: "
                f"the dataset ({n} rows) is too small for split {list(fractions)}"
            )
    return split
