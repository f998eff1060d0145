"""Splits by time: ordered periods, global boundaries, and a purge gap that stops leaks."""

from __future__ import annotations

import numpy as np
import pytest

from training.splits import time_split

MINUTE = 60_000


def two_series(window: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Rows of two interleaved 1m series of different lengths and start times."""
    a = 1_000 * MINUTE + np.arange(300) * MINUTE
    b = 1_050 * MINUTE + np.arange(200) * MINUTE
    times = np.concatenate([a, b])
    groups = np.array(["A"] * len(a) + ["B"] * len(b))
    order = np.random.default_rng(0).permutation(len(times))  # rows arrive in any order
    return times[order], groups[order], {"A": a, "B": b}


def windows(times: np.ndarray, groups: np.ndarray, rows: np.ndarray, series, window: int):
    """The (group, candle time) pairs each row's window covers."""
    covered = set()
    for row in rows:
        own = series[groups[row]]
        pos = int(np.searchsorted(own, times[row]))
        covered |= {(groups[row], int(t)) for t in own[max(0, pos - window + 1) : pos + 1]}
    return covered


def test_small_example():
    split = time_split(range(20), (0.5, 0.25, 0.25), purge=2)
    assert split.train.tolist() == list(range(10))
    assert split.val.tolist() == [12, 13, 14]
    assert split.test.tolist() == [17, 18, 19]
    assert split.boundaries == (10, 15)


def test_periods_follow_each_other_in_time_and_are_never_shuffled():
    times, groups, _ = two_series(8)
    split = time_split(times, purge=8, groups=groups)
    for rows in split[:3]:
        assert np.all(np.diff(times[rows]) >= 0)
    assert times[split.train].max() < times[split.val].min()
    assert times[split.val].max() < times[split.test].min()
    assert not set(split.train) & set(split.val) | set(split.val) & set(split.test)


def test_boundaries_are_the_same_global_times_for_every_series():
    times, groups, _ = two_series(8)
    split = time_split(times, purge=0, groups=groups)
    val_start, test_start = split.boundaries
    assert np.all(times[split.train] < val_start)
    assert np.all((times[split.val] >= val_start) & (times[split.val] < test_start))
    assert np.all(times[split.test] >= test_start)
    assert len(split.train) + len(split.val) + len(split.test) == len(times)
    assert len(split.train) == pytest.approx(0.7 * len(times), abs=2)


@pytest.mark.parametrize("window", [1, 4, 8])
def test_with_purge_of_a_window_no_test_candle_reaches_training(window):
    times, groups, series = two_series(window)
    split = time_split(times, purge=window, groups=groups)
    train_windows = windows(times, groups, split.train, series, window)
    val_windows = windows(times, groups, split.val, series, window)
    test_windows = windows(times, groups, split.test, series, window)
    test_candles = {(groups[r], int(times[r])) for r in split.test}
    train_candles = {(groups[r], int(times[r])) for r in split.train}
    val_candles = {(groups[r], int(times[r])) for r in split.val}
    # No test candle in training, nor in any training window, and no test window touches
    # a candle of an earlier period (the same for validation against training).
    assert not test_candles & (train_candles | train_windows)
    assert not test_windows & (train_candles | val_candles | train_windows | val_windows)
    assert not val_windows & (train_candles | train_windows)


def test_the_purge_gap_is_what_keeps_windows_apart():
    window = 8
    times, groups, series = two_series(window)
    split = time_split(times, purge=0, groups=groups)
    test_windows = windows(times, groups, split.test, series, window)
    val_candles = {(groups[r], int(times[r])) for r in split.val}
    assert test_windows & val_candles  # without the gap, the first test windows reach back


def test_purge_drops_exactly_that_many_candles_per_series_after_each_boundary():
    times, groups, _ = two_series(5)
    plain = time_split(times, purge=0, groups=groups)
    purged = time_split(times, purge=5, groups=groups)
    assert np.array_equal(plain.train, purged.train)
    assert len(plain.val) - len(purged.val) == 2 * 5
    assert len(plain.test) - len(purged.test) == 2 * 5


@pytest.mark.parametrize(
    "fractions, message",
    [((0.7, 0.3), "3 numbers"), ((0.8, 0.2, 0.0), "> 0"), ((0.5, 0.2, 0.2), "add up to 1")],
)
def test_bad_fractions_are_refused(fractions, message):
    with pytest.raises(ValueError, match=message):
        time_split(range(100), fractions)


def test_too_small_a_dataset_says_so():
    with pytest.raises(ValueError, match="too small"):
        time_split(range(20), purge=8)
    with pytest.raises(ValueError, match="empty"):
        time_split([], purge=1)
    with pytest.raises(ValueError, match="groups"):
        time_split(range(20), groups=["a"])
