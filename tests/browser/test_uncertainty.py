"""An annotator reviews the champion's least sure spans first, in the Review tab's uncertainty
queue: confirm, correct, dismiss; a picked row moves the 1 m chart to its span and highlights
it, the review keys work there too, and its dates fit on one line.

One app, one champion and one kept page for the module (the champion is trained on 16 hours of
candles: seconds of CPU, and an opening costs about 4 s of chromium CPU). Each check counts what
it reviews from where the page's count and the server's spans stood when it began."""

import re

import pytest

from core.timefmt import format_ms
from runtime.training_jobs import train_now
from tests.helpers.browser import (
    FAST_FEED,
    SMALL_TRAINING,
    accept_common_autolabels,
    figure_data,
    serve_app,
)
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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    feed = dict(FAST_FEED, backfill_1m_hours=16)
    yield from serve_app(tmp_path_factory.mktemp("uncertainty"),
                         {"feed": feed, "training": SMALL_TRAINING})  # fmt: skip


@pytest.fixture(scope="module")
def champion(served):
    """A champion trained on the annotator's accepted TA-Lib spans."""
    accept_common_autolabels(served.orch)
    build_from_store(served.orch, ["BTC/USDT"], ["1m"])
    train_now(served.orch, "xgboost")


@pytest.fixture
def page(kept_page, champion):
    return kept_page


def reviewed_today(page) -> int:
    return int(re.search(r"reviewed today: (\d+)", page.locator("#review-today").inner_text())[1])


def model_spans(orch, known: set, **filters) -> list:
    """The model spans made since ``known`` (their ids) was taken."""
    return [s for s in orch.annotations.list(source="model", **filters) if s.id not in known]


def queue_margins(page):
    return [float(t) for t in page.locator(CELLS.format("margin")).all_inner_texts()]


def starts(page):
    return page.locator(CELLS.format("start")).all_inner_texts()


def focus_start(page):
    focus = figure_data(page, "1m", FOCUS)
    return format_ms(int(focus["x0"])) if focus else None


def load_queue(page, rows: int) -> int:
    """Opens the Review tab and loads the queue (at least ``rows`` rows); the count reviewed
    today it shows then. Waits for this load's own answer (a new ack): a closed tab keeps its
    values, so the queue another check loaded shows until then."""
    page.get_by_role("tab", name="Review").click()
    ack = page.locator("#review-ack")
    before = ack.text_content()
    page.get_by_role("button", name="Load queue").click()
    wait_for(lambda: ack.text_content() != before, timeout=60)
    wait_for(lambda: len(starts(page)) >= rows)
    wait_for(lambda: "reviewed today:" in page.locator("#review-today").inner_text())
    return reviewed_today(page)


def test_confirm_correct_and_dismiss_from_the_queue(page, served):
    known = {s.id for s in served.orch.annotations.list(source="model")}
    done = load_queue(page, 3)
    if not known:
        assert done == 0  # a new app: nothing reviewed yet
    margins = queue_margins(page)
    assert margins == sorted(margins)  # least sure first
    first_label = page.locator(CELLS.format("label")).first.inner_text()

    def verdict(button, count):
        page.locator("#review-queue input[type='radio']").first.check()
        page.get_by_role("button", name=button, exact=True).click()
        wait_for(lambda: f"reviewed today: {done + count}" in
                 page.locator("#review-today").inner_text())  # fmt: skip

    verdict("Confirm", 1)
    page.locator("#review-label").select_option("breakout")
    verdict("Correct", 2)
    verdict("Dismiss", 3)
    spans = model_spans(served.orch, known)
    assert sorted(s.status for s in spans) == ["accepted", "accepted", "rejected"]
    confirmed = next(s for s in spans if s.note.startswith("confirm"))
    assert confirmed.label == first_label
    assert any(s.label == "breakout" and s.note.startswith("correct") for s in spans)
    # The queue reloads without the reviewed spans.
    assert not {format_ms(s.start) for s in spans} & set(starts(page))


def test_a_queue_row_moves_the_chart_to_its_span_and_the_keys_review_it(page, served):
    known = {s.id for s in served.orch.annotations.list(source="model")}
    done = load_queue(page, 5)
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
    wait_for(lambda: f"reviewed today: {done + 1}" in today.inner_text())
    confirmed = model_spans(served.orch, known, status="accepted")
    assert [(format_ms(s.start), s.label) for s in confirmed] == [(rows[3], label)]
    # The confirmed span left the queue; the one below moved up and is picked.
    wait_for(lambda: starts(page)[3] == rows[4] and focus_start(page) == rows[4])
    page.keyboard.press("r")
    wait_for(lambda: f"reviewed today: {done + 2}" in today.inner_text())
    dismissed = model_spans(served.orch, known, status="rejected")
    assert [format_ms(s.start) for s in dismissed] == [rows[4]]
