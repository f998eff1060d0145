"""Box-select on the live 1 s chart while it ticks: the chart holds still during the drag, the
selection box is drawn, and the stored span covers exactly the candles dragged over."""

import pytest

from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

# Client pixel of the middle of the candle ``back`` candles before the newest closed one, and the
# open time (ms) of that candle, read from the axis as it is now.
CANDLE_X = """(back) => {
    const gd = document.querySelector('#chart-1s .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, c = gd.data[0];
    const t = c.x[c.x.length - 2 - back];
    const box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(xa.d2l(t) + 500), t];
}"""

# The open time of the candle under a client pixel, by the axis as it is now.
TIME_AT = """(px) => {
    const gd = document.querySelector('#chart-1s .js-plotly-plot');
    const xa = gd._fullLayout.xaxis;
    const box = gd.getBoundingClientRect();
    return Math.floor(xa.p2l(px - box.left - xa._offset) / 1000) * 1000;
}"""

OUTLINE = "() => document.querySelectorAll('#chart-1s .select-outline').length"
AXIS = "() => document.querySelector('#chart-1s .js-plotly-plot')._fullLayout.xaxis.range.join()"


def newest_1s(served):
    return served.orch.store.latest("BTC/USDT", "1s").time


def drag_on_1s(page, served, back_from: int, back_to: int):
    """Drag from the candle ``back_from`` back to the one ``back_to`` back, holding the mouse
    down while the feed adds two candles; (first, last) open time under the mouse at the
    press, and whether the axis and the box held still."""
    box = page.locator("#chart-1s .nsewdrag").first.bounding_box()
    y0, y1 = box["y"] + box["height"] * 0.2, box["y"] + box["height"] * 0.7
    x0, _ = page.evaluate(CANDLE_X, back_from)
    page.mouse.move(x0, y0)
    page.mouse.down()
    x1, _ = page.evaluate(CANDLE_X, back_to)
    first, last = page.evaluate(TIME_AT, x0), page.evaluate(TIME_AT, x1)
    axis = page.evaluate(AXIS)
    page.mouse.move(x1, y1, steps=8)
    newest = newest_1s(served)
    # The chart keeps ticking: two new candles arrive while the mouse is held.
    wait_for(lambda: newest_1s(served) >= newest + 2000, timeout=30)
    page.mouse.move(x1 + 0.2, y1, steps=2)
    held = page.evaluate(AXIS) == axis
    outline = page.evaluate(OUTLINE)
    page.mouse.up()
    return first, last, held, outline


def drag_and_save(page, served, name: str, back_from: int, back_to: int):
    """One drag on the 1 s chart, saved as span ``name``: (span, first and last candle under the
    mouse at the press)."""
    first, last, held, outline = drag_on_1s(page, served, back_from, back_to)
    assert held, "the chart moved during the drag"
    assert outline > 0, "no selection box was drawn during the drag"
    text = page.locator("#ann-selection-text")
    wait_for(lambda: f"({(last - first) // 1000 + 1} candles)" in text.inner_text())
    page.locator("#ann-label").fill(name)
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: f"Saved {name}" in page.locator("#ann-message").inner_text())
    span = next(s for s in served.orch.annotations.list(symbol="BTC/USDT") if s.label == name)
    return span, first, last


def test_three_drags_on_the_ticking_1s_chart_store_exactly_the_dragged_candles(page, served):
    page.locator("#chart-1s .modebar-btn[data-title='Box Select']").click()
    # Let the chart tick a few times first (it follows the newest candle).
    start = newest_1s(served)
    wait_for(lambda: newest_1s(served) >= start + 3000, timeout=30)
    lengths = []
    for n, (back_from, back_to) in enumerate([(30, 10), (100, 28), (200, 5)]):
        span, first, last = drag_and_save(page, served, f"drag_{n}", back_from, back_to)
        assert (span.timeframe, span.start, span.end) == ("1s", first, last), (n, span)
        lengths.append((span.end - span.start) // 1000 + 1)
    assert lengths == [21, 73, 196], lengths
