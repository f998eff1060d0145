"""An operator searches parameters and walks forward from the Backtest tab: the form refuses what
the API refuses (the field marked), the results open wide over the charts with heatmaps, a
sortable trials table, a CSV download and *Open as backtest*; Cancel stops a search."""

import csv
import io
from pathlib import Path

import pytest

from tests.helpers.browser import plot
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


def _mode(page, name: str) -> None:
    page.locator("#bt-mode").get_by_text(name, exact=True).click()


def _status(page) -> str:
    return page.locator("#bt-status").inner_text()


def test_the_form_refuses_what_the_api_refuses_and_marks_the_field(page, served):
    page.get_by_role("tab", name="Backtest").click()
    before = len(served.orch.backtests.list(1000))
    cases = (("#bt-cash", "-5", "cash: must be a positive number"),
             ("#bt-size", "3", "size: must be a fraction of equity"))  # fmt: skip
    for field, value, words in cases:
        page.locator(field).fill(value)
        page.get_by_role("button", name="Run backtest").click()
        wait_for(lambda words=words: words in page.locator("#bt-message").inner_text())
        assert "is-invalid" in page.locator(field).get_attribute("class")
        assert page.locator(field).input_value() == value
        page.locator(field).fill("1" if field == "#bt-size" else "10000")
    assert len(served.orch.backtests.list(1000)) == before  # nothing ran
    _mode(page, "Search")
    page.locator("#bt-params").fill("fast=2:10:2, slow=10:40:10")
    page.locator("#bt-constraint").fill("fast ** 2 < slow")
    page.get_by_role("button", name="Run search").click()
    wait_for(lambda: "'fast ** 2' is refused" in page.locator("#bt-message").inner_text())
    assert "is-invalid" in page.locator("#bt-constraint").get_attribute("class")
    assert served.orch.research.list("search") == []


def test_search_results_open_wide_then_open_the_best_as_a_backtest(page, served):
    page.get_by_role("tab", name="Backtest").click()
    _mode(page, "Search")
    page.locator("#bt-params").fill("fast=2:10:2, slow=10:40:10")
    page.locator("#bt-constraint").fill("fast < slow")
    page.locator("#bt-maximize").select_option("Return [%]")
    page.get_by_role("button", name="Run search").click()
    wait_for(lambda: "done" in _status(page) and "Search" in _status(page), timeout=120)
    search = served.orch.research.list("search")[0]
    run = served.orch.research.get(search["id"])
    assert run["status"] == "done" and len(run["trials"]) == 19
    # the results view covers the charts, wider than the side panel
    view = page.locator("#results-view").bounding_box()
    panel = page.locator(".side-panel").bounding_box()
    assert view["width"] > 1.5 * panel["width"]
    wait_for(lambda: plot(page, "bt-heatmaps", "gd.data.length") == 1)
    assert plot(page, "bt-heatmaps", "gd.data[0].type") == "heatmap"
    best = run["result"]["best"]
    assert f"Best: fast={best['params']['fast']}, slow={best['params']['slow']}" in \
        page.locator("#bt-best").inner_text()  # fmt: skip
    # the trials table sorts by its value column
    header = page.locator("#bt-trials th", has_text="Return [%]").locator(".column-header--sort")
    header.click()
    header.click()
    top = max(t["value"] for t in run["trials"] if t["value"] is not None)
    first = page.locator("#bt-trials td[data-dash-column='value']").first
    wait_for(lambda: abs(float(first.inner_text()) - top) <= 1e-4 * max(1, abs(top)))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0][:4] == ["fast", "slow", "value", "trades"] and len(rows) == 20
    # Open as backtest: a normal run with the best parameters, shown in the view
    page.get_by_role("button", name="Open as backtest").click()
    wait_for(lambda: "Started run" in page.locator("#bt-message").inner_text())
    backtest = served.orch.backtests.list(1)[0]
    assert backtest["params"]["params"] == best["params"]
    wait_for(lambda: "done" in _status(page), timeout=60)
    wait_for(lambda: "Return [%]" in page.locator("#bt-stats").inner_text())
    page.get_by_role("button", name="× Back to charts").click()
    wait_for(lambda: not page.locator("#results-view").is_visible())


def test_walk_forward_and_cancel(page, served):
    page.get_by_role("tab", name="Backtest").click()
    _mode(page, "Walk-forward")
    page.locator("#bt-params").fill("fast=2:6:2, slow=10:30:10")
    page.locator("#bt-is-bars").fill("60")
    page.locator("#bt-oos-bars").fill("30")
    page.get_by_role("button", name="Run walk-forward").click()
    wait_for(lambda: "Walk-forward" in _status(page) and "done" in _status(page), timeout=180)
    run = served.orch.research.list("walkforward")[0]
    folds = served.orch.research.get(run["id"])["result"]["folds"]
    assert len(folds) >= 2
    wait_for(lambda: page.locator("#bt-wf-folds tbody tr").count() == len(folds) + 1)
    assert "walk-forward efficiency" in page.locator("#bt-wf-text").inner_text()
    assert plot(page, "bt-wf-chart", "gd.data.length") >= 2
    # a Cancel pressed early always ends the search cancelled
    _mode(page, "Search")
    page.locator("#bt-params").fill("fast=2:60:1, slow=10:300:1")
    page.get_by_role("button", name="Run search").click()
    wait_for(lambda: "Started search" in page.locator("#bt-message").inner_text())
    page.get_by_role("button", name="Cancel").click()
    wait_for(lambda: "Cancelling search" in page.locator("#bt-message").inner_text())
    wait_for(lambda: "cancelled" in _status(page), timeout=60)
    search = served.orch.research.list("search")[0]
    assert search["status"] == "cancelled"
    kept = served.orch.research.store.count_trials(search["id"])
    # it resumes from the trials it kept, and cancels again
    page.get_by_role("button", name="Resume").click()
    wait_for(lambda: "Resumed search" in page.locator("#bt-message").inner_text())
    wait_for(lambda: served.orch.research.store.count_trials(search["id"]) > kept, timeout=60)
    page.get_by_role("button", name="Cancel").click()
    wait_for(lambda: served.orch.research.list("search")[0]["status"] == "cancelled", timeout=60)


def test_two_symbols_picked_run_a_portfolio(page, served):
    page.get_by_role("tab", name="Backtest").click()
    page.locator("#bt-symbol").click()
    page.get_by_role("option", name="ETH/USDT").click()
    page.keyboard.press("Escape")
    page.locator("#bt-params").fill("fast=3, slow=12")
    page.locator("#bt-sl").fill("0.5")
    page.get_by_role("button", name="Run backtest").click()
    wait_for(lambda: "Started run" in page.locator("#bt-message").inner_text())
    assert "BTC/USDT, ETH/USDT" in page.locator("#bt-message").inner_text()
    run_id = served.orch.backtests.list(1)[0]["id"]
    wait_for(lambda: served.orch.backtests.get(run_id)["status"] in ("done", "failed"), timeout=120)
    run = served.orch.backtests.get(run_id)
    assert run["status"] == "done", run["error"]
    wait_for(lambda: "done" in _status(page), timeout=60)
    assert set(run["symbols"]) == {"BTC/USDT", "ETH/USDT"}
    assert run["params"]["params"]["sl_pct"] == 0.5
    wait_for(lambda: "ETH/USDT: 50% of the cash" in page.locator("#bt-portfolio").inner_text())
    runs = page.locator("#bt-runs").inner_text()
    assert "BTC/USDT, ETH/USDT 1m" in runs and "sl_pct=0.5" in runs
