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
    zoom_out = page.locator("#chart-1m .modebar-btn[data-title='Zoom out']")
    zoom_in = page.locator("#chart-1m .modebar-btn[data-title='Zoom in']")
    first = served.history[0].time

    def zoomed_out():
        zoom_out.click()
        x0 = figure_data(page, "1m", "gd.data[0].x[0]")
        return "1m candles" not in title(page) and x0 is not None and x0 <= first + 4 * 3_600_000

    wait_for(zoomed_out, timeout=90, interval=1.0)
    shown = title(page).split(" · ")[1].split(" ")[0]
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

    def zoomed_in():
        zoom_in.click()
        return title(page) == "BTC/USDT · 1m candles · auto"

    wait_for(zoomed_in, timeout=90, interval=1.0)
    steps = figure_data(page, "1m", "gd.data[0].x.slice(-3).map((t, i, a) => i ? t - a[i-1] : 0)")
    assert steps[1:] == [MIN, MIN]
    context.close()
    assert errors == [], errors
