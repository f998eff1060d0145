"""A trader sees when the exchange is unreachable: the page serves, the status line says so."""

import pytest

from tests.helpers.browser import serve_app, ticks_pass
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

DEAD_EXCHANGE = {
    "kind": "ccxt",
    "backoff_initial_s": 0.2,
    "backoff_max_s": 1.0,
    # Port 9 (discard) has no server here: every request is refused at once.
    "ccxt": {"exchange": "binance", "api_url": "http://127.0.0.1:9", "timeout_ms": 500},
}


@pytest.fixture
def served(tmp_path):
    yield from serve_app(tmp_path, {"feed": DEAD_EXCHANGE})


def test_an_unreachable_exchange_shows_as_reconnecting_with_its_error(page):
    summary = page.locator("#feed-status summary")
    wait_for(lambda: "3 reconnecting" in summary.inner_text())
    assert "BTC/USDT, ETH/USDT, SOL/USDT" in summary.inner_text()
    assert "load markets failed" in summary.get_attribute("title")
    summary.click()  # the dropdown: one line per feed, its error on hover
    btc = page.locator("#feed-status [data-symbol='BTC/USDT']")
    wait_for(lambda: btc.is_visible())
    assert btc.get_attribute("data-status") == "reconnecting"
    assert "load markets failed" in btc.get_attribute("title")
    assert "no data" in btc.inner_text()
    ticks_pass(page, 2)  # ticks refresh the list without closing it
    assert btc.is_visible()


MANY = [f"S{i:02d}/USDT" for i in range(20)]


@pytest.fixture
def many(tmp_path):
    overrides = {"symbols": MANY, "feed": {"backfill_1m_hours": 0.2, "backfill_1s_minutes": 1}}
    yield from serve_app(tmp_path, overrides)


def test_the_status_line_stays_one_line_with_many_symbols(browser, many):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.set_default_timeout(60_000)  # sized for a busy machine
    page.on("console", lambda m: m.type == "error" and many.console_errors.append(m.text))
    page.goto(many.url)
    summary = page.locator("#feed-status summary")
    wait_for(lambda: "20 ok" in summary.inner_text())
    line = summary.bounding_box()["height"]
    assert line < 2 * 16, f"the summary wraps: {line:.0f} px high"
    summary.click()
    rows = page.locator("#feed-status [data-symbol]")
    wait_for(lambda: rows.count() == 20 and rows.first.is_visible())
    assert page.locator("#feed-status-details").bounding_box()["height"] < 900 * 0.55
    page.close()
    assert many.console_errors == []
