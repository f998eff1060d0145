"""The replay chart at a given clock: what had arrived by then, outcomes only once known."""

import pytest

from dashboard.panels.replay import clock_at, period, replay_figure
from tests.helpers.outcomes import ladder

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
M = 60_000


def names(figure):
    return {t.name: list(t.customdata or []) for t in figure.data if t.customdata is not None}


def test_predictions_arrive_in_order_and_show_outcomes_once_known():
    candles = ladder(T0, 20)
    p = {"id": "a", "kind": "cnn", "symbol": "A", "timeframe": "1m", "timestamp": T0 + 2 * M,
         "stored_at": T0 + 3 * M, "confidence": 0.7, "direction": "UP", "current_price": 102.5,
         "target_price": 104.0, "horizon_minutes": 5, "model": "cnn", "resolved_at": T0 + 8 * M,
         "realised_price": 107.5, "hit": True, "error_pct": 3.3,
         "naive_error_pct": 4.6}  # fmt: skip
    before = replay_figure(candles, [p], "A", "1m", T0 + 2 * M + 30_000)
    assert len(before.data[0].x) == 3 and names(before)["CNN target"] == []
    pending = replay_figure(candles, [p], "A", "1m", T0 + 5 * M)
    assert names(pending)["CNN target"] == ["a"] and names(pending)["Resolved: hit"] == []
    known = replay_figure(candles, [p], "A", "1m", T0 + 9 * M)
    assert names(known)["CNN target"] == [] and names(known)["Resolved: hit"] == ["a"]


def test_the_clock_runs_at_its_speed_while_playing_and_stops_at_the_end():
    state = {"start": 0, "end": 100_000, "position": 10_000, "wall": 1_000, "speed": 30,
             "playing": True}  # fmt: skip
    assert clock_at(state, 2_000) == 40_000
    assert clock_at(state, 60_000) == 100_000
    assert clock_at({**state, "playing": False}, 60_000) == 10_000
    assert period(None, None, 7_200_000) == (3_600_000, 7_200_000)  # default: the last hour


def test_a_replay_period_longer_than_a_day_is_refused_with_its_length():
    day = 24 * 3_600_000
    assert period("1970-01-01 00:00", "1970-01-02 00:00", 0) == (0, day)
    with pytest.raises(ValueError, match="48.0 h; it can be at most 24 h"):
        period("1970-01-01 00:00", "1970-01-03 00:00", 0)
