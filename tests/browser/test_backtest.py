"""An operator runs backtests from the Backtest tab, reads them, jumps to a trade, compares runs."""

import pytest

from backtest.request import parse_request
from tests.helpers import backtests as backtest_helpers
from tests.helpers.browser import plot, run_backtest
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


Blocking = backtest_helpers.Blocking
blocking = backtest_helpers.blocking


def test_run_watch_progress_read_results_jump_to_a_trade_and_compare(page, served, blocking):
    page.get_by_role("tab", name="Backtest").click()
    # the strategy's defaults, filled in by the form's first callback
    wait_for(lambda: page.locator("#bt-params").input_value() == "fast=10, slow=20")
    # a bad param is refused with the field named, nothing starts
    page.locator("#bt-params").fill("fast=abc")
    page.get_by_role("button", name="Run backtest").click()
    wait_for(lambda: "params.fast: must be a number" in page.locator("#bt-message").inner_text())

    # a long run holds the queue: this one shows as queued, then runs when it is free
    backtests = served.orch.backtests
    backtests.submit(parse_request({"symbol": "BTC/USDT", "strategy": Blocking.name}, served.orch))
    first = run_backtest(page, "fast=3, slow=12")
    wait_for(lambda: "queued" in page.locator("#bt-status").inner_text())
    assert page.locator("#bt-progress .progress-bar").get_attribute("aria-valuenow") == "0"
    blocking.set()
    wait_for(lambda: f"Run {first}: done" in page.locator("#bt-status").inner_text(), timeout=60)
    wait_for(
        lambda: page.locator("#bt-progress .progress-bar").get_attribute("aria-valuenow") == "100"
    )
    stats = page.locator("#bt-stats").inner_text()
    for name in ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "SQN"):
        assert name in stats
    run = backtests.get(first)
    trades = run["trades"]
    assert len(trades) >= 2
    # the equity curve and its drawdown below it
    assert plot(page, "bt-equity", "gd.data.length") == 2
    assert plot(page, "bt-equity", "gd.data[0].y.length") == len(run["equity"])
    assert plot(page, "bt-equity", "gd.data[1].yaxis") == "y2"
    # the trades on the run's chart: entries (long and short) and exits
    entries = plot(page, "bt-chart", "gd.data[1].x.length + gd.data[2].x.length")
    assert entries == len(trades)

    # clicking a trade moves the run's chart and the live 1 m chart to it
    page.locator("#bt-trades td[data-dash-column='entry']").nth(1).click()
    trade = trades[1]

    def moved(dom_id):
        rng = plot(page, dom_id, "gd.layout.xaxis.range")
        if not rng:
            return False
        low, high = (page.evaluate(f"() => Date.parse('{v}Z')") if isinstance(v, str) else v
                     for v in rng)  # fmt: skip
        return low < trade["EntryTime"] and high > trade["EntryTime"] and high - low < 10**8

    wait_for(lambda: moved("bt-chart"))
    wait_for(lambda: moved("chart-1m"))

    # a second run, then both ticked in the runs list: statistics side by side, equity overlaid
    second = run_backtest(page, "fast=5, slow=30")
    assert second != first
    wait_for(lambda: f"Run {second}: done" in page.locator("#bt-status").inner_text(), timeout=60)
    wait_for(lambda: page.locator("#bt-runs tr").count() >= 3)
    boxes = page.locator("#bt-runs input[type='checkbox']")
    boxes.nth(0).check()
    boxes.nth(1).check()
    wait_for(lambda: plot(page, "bt-compare-chart", "gd.data.length") == 2)
    header = page.locator("#bt-compare th").all_inner_texts()
    assert any(first[:6] in h for h in header) and any(second[:6] in h for h in header)
    assert "Sharpe Ratio" in page.locator("#bt-compare").inner_text()
