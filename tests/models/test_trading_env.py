"""The DQN's trading environment: hand-computed equity, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pytest

from models.trading_env import BUY, HOLD, SELL, buy_and_hold, rollout, simulate, step_returns
from tests.helpers.neural_data import SMALL_SPEC, wave_candles
from training.neural_data import series_windows

OPENS = np.array([100.0, 100.0, 110.0, 99.0, 99.0, 108.9])


def test_a_decision_earns_from_the_next_open_to_the_one_after():
    returns = step_returns(OPENS)
    np.testing.assert_allclose(returns[:4], [0.1, -0.1, 0.0, 0.1])
    assert np.isnan(returns[4:]).all()  # no fill left to mark


def test_equity_matches_the_hand_computed_one_with_fees_on_each_change():
    returns = step_returns(OPENS)[:4]
    episode = simulate([BUY, SELL, HOLD, BUY], returns, fee=0.001)
    # long 1 (fee on 1), short (fee on 2), hold the short, long again (fee on 2)
    expected = np.cumprod([0.999 * 1.1, 0.998 * 1.1, 1.0 * 1.0, 0.998 * 1.1])
    np.testing.assert_allclose(episode.equity, expected)
    np.testing.assert_allclose(
        episode.rewards, [0.999 * 1.1 - 1, 0.998 * 1.1 - 1, 0.0, 0.998 * 1.1 - 1]
    )
    assert episode.positions.tolist() == [1, -1, -1, 1]
    assert episode.trades == 3


def test_without_shorting_sell_means_flat():
    returns = step_returns(OPENS)[:4]
    episode = simulate([BUY, SELL, HOLD, BUY], returns, fee=0.001, allow_short=False)
    np.testing.assert_allclose(episode.equity, np.cumprod([0.999 * 1.1, 0.999, 1.0, 0.999 * 1.1]))
    assert episode.positions.tolist() == [1, 0, 0, 1]


def test_buy_and_hold_is_the_price_move_less_one_entry_fee():
    returns = step_returns(OPENS)[:4]
    hold = buy_and_hold(returns, fee=0.001)
    assert hold.total_return == pytest.approx(0.999 * OPENS[5] / OPENS[1] - 1)
    assert hold.trades == 1


def test_rollout_carries_each_position_into_the_next_decision():
    q = np.zeros((3, 3, 3))
    q[0, 1] = [1, 0, 0]  # flat: buy
    q[1, 2] = [0, 1, 0]  # long: hold
    q[2, 2] = [0, 0, 1]  # long: sell
    q[1, 1] = [0, 0, 1]  # (flat at step 1 would sell: it must not be read)
    actions, positions = rollout(q)
    assert actions.tolist() == [BUY, HOLD, SELL]
    assert positions.tolist() == [1, 1, -1]


def test_the_observation_at_t_ends_at_its_close_and_the_fill_is_the_next_open():
    candles = wave_candles(200)
    base = series_windows(candles, SMALL_SPEC, 8, 3, 0.05)
    t = len(base) // 2
    moved = candles.copy()
    after = np.flatnonzero(moved.index > base.times[t])
    moved.iloc[after[1:], :4] *= 1.3  # the future from t+2 on changes
    moved.iloc[after[0], 0] *= 1.01  # and the open of t+1, where the decision at t fills
    moved.iloc[after[0], 1] = moved.iloc[after[0], :4].max()
    changed = series_windows(moved, SMALL_SPEC, 8, 3, 0.05)
    np.testing.assert_array_equal(changed.X[: t + 1], base.X[: t + 1])  # what t saw is the same
    assert changed.step_return[t] != base.step_return[t]  # what t earns comes after it
    assert changed.step_return[t - 1] != base.step_return[t - 1]  # t-1 is marked at t+1's open
