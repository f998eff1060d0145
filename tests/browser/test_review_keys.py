"""Review keys never lose a press: presses queue in the page and each one is applied, in order,
once the server has answered the one before it."""

import pytest

from core.spans import Span
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

CELLS = "#ann-table td[data-dash-column='{}']"


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
    # The 10 presses have all been answered: the selection sits on the 11th row.
    wait_for(lambda: "accepted" in page.locator("#ann-message").inner_text())
    assert accepted() == set(ids[:10])
    pending = {s.id for s in orch.annotations.list(symbol="BTC/USDT", status="pending")}
    assert pending == set(ids[10:])
