"""Drawing on the charts (issue 17): a rectangle and a horizontal line drawn with the mouse
through the modebar's tools are kept in times and prices, shown on both charts, still there
after a reload, and deleted from the Alerts tab's list (gone after the next reload too)."""

import contextlib
import logging
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.helpers.browser import figure_data, serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

DRAWN = "(gd.layout.shapes || []).filter(s => (s.name || '').startsWith('drawing:'))"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("drawings"))


def drawn(page, tf: str, expr: str = "s.name"):
    return figure_data(page, tf, f"{DRAWN}.map(s => {expr})")


def drag(page, tool: str, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Pick a modebar tool of the minute chart and drag across its price panel (fractions of
    the plot area)."""
    page.locator(f"#chart-1m .modebar-btn[data-title='{tool}']").click()
    box = page.locator("#chart-1m .nsewdrag").first.bounding_box()
    at = lambda fx, fy: (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)  # noqa: E731
    page.mouse.move(*at(*start))
    page.mouse.down()
    page.mouse.move(*at(*end), steps=8)
    page.mouse.up()


def test_draw_reload_and_delete(page, served):
    orch = served.orch
    drag(page, "Draw rectangle", (0.55, 0.2), (0.65, 0.4))
    wait_for(lambda: "Kept rectangle" in page.locator("#draw-message").inner_text())
    [rect] = orch.drawings.list("BTC/USDT")
    assert rect.kind == "rect" and rect.x0 < rect.x1 and rect.y0 < rect.y1
    candles = orch.store.tail("BTC/USDT", "1m", 2000)
    assert candles[0].time <= rect.x0 <= candles[-1].time + 3_600_000  # data times, not pixels

    page.locator("#draw-flat").click()
    drag(page, "Draw line", (0.3, 0.5), (0.45, 0.3))  # a slanted drag, kept flat
    wait_for(lambda: "Kept horizontal line" in page.locator("#draw-message").inner_text())
    assert len(orch.drawings.list("BTC/USDT")) == 2  # the rectangle still drawn raw: not again
    hline = next(d for d in orch.drawings.list("BTC/USDT") if d.kind == "hline")
    assert hline.y0 == hline.y1
    both = sorted([f"drawing:{rect.id}", f"drawing:{hline.id}"])
    # The tick after an add redraws the shapes (tests/dashboard/test_chart_drawings.py); here a
    # reload shows what was stored, without waiting on ticks a loaded machine drops.

    page.reload()
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg")
    page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg")
    wait_for(lambda: sorted(drawn(page, "1m")) == both)  # the page's figure, once drawn
    assert figure_data(page, "1m", "gd.layout.shapes.filter(s => s.name === 'new-drawing')") == []
    wait_for(lambda: sorted(drawn(page, "1s")) == both)  # on every timeframe, at its prices
    assert drawn(page, "1m", "s.xref === 'x domain' ? s.y0 : null").count(hline.y0) == 1
    assert (
        drawn(page, "1s", "s.type === 'rect' ? [s.x0, s.y1] : null").count([rect.x0, rect.y1]) == 1
    )

    page.get_by_role("tab", name="Alerts").click()
    row = page.locator(f".drawing-row[data-id='{rect.id}']")
    message = page.locator("#alert-message")

    # Once in four loaded full runs a first click right after the reload reached no callback
    # (cause not found, see the closing note of 2026-12-07): as a person would, this clicks
    # again, once, when the drawing is still stored 15 s on (a callback is answered within
    # seconds), and says so in the log. A second click's answer is then "already deleted".
    clicks: list[float] = []

    def deleted() -> bool:
        text = message.inner_text()
        if "Deleted the drawing" in text or (len(clicks) > 1 and "already deleted" in text):
            return True
        if orch.drawings.get(rect.id) is not None and (
            not clicks or time.monotonic() - clicks[-1] > 15
        ):
            assert len(clicks) < 2, "two clicks on Delete reached no callback"
            if clicks:
                logging.getLogger(__name__).warning("Delete gave no message in 15 s: again")
            clicks.append(time.monotonic())
            with contextlib.suppress(PlaywrightTimeout):  # the row went: the first click did it
                row.get_by_role("button", name="Delete").click(timeout=5_000)
        return False

    wait_for(deleted, timeout=90)
    assert [d.id for d in orch.drawings.list("BTC/USDT")] == [hline.id]
    wait_for(lambda: page.locator(".drawing-row").count() == 1)
    page.reload()
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg")
    wait_for(lambda: drawn(page, "1m") == [f"drawing:{hline.id}"])
