"""Alerts in the page (issue 17): a trader adds a price alert in the Alerts tab, it fires as
the price crosses, a toast shows it and the fired list has it.

The feed replays a file whose price swings 100 -> 110 -> 100 every 20 seconds, so a level at
105 is crossed every ten seconds (a random walk may stay away from a level for minutes)."""

import pytest

from core.candles import Candle, candles_to_frame
from tests.helpers.browser import serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

SECONDS = 7200  # half history, half played live


def swinging_candles() -> list[Candle]:
    candles, start = [], 1_700_000_000_000
    for i in range(SECONDS):
        phase = i % 20
        close = 100.0 + (phase if phase <= 10 else 20 - phase)
        open_ = candles[-1].close if candles else close
        candles.append(Candle(start + i * 1000, open_, max(open_, close), min(open_, close),
                              close, 1.0))  # fmt: skip
    return candles


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("alerts_ui")
    path = base / "swing.csv"
    candles_to_frame(swinging_candles()).reset_index().to_csv(path, index=False)
    feed = {"kind": "csv", "csv": {"files": {"BTC/USDT": str(path)}},
            "backfill_1m_hours": 1, "backfill_1s_minutes": 5}  # fmt: skip
    yield from serve_app(base, {"symbols": ["BTC/USDT"], "feed": feed})


def test_a_price_alert_added_in_the_panel_fires_into_a_toast_and_the_fired_list(page, served):
    page.get_by_role("tab", name="Alerts").click()
    page.locator("#alert-level").fill("105")
    page.locator("#alert-note").fill("watch this")
    page.get_by_role("button", name="Add alert").click()
    message = page.locator("#alert-message")
    wait_for(lambda: "Added: BTC/USDT crosses 105 — watch this" in message.inner_text())
    wait_for(lambda: "watch this" in page.locator("#alert-list").inner_text())
    toast = page.locator("#alert-toast")
    wait_for(lambda: toast.is_visible() and "BTC/USDT crossed" in toast.inner_text())
    assert "through 105 at" in toast.inner_text()
    fired = page.locator("#alert-fired")
    wait_for(lambda: "BTC/USDT crossed" in fired.inner_text())
    [alert] = served.orch.alerts.list(with_fired=True)
    assert alert["fired"] and alert["note"] == "watch this"
