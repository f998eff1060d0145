"""A grid search against backtesting.py's own ``Backtest.optimize(..., return_heatmap=True)``.

For ``sma_cross`` on GOOG daily, over a grid of 174 admissible cells (``fast < slow``), every
cell's value equals the oracle's heatmap (NaN where it has NaN, within 1e-9 relative), and the
best cell is the same. The trials run on two worker processes, the candles shared once.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from backtesting import Backtest

from backtest.search import Searcher, best_trial
from backtest.search_request import SearchRequest
from backtest.trials import TrialSetup, candle_arrays
from core.compute import LocalExecutor
from tests.helpers import market_data as fixtures_market
from tests.helpers.backtesting_oracle import FullSmaCross

market_candles = fixtures_market.market_candles

FAST, SLOW = list(range(5, 55, 5)), list(range(20, 210, 10))


def _request(maximize: str, **extra) -> SearchRequest:
    goog = market_candles("GOOG")
    return SearchRequest(
        "GOOG", "1d", int(goog.index[0]), int(goog.index[-1]), "sma_cross",
        {"fast": "5:50:5", "slow": "20:200:10"}, constraint="fast < slow", maximize=maximize,
        commission=0.002, fractional_unit=1.0, space={"fast": FAST, "slow": SLOW}, **extra,
    )  # fmt: skip


def _search(request: SearchRequest, workers: int = 2) -> list[dict]:
    arrays = candle_arrays(market_candles("GOOG"))
    setup = TrialSetup(request.strategy, request.settings, request.maximize, request.min_trades)
    with LocalExecutor(workers, arrays, ("backtest.trials",)) as executor:
        searcher = Searcher(request, executor, setup, on_trial=lambda *a: None,
                            progress=lambda f: None, done={})  # fmt: skip
        return searcher.run()


def _oracle_heatmap(maximize: str):
    goog = market_candles("GOOG")
    data = goog.rename(columns=str.capitalize)
    data.index = np.asarray(goog.index, dtype="datetime64[ms]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backtest = Backtest(data, FullSmaCross, cash=10_000, commission=0.002,
                            exclusive_orders=True, finalize_trades=True)  # fmt: skip
        best, heatmap = backtest.optimize(
            fast=FAST, slow=SLOW, constraint=lambda p: p.fast < p.slow, maximize=maximize,
            return_heatmap=True,
        )  # fmt: skip
    return best, heatmap


@pytest.mark.parametrize("maximize", ["Sharpe Ratio", "SQN"])
def test_every_grid_cell_and_the_best_match_backtesting_py_optimize(maximize):
    request = _request(maximize)
    trials = _search(request)
    best, heatmap = _oracle_heatmap(maximize)
    assert len(trials) == len(heatmap) == 174
    ours = {(t["params"]["fast"], t["params"]["slow"]): t["value"] for t in trials}
    assert set(ours) == set(heatmap.index)
    for cell, theirs in heatmap.items():
        mine = ours[cell]
        if math.isnan(theirs):
            assert mine is None, cell
        else:
            assert mine is not None and mine == pytest.approx(theirs, rel=1e-9), cell
    assert heatmap.isna().sum() < len(heatmap)
    top = best_trial(trials)
    assert (top["params"]["fast"], top["params"]["slow"]) == heatmap.idxmax()
    assert (top["params"]["fast"], top["params"]["slow"]) == (
        best._strategy.fast, best._strategy.slow)  # fmt: skip


def test_the_trials_do_not_depend_on_the_number_of_workers():
    request = _request("Sharpe Ratio", method="tpe", max_tries=24, seed=3)
    one, two = _search(request, workers=1), _search(request, workers=2)
    assert [(t["params"], t["value"]) for t in one] == [(t["params"], t["value"]) for t in two]
    grid = _request("Sharpe Ratio", max_tries=40, seed=5)
    sampled = _search(grid, workers=2)
    assert len(sampled) == 40
    assert sampled == sorted(sampled, key=lambda t: (FAST.index(t["params"]["fast"]),
                                                     SLOW.index(t["params"]["slow"])))  # fmt: skip
