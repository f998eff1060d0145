"""The chart basics a trader expects at 1400x900: crosshair tags on the axes, keys (pan, zoom,
live, clear, help), deep links both ways, UTC or local times, a readable dark theme, a replay of
the last hour (play, pause, seek, back to live) and an empty one that says so, details and
banners that neither get cut off nor push the charts down.

The checks share one served app (module scope). Those that read the page or put back what they
change take turns on one kept page (``kept_page``); the rest open their own."""

import threading
import time
from urllib.parse import parse_qs

import pytest

from core.timefmt import format_ms
from tests.helpers.browser import (
    CHART_TICK,
    drag_select,
    figure_data,
    serve_app,
    ticks_pass,
    x_range_ms,
)
from tests.helpers.browser import open_page as open_at
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 900}
MIN = 60_000


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("basics"))


def open_page(context, served, path="/"):
    return open_at(context, served.url + path)


@pytest.fixture
def context(browser, page_keeper):
    """A context of its own (after the kept page's tests: none ticks beside it)."""
    page_keeper.put_away()
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def page(kept_page):
    return kept_page


# The replay form as a new page shows it: (text fields, selects) with their values.
REPLAY_FIELDS = {"#replay-from": "", "#replay-to": ""}
REPLAY_SELECTS = {"#replay-tf": "1m", "#replay-speed": "10"}


def tidy(page) -> None:
    """What these tests leave on the kept page: the feed details open, the Box Select tool on,
    the replay form filled in."""
    page.evaluate("() => { const d = document.querySelector('#feed-status'); d.open = false; }")
    for field, value in REPLAY_FIELDS.items():
        if page.locator(field).input_value() != value:
            page.locator(field).fill(value)
    for select, value in REPLAY_SELECTS.items():
        if page.locator(select).input_value() != value:
            page.locator(select).select_option(value)
    if figure_data(page, "1m", "gd._fullLayout.dragmode") != "zoom":
        page.locator("#chart-1m .modebar-btn[data-title='Zoom']").click()
        wait_for(lambda: figure_data(page, "1m", "gd._fullLayout.dragmode") == "zoom")


def last_time(page, tf="1m"):
    return figure_data(page, tf, "gd.data[0].x[gd.data[0].x.length - 1]")


def away(page, tf="1m"):
    return page.evaluate(
        f"() => document.getElementById('chart-{tf}').classList.contains('away-from-live')"
    )


def overlaps(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_crosshair_tags_read_price_and_time_and_the_last_price_covers_no_tick(page):
    box = page.locator("#chart-1m .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
    price, when = (
        page.locator("#chart-1m .crosshair-price"),
        page.locator("#chart-1m .crosshair-time"),
    )
    wait_for(lambda: price.is_visible() and when.is_visible())
    low, high = figure_data(page, "1m", "gd._fullLayout.yaxis.range")
    assert low < float(price.inner_text().replace(",", "")) < high
    # The time tag names a candle in view, in the page's zone (UTC by default).
    shown = when.inner_text()
    times = figure_data(page, "1m", "gd.data[0].x.map(t => new Date(t).toISOString())")
    assert any(t[:16].replace("T", " ") == shown for t in times), shown
    # Tags sit outside the plot: the price right of it, the time below it.
    plot = page.locator("#chart-1m .nsewdrag").first.bounding_box()
    assert price.bounding_box()["x"] >= plot["x"] + plot["width"] - 1
    assert when.bounding_box()["y"] >= plot["y"] + plot["height"] - 1 - 200  # under the price panel
    # The last-price tag and the price tick labels never cover one another (read in one go:
    # a tick redraws the labels).
    last, ticks = page.evaluate(
        """() => { const box = (e) => { const r = e.getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height, text: e.textContent}; };
          const block = document.getElementById('chart-1m');
          return [box(block.querySelector('.annotation')),
                  Array.from(block.querySelectorAll('g.ytick text'), box)]; }"""
    )
    assert len(ticks) >= 2  # a narrow price range may get only two
    for tick in ticks:
        assert not overlaps(last, tick), (tick["text"], last["text"])
    page.mouse.move(5, 5)  # off the chart: the tags go
    wait_for(lambda: not price.is_visible() and not when.is_visible())


def test_keys_pan_zoom_go_live_and_list_themselves(page):
    box = page.locator("#chart-1m .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    before = x_range_ms(page)
    width = before[1] - before[0]
    page.keyboard.press("ArrowLeft")
    wait_for(lambda: x_range_ms(page)[1] < before[1] - width * 0.05)
    assert x_range_ms(page)[1] - x_range_ms(page)[0] == pytest.approx(width, rel=0.01)
    wait_for(lambda: away(page))
    page.keyboard.press("+")
    wait_for(lambda: (x_range_ms(page)[1] - x_range_ms(page)[0]) < width * 0.85)
    page.keyboard.press("-")
    page.keyboard.press("-")
    wait_for(lambda: (x_range_ms(page)[1] - x_range_ms(page)[0]) > width * 1.1)
    page.keyboard.press("Home")
    wait_for(lambda: not away(page) and x_range_ms(page)[1] >= last_time(page))

    # Not while typing: the replay's "from" box keeps its arrow keys.
    page.locator("#replay-from").click()
    held = x_range_ms(page)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("+")
    # Neither panned nor zoomed (a new minute may shift a live view: its width stays).
    now = x_range_ms(page)
    assert now[1] - now[0] == pytest.approx(held[1] - held[0], rel=0.01) and not away(page)

    page.locator(".app-header h5").click()  # the focus leaves the box
    page.keyboard.press("?")
    listing = page.locator("#key-help")
    wait_for(lambda: listing.is_visible())
    for key in ("←", "→", "+", "−", "Home", "Esc", "?", "A", "R", "N"):
        assert listing.locator("kbd", has_text=key).count() >= 1, key
    page.keyboard.press("Escape")
    wait_for(lambda: not listing.is_visible())


def test_escape_clears_the_box_selection(page):
    text = page.locator("#ann-selection-text")
    drag_select(page, "1m")
    wait_for(lambda: "candles" in text.inner_text())
    page.keyboard.press("Escape")
    wait_for(lambda: text.inner_text() == "")
    assert page.locator("#chart-1m .select-outline").count() == 0


JOB_POLLS = ("auto-progress.value", "train-progress.value", "bt-progress.value")


def test_an_idle_page_sends_no_job_polls(page):
    """The job polls tick only while the page watches a job or a run: an idle page sends none of
    their requests (four a tick before, a tenth of a second of chromium CPU each)."""
    outputs = []

    def sent(request) -> None:
        if "_dash-update-component" in request.url:
            outputs.append(request.post_data_json["output"])

    page.on("request", sent)
    try:
        ticks_pass(page, 3)
    finally:
        page.remove_listener("request", sent)
    assert any("feed-status-summary" in output for output in outputs), outputs
    assert [o for o in outputs if any(poll in o for poll in JOB_POLLS)] == []


def query(page) -> dict:
    # The address as the page has it (history.replaceState is not a navigation to page.url).
    return parse_qs(page.evaluate("() => location.search").lstrip("?"))


def tick_texts(page) -> list[str]:
    return figure_data(
        page,
        "1m",
        "Array.from(gd.querySelectorAll('g.xtick text, g.x2tick text'), t => t.textContent)",
    )


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# The minute chart's first tick: [its label, its instant (epoch ms), its axis's tick step in ms]
FIRST_TICK = """(t => {
  const ax = gd._fullLayout[t.parentNode.classList.contains("x2tick") ? "xaxis2" : "xaxis"];
  return [t.textContent, t.__data__.x, typeof ax.dtick === "number" ? ax.dtick : 86400000];
})(gd.querySelector("g.xtick text, g.x2tick text"))"""


def test_an_empty_replay_says_which_candles_are_missing(page):
    page.locator("#replay-from").fill("2020-01-01 00:00")
    page.locator("#replay-to").fill("2020-01-01 01:00")
    page.locator("#replay-tf").select_option("1s")
    page.get_by_role("button", name="Replay", exact=True).click()
    note = page.locator("#replay-graph .annotation-text")
    wait_for(lambda: note.count() and note.first.is_visible())
    assert note.first.text_content() == (
        "No 1s candles of BTC/USDT between 2020-01-01 00:00:00 and 2020-01-01 01:00:00 UTC"
    )
    assert page.locator("#replay-graph g.ytick").count() == 0  # no -1..4 axis
    page.get_by_role("button", name="Back to live").click()
    wait_for(lambda: page.locator("#chart-1s").is_visible())


def luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_prediction_filters_read_light_on_the_dark_theme(page):
    page.get_by_role("tab", name="Predictions").click()
    labels = page.locator("#pred-kinds label, #pred-sources label, #pred-outcomes label")
    wait_for(lambda: labels.count() >= 5 and labels.first.is_visible())
    for i in range(labels.count()):
        color = labels.nth(i).evaluate("el => getComputedStyle(el).color")
        assert luminance(color) > 0.6, (labels.nth(i).inner_text(), color)


def test_feed_details_open_inside_the_window(page):
    page.locator("#feed-status summary").click()
    details = page.locator("#feed-status-details")
    wait_for(lambda: details.is_visible() and details.locator("[data-symbol]").count() == 3)
    right = details.evaluate(
        "el => Math.max(...[el, ...el.querySelectorAll('[data-symbol]')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert details.bounding_box()["x"] >= 0 and right <= VIEWPORT["width"]


def test_the_training_banner_leaves_the_charts_where_they_are(page, served):
    charts = page.locator("#chart-1s")
    banner = page.locator("#neural-banner")
    release = threading.Event()
    title = "CNN training on BTC/USDT, ETH/USDT and SOL/USDT, 40 epochs, window 64, seed 7"
    served.orch.jobs.submit("train:cnn", title, lambda context: release.wait(120))
    try:
        wait_for(lambda: "Training: " + title in (banner.get_attribute("title") or ""))
        assert banner.is_visible() and banner.inner_text().startswith("Training: CNN")
        with_banner = charts.bounding_box()["y"]
        header = page.locator(".app-header").bounding_box()
        assert (
            banner.bounding_box()["y"] + banner.bounding_box()["height"]
            <= header["y"] + header["height"]
        )
    finally:
        release.set()
    # The banner goes with the job; the charts stay where they were while it showed.
    wait_for(lambda: not banner.is_visible())
    assert charts.bounding_box()["y"] == pytest.approx(with_banner, abs=1)


def replay(page, expr):
    return page.evaluate(
        f"() => {{ const gd = document.querySelector('#replay-graph .js-plotly-plot');"
        f" return {expr}; }}"
    )


def shown_ids(page):
    """Ids of the predictions drawn, pending or resolved (it resolves 5 minutes after)."""
    names = "['CNN target', 'Resolved: hit', 'Resolved: miss']"
    return replay(page, f"gd.data.filter(t => {names}.includes(t.name))"
                        ".flatMap(t => t.customdata || [])")  # fmt: skip


def clock(page):
    return page.locator("#replay-clock").inner_text()


def seek(page, fraction):
    box = page.locator("#replay-slider .dash-slider-track").bounding_box()
    x = box["x"] + box["width"] * fraction
    page.mouse.click(min(x, box["x"] + box["width"] - 1), box["y"] + box["height"] / 2)


def test_replay_play_pause_seek_and_back_to_live(page, served):
    """A trader replays the last hour: play, pause, seek, and back to live where the charts
    would be."""
    orch = served.orch
    at = orch.store.tail("BTC/USDT", "1m", 30)[0]
    made = orch.store_cnn_prediction("BTC/USDT", {
        "timestamp": at.time, "confidence": 0.8, "direction": "UP", "current_price": at.close,
        "target_price": at.close * 1.01, "horizon_minutes": 5})  # fmt: skip
    page.locator("#replay-speed").select_option("60")
    # The hour up to two minutes from now: the prediction stored now arrives near its end.
    page.locator("#replay-to").fill(format_ms(int(time.time() * 1000) + 120_000))
    page.get_by_role("button", name="Replay", exact=True).click()
    wait_for(lambda: page.locator("#replay-box").is_visible())
    assert not page.locator("#charts").is_visible()
    wait_for(lambda: "paused" in clock(page))
    start_clock = clock(page)
    assert replay(page, "gd.data[0].x.length") <= 1  # the hour's first candle at most

    page.get_by_role("button", name="Play", exact=True).click()
    wait_for(lambda: "playing" in clock(page) and clock(page) != start_clock)
    wait_for(lambda: replay(page, "gd.data[0].x.length") >= 2)

    page.get_by_role("button", name="Pause", exact=True).click()
    wait_for(lambda: "paused" in clock(page))
    paused = clock(page)
    ticks_pass(page, 2)
    assert clock(page) == paused

    # The prediction was stored just now: it arrives at the end of the replayed hour.
    seek(page, 0.5)
    wait_for(lambda: clock(page) != paused)
    assert shown_ids(page) == []
    middle = replay(page, "gd.data[0].x.length")
    seek(page, 1.0)
    wait_for(lambda: shown_ids(page) == [made["id"]])
    assert replay(page, "gd.data[0].x.length") > middle

    live_last = orch.store.latest("BTC/USDT", "1s").time
    page.get_by_role("button", name="Back to live").click()
    wait_for(lambda: page.locator("#charts").is_visible())
    assert not page.locator("#replay-box").is_visible()
    wait_for(lambda: clock(page) == "")
    # The live chart kept its ticks while hidden: it holds the newest candles.
    wait_for(lambda: figure_data(page, "1s", "gd.data[0].x[gd.data[0].x.length - 1]") >= live_last)


# Each header column's left edge.
HEADER_EDGES = """() => Object.fromEntries([...document.querySelectorAll('.app-header .row > *')]
    .map((col, i) => [i, Math.round(col.getBoundingClientRect().x)]))"""


def test_a_deep_link_opens_its_view_and_the_address_follows_the_chart(context, served):
    newest = served.orch.store.latest("ETH/USDT", "1m").time
    start, end = newest - 120 * MIN, newest - 60 * MIN
    page, errors = open_page(context, served, f"/?symbol=ETH/USDT&tf=auto&from={start}&to={end}")
    wait_for(lambda: "ETH/USDT" in figure_data(page, "1m", "gd.layout.title.text"))
    assert x_range_ms(page) == pytest.approx([start, end], abs=MIN)
    wait_for(lambda: away(page))  # a past range: new candles don't move it
    assert page.locator("#symbol-select").inner_text().strip().startswith("ETH/USDT")

    # The address follows the chart: back to live drops the range, another symbol, a pan.
    # (After a tick or two: a whole figure in flight would put the linked range back.)
    ticks_pass(page, 2, CHART_TICK)
    page.locator("#chart-1m .nsewdrag").first.hover()
    page.keyboard.press("Home")
    wait_for(lambda: "from" not in query(page))
    assert query(page)["symbol"] == ["ETH/USDT"] and query(page)["tf"] == ["auto"]
    page.locator("#symbol-select").click()
    page.get_by_role("option", name="SOL/USDT").click()
    wait_for(lambda: query(page).get("symbol") == ["SOL/USDT"])
    assert "symbol=SOL/USDT" in page.evaluate(
        "() => location.search"
    )  # readable: the slash stays a slash
    ticks_pass(page, 2, CHART_TICK)
    page.locator("#chart-1m .nsewdrag").first.hover()
    page.keyboard.press("ArrowLeft")
    wait_for(lambda: "from" in query(page))
    panned = [int(query(page)["from"][0]), int(query(page)["to"][0])]
    assert panned == pytest.approx(x_range_ms(page), abs=1)
    page.close()

    # That range opens again, here on 5 m candles.
    link = f"/?symbol=SOL/USDT&tf=5m&from={panned[0]}&to={panned[1]}"
    again, more = open_page(context, served, link)
    wait_for(lambda: figure_data(again, "1m", "gd.layout.title.text") == "SOL/USDT · 5m")
    assert again.locator("#chart-timeframe").get_by_label("5m", exact=True).is_checked()
    assert x_range_ms(again) == pytest.approx(panned, abs=MIN)
    assert errors + more == []


def test_a_bad_link_opens_the_default_view_naming_the_parameter(context, served):
    page, errors = open_page(context, served, "/?symbol=NOPE/USDT&tf=5m")
    message = page.locator("#link-message")
    wait_for(lambda: message.is_visible())
    assert "symbol='NOPE/USDT'" in message.inner_text() and "default view" in message.inner_text()
    wait_for(lambda: "BTC/USDT" in figure_data(page, "1m", "gd.layout.title.text"))
    assert "auto" in figure_data(page, "1m", "gd.layout.title.text")
    assert errors == []


def test_times_show_in_local_time_by_a_remembered_switch(browser, served, page_keeper):
    page_keeper.put_away()
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")  # UTC+9
    try:
        page, errors = open_page(context, served)
        legend = page.locator("#chart-1m .ohlcv-legend")
        wait_for(lambda: legend.inner_text().strip())
        utc_ticks = page.locator(
            "#chart-1m g.x2tick text, #chart-1m g.xtick text"
        ).all_inner_texts()
        page.locator("#time-zone").get_by_label("local").check()
        wait_for(lambda: "UTC+09:00" in legend.inner_text())

        def tokyo_hour() -> str:  # the newest candle's, read each time: a minute can cross one
            return f" {time.gmtime(last_time(page) / 1000 + 9 * 3600).tm_hour:02d}:"

        wait_for(lambda: tokyo_hour() in legend.inner_text())
        wait_for(lambda: tick_texts(page) and tick_texts(page) != utc_ticks)
        # The same instants, nine hours on: the labels read local time. A tick's label and its
        # instant are read together (a redraw between two reads can move the ticks); at local
        # midnight, or with ticks a day apart, the label is the date, as Plotly writes it.
        label, first, step = figure_data(page, "1m", FIRST_TICK)
        local = time.gmtime(first / 1000 + 9 * 3600)
        if step >= 86_400_000 or (local.tm_hour, local.tm_min, local.tm_sec) == (0, 0, 0):
            expected = f"{MONTHS[local.tm_mon - 1]} {local.tm_mday}"
        else:
            expected = f"{local.tm_hour:02d}:{local.tm_min:02d}"
        assert label.startswith(expected), (label, first, step)
        # Remembered in the browser: a reload opens in local time.
        page.reload()
        page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg")
        wait_for(lambda: "UTC+09:00" in page.locator("#chart-1m .ohlcv-legend").inner_text())
        assert page.locator("#time-zone").get_by_label("local").is_checked()
        page.locator("#time-zone").get_by_label("UTC").check()
        wait_for(lambda: "UTC+" not in page.locator("#chart-1m .ohlcv-legend").inner_text())
        assert errors == []
    finally:
        context.close()


def test_the_header_keeps_its_place_while_the_symbol_picker_loads(context, served):
    """Dash loads the symbol picker and the confidence slider lazily, about a second after the
    charts on an idle machine: their code is held here until the rest of the page is drawn, so
    the header is read without them on every run. Nothing may move when they come."""
    held = []
    for part in ("**/async-dropdown.js*", "**/async-slider.js*"):
        context.route(part, lambda route: held.append(route))
    page, errors = open_page(context, served)
    wait_for(lambda: page.evaluate("true") and len(held) == 2)  # the page's calls run the handler
    assert page.locator("#symbol-select").count() == 0
    before = page.evaluate(HEADER_EDGES)
    for route in held:
        route.continue_()
    page.wait_for_selector("#symbol-select")
    page.wait_for_selector("#pattern-min-confidence")
    assert page.evaluate(HEADER_EDGES) == before
    assert errors == []
