"""A trader in Tokyo (a browser whose zone is not UTC) sees the same charts as one in London:
the live charts keep their newest candle in view as candles come, and a box drawn over candles
stores those candles' times (plotly.js reads a number on a date axis as local time: the server
sends it a bundle that reads UTC, dashboard/server/plotly_utc.py). The local-time switch reaches
the charts' hover boxes: the trader hovers a candle of a backtest run and reads its time in
UTC+09:00 (and on the live minute chart, which draws no hover box for a candle, in the
crosshair's time tag), then in UTC again once the switch says UTC.

The switch itself (tick labels, legend, remembered choice) is proven in test_chart_basics.py."""

from datetime import UTC, datetime, timedelta

import pytest

from core.timefmt import format_ms
from tests.helpers.browser import open_page, plot, serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

TOKYO = timedelta(hours=9)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("time_zone"))


@pytest.fixture
def tokyo(browser, served):
    """A page in a browser whose zone is Asia/Tokyo (UTC+9 all year), and its console errors."""
    context = browser.new_context(
        timezone_id="Asia/Tokyo", viewport={"width": 1500, "height": 1000}
    )
    yield open_page(context, served.url)
    context.close()


# Keep the hover box's first text node, to see Plotly write the box again.
PROBE = """() => {
    const box = document.querySelector('#bt-chart .hoverlayer .hovertext');
    window.tzProbe = document.createTreeWalker(box, NodeFilter.SHOW_TEXT).nextNode();
}"""


def hover_text(page, dom_id: str) -> str:
    return page.locator(f"#{dom_id} .hoverlayer").text_content()


def hover_candle(page, dom_id: str, nudge: int = 0, at: datetime | None = None) -> int:
    """Move the mouse onto the body of the middle candle (or the one opening ``at``), as a person
    would: a quarter of a candle right of its open time (the crosshair and Plotly then name the
    same candle); the candle's open time (epoch ms, as the server sent it)."""
    page.locator(f"#{dom_id}").scroll_into_view_if_needed()
    at_ms = "null" if at is None else int(at.timestamp() * 1000)
    x, y, opened = plot(
        page,
        dom_id,
        f"""(() => {{
            const c = gd.data[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const at = {at_ms}, i = at === null ? Math.floor(c.x.length / 2)
                : c.x.findIndex(t => xa.d2l(t) === at);
            if (i < 0) return [null, null, null];
            const t0 = xa.d2l(c.x[i]), t1 = xa.d2l(c.x[i + 1]);
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(t0 + (t1 - t0) / 4),
                    box.top + ya._offset + ya.l2p((c.open[i] + c.close[i]) / 2), c.x[i]];
        }})()""",
    )
    assert x is not None, f"no candle of #{dom_id} opens at {at}"
    page.mouse.move(x + nudge, y)
    return opened


def hover_time(page, dom_id: str) -> datetime | None:
    """The open time of the candle Plotly reports under the mouse (its UTC date text), if any."""
    text = plot(page, dom_id, "gd._hoverdata && gd._hoverdata[0].x")
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def hovered_time(page, dom_id: str) -> datetime:
    return wait_for(lambda: hover_time(page, dom_id))


def label(moment: datetime) -> str:
    """A time as Plotly's hover box writes it: ``Dec 5, 2026, 19:24``."""
    return f"{moment:%b} {moment.day}, {moment:%Y, %H:%M}"


def test_hover_boxes_read_local_time_and_utc_again(tokyo, served):
    page, errors = tokyo
    # The rewrite keeps Plotly's shape: seconds stay, the day and the year roll over, a date
    # alone (a zoom of months) stays.
    assert page.evaluate("tdTime.hoverLocal('exit 1.5<br>Dec 31, 2026, 20:30:15.5')") == (
        "exit 1.5<br>Jan 1, 2027, 05:30:15.5"
    )
    assert page.evaluate("tdTime.hoverLocal('Dec 31, 2026')") == "Dec 31, 2026"
    page.locator("#time-zone").get_by_label("local").check()
    wait_for(lambda: page.evaluate("tdTime.zone()") == "local")

    # The live minute chart draws no hover box for a candle: its crosshair tag names the time.
    moves = []

    def tag_reads_local() -> bool:
        # A pixel further each try: a mouse that doesn't move fires no event, and the tag is
        # made by the first one the chart handles (it may come before the chart is bound).
        moves.append(1)
        opened = hover_candle(page, "chart-1m", nudge=len(moves) % 2)
        hovered, tag = plot(
            page,
            "chart-1m",
            "[gd._hoverdata && gd._hoverdata[0].x,"
            " gd.closest('.chart-block').querySelector('.crosshair-time')?.textContent]",
        )
        if not hovered or tag is None:
            return False
        moment = datetime.fromtimestamp(opened / 1000, UTC)
        # Plotly names the candle by its UTC time; the tag, by Tokyo's.
        return hovered == f"{moment:%Y-%m-%d %H:%M}" and (
            tag == f"{moment + TOKYO:%Y-%m-%d %H:%M} UTC+09:00"
        )

    wait_for(tag_reads_local)  # retried: the live chart may slide a candle under the mouse

    page.get_by_role("tab", name="Backtest").click()
    page.locator("#bt-params").fill("fast=3, slow=12")
    page.get_by_role("button", name="Run backtest").click()
    message = page.locator("#bt-message")
    wait_for(lambda: message.count() and "Started run" in message.inner_text())
    run = message.inner_text().split("Started run ")[1].split(":")[0]
    wait_for(lambda: f"Run {run}: done" in page.locator("#bt-status").inner_text())
    wait_for(lambda: plot(page, "bt-chart", "gd.data[0] && gd.data[0].type") == "candlestick")

    hover_candle(page, "bt-chart")
    utc = hovered_time(page, "bt-chart")
    wait_for(lambda: label(utc + TOKYO) in hover_text(page, "bt-chart"))
    assert label(utc) not in hover_text(page, "bt-chart")
    # Plotly draws the box again on every mouse move over the same candle: still local time.
    # The candle is found by its time (the chart can be drawn again meanwhile, e.g. once the
    # run's last answer lands, and its middle candle be another one).
    page.evaluate(PROBE)
    nudges, seen = [], []

    def on_the_candle_again() -> bool:  # a pixel further each try, as in tag_reads_local
        nudges.append(1)
        hover_candle(page, "bt-chart", nudge=len(nudges) % 2, at=utc)
        redrawn = page.evaluate("!window.tzProbe.isConnected")  # Plotly's new text
        hovered = hover_time(page, "bt-chart")
        seen[:] = [redrawn, hovered]
        return redrawn and hovered == utc

    # (failed once in a plain run, not again in nine: say what it saw)
    wait_for(on_the_candle_again, shows=lambda: f"last (redrawn, hovered): {seen}, wanted {utc}")
    assert label(utc + TOKYO) in hover_text(page, "bt-chart")

    page.locator("#time-zone").get_by_label("UTC").check()
    wait_for(lambda: page.evaluate("tdTime.zone()") == "utc")
    hover_candle(page, "bt-chart")
    utc = hovered_time(page, "bt-chart")
    wait_for(lambda: label(utc) in hover_text(page, "bt-chart"))
    assert label(utc + TOKYO) not in hover_text(page, "bt-chart")
    assert errors == [], (errors, served.server_errors)


# The newest candle's open time (epoch ms, as the server sent it) and whether the chart's visible
# range holds it, in one reading.
NEWEST_IN_VIEW = """[gd.data[0].x[gd.data[0].x.length - 1],
    (() => { const xa = gd._fullLayout.xaxis, t = gd.data[0].x[gd.data[0].x.length - 1];
             return xa.r2l(xa.range[0]) <= t && t <= xa.r2l(xa.range[1]); })()]"""

# Client pixels of the middles of the minute candles ``backs`` before the newest.
CANDLE_X = """(backs) => {
    const gd = document.querySelector('#chart-1m .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, c = gd.data[0], box = gd.getBoundingClientRect();
    return backs.map(back => box.left + xa._offset
                             + xa.l2p(xa.d2l(c.x[c.x.length - 1 - back]) + 30000));
}"""

# The open time, as the server sent it, of the minute candle drawn under a client pixel, by the
# axis as it is now. (Not the axis's own time there: on the bug both were nine hours late.)
CANDLE_UNDER = """(px) => {
    const gd = document.querySelector('#chart-1m .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, c = gd.data[0], box = gd.getBoundingClientRect();
    const at = xa.p2l(px - box.left - xa._offset);
    return c.x.find(t => xa.d2l(t) <= at && at < xa.d2l(t) + 60000);
}"""


def test_in_tokyo_the_charts_follow_their_candles_and_a_drag_stores_utc_times(tokyo, served):
    page, errors = tokyo
    # Each new candle must leave the newest in view (plotly.js reading the numbers as local
    # time sent the view 9 h further at every one: the 1 s chart's at each refresh).
    first = plot(page, "chart-1s", NEWEST_IN_VIEW)[0]
    wait_for(lambda: plot(page, "chart-1s", NEWEST_IN_VIEW)[0] >= first + 3000)
    for dom_id in ("chart-1s", "chart-1m"):
        newest, in_view = plot(page, dom_id, NEWEST_IN_VIEW)
        assert in_view, (dom_id, newest, plot(page, dom_id, "gd._fullLayout.xaxis.range"))

    # A box drawn from the 40th candle back to the 30th stores those candles' UTC times. The
    # candles under the mouse are read at the press: the chart holds still from there on.
    page.locator("#chart-1m .modebar-btn[data-title='Box Select']").click()
    wait_for(lambda: plot(page, "chart-1m", "gd._fullLayout.dragmode") == "select")
    # Whole pixels: what the mouse events carry (see test_annotations.py drag_on_1s).
    x0, x1 = (round(x) for x in page.evaluate(CANDLE_X, [40, 30]))
    box = page.locator("#chart-1m .nsewdrag").first.bounding_box()
    page.mouse.move(x0, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    start, end = page.evaluate(CANDLE_UNDER, x0), page.evaluate(CANDLE_UNDER, x1)
    page.mouse.move(x1, box["y"] + box["height"] * 0.7, steps=8)
    page.mouse.up()
    text = page.locator("#ann-selection-text")
    picked = f"{format_ms(start)} → {format_ms(end)} (11 candles)"
    wait_for(lambda: picked in text.inner_text())
    page.locator("#ann-label").fill("tokyo_box")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "Saved tokyo_box" in page.locator("#ann-message").inner_text())
    [span] = [s for s in served.orch.annotations.list(symbol="BTC/USDT") if s.label == "tokyo_box"]
    assert (span.timeframe, span.start, span.end) == ("1m", start, end)
    assert errors == [], (errors, served.server_errors)
