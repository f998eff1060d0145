"""Switching symbol: a chart tick sent as the symbol changed carries the old symbol's chart
state and visible range, and its answer lands on the new symbol's chart (same id). It must draw
the new symbol live, not at the old symbol's range (seen once beside two CPU hogs:
``test_chart_view.py::test_the_view_is_kept_per_symbol``, ETH opened away from live)."""

from dashboard.panels.charts.live_charts import chart_refresh, chart_view, make_view
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles
from tests.helpers.figures import browser_json

MIN = 60_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000


def test_a_tick_carrying_the_old_symbols_range_draws_the_new_symbol_live(make_config):
    orch = Orchestrator(make_config())
    for symbol in ("BTC/USDT", "ETH/USDT"):  # half an hour of 1 s candles: 30 minutes
        orch.store.ingest(symbol, make_candles(1800, start=T0, closed_last=False))
    last = T0 + 29 * MIN
    _, btc = chart_view(orch, "BTC/USDT", "1m", make_view(["dqn"]))
    _, eth = chart_view(orch, "ETH/USDT", "1m", make_view(["dqn"]))
    # A range panned back past the buffer's start: the chart loads it whole (a past figure).
    panned = [T0 - 60 * MIN, T0 + 5 * MIN]
    view = make_view(["dqn"], visible=panned, timeframe="auto")

    # Sent by BTC's chart as the symbol changed to ETH: ETH is drawn live, at its buffer.
    figure, state = chart_refresh(orch, "1m", "ETH/USDT", view, btc.to_dict())
    shown = browser_json(figure)
    assert shown["layout"]["title"]["text"].startswith("ETH/USDT")
    assert shown["layout"]["xaxis"]["range"][1] >= last and state["symbol"] == "ETH/USDT"
    assert state["window"] is None and "past" not in (shown["layout"].get("meta") or {})

    # The same range from ETH's own chart is ETH's pan: kept, the range loaded whole.
    figure, state = chart_refresh(orch, "1m", "ETH/USDT", view, eth.to_dict())
    shown = browser_json(figure)
    assert shown["layout"]["xaxis"]["range"] == panned and shown["layout"]["meta"]["past"]
    assert state["window"] is not None
