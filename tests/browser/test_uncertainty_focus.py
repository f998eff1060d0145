"""The uncertainty queue judges with the chart in view: a picked row moves the 1 m chart to its
span and highlights it, the review keys work there too, and its dates fit on one line."""

import pytest

from core.timefmt import format_ms
from runtime.training_jobs import train_now
from tests.helpers.browser import FAST_FEED, SMALL_TRAINING, figure_data, serve_app
from tests.helpers.waiting import wait_for
from training.dataset_from_store import build_from_store

pytestmark = pytest.mark.browser

CELLS = "#review-queue td[data-dash-column='{}']"

FOCUS = """(() => {
    const s = (gd.layout.shapes || []).find(s => s.name === 'review-focus');
    if (!s) return null;
    const ms = v => typeof v === 'number' ? v : Date.parse(String(v).replace(' ', 'T') + 'Z');
    const r = gd._fullLayout.xaxis.range.map(ms);
    return {x0: ms(s.x0), x1: ms(s.x1), range: r, full: s.y1 === 1};
})()"""

# Lines of text in each date cell of the first row (distinct tops of its line boxes).
DATE_LINES = """() => ['start', 'end'].map(c => {
    const td = document.querySelector(`#review-queue td[data-dash-column='${c}']`);
    const range = document.createRange();
    range.selectNodeContents(td);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    return new Set(rects.map(r => Math.round(r.top))).size;
})"""


@pytest.fixture
def served(tmp_path):
    feed = dict(FAST_FEED, backfill_1m_hours=16)
    yield from serve_app(tmp_path, {"feed": feed, "training": SMALL_TRAINING})


@pytest.fixture
def champion(served, request):
    request.getfixturevalue("labelled")
    build_from_store(served.orch, ["BTC/USDT"], ["1m"])
    train_now(served.orch, "xgboost")


def starts(page):
    return page.locator(CELLS.format("start")).all_inner_texts()


def focus_start(page):
    focus = figure_data(page, "1m", FOCUS)
    return format_ms(int(focus["x0"])) if focus else None


def test_a_queue_row_moves_the_chart_to_its_span_and_the_keys_review_it(page, served, champion):
    page.get_by_role("tab", name="Review").click()
    page.get_by_role("button", name="Load queue").click()
    wait_for(lambda: len(starts(page)) >= 5, timeout=60)
    assert page.evaluate(DATE_LINES) == [1, 1]

    # Picking a row moves the chart to the span and highlights it as a full band.
    rows = starts(page)
    page.locator(CELLS.format("label")).nth(2).click()
    wait_for(lambda: focus_start(page) == rows[2])
    focus = figure_data(page, "1m", FOCUS)
    assert focus["full"]
    assert focus["range"][0] < focus["x0"] and focus["x1"] <= focus["range"][1]
    assert focus["range"][1] - focus["range"][0] < 6 * 3_600_000  # zoomed in on it

    # The review loop's keys: N next, A confirm, R dismiss.
    page.keyboard.press("n")
    wait_for(lambda: focus_start(page) == rows[3])
    label = page.locator(CELLS.format("label")).nth(3).inner_text()
    page.keyboard.press("a")
    today = page.locator("#review-today")
    wait_for(lambda: "reviewed today: 1" in today.inner_text())
    confirmed = served.orch.annotations.list(source="model", status="accepted")
    assert [(format_ms(s.start), s.label) for s in confirmed] == [(rows[3], label)]
    # The confirmed span left the queue; the one below moved up and is picked.
    wait_for(lambda: starts(page)[3] == rows[4] and focus_start(page) == rows[4])
    page.keyboard.press("r")
    wait_for(lambda: "reviewed today: 2" in today.inner_text())
    dismissed = served.orch.annotations.list(source="model", status="rejected")
    assert [format_ms(s.start) for s in dismissed] == [rows[4]]
