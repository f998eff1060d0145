"""A trader with ten days of minute history scrolls the minute chart out to see all of it, reads
the candle size on the chart, and scrolls back in to minute candles (auto timeframe, 1400x900)."""

import time

import pytest

from core.candles import resample, timeframe_ms
from tests.helpers.browser import figure_data, serve_app
from tests.helpers.candles import make_candles
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MIN = 60_000
DAYS = 10


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    for served in serve_app(tmp_path_factory.mktemp("history")):
        # Ten days of 1 m history ending two hours ago (the simulator runs from now on).
        end = int(time.time() * 1000) - 2 * 3_600_000
        end -= end % MIN
        history = make_candles(DAYS * 1440, start=end - DAYS * 1440 * MIN, frame_ms=MIN,
                               seed=4, price=100.0)  # fmt: skip
        served.orch.store.merge_history("BTC/USDT", "1m", history)
        served.history = history
        yield served


def title(page):
    return figure_data(page, "1m", "gd.layout.title.text") or ""


def test_zoom_out_reaches_all_history_in_coarser_candles_and_back_in(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served.url)
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
    assert page.locator("#chart-timeframe input[value='auto']").is_checked()
    wait_for(lambda: title(page) == "BTC/USDT · 1m candles · auto")
    first = served.history[0].time
    now = figure_data(page, "1m", "gd.data[0].x[gd.data[0].x.length - 1]")

    def view(x0, x1):
        # What a zoom by the mouse wheel or the modebar ends in: one relayout of the time axis,
        # made as a GUI edit (the page's own handlers then report the range to the server).
        page.evaluate(
            """([x0, x1]) => { const gd = document.querySelector('#chart-1m .js-plotly-plot');
               gd._fullLayout._guiEditing = true;
               try { Plotly.relayout(gd, {"xaxis.range": [x0, x1], "xaxis2.range": [x0, x1]}); }
               finally { gd._fullLayout._guiEditing = false; } }""",
            [x0, x1],
        )

    # Zoomed out to everything stored: coarser candles reaching back to the first day.
    view(first - 3_600_000, now + 3_600_000)

    def zoomed_out():
        x0 = figure_data(page, "1m", "gd.data[0].x[0]")
        return "1m candles" not in title(page) and x0 is not None and x0 <= first + 4 * 3_600_000

    wait_for(zoomed_out, timeout=60)
    shown = title(page).split(" · ")[1].split(" ")[0]
    assert shown in ("15m", "1h"), shown  # 10 days in at most 2,000 slots: 15 m at the finest
    frame = timeframe_ms(shown)
    xs = figure_data(page, "1m", "gd.data[0].x")
    assert len(xs) <= 2500
    assert {b - a for a, b in zip(xs, xs[1:], strict=False)} <= {frame, 2 * frame, 3 * frame}
    # A drawn candle is the aggregate of the stored minutes it covers.
    expected = {c.time: c for c in resample(served.history, frame)}
    i = next(i for i, t in enumerate(xs) if t in expected and t > first + frame)
    drawn = figure_data(page, "1m", f"['open','high','low','close'].map(k => gd.data[0][k][{i}])")
    ref = expected[xs[i]]
    assert drawn == pytest.approx([ref.open, ref.high, ref.low, ref.close])

    # Two hours of the fifth day: minute candles loaded from the store, far behind live; Home
    # goes back to the newest candle (not the end of what that figure holds).
    past = first + 4 * 1440 * MIN
    view(past, past + 2 * 3_600_000)
    wait_for(lambda: figure_data(page, "1m", "[gd.layout.meta?.past, gd.data[0].x[0]]")
             == [True, past - 15 * MIN], timeout=60)  # fmt: skip
    assert title(page) == "BTC/USDT · 1m candles · auto"
    page.locator("body").press("Home")

    def back_live():
        ax = "gd._fullLayout.xaxis"
        shown = f"{ax}.range.map(v => {ax}.r2l(v))"
        last_x = "gd.data[0].x[gd.data[0].x.length - 1]"
        r = figure_data(page, "1m", f"[gd.layout.meta?.past || false, {shown}, {last_x}]")
        past_figure, (x0, x1), last = r
        return (
            not past_figure and x0 < last < x1 and x1 - x0 == pytest.approx(2 * 3_600_000, rel=0.05)
        )

    wait_for(back_live, timeout=60)
    assert not page.locator("#chart-1m").evaluate("b => b.classList.contains('away-from-live')")

    # Zoomed in to the last hour: minute candles again.
    view(now - 3_600_000, now + 5 * MIN)
    wait_for(lambda: title(page) == "BTC/USDT · 1m candles · auto", timeout=60)
    steps = figure_data(page, "1m", "gd.data[0].x.slice(-3).map((t, i, a) => i ? t - a[i-1] : 0)")
    assert steps[1:] == [MIN, MIN]
    context.close()
    assert errors == [], errors
