"""An annotator labels spans on the chart, edits them, reviews TA-Lib auto-labels with the keys,
reads the annotators' agreement, is named in what they did, and exports and imports spans.

One app and one kept page for the module (an opening costs about 4 s of chromium CPU): each
check starts from an app with no span, the previous check's spans deleted on the server and gone
from the page, the fields, filters and name as a new page shows them, and a message of its own
that no check waits for (so none reads the one before's), as a person would find a new app."""

from pathlib import Path

import pytest

from core.spans import Span
from core.timefmt import format_ms
from dashboard.panels.annotations import jump_range
from tests.helpers.browser import click_point, figure_data, select_range, serve_app, x_range_ms
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser
M = 60_000
CELLS = "#ann-table td[data-dash-column='{}']"
FILTERS = ("label", "source", "status", "person")


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


FRAME_MS = {"1m": M, "1s": 1_000}

# [view start, view end, newest candle drawn, whether the figure is a past range], read at once.
VIEW = """[...gd._fullLayout.xaxis.range.map(gd._fullLayout.xaxis.r2l),
           gd.data[0].x[gd.data[0].x.length - 1], !!(gd.layout.meta && gd.layout.meta.past)]"""


def is_live(page, tf: str) -> bool:
    """The view of ``tf`` ends just right of the newest candle, as a live one does (it keeps 6 %
    of its width there for the targets, and follows the candles a tick late): not the half of
    a jump's view that can reach past the newest candle, nor a past range's figure."""
    x0, x1, last, past = figure_data(page, tf, VIEW)
    return not past and 0 <= x1 - last <= 0.15 * (x1 - x0) + FRAME_MS[tf]


def back_to_live(page, tf: str) -> None:
    """Back at the newest candle: with the chart's button, or its Home key where a jump's view
    holds the newest candle (it follows it, so no button shows) and reaches past it. The view
    keeps its width, as a person's Back to live does."""
    back = page.locator(f"#chart-{tf} .back-to-live")
    if back.is_visible():
        back.click()
    elif not is_live(page, tf):
        # (the kept page has no focus after its tidy: the Home key reaches the chart)
        page.locator(f"#chart-{tf} .nsewdrag").first.hover()
        page.keyboard.press("Home")
    # (the button goes at once; the view moves when the live figure comes)
    wait_for(lambda: not back.is_visible() and is_live(page, tf))
    page.mouse.move(1, 1)


def clear_filter(page, name: str) -> None:
    clear = page.locator(
        f"#ann-filter-{name} .dash-dropdown-clear, #ann-filter-{name} .Select-clear"
    )
    if clear.count():
        clear.first.click()
        wait_for(lambda: clear.count() == 0)


@pytest.fixture
def page(kept_page, served):
    """The module's kept page, both charts back at the newest candles (a picked span moves the
    chart to it), once the app holds no span and the page shows none, nothing selected, the
    fields and filters empty, the name a new page shows, and the message of a Next with no
    row."""
    page = kept_page
    if page.locator("#user-name").input_value() != served.orch.config.annotations.author:
        # A name typed here is kept by the browser (its local storage): a new page's, as a
        # person who cleared it would see.
        page.evaluate("() => localStorage.clear()")
        page.reload()
        page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg")
        page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg")
    for tf in ("1m", "1s"):
        back_to_live(page, tf)
    for span in served.orch.annotations.list():
        served.orch.annotations.delete(span.id)
    for name in FILTERS:
        clear_filter(page, name)
    for field in ("#ann-label", "#ann-note"):
        if page.locator(field).input_value():
            page.locator(field).fill("")
    rows = page.locator(CELLS.format("label"))
    wait_for(
        lambda: (
            figure_data(page, "1m", SPAN_SHAPES) == 0
            and figure_data(page, "1s", SPAN_SHAPES) == 0
            and rows.count() == 0
            # (the Escape of the tidy, answered; and the deleted span's editor emptied)
            and page.locator("#ann-selection-text").inner_text() == ""
            and page.locator("#ann-edit-label").input_value() == ""
        )
    )
    page.get_by_role("button", name="Next", exact=True).click()
    wait_for(lambda: page.locator("#ann-message").inner_text() == "No more rows in the list.")
    return page


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


# ---- Save span keeps what was typed for that span only ----------------------------------------
def test_note_and_label_are_cleared_after_save_and_bad_labels_are_refused(page, served):
    """The label and note are cleared after a save, and a label too long or with characters not
    allowed is refused with a clear message. What was typed stays through a visit to another tab
    (a closed tab's body is not drawn)."""
    orch = served.orch
    select_range(page, "1m", 0.60, 0.66)
    page.locator("#ann-label").fill("bull_flag")
    page.locator("#ann-note").fill("first manual span")
    page.get_by_role("button", name="Save span").click()
    alert = page.locator("#ann-message")
    wait_for(lambda: "Saved bull_flag" in alert.inner_text())
    wait_for(lambda: page.locator("#ann-note").input_value() == "")
    assert page.locator("#ann-label").input_value() == ""

    # The next span: a label, no note. It is saved without the first span's note.
    select_range(page, "1m", 0.70, 0.74)
    page.locator("#ann-label").fill("bear_flag")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "Saved bear_flag" in alert.inner_text())
    notes = {s.label: s.note for s in orch.annotations.list(symbol="BTC/USDT")}
    assert notes == {"bull_flag": "first manual span", "bear_flag": ""}

    # A 500-character label is refused, in words, and nothing is stored.
    select_range(page, "1m", 0.76, 0.80)
    page.locator("#ann-label").fill("x" * 500)
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "at most 64" in alert.inner_text())
    assert "500 characters" in alert.inner_text()
    # What was typed stays, so it can be shortened.
    assert page.locator("#ann-label").input_value() == "x" * 500
    page.locator("#ann-label").fill("flag<script>")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "not allowed" in alert.inner_text())
    assert "<>" in alert.inner_text()
    assert len(orch.annotations.list(symbol="BTC/USDT")) == 2

    # Another tab, and back: the Annotate tab's body is gone while closed, and comes back with
    # what was typed in it.
    page.locator("#ann-note").fill("half-typed note")
    page.get_by_role("tab", name="Review").click()
    wait_for(lambda: page.locator("#ann-note").count() == 0)
    page.get_by_role("tab", name="Annotate").click()
    wait_for(lambda: page.locator("#ann-note").input_value() == "half-typed note")
    assert page.locator("#ann-label").input_value() == "flag<script>"


# ---- Box-select on the live 1 s chart while it ticks -------------------------------------------
# The client pixel of the middle of the candle ``back`` candles before the newest closed one.
CANDLE_X = """(back) => {
    const gd = document.querySelector('#chart-1s .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, c = gd.data[0];
    return gd.getBoundingClientRect().left + xa._offset
           + xa.l2p(xa.d2l(c.x[c.x.length - 2 - back]) + 500);
}"""

# The client pixel of the middle of the candle that opens at a time, by the axis as it is now.
PIXEL_OF = """(time) => {
    const gd = document.querySelector('#chart-1s .js-plotly-plot'), xa = gd._fullLayout.xaxis;
    return gd.getBoundingClientRect().left + xa._offset + xa.l2p(time + 500);
}"""

# The candles the chart holds from one open time to another, both included.
CANDLES_BETWEEN = """([first, last]) => {
    const gd = document.querySelector('#chart-1s .js-plotly-plot'), xa = gd._fullLayout.xaxis;
    return gd.data[0].x.filter(x => xa.d2l(x) >= first && xa.d2l(x) <= last).length;
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
    """Drag from the candle ``back_from`` back over ``back_from - back_to + 1`` candles, holding
    the mouse down while the feed adds two candles; (first, last) open time under the mouse at
    the press, the candles the chart held between them then, and whether the axis and the box
    held still."""
    box = page.locator("#chart-1s .nsewdrag").first.bounding_box()
    y0, y1 = box["y"] + box["height"] * 0.2, box["y"] + box["height"] * 0.7
    # Whole pixels: chromium gives mouse events whole-pixel positions (it drops the fraction of
    # a fractional move; pointer events keep it) and Plotly's box is drawn from those, so a
    # fractional aim is read where the page does not see it. With a candle a pixel or two wide,
    # the dropped fraction can be another candle. Rounded, each end stays within half a pixel
    # of its candle's middle: on its candle while a candle is wider than a pixel.
    x0 = round(page.evaluate(CANDLE_X, back_from))
    page.mouse.move(x0, y0)
    page.mouse.down()
    # The chart holds still from the press, so the end is aimed now: a redraw between the aim
    # of the start and the press can move the view, and can change its scale (a loaded run
    # dragged one candle more than aimed at, another two fewer, when both ends were aimed before).
    first = page.evaluate(TIME_AT, x0)
    x1 = round(page.evaluate(PIXEL_OF, first + (back_from - back_to) * 1000))
    last = page.evaluate(TIME_AT, x1)
    axis = page.evaluate(AXIS)
    held_candles = page.evaluate(CANDLES_BETWEEN, [first, last])
    page.mouse.move(x1, y1, steps=8)
    newest = newest_1s(served)
    # The chart keeps ticking: two new candles arrive while the mouse is held.
    wait_for(lambda: newest_1s(served) >= newest + 2000, timeout=30)
    # A move after the ticks, so Plotly draws the box again on the held view; along y only, so
    # the end stays on the aimed pixel.
    page.mouse.move(x1, y1 + 2, steps=2)
    held = page.evaluate(AXIS) == axis
    outline = page.evaluate(OUTLINE)
    page.mouse.up()
    return first, last, held_candles, held, outline


def drag_and_save(page, served, name: str, back_from: int, back_to: int):
    """One drag on the 1 s chart, saved as span ``name``: (span, first and last candle under the
    mouse at the press)."""
    first, last, held_candles, held, outline = drag_on_1s(page, served, back_from, back_to)
    assert held, "the chart moved during the drag"
    assert outline > 0, "no selection box was drawn during the drag"
    seconds = (last - first) // 1000 + 1
    # One candle a second, on the chart as in the store (a missing one would tell here).
    assert held_candles == seconds, (first, last, held_candles)
    text = page.locator("#ann-selection-text")
    wanted = f"{format_ms(first)} → {format_ms(last)} ({seconds} candles)"
    wait_for(lambda: wanted in text.inner_text(),
             shows=lambda: f"wanted {wanted!r}, the page shows {text.inner_text()!r}")  # fmt: skip
    page.locator("#ann-label").fill(name)
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: f"Saved {name}" in page.locator("#ann-message").inner_text())
    span = next(s for s in served.orch.annotations.list(symbol="BTC/USDT") if s.label == name)
    return span, first, last


def test_three_drags_on_the_ticking_1s_chart_store_exactly_the_dragged_candles(page, served):
    """The chart holds still during the drag, the selection box is drawn, and the stored span
    covers exactly the candles dragged over."""
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


# ---- Review keys never lose a press ------------------------------------------------------------
def pending_spans(orch, count: int) -> list[str]:
    """``count`` pending TA-Lib spans on BTC/USDT 1 m; their ids as the list shows them (newest
    first)."""
    last = orch.store.latest("BTC/USDT", "1m").time
    made = [
        orch.annotations.create(
            Span(None, "BTC/USDT", "1m", last - (5 * i + 3) * 60_000,
                 last - (5 * i + 1) * 60_000, "CDLDOJI", "talib", "pending")
        )
        for i in range(count)
    ]  # fmt: skip
    return [s.id for s in made]  # made newest first


def test_ten_presses_100ms_apart_accept_exactly_the_next_ten_rows(page, served):
    """Presses queue in the page and each one is applied, in order, once the server has answered
    the one before it."""
    orch = served.orch
    ids = pending_spans(orch, 12)
    page.locator("#ann-filter-status").click()
    page.get_by_role("option", name="pending").click()
    status = page.locator(CELLS.format("status"))
    wait_for(lambda: status.count() == 10 and set(status.all_inner_texts()) == {"pending"})
    first_start = page.locator(CELLS.format("start_text")).first.inner_text()
    page.locator(CELLS.format("label")).first.click()
    wait_for(lambda: page.locator("#ann-edit-start").input_value() == first_start)
    for _ in range(10):
        page.keyboard.press("a")
        page.wait_for_timeout(100)  # the pace of the presses under test, not a wait for a state

    def accepted():
        return {s.id for s in orch.annotations.list(symbol="BTC/USDT", status="accepted")}

    wait_for(lambda: len(accepted()) >= 10, timeout=60)
    # The 10 presses have all been answered: the selection sits on the 11th row, the first of
    # the two left in the list.
    wait_for(lambda: "accepted" in page.locator("#ann-message").inner_text())
    wait_for(
        lambda: (
            status.count() == 2
            and page.locator("#ann-edit-start").input_value()
            == page.locator(CELLS.format("start_text")).first.inner_text()
        )
    )
    assert accepted() == set(ids[:10])
    pending = {s.id for s in orch.annotations.list(symbol="BTC/USDT", status="pending")}
    assert pending == set(ids[10:])


# ---- The annotators' agreement -----------------------------------------------------------------
AGREE = "#review-agree td[data-dash-column='{}']"
SPANS = "#review-agree-spans td[data-dash-column='{}']"


def test_kappa_per_pair_and_the_disagreeing_spans_a_click_away(page, served):
    """The Review tab shows Cohen's kappa per pair of annotators, the spans where they disagree,
    and each of those spans one click away on the chart."""
    orch = served.orch
    last = orch.store.latest("BTC/USDT", "1m").time
    t0 = last - 100 * 60_000

    def make(author, start, end, label):
        return orch.annotations.create(Span(None, "BTC/USDT", "1m", t0 + start * 60_000,
                                            t0 + end * 60_000, label, "human", "accepted",
                                            author=author))  # fmt: skip

    make("ann", 0, 9, "bull_flag")
    make("bo", 0, 4, "bull_flag")
    odd = make("bo", 5, 9, "bear_flag")
    page.get_by_role("tab", name="Review").click()
    page.get_by_role("button", name="Refresh").nth(1).click()
    wait_for(lambda: page.locator(AGREE.format("kappa")).all_inner_texts() == ["0"])
    assert page.locator(AGREE.format("candles")).all_inner_texts() == ["10"]
    page.locator(AGREE.format("a")).first.click()
    labels = page.locator(SPANS.format("label"))
    wait_for(lambda: labels.all_inner_texts() == ["bull_flag", "bear_flag"])
    labels.nth(1).click()
    # The span is selected (its band drawn, the Annotate tab's editor holds it) and the chart
    # moved to it. The editor is read where a person reads it: a closed tab's body is not drawn.
    page.get_by_role("tab", name="Annotate").click()
    wait_for(lambda: page.locator("#ann-edit-label").input_value() == "bear_flag")
    # The jump's own range (the opening view holds the span too: it would prove nothing).
    wait_for(lambda: x_range_ms(page) == pytest.approx(jump_range(odd), abs=1_000))


# ---- The person named in the page --------------------------------------------------------------
def test_the_named_person_is_recorded_remembered_and_filtered_on(page, served, tmp_path):
    """The person named in the page is recorded: as the author of a saved span, as the reviewer
    of an accepted one; the name is remembered by the browser; the span list filters by person."""
    orch = served.orch
    assert page.locator("#user-name").input_value() == orch.config.annotations.author
    page.locator("#user-name").fill("carol")
    select_range(page)
    page.locator("#ann-label").fill("bull_flag")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "Saved bull_flag" in page.locator("#ann-message").inner_text())
    [saved] = orch.annotations.list(symbol="BTC/USDT")
    assert saved.author == "carol" and saved.reviewed_by == ""

    # Remembered by this browser across a reload.
    page.reload()
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg")
    wait_for(lambda: page.locator("#user-name").input_value() == "carol")

    # Another person's pending span, accepted here with the A key: carol is its reviewer.
    last = orch.store.latest("BTC/USDT", "1m").time
    pending = orch.annotations.create(Span(None, "BTC/USDT", "1m", last - 20 * 60_000,
                                           last - 18 * 60_000, "CDLDOJI", "talib", "pending",
                                           author="talib-bot"))  # fmt: skip
    page.locator("#ann-filter-status").click()
    page.get_by_role("option", name="pending").click()
    status = page.locator(CELLS.format("status"))
    wait_for(lambda: status.all_inner_texts() == ["pending"])
    page.locator(CELLS.format("label")).first.click()
    wait_for(lambda: page.locator("#ann-edit-label").input_value() == "CDLDOJI")
    page.keyboard.press("a")
    wait_for(lambda: orch.annotations.get(pending.id).status == "accepted")
    reviewed = orch.annotations.get(pending.id)
    assert (reviewed.author, reviewed.reviewed_by) == ("talib-bot", "carol")
    assert reviewed.reviewed_at >= reviewed.created_at

    # The list shows who, and filters by person.
    clear_filter(page, "status")
    wait_for(lambda: status.count() == 2)
    assert any("carol" in t for t in page.locator(CELLS.format("by")).all_inner_texts())
    page.locator("#ann-filter-person").click()
    page.get_by_role("option", name="talib-bot").click()
    wait_for(lambda: page.locator(CELLS.format("label")).all_inner_texts() == ["CDLDOJI"])

    # The Review tab's audit list says who did what, and exports it.
    page.get_by_role("tab", name="Review").click()
    audit = page.locator("#review-audit td[data-dash-column='action']")
    wait_for(lambda: audit.all_inner_texts()[:2] == ["span accepted", "span saved"])
    people = page.locator("#review-audit td[data-dash-column='person']").all_inner_texts()
    assert people[:2] == ["carol", "carol"]
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / "audit.csv"
    info.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "at,person,action,detail" and ",carol,span accepted," in lines[1]


# ---- Export and import annotation files -------------------------------------------------------
def stored(orch):
    return sorted((s.to_dict() for s in orch.annotations.list(symbol="BTC/USDT")),
                  key=lambda d: d["id"])  # fmt: skip


@pytest.mark.parametrize("kind", ["JSON", "CSV"])
def test_export_then_import_from_the_page_gives_back_the_same_spans(page, served, tmp_path, kind):
    """Export and import from the page, in the CLI's format: export then import gives back the
    same spans exactly (JSON: authors and reviewers included). An export that answers after the
    person moved to another tab still saves its file."""
    orch = served.orch
    last = orch.store.latest("BTC/USDT", "1m").time
    made = [orch.annotations.create(Span(None, "BTC/USDT", "1m", last - (10 * i + 5) * 60_000,
                                         last - 10 * i * 60_000, label, "human", "pending",
                                         note=f"note {i}, with a comma", author="ann"))
            for i, label in enumerate(["bull_flag", "wedge ↗", "bear_flag"])]  # fmt: skip
    if kind == "JSON":  # JSON carries who reviewed, and when
        orch.annotations.update(made[0].id, status="accepted", reviewed_by="bo")
    before = stored(orch)
    page.locator("#ann-table td[data-dash-column='label']").first.wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name=f"Export {kind}").click()
    path = tmp_path / f"spans.{kind.lower()}"
    info.value.save_as(path)
    for span in made:
        orch.annotations.delete(span.id)
    assert stored(orch) == []
    page.locator("#ann-import input[type=file]").set_input_files(str(path))
    message = page.locator("#ann-message")
    wait_for(lambda: "3 spans read; 3 new" in message.inner_text())
    assert stored(orch) == before
    # Importing it again (a copy) adds nothing.
    again = tmp_path / f"again.{kind.lower()}"
    again.write_bytes(path.read_bytes())
    page.locator("#ann-import input[type=file]").set_input_files(str(again))
    wait_for(lambda: "0 new, 3 already there" in message.inner_text())
    if kind != "JSON":
        return
    # The export's answer held back until the Review tab is open (the Annotate tab's body is
    # then not drawn): the file is still saved.
    held = []

    def hold_export(route):
        if "ann-export-file" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    def callbacks(url):
        return "/_dash-update-component" in url  # its query string varies

    page.route(callbacks, hold_export)
    with page.expect_download() as late:
        page.get_by_role("button", name="Export JSON").click()
        # Playwright calls the handler while it serves a call of ours: a short wait lets it run.
        wait_for(lambda: held or page.wait_for_timeout(50))
        page.get_by_role("tab", name="Review").click()
        held[0].continue_()
    page.unroute(callbacks, hold_export)
    assert "bull_flag" in Path(late.value.path()).read_text()
