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
    panned = [T0 + 2 * MIN, T0 + 12 * MIN]  # BTC's chart, panned away from live
    view = make_view(["dqn"], visible=panned, timeframe="auto")

    figure, state = chart_refresh(orch, "1m", "ETH/USDT", view, btc.to_dict())
    shown = browser_json(figure)
    assert shown["layout"]["title"]["text"].startswith("ETH/USDT")
    assert shown["layout"]["xaxis"]["range"][1] >= last and state["symbol"] == "ETH/USDT"
    assert state["window"] is None  # the live buffer, not a loaded range

    # The new chart's own ticks keep its range as before (a pan on ETH is ETH's).
    figure, _ = chart_refresh(orch, "1m", "ETH/USDT", view, None)
    assert browser_json(figure)["layout"]["xaxis"]["range"] == panned
