"""A trader opens the dashboard: live charts, overlays, zoom, symbol switch."""

import pytest

from tests.helpers.browser import (
    CHART_TICK,
    LIVE_TICK,
    figure_data,
    serve_app,
    tick_number,
    ticks_pass,
)
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The default 1 s tick: this module is about what happens each second. A DQN call on the
    1 s chart is scored an hour on, not 5 s (the default): its pending arrow is what a check
    reads, and a loaded machine can take longer than 5 s to draw it."""
    outcomes = {"outcomes": {"dqn_horizon_candles": 3600}}
    yield from serve_app(tmp_path_factory.mktemp("live"), {**LIVE_TICK, **outcomes})


@pytest.fixture
def page(kept_page):
    """The module's kept page, from the first check to the symbol switch."""
    return kept_page


def tidy(page) -> None:
    """The CNN marks switched off by the check of each kind's marker come back on."""
    cnn = page.get_by_label("CNN ◆")
    if not cnn.is_checked():
        cnn.check()


def test_page_loads_both_charts_with_no_console_errors(page, page_keeper):
    assert figure_data(page, "1s", "gd.data[0].x.length") > 100
    assert figure_data(page, "1m", "gd.data[0].x.length") > 100
    assert figure_data(page, "1m", "gd.data[0].type") == "candlestick"
    # The status line comes from its own callback, not with the charts the page waited for.
    wait_for(lambda: "3 ok" in page.locator("#feed-status summary").inner_text())
    ticks_pass(page, 3)
    assert page_keeper.errors == []


def test_both_charts_grow_live(page):
    first_1s = figure_data(page, "1s", "gd.data[0].x[gd.data[0].x.length - 1]")
    wait_for(lambda: figure_data(page, "1s", "gd.data[0].x[gd.data[0].x.length - 1]") > first_1s)
    # The forming 1m candle changes every second even before a new minute starts.
    before = figure_data(
        page, "1m", "JSON.stringify(gd.data[0].close.slice(-1).concat(gd.data[0].x.length))"
    )
    wait_for(
        lambda: (
            figure_data(
                page, "1m", "JSON.stringify(gd.data[0].close.slice(-1).concat(gd.data[0].x.length))"
            )
            != before
        )
    )


def test_a_prediction_of_each_kind_appears_with_its_marker_and_colour(page, served):
    orch = served.orch
    symbol = "BTC/USDT"
    last = orch.store.latest(symbol, "1s")
    ts = last.time
    orch.store_dqn_prediction(
        symbol,
        {
            "timestamp": ts,
            "confidence": 0.9,
            "action": "BUY",
            "price": last.close,
            "timeframe": "1s",
        },
    )
    orch.store_dqn_prediction(
        symbol,
        {
            "timestamp": ts,
            "confidence": 0.5,
            "action": "SELL",
            "price": last.close,
            "timeframe": "1s",
        },
    )
    orch.store_cnn_prediction(
        symbol,
        {
            "timestamp": ts,
            "confidence": 0.8,
            "direction": "UP",
            "current_price": last.close,
            "target_price": last.close * 1.002,
            "horizon_minutes": 1,
            "timeframe": "1s",  # target lines show on their own timeframe's chart only
        },
    )
    orch.store_transformer_prediction(
        symbol,
        {
            "timestamp": ts,
            "confidence": 0.6,
            "direction": "DOWN",
            "current_price": last.close,
            "predicted_price": last.close * 0.998,
            "horizon_minutes": 2,
            "timeframe": "1s",
        },
    )
    wait_for(lambda: figure_data(page, "1s", "gd.data[5].x.length") == 1)
    traces = figure_data(
        page,
        "1s",
        "gd.data.slice(2, 6).map(t => [t.marker.symbol, ((t.marker.angle || 0) + 360) % 360,"
        " t.marker.color, t.x.length])",
    )
    assert traces == [
        ["triangle-up", 0, ["#00e676"], 1],
        ["triangle-up", 180, ["#ff1744"], 1],  # turned over: the SELL arrow points down
        ["diamond", 0, ["#00e5ff"], 1],
        ["star", 0, ["#ff9800"], 1],
    ]
    # Drawn, not only in the data: four marker points and the two target lines.
    assert page.locator("#chart-1s .scatterlayer .point").count() >= 4
    dashes = figure_data(
        page,
        "1s",
        "gd.layout.shapes.filter(s => s.name !== 'last-price').map(s => s.line.dash).sort()",
    )
    assert dashes == ["dashdot", "dot"]
    # The overlay toggle hides them again.
    page.get_by_label("CNN ◆").uncheck()
    wait_for(lambda: figure_data(page, "1s", "gd.data[4].x.length") == 0)
    assert figure_data(page, "1s", "gd.data[5].x.length") == 1


COUNT_DRAWS = """() => {
    window.tdDraws = 0;
    window.tdReact = Plotly.react;
    Plotly.react = function (gd) {
        if (gd && gd.closest && gd.closest('#chart-1s')) window.tdDraws += 1;
        return window.tdReact.apply(this, arguments);
    };
}"""


def test_each_tick_draws_the_1s_chart_once(page):
    """Following the newest candle is the page's own relayout, which Dash is not told of: its
    chart used to copy every relayout into its figure and draw the whole chart a second time,
    after every tick (a sixth of an idle page's CPU, bench/page_cost.py)."""
    answers = []

    def on_answer(response) -> None:
        body = response.request.post_data_json or {}
        outputs = body.get("outputs") or []
        ids = [o.get("id") for o in outputs if isinstance(o, dict)]
        ours = any(isinstance(i, dict) and i.get("tf") == "1s" for i in ids)
        if ours and tick_number(response.request, CHART_TICK) is not None:
            answers.append(response)

    # Following live (the old code drew twice only after a follow), and past the redraws that
    # a change before this check may still have in flight.
    assert not page.locator("#chart-1s").evaluate("e => e.classList.contains('away-from-live')")
    ticks_pass(page, 1, CHART_TICK)
    # The listener is on before draws are counted and off after: every counted draw's answer
    # is counted too.
    page.on("response", on_answer)
    page.evaluate(COUNT_DRAWS)
    try:
        ticks_pass(page, 4, CHART_TICK)
    finally:
        draws = page.evaluate("() => { Plotly.react = window.tdReact; return window.tdDraws; }")
        page.remove_listener("response", on_answer)
    assert len(answers) >= 4
    assert draws <= len(answers) + 1, (draws, len(answers))


def test_zoom_survives_ticks(page):
    box = page.locator("#chart-1s .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
    page.mouse.up()
    zoomed = wait_for(
        lambda: figure_data(
            page, "1s", "gd.layout.xaxis.autorange === false && gd.layout.xaxis.range"
        )
    )
    length = figure_data(page, "1s", "gd.data[0].x.length")
    last = figure_data(page, "1s", "gd.data[0].x[gd.data[0].x.length - 1]")
    wait_for(lambda: figure_data(page, "1s", "gd.data[0].x[gd.data[0].x.length - 1]") > last)
    ticks_pass(page, 2, CHART_TICK)
    assert figure_data(page, "1s", "gd.layout.xaxis.range") == zoomed
    assert figure_data(page, "1s", "gd.data[0].x.length") >= length - 3


def test_switching_symbol_shows_that_symbols_candles(page, served):
    eth_close = served.orch.store.latest("ETH/USDT", "1m").close
    page.locator("#symbol-select").click()
    page.get_by_role("option", name="ETH/USDT").click()
    wait_for(lambda: "ETH/USDT" in (figure_data(page, "1m", "gd.layout.title.text") or ""))
    shown = figure_data(page, "1m", "gd.data[0].close[gd.data[0].close.length - 1]")
    assert abs(shown - eth_close) / eth_close < 0.05
    wait_for(lambda: "ETH/USDT" in (figure_data(page, "1s", "gd.layout.title.text") or ""))


def test_indicators_chosen_in_a_charts_menu_are_drawn_patched_and_remembered(own_page):
    page = own_page

    def names(tf):
        return figure_data(page, tf, "gd.data.map(t => t.name)")

    menu = page.locator("#chart-1m .indicator-menu")
    menu.locator("summary").click()
    menu.get_by_label("SMA", exact=True).check()
    menu.get_by_label("RSI", exact=True).check()
    wait_for(lambda: {"SMA 20", "RSI 14"} <= set(names("1m")))
    assert figure_data(page, "1m", "gd.layout.yaxis4.range") == [0, 100]
    assert "SMA 20" not in names("1s")  # chosen per chart
    # Ticks patch the indicator traces with the candles: one value per drawn candle.
    ticks_pass(page, 3, CHART_TICK)
    sma = "gd.data.find(t => t.name === 'SMA 20')"
    assert figure_data(page, "1m", f"{sma}.x.length === gd.data[0].x.length")
    assert figure_data(page, "1m", f"{sma}.y[{sma}.y.length - 1]") is not None
    # A bad parameter is refused in the menu; the chart keeps what it drew.
    period = menu.locator(".indicator-param input").first
    period.fill("1")
    period.press("Enter")
    error = page.locator("#chart-1m .indicator-menu .text-danger")
    wait_for(lambda: "SMA period in the indicator settings must be" in error.inner_text())
    assert "SMA 20" in names("1m")
    period.fill("25")
    period.press("Enter")
    wait_for(lambda: "SMA 25" in names("1m") and error.inner_text() == "")
    # The browser remembers the choice, parameters too, across a reload.
    page.reload()
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg")
    wait_for(lambda: {"SMA 25", "RSI 14"} <= set(names("1m")))
