"""The auto path over a 1 s base: over stored 1 s history it steps through 1 s, 5 s, 15 s and
1 m candles as the minute chart does, and a chart showing its whole live window stays on the
live path while the browser's range lags the buffer."""

import plotly.graph_objects as go

from dashboard.panels.charts.live_charts import auto_tick, make_view
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles
from tests.helpers.figures import browser_json

MIN = 60_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000
SYMBOL = "BTC/USDT"


def test_the_1s_chart_zoomed_out_shows_coarser_candles_over_its_stored_history(make_config):
    orch = Orchestrator(make_config())
    end = T0 + 2 * 3_600_000
    # Two hours of 1 s history (more than the chart's ten-minute window), then the live buffer.
    orch.store.merge_history(SYMBOL, "1s", make_candles(7200, start=T0, frame_ms=1000, seed=3))
    orch.store.ingest(SYMBOL, make_candles(60, start=end, frame_ms=1000, closed_last=False))
    view = make_view(["dqn"], visible=[T0, end + 60_000])
    figure, state = auto_tick(orch, SYMBOL, "1s", view, None)
    data = browser_json(figure)
    assert data["layout"]["title"]["text"] == "BTC/USDT · 5s candles · auto"
    xs = data["data"][0]["x"]
    assert (
        xs[0] <= T0
        and xs[-1] == end + 55_000
        and {b - a for a, b in zip(xs, xs[1:], strict=False)} == {5000}
    )
    # Back to the live window: 1 s candles, the chart's own buffer.
    view = make_view(["dqn"], visible=[end - 1000, end + 60_000])
    figure, _ = auto_tick(orch, SYMBOL, "1s", view, state)
    assert browser_json(figure)["layout"]["title"]["text"] == "BTC/USDT · 1s candles · auto"


def test_the_live_window_stays_live_while_the_browser_lags_a_few_candles(make_config):
    orch = Orchestrator(make_config())
    orch.store.ingest(SYMBOL, make_candles(900, start=T0, frame_ms=1000, closed_last=False))
    held = orch.store.tail(SYMBOL, "1s", 600)
    _, state = auto_tick(orch, SYMBOL, "1s", make_view(["dqn"]), None)
    # The whole ten-minute window, as the browser last drew it: it starts half a candle (or,
    # when the server has moved on, a few candles) before the buffer's first candle.
    for lag in (500, 1500, 3500, 20_000):
        view = make_view(["dqn"], visible=[held[0].time - lag, held[-1].time + 36_000])
        result, _ = auto_tick(orch, SYMBOL, "1s", view, state)
        assert not isinstance(result, go.Figure), f"a whole figure at a lag of {lag} ms"
