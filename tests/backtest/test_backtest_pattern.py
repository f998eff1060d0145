"""The pattern-classifier strategy with a trained model: signals, in-sample marking, versions."""

from __future__ import annotations

import numpy as np
import pytest

from app import create_app
from backtest.request import parse_request
from backtest.rules import StrategyError
from backtest.strategies import StrategyContext, make_strategy
from core.candles import frame_to_candles
from runtime.config import config_from_dict
from tests.helpers.pattern_data import build_pattern_dataset, pattern_series
from training.pipeline import train

WINDOW = 4
MINUTE = 60_000
CONFIG = {
    "training": {"window": WINDOW, "params": {"xgboost": {"n_estimators": 10, "max_depth": 3}}},
    "backtest": {"label_directions": {"bull_run": 1, "bear_run": -1}},
}


@pytest.fixture(scope="module")
def orch(tmp_path_factory):
    base = tmp_path_factory.mktemp("backtest_pattern")
    config = config_from_dict({"data_dir": str(base / "data"), **CONFIG}, base_dir=base)
    app = create_app(config=config)
    orch = app.server.extensions["orchestrator"]
    version = build_pattern_dataset(config.datasets_path, window=WINDOW)
    train("xgboost", config.datasets_path, config.data_path, config.training, version)
    seen, _ = pattern_series(700, seed=10)  # the training candles of BTC/USDT
    later = seen.copy()
    later.index = later.index + 700 * MINUTE  # the same moves, after the training data
    orch.store.merge_history("BTC/USDT", "1m", frame_to_candles(seen))
    orch.store.merge_history("BTC/USDT", "1m", frame_to_candles(later))
    yield orch
    orch.stop()


def _run(orch, **body):
    request = parse_request({"symbol": "BTC/USDT", "strategy": "pattern", **body}, orch)
    return orch.backtests.run_now(request)


def test_a_period_inside_the_training_data_is_marked_in_sample_with_the_overlap(orch):
    seen, _ = pattern_series(700, seed=10)
    run = _run(orch, start=int(seen.index[300]), end=int(seen.index[-1]) + 100 * MINUTE)
    assert run["status"] == "done", run["error"]
    assert run["stats"]["# Trades"] > 5
    assert run["model"]["kind"] == "pattern" and run["model"]["version"] == "1"
    overlap = run["in_sample"]
    assert overlap["start"] == int(seen.index[300]) and overlap["end"] == int(seen.index[-1])
    assert overlap["trained_on"]["symbols"] == ["BTC/USDT", "ETH/USDT"]


def test_a_period_after_the_training_data_is_out_of_sample(orch):
    seen, _ = pattern_series(700, seed=10)
    run = _run(orch, start=int(seen.index[-1]) + MINUTE, params={"version": "1"})
    assert run["status"] == "done", run["error"]
    assert run["in_sample"] is False
    assert run["stats"]["# Trades"] > 5


def test_signals_use_only_candles_up_to_each_bar(orch):
    candles = orch.store.history("BTC/USDT", "1m")
    context = StrategyContext(orch.config, "BTC/USDT", "1m", orch.patterns)
    strategy = make_strategy("pattern", {}, context)
    cut = 900
    changed = candles.copy()
    changed.iloc[cut:, :4] = changed.iloc[cut:, :4].to_numpy()[::-1]
    changed["high"] = changed[["open", "high", "low", "close"]].max(axis=1)
    changed["low"] = changed[["open", "high", "low", "close"]].min(axis=1)
    before, after = strategy.signals(candles), strategy.signals(changed)
    np.testing.assert_array_equal(before.targets[:cut], after.targets[:cut])
    assert not np.array_equal(before.targets[cut:], after.targets[cut:], equal_nan=True)
    assert np.isin(before.targets[~np.isnan(before.targets)], (-1, 1)).all()


def test_a_missing_version_fails_the_run_with_the_reason(orch):
    run = _run(orch, params={"version": "99"})
    assert run["status"] == "failed" and "99" in run["error"]
    with pytest.raises(StrategyError, match="params.version"):
        make_strategy("pattern", {"version": "latest"}, None)
