"""The Backtest tab's pure builders: trade rows, the run's chart, equity, comparison."""

from __future__ import annotations

import pytest

from dashboard.figures.backtest_figures import (
    compare_figure,
    compare_rows,
    equity_figure,
    in_sample_text,
    parse_params,
    run_chart,
    trade_table,
    trade_window,
)
from tests.helpers import market_data as fixtures_market

T0 = 1_700_000_000_000
TRADES = [
    {"Size": 0.5, "EntryTime": T0 + 60_000, "ExitTime": T0 + 600_000, "EntryPrice": 100.0,
     "ExitPrice": 101.0, "ReturnPct": 0.01, "PnL": 0.5},
    {"Size": -0.4, "EntryTime": T0 + 600_000, "ExitTime": None, "EntryPrice": 101.0,
     "ExitPrice": None, "ReturnPct": None, "PnL": None},
]  # fmt: skip


def test_trade_rows_show_side_and_an_open_trade():
    rows = trade_table(TRADES)
    assert [r["side"] for r in rows] == ["long", "short"]
    assert rows[0]["return"] == "+1.00%" and rows[1]["exit"] == "open"
    assert [r["id"] for r in rows] == [0, 1]


def test_run_chart_draws_entries_exits_and_predictions():
    candles = fixtures_market.random_candles(50, start=T0)
    points = [{"time": T0 + 120_000, "kind": "cnn", "price": 100.0, "call": "UP",
               "confidence": 0.5}]  # fmt: skip
    fig = run_chart(candles, TRADES, points)
    names = [trace.name for trace in fig.data]
    assert names == ["candles", "long entry", "short entry", "exit", "predictions"]
    assert len(fig.data[1].x) == 1 and len(fig.data[2].x) == 1 and len(fig.data[3].x) == 1
    assert fig.data[4].marker.color == ("#00e5ff",)
    long_run = fixtures_market.random_candles(10_000, start=T0)
    assert run_chart(long_run, []).data[0].type == "scatter"  # too many for candlesticks


def test_trade_window_has_context_either_side():
    low, high = trade_window(TRADES[0], 60_000)
    assert low < TRADES[0]["EntryTime"] and high > TRADES[0]["ExitTime"]


def test_equity_and_comparison():
    points = [{"time": T0, "equity": 100.0, "drawdown_pct": 0.0},
              {"time": T0 + 60_000, "equity": 90.0, "drawdown_pct": -10.0}]  # fmt: skip
    assert len(equity_figure(points).data) == 2
    runs = [
        {"id": "aaaaaa1", "params": {"strategy": "sma_cross", "params": {"fast": 5}},
         "stats": {"Return [%]": 1.5, "# Trades": 3}, "equity": points},
        {"id": "bbbbbb2", "params": {"strategy": "buy_and_hold", "params": {}},
         "stats": {"Return [%]": -2.0, "# Trades": 1}, "equity": points},
    ]  # fmt: skip
    columns, rows = compare_rows(runs)
    assert [c["id"] for c in columns] == ["stat", "aaaaaa1", "bbbbbb2"]
    assert rows[0] == {"stat": "Return [%]", "aaaaaa1": "1.5", "bbbbbb2": "-2"}
    assert len(compare_figure(runs).data) == 2


def test_params_text_is_parsed_or_refused_by_name():
    assert parse_params("fast=10, slow = 20") == {"fast": "10", "slow": "20"}
    assert parse_params("") == {}
    with pytest.raises(ValueError, match="^params: write name=value pairs"):
        parse_params("fast")


def test_in_sample_warning_names_the_model_and_the_overlap():
    run = {"in_sample": {"start": T0, "end": T0 + 3_600_000, "trained_on": {}},
           "model": {"name": "pattern-classifier", "version": "3"}}  # fmt: skip
    text = in_sample_text(run)
    assert text.startswith("In-sample: model pattern-classifier v3")
    assert "2023-11-14 22:13:20 to 2023-11-14 23:13:20" in text
    assert in_sample_text({"in_sample": False}) == ""
