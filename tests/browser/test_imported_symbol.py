"""A user imports their own candle history and labels it like a live symbol."""

import pandas as pd
import pytest

from tests.helpers.browser import figure_data
from tests.helpers.candles import make_candles
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

HOUR = 3_600_000


def test_imported_symbol_appears_with_a_chart_for_its_timeframe(page, served, tmp_path):
    candles = make_candles(400, start=1_700_000_000_000 - 1_700_000_000_000 % HOUR,
                           frame_ms=HOUR, seed=3, price=20.0)  # fmt: skip
    frame = pd.DataFrame([c.to_dict() for c in candles]).drop(columns="closed")
    frame.to_csv(tmp_path / "mycoin.csv", index=False)
    assert served.orch.import_candles(tmp_path / "mycoin.csv", "MYCOIN", "1h") == 400

    page.reload()
    page.locator("#symbol-select").click()
    page.get_by_role("option", name="MYCOIN").click()
    page.wait_for_selector("#chart-1h .js-plotly-plot .main-svg", timeout=60_000)
    assert figure_data(page, "1h", "gd.data[0].x.length") == 400
    assert figure_data(page, "1h", "gd.data[0].close[399]") == pytest.approx(candles[-1].close)
    assert page.locator("#chart-1s").count() == 0 and page.locator("#chart-1m").count() == 0
    # The status line says its chart has no feed, before the feeds' "3 ok".
    summary = page.locator("#feed-status summary")
    wait_for(lambda: summary.inner_text().startswith("● MYCOIN: imported, no live feed · feeds:"))
    assert "3 ok" in summary.inner_text()

    # Its history can be auto-labelled like any other series, and a span jumps the chart.
    page.locator("#auto-tf").select_option("1m")  # not served for MYCOIN: a clear message
    page.get_by_role("button", name="Run auto-label").click()
    wait_for(lambda: "no candles" in page.locator("#auto-status").inner_text().lower())
