"""The person named in the page is recorded: as the author of a saved span, as the reviewer of
an accepted one; the name is remembered by the browser; the span list filters by person."""

import pytest

from core.spans import Span
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

CELLS = "#ann-table td[data-dash-column='{}']"


def drag_select(page, x0=0.62, x1=0.68):
    page.locator("#chart-1m .modebar-btn[data-title='Box Select']").click()
    box = page.locator("#chart-1m .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * x1, box["y"] + box["height"] * 0.6, steps=10)
    page.mouse.up()


def test_the_named_person_is_recorded_remembered_and_filtered_on(page, served, tmp_path):
    orch = served.orch
    assert page.locator("#user-name").input_value() == orch.config.annotations.author
    page.locator("#user-name").fill("carol")
    drag_select(page)
    wait_for(lambda: "candles)" in page.locator("#ann-selection-text").inner_text())
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
    page.locator("#ann-filter-status .dash-dropdown-clear, #ann-filter-status .Select-clear")\
        .first.click()  # fmt: skip
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
