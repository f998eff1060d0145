"""An annotator reviews a queue of auto-labels: row after row, by mouse and by key, in bulk
with a confirmation, and reads what the list, the selection and the errors say."""

import re

import pytest

from tests.helpers.browser import serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

ROW_CELLS = "#ann-table td[data-dash-column='{}']"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("review"))


@pytest.fixture
def page(kept_page):
    """The module's kept page: the queue is worked through from one check to the next."""
    return kept_page


def tidy(page) -> None:
    """The list's status filter, left on 'pending' by the checks that pick it, is cleared."""
    clear = page.locator("#ann-filter-status .dash-dropdown-clear")
    if clear.count():
        clear.click()
        wait_for(lambda: not clear.count())


def cells(page, column):
    return page.locator(ROW_CELLS.format(column))


def auto_label(page):
    page.locator("#auto-hours").fill("2")
    page.get_by_role("button", name="Run auto-label").click()
    wait_for(lambda: "Done:" in page.locator("#auto-status").inner_text())
    wait_for(lambda: cells(page, "status").count() > 3)


def pick_row(page, index):
    """Click a row's label cell; returns its start text once the panel shows that span."""
    start = cells(page, "start_text").nth(index).inner_text()
    cells(page, "label").nth(index).click()
    wait_for(lambda: page.locator("#ann-edit-start").input_value() == start)
    return start


def row_fields(page, index):
    """(label, start, end) of a row, as the edit boxes show them when it is selected."""
    row = [cells(page, c).nth(index).inner_text() for c in ("label", "start_text", "end_text")]
    return tuple(row)


def shown_fields(page):
    label, start, end = (page.locator(f"#ann-edit-{f}").input_value()
                         for f in ("label", "start", "end"))  # fmt: skip
    return label, start, end if end[:10] != start[:10] else end[11:]


def accepted(served):
    return served.orch.annotations.list(symbol="BTC/USDT", status="accepted")


def test_accept_one_row_then_another_accepts_two_different_spans(page, served):
    auto_label(page)
    pick_row(page, 0)
    first_id = page.evaluate(
        "() => document.querySelector('#ann-table td[data-dash-column=label]')"
        ".parentElement.getAttribute('data-dash-row-id')"
    )
    page.get_by_role("button", name="Accept", exact=True).click()
    wait_for(lambda: len(accepted(served)) == 1)
    # The selection moved on to the next row; the old row's cell is no longer active.
    wait_for(lambda: page.locator("#ann-edit-start").input_value() == cells(
        page, "start_text").nth(1).inner_text())  # fmt: skip
    wait_for(lambda: page.locator("#ann-table td.focused").count() == 0)

    pick_row(page, 2)
    page.get_by_role("button", name="Accept", exact=True).click()
    wait_for(lambda: len(accepted(served)) == 2)
    ids = {s.id for s in accepted(served)}
    assert len(ids) == 2 and (first_id is None or first_id in ids)
    wait_for(lambda: cells(page, "status").all_inner_texts().count("accepted") == 2)


def test_keys_accept_reject_and_move_on(page, served):
    if not served.orch.annotations.list(symbol="BTC/USDT", status="pending"):
        auto_label(page)
    page.locator("#ann-filter-status").click()
    page.get_by_role("option", name="pending").click()
    wait_for(lambda: set(cells(page, "status").all_inner_texts()) == {"pending"})
    before_accepted = len(accepted(served))
    pick_row(page, 0)
    second = row_fields(page, 1)
    # The keys work right after clicking a row (the table holds the focus).
    page.keyboard.press("a")
    wait_for(lambda: len(accepted(served)) == before_accepted + 1)
    # The accepted row left the pending list; the next one moved up and is selected.
    wait_for(lambda: shown_fields(page) == second)
    page.keyboard.press("n")
    wait_for(lambda: shown_fields(page) == row_fields(page, 1))
    rejected_before = len(served.orch.annotations.list(status="rejected"))
    page.keyboard.press("r")
    wait_for(lambda: len(served.orch.annotations.list(status="rejected")) == rejected_before + 1)


def test_bulk_accept_names_its_count_and_asks_first(page, served):
    if not served.orch.annotations.list(symbol="BTC/USDT", status="pending"):
        auto_label(page)
    page.locator("#ann-filter-status").click()
    page.get_by_role("option", name="pending").click()
    pending = len(served.orch.annotations.list(symbol="BTC/USDT", status="pending"))
    button = page.locator("#ann-bulk-accept")
    wait_for(lambda: button.inner_text() == f"Accept all {pending:,} matching")
    assert f"{pending:,} span" in page.locator("#ann-count").inner_text()

    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    button.click()
    wait_for(lambda: asked)
    assert f"Accept all {pending:,} spans" in asked[0] and "status pending" in asked[0]
    assert len(served.orch.annotations.list(symbol="BTC/USDT", status="pending")) == pending

    page.once("dialog", lambda d: answer(d, True))
    button.click()
    wait_for(
        lambda: f"Marked {pending:,} spans accepted" in page.locator("#ann-message").inner_text()
    )
    assert served.orch.annotations.list(symbol="BTC/USDT", status="pending") == []
    wait_for(lambda: "0 spans" in page.locator("#ann-count").inner_text())


def test_selected_cell_is_readable_and_errors_show_times_as_typed(own_page, served):
    page = own_page
    if not served.orch.annotations.list(symbol="BTC/USDT"):
        auto_label(page)
    wait_for(lambda: cells(page, "label").count() > 0)
    cells(page, "label").first.click()
    wait_for(lambda: page.locator("#ann-edit-start").input_value() != "")
    colours = page.evaluate(
        "() => { const td = document.querySelector('#ann-table td.focused')"
        " || document.querySelector('#ann-table td.cell--selected');"
        " const s = getComputedStyle(td); return [s.backgroundColor, s.color]; }"
    )
    assert colours == ["rgb(43, 63, 99)", "rgb(255, 255, 255)"], colours
    start = page.locator("#ann-edit-start").input_value()
    page.locator("#ann-edit-end").fill("2001-01-01 00:00:00")
    page.get_by_role("button", name="Save changes").click()
    alert = page.locator("#ann-message")
    wait_for(lambda: "before start" in alert.inner_text())
    text = alert.inner_text()
    assert start in text and "2001-01-01 00:00:00" in text
    assert not re.search(r"\d{12}", text), text
