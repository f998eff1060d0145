"""Which backtests go to the Ray cluster: long runs of rule strategies with ``backend: ray``;
short runs, model strategies and ``backend: local`` stay in the app. (The runs themselves are
tested against a real head in ``tests/runtime/test_ray_backtesting.py``.)"""

from __future__ import annotations

import pytest

from backtest.remote import on_cluster
from core.config import ComputeConfig, ConfigError, build_section


def test_only_long_rule_strategy_runs_go_to_the_cluster():
    ray = ComputeConfig(backend="ray", ray_backtest_bars=1000)
    assert on_cluster(ray, "sma_cross", 1000)
    assert not on_cluster(ray, "sma_cross", 999)
    assert not on_cluster(ray, "pattern", 1_000_000)  # its calls come from the served model
    assert not on_cluster(ComputeConfig(backend="local", ray_backtest_bars=0), "sma_cross", 10**6)
    assert on_cluster(ComputeConfig(backend="ray", ray_backtest_bars=0), "sma_cross", 3)


def test_a_negative_threshold_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match="compute.ray_backtest_bars: must be 0"):
        build_section(ComputeConfig, {"ray_backtest_bars": -1}, "compute")
    assert ComputeConfig().ray_backtest_bars == 200_000
