"""A trader sees when the exchange is unreachable: the page serves, the status line says so."""

import pytest

from tests.browser.conftest import serve_app
from tests.browser.test_live_charts import wait_for

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
    status = page.locator("#feed-status")
    wait_for(lambda: status.inner_text().count("reconnecting") == 3)
    btc = page.locator("#feed-status [data-symbol='BTC/USDT']")
    assert btc.get_attribute("data-status") == "reconnecting"
    assert "load markets failed" in btc.get_attribute("title")
    assert "no data" in btc.inner_text()
