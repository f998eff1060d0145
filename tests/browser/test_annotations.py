"""An annotator labels spans on the chart, edits them, and reviews TA-Lib auto-labels.

One app and one kept page for the module (an opening costs about 4 s of chromium CPU): each
check starts from an app with no span, the previous check's spans deleted on the server and gone
from the page, as a person would find a new app."""

import pytest

from dashboard.panels.annotations import jump_range
from tests.helpers.browser import click_point, figure_data, select_range, serve_app, x_range_ms
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser
M = 60_000


SPAN_LABELS = (
    "(gd.layout.shapes || []).filter(s => (s.name || '').startsWith('span:'))"
    ".map(s => s.label.text)"
)


# (An auto-label's pending band may carry no text: counted, not read.)
SPAN_SHAPES = "(gd.layout.shapes || []).filter(s => (s.name || '').startsWith('span:')).length"


def span_labels(page, tf="1m"):
    return figure_data(page, tf, SPAN_LABELS)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("annotations"))


@pytest.fixture
def page(kept_page, served):
    """The module's kept page, back at the newest candles (a picked span moves the chart to it),
    once the app holds no span and the page shows none."""
    back = kept_page.locator("#chart-1m .back-to-live")
    if back.is_visible():
        back.click()
        # (the button goes at once; the view moves when the live figure comes)
        wait_for(
            lambda: (
                not back.is_visible()
                and x_range_ms(kept_page)[1]
                >= figure_data(kept_page, "1m", "gd.data[0].x[gd.data[0].x.length - 1]")
            )
        )
    for span in served.orch.annotations.list():
        served.orch.annotations.delete(span.id)
    rows = kept_page.locator("#ann-table td[data-dash-column='label']")
    wait_for(lambda: figure_data(kept_page, "1m", SPAN_SHAPES) == 0 and rows.count() == 0)
    return kept_page


def test_drag_label_relabel_delete_and_reload(page, served):
    # A span well before the newest candle: a jump whose view holds the newest candle is live
    # and follows the next minute's candle, away from the range this test reads after it.
    select_range(page, "1m", 0.30, 0.40)
    page.locator("#ann-label").fill("bull_flag")
    page.locator("#ann-note").fill("clean flag")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "Saved bull_flag" in page.locator("#ann-message").inner_text())
    wait_for(lambda: span_labels(page) == ["bull_flag"])
    stored = served.orch.annotations.list(symbol="BTC/USDT")
    assert len(stored) == 1 and stored[0].source == "human" and stored[0].note == "clean flag"
    assert stored[0].end > stored[0].start

    # Reload: the span is still there.
    page.reload()
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg")
    wait_for(lambda: span_labels(page) == ["bull_flag"])

    # Pick it from the list: the chart jumps to it. Then relabel it.
    # Right after a reload the list can render twice (the remembered person's filter arrives):
    # a click on the first rendering is lost, so click until the span is picked.
    def picked() -> bool:
        if page.locator("#ann-edit-label").input_value() == "bull_flag":
            return True
        page.locator("#ann-table td[data-dash-column='label']").first.click()
        return page.locator("#ann-edit-label").input_value() == "bull_flag"

    wait_for(picked, interval=1.0)
    # The jump's own range (the opening view holds the span too: it would prove nothing).
    wait_for(lambda: x_range_ms(page) == pytest.approx(jump_range(stored[0]), abs=1_000))
    page.locator("#ann-edit-label").fill("bear_flag")
    page.get_by_role("button", name="Save changes").click()
    wait_for(lambda: span_labels(page) == ["bear_flag"])

    # Delete, then undo brings it back.
    page.get_by_role("button", name="Delete").click()
    wait_for(lambda: span_labels(page) == [])
    page.get_by_role("button", name="Undo last change").click()
    wait_for(lambda: span_labels(page) == ["bear_flag"])


def test_saving_without_a_selection_says_what_to_do(page):
    page.locator("#ann-label").fill("x")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "select a range" in page.locator("#ann-message").inner_text())


def test_auto_label_then_accept_one_span(page, served):
    page.locator("#auto-hours").fill("2")
    page.get_by_role("button", name="Run auto-label").click()
    wait_for(lambda: "Done:" in page.locator("#auto-status").inner_text())
    pending = served.orch.annotations.list(symbol="BTC/USDT", source="talib", status="pending")
    assert pending, "TA-Lib found no pattern in 2 hours of simulated candles"
    # The table lists them; pick the first row and accept it.
    wait_for(lambda: page.locator("#ann-table td[data-dash-column='status']").count() > 0)
    first = page.locator("#ann-table td[data-dash-column='label']").first
    label = first.inner_text()
    first.click()
    wait_for(lambda: page.locator("#ann-edit-label").input_value() == label)
    page.get_by_role("button", name="Accept", exact=True).click()
    wait_for(lambda: f"{label}: accepted" in page.locator("#ann-message").inner_text())
    accepted = served.orch.annotations.list(source="talib", status="accepted")
    assert [s.label for s in accepted] == [label]


CANDLE_POINT = """([start, end]) => {
    const gd = document.querySelector('#chart-1m .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, c = gd.data[0];
    const i = c.x.findIndex(t => t >= start && t <= end);
    const box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(xa.d2l(c.x[i])),
            box.top + ya._offset + ya.l2p((c.open[i] + c.close[i]) / 2)];
}"""


def test_clicking_a_band_on_the_chart_selects_its_span(page, served):
    from core.spans import Span

    orch = served.orch
    last = orch.store.latest("BTC/USDT", "1m").time
    # Ten minutes where the chart is looking: the check before may have left it on a jump's
    # range (at least 20 candles either side of a span), narrower than a new page's view.
    view_start, view_end = (int(t) for t in x_range_ms(page))
    end = min(view_end, last) // M * M - 3 * M
    start = max(end - 10 * M, -(-view_start // M) * M + M)
    span = orch.annotations.create(
        Span(None, "BTC/USDT", "1m", start, end, "double_top", "human", "accepted")
    )
    wait_for(lambda: span_labels(page) == ["double_top"])

    def picked() -> bool:
        return page.locator("#ann-edit-label").input_value() == "double_top"

    click_point(page, lambda: page.evaluate(CANDLE_POINT, [span.start + 3 * M, span.end]),
                picked)  # fmt: skip
    assert "double_top · human · accepted" in page.locator("#ann-selected-text").inner_text()
