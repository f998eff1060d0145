"""A trader used to TradingView reads and moves the charts at 1400x900: the opening window,
prices in full, a crosshair legend, the last price, the price axis following zoom and pan,
back to live, the view kept per symbol, 5 m/15 m/1 h candles, and a layout that holds still."""

import json

import pytest

from dashboard.figures.chart_layout import price_pads
from tests.helpers.browser import (
    CHART_TICK,
    figure_data,
    serve_app,
    ticks_pass,
    x_range_ms,
)
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

MIN = 60_000
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("chartview"))


@pytest.fixture
def page(kept_page):
    """The module's kept page: these checks leave the view live on BTC/USDT's 1 m candles."""
    return kept_page


def last_time(page, tf="1m"):
    return figure_data(page, tf, "gd.data[0].x[gd.data[0].x.length - 1]")


def visible_low_high(page, tf="1m"):
    return figure_data(
        page,
        tf,
        """(() => { const c = gd.data[0], ax = gd._fullLayout.xaxis;
            const r = ax.range.map(v => ax.r2l(v)); let lo = Infinity, hi = -Infinity;
            c.x.forEach((t, i) => { if (t >= r[0] && t <= r[1]) {
                lo = Math.min(lo, c.low[i]); hi = Math.max(hi, c.high[i]); } });
            return [lo, hi]; })()""",
    )


def drag(page, tf, x0, x1, tool=None):
    if tool:
        page.locator(f"#chart-{tf} .modebar-btn[data-title='{tool}']").click()
    box = page.locator(f"#chart-{tf} .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] * 0.5
    page.mouse.move(box["x"] + box["width"] * x0, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * x1, y, steps=8)
    page.mouse.up()


def test_the_minute_chart_opens_on_150_candles_with_prices_in_full(page, served):
    x0, x1 = x_range_ms(page)
    assert 140 <= (x1 - x0) / MIN <= 160
    assert x1 >= last_time(page)
    ticks = page.locator("#chart-1m .yaxislayer-above .ytick text").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert ticks and all("," in t and not t.endswith("k") for t in ticks), ticks
    # The last price: a line across the chart and its label on the price axis.
    # (Read in one go: the price moves every tick.)
    close, label, drawn, line = figure_data(
        page, "1m", "[gd.data[0].close[gd.data[0].close.length - 1], gd.layout.annotations[0].text,"
        " gd.querySelector('.annotation-text').textContent, gd.layout.shapes[0]]")  # fmt: skip
    assert label == f"{close:,.1f}" == drawn
    assert line["name"] == "last-price" and line["y0"] == close
    # The modebar: the tools that make sense, no cloud/share button.
    titles = page.locator("#chart-1m .modebar-btn").evaluate_all(
        "els => els.map(e => e.getAttribute('data-title'))"
    )
    assert "Box Select" in titles and "Zoom" in titles and "Pan" in titles
    assert not any("Chart Studio" in (t or "") or "Lasso" in (t or "") for t in titles), titles


def test_crosshair_legend_reads_the_candle_under_the_cursor(page):
    assert figure_data(page, "1m", "gd._fullLayout.xaxis.showspikes") is True
    legend = page.locator("#chart-1m .ohlcv-legend")

    def shows_the_last_close() -> bool:  # the forming candle's close moves every tick
        close = figure_data(page, "1m", "gd.data[0].close[gd.data[0].close.length - 1]")
        return f"C {close:,.1f}" in legend.inner_text()

    wait_for(shows_the_last_close)

    # Hover a candle well inside the view: the legend shows that candle's prices. When a new
    # minute shifts the live view between finding the candle and moving there, the pointer
    # lands on its neighbour: the candle is found and hovered again, as an eye would.
    def hovered() -> bool:
        x, y, open_ = page.evaluate("""() => {
            const gd = document.querySelector('#chart-1m .js-plotly-plot');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, c = gd.data[0];
            const i = c.x.length - 60, box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(c.x[i]),
                    box.top + ya._offset + ya.l2p(c.close[i]), c.open[i]];
        }""")
        page.mouse.move(x, y)
        try:
            return wait_for(lambda: f"O {open_:,.1f}" in legend.inner_text(), timeout=10)
        except AssertionError:
            return False

    wait_for(hovered)


def test_price_axis_fits_the_candles_in_view_after_a_zoom_and_back_to_live(page):
    drag(page, "1m", 0.15, 0.35)  # zoom into older candles
    wait_for(lambda: x_range_ms(page)[1] < last_time(page))

    def fitted():
        # The candles in view fill the axis but for MARK_ROOM_PX (or 8 % / 5 % of their span,
        # where that is more) under and over them, for the arrows and crosses drawn off them.
        low, high = visible_low_high(page)
        y0, y1 = figure_data(page, "1m", "gd._fullLayout.yaxis.range")
        length = figure_data(page, "1m", "gd._fullLayout.yaxis._length")
        below, above = price_pads(high - low, length)
        return y0 == pytest.approx(low - below, abs=(high - low) * 1e-3) and y1 == pytest.approx(
            high + above, abs=(high - low) * 1e-3
        )

    wait_for(fitted)
    # Away from the newest candle: the button takes the user back.
    button = page.locator("#chart-1m .back-to-live")
    wait_for(button.is_visible)
    button.click()
    wait_for(lambda: x_range_ms(page)[1] >= last_time(page))
    wait_for(lambda: not button.is_visible())
    wait_for(fitted)
    # Live again: a new candle on the 1 s chart keeps the newest candle in view.
    assert not page.locator("#chart-1s .back-to-live").is_visible()
    before = last_time(page, "1s")
    wait_for(lambda: last_time(page, "1s") > before)
    wait_for(lambda: x_range_ms(page, "1s")[1] >= last_time(page, "1s"))


def hold_ticks(page, symbol: str):
    """Hold ``symbol``'s minute-chart ticks in flight from now on (sent, not yet answered: all of
    them, since the page drops an older one once a newer one is sent); returns what lets them
    go and waits until the newest one's answer has come back to the page."""
    held, holding = [], [True]

    def hold(route):
        body = json.loads(route.request.post_data or "{}")
        charts = [o.get("id") for o in body.get("outputs") or [] if isinstance(o, dict)]
        if holding[0] and {"type": "chart", "tf": "1m", "symbol": symbol} in charts:
            held.append(route)
        else:
            route.continue_()

    page.route("**/_dash-update-component*", hold)
    wait_for(lambda: page.evaluate("true") and held)  # the page's calls let the handler run

    def release():
        holding[0] = False
        newest = held[-1].request.post_data
        with page.expect_response(lambda r: r.request.post_data == newest, timeout=60_000):
            for route in held:
                route.continue_()
        page.unroute("**/_dash-update-component*", hold)

    return release


def switch_to(page, symbol: str) -> None:
    page.locator("#symbol-select").click()
    page.get_by_role("option", name=symbol).click()
    wait_for(lambda: symbol in figure_data(page, "1m", "gd.layout.title.text"))


def test_5m_15m_and_1h_candles_come_from_the_minute_candles(page, served):
    page.locator("label", has_text="15m").click()
    wait_for(lambda: figure_data(page, "1m", "gd.layout.title.text") == "BTC/USDT · 15m")
    steps = figure_data(page, "1m", "gd.data[0].x.slice(-3).map((t, i, a) => i ? t - a[i-1] : 0)")
    assert steps[1:] == [15 * MIN, 15 * MIN]
    first = figure_data(page, "1m", "gd.data[0].x[0]")
    minutes = served.orch.store.history("BTC/USDT", "1m", first, first + 15 * MIN)
    shown = figure_data(page, "1m", "[gd.data[0].open[0], gd.data[0].high[0], gd.data[0].low[0]]")
    assert shown == pytest.approx(
        [minutes["open"].iloc[0], minutes["high"].max(), minutes["low"].min()]
    )
    page.locator("label", has_text="1h").click()
    wait_for(lambda: figure_data(page, "1m", "gd.layout.title.text") == "BTC/USDT · 1h")
    page.locator("label", has_text="1m").first.click()
    wait_for(lambda: figure_data(page, "1m", "gd.layout.title.text") == "BTC/USDT · 1m")


def test_a_long_horizon_does_not_stretch_the_1s_chart(page, served):
    last = served.orch.store.latest("BTC/USDT", "1s")
    served.orch.store_cnn_prediction("BTC/USDT", {
        "timestamp": last.time, "confidence": 0.9, "direction": "UP", "current_price": last.close,
        "target_price": last.close * 1.01, "horizon_minutes": 240})  # fmt: skip
    wait_for(lambda: figure_data(page, "1s", "gd.data[4].x.length") == 1)
    ticks_pass(page, 2, CHART_TICK)
    x0, x1 = x_range_ms(page, "1s")
    assert x1 - last_time(page, "1s") < 60_000
    assert x1 - x0 < 15 * MIN


def test_the_view_is_kept_per_symbol(own_page):
    """A tick in flight as the symbol changes is answered for the chart it came from: that
    answer, coming once the chart is gone, changes nothing (it used to land on the new symbol's
    chart, which had the same id: seen beside CPU hogs in both directions below)."""
    page = own_page
    drag(page, "1m", 0.3, 0.5, tool="Pan")
    wait_for(lambda: page.locator("#chart-1m .back-to-live").is_visible())
    btc_view = x_range_ms(page)
    release = hold_ticks(page, "BTC/USDT")  # BTC's panned view, in flight
    switch_to(page, "ETH/USDT")
    wait_for(lambda: x_range_ms(page)[1] >= last_time(page))  # ETH opens live
    release()
    ticks_pass(page, 2, CHART_TICK)
    assert "ETH/USDT" in figure_data(page, "1m", "gd.layout.title.text")
    assert x_range_ms(page)[1] >= last_time(page)  # still live, not at BTC's range
    release = hold_ticks(page, "ETH/USDT")  # ETH's live view, in flight
    switch_to(page, "BTC/USDT")
    wait_for(lambda: abs(x_range_ms(page)[0] - btc_view[0]) < MIN)
    release()
    ticks_pass(page, 2, CHART_TICK)
    assert "BTC/USDT" in figure_data(page, "1m", "gd.layout.title.text")
    view = x_range_ms(page)  # BTC's remembered view, not ETH's live one
    assert abs(view[0] - btc_view[0]) < MIN and abs(view[1] - btc_view[1]) < MIN


def test_layout_holds_still_and_fits_1400x900(browser, served, page_keeper):
    """Three symbols: the status line stays on the header's one line; the span table stays in
    the side panel; nothing moves after the first paint and nothing is cut off at the bottom."""
    page_keeper.put_away()  # none ticks beside this page
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)  # sized for a busy machine
    try:
        page.goto(served.url)
        page.wait_for_selector("#symbol-select")
        boxes = """() => ['#symbol-select', '#overlay-toggles', '#labels-shown', '.side-panel',
            '#chart-timeframe'].map(s => { const r = document.querySelector(s)
            .getBoundingClientRect(); return [Math.round(r.left), Math.round(r.top)]; })"""
        first = page.evaluate(boxes)
        page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
        wait_for(lambda: page.locator("#feed-status [data-symbol]").count() == 3)
        ticks_pass(page, 3)
        assert page.evaluate(boxes) == first
        header = page.locator(".app-header").bounding_box()
        status = page.locator("#feed-status").bounding_box()
        charts = page.locator(".chart-toolbar").bounding_box()
        assert status["y"] + status["height"] <= header["y"] + header["height"] <= charts["y"]
        assert header["height"] < 70
        assert page.evaluate("document.documentElement.scrollHeight") <= VIEWPORT["height"]
        bottom = page.locator("#chart-1m").bounding_box()
        assert bottom["y"] + bottom["height"] <= VIEWPORT["height"]
        # The span table scrolls inside the side panel instead of running past it.
        served.orch.start_autolabel("BTC/USDT", "1m", 1.0, None)
        wait_for(lambda: page.locator("#ann-table td[data-dash-column='label']").count() > 0)
        panel = page.locator(".side-panel").bounding_box()
        table = page.locator("#ann-table").bounding_box()
        assert table["x"] + table["width"] <= panel["x"] + panel["width"] + 1
    finally:
        context.close()
