"""An operator runs backtests, searches parameters and walks forward from the Backtest tab: the
form refuses what the API refuses (the field marked), a run's progress, statistics, trades and
comparison, search results open wide over the charts with heatmaps, a sortable trials table, a
CSV download and *Open as backtest*; Cancel stops a search.

One app for the module and one kept page its tests take turns on: an opening costs about 4 s of
chromium CPU, most of what the form's checks cost. ``tidy`` puts the form back as a fresh page
shows it (Backtest mode, the fields the tests fill at their defaults, the first symbol alone, the
results view closed). The runs of the other tests stay on the server and
their words in the page's message and status line: each test finds its own run by the id the
message names, one that was not there when it started, and the page's lines by that id."""

import csv
import io
from pathlib import Path

import pytest

from backtest.request import parse_request
from core.config import BacktestConfig
from dashboard.panels.backtest_form import OPENING_STRATEGY, strategy_defaults
from tests.helpers import backtests as backtest_helpers
from tests.helpers.browser import OPENING_TAB_LABEL, plot, run_backtest, serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

RUN_LABELS = {"Backtest": "Run backtest", "Search": "Run search",
              "Walk-forward": "Run walk-forward"}  # fmt: skip
# What a fresh page's form holds in the fields the tests change, by the mode that shows them.
DEFAULTS = {
    "Search": {"#bt-constraint": ""},
    "Walk-forward": {"#bt-is-bars": "", "#bt-oos-bars": ""},
    "Backtest": {"#bt-params": strategy_defaults(OPENING_STRATEGY), "#bt-sl": "",
                 "#bt-cash": f"{BacktestConfig.cash:g}", "#bt-size": f"{BacktestConfig.size:g}"},
}  # fmt: skip
DEFAULT_MAXIMIZE = "SQN"  # (a select, shown in Search mode)
DEFAULT_SYMBOLS = ["BTC/USDT"]  # the first symbol served, alone


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("research"))


@pytest.fixture
def page(kept_page):
    return kept_page


def _mode(page, name: str) -> None:
    page.locator("#bt-mode").get_by_text(name, exact=True).click()
    wait_for(lambda: page.locator("#bt-run").inner_text() == RUN_LABELS[name])


def _status(page) -> str:
    return page.locator("#bt-status").inner_text()


def _message(page) -> str:
    return page.locator("#bt-message").inner_text()


def _pick_symbols(page, wanted: list[str]) -> None:
    """Tick exactly ``wanted`` in the symbol picker's list (those wanted first, so it is never
    left empty: it is not clearable), then close the list with a click outside it."""
    picker = page.locator("#bt-symbol")
    shown = picker.locator(".dash-dropdown-value-item")
    if shown.all_inner_texts() == wanted:
        return
    picker.click()
    wait_for(lambda: picker.get_attribute("aria-expanded") == "true")
    listed = page.locator(f"[id='{picker.get_attribute('aria-controls')}']")
    options = listed.get_by_role("option")
    wait_for(lambda: options.count() > 0)
    names = options.all_inner_texts()
    for name in sorted(names, key=lambda n: n not in wanted):
        option = listed.get_by_role("option", name=name, exact=True)
        ticked = "true" if name in wanted else "false"
        if option.get_attribute("aria-selected") != ticked:
            option.click()
            wait_for(lambda option=option, ticked=ticked: option.get_attribute("aria-selected")
                     == ticked)  # fmt: skip
    page.locator(".app-header h5").click()
    wait_for(lambda: picker.get_attribute("aria-expanded") == "false")
    wait_for(lambda: shown.all_inner_texts() == wanted)


def tidy(page) -> None:
    """The form as a fresh page shows it, set as a person would: the results view closed, each
    field the tests fill back at its default (in the mode that shows it), Backtest mode, the
    first symbol alone; then the opening tab again."""
    view = page.locator("#results-view")
    if view.is_visible():
        page.get_by_role("button", name="× Back to charts").click()
        wait_for(lambda: not view.is_visible())
    page.get_by_role("tab", name="Backtest").click()
    maximize = page.locator("#bt-maximize")
    for mode, fields in DEFAULTS.items():
        changed = {f: v for f, v in fields.items() if page.locator(f).input_value() != v}
        search_changed = mode == "Search" and maximize.input_value() != DEFAULT_MAXIMIZE
        if mode != "Backtest" and not changed and not search_changed:
            continue
        _mode(page, mode)
        for field, value in changed.items():
            page.locator(field).fill(value)
            assert page.locator(field).input_value() == value
        if search_changed:
            maximize.select_option(DEFAULT_MAXIMIZE)
            wait_for(lambda: maximize.input_value() == DEFAULT_MAXIMIZE)
    _pick_symbols(page, DEFAULT_SYMBOLS)
    tab = page.get_by_role("tab", name=OPENING_TAB_LABEL)
    tab.click()
    wait_for(lambda: tab.evaluate("e => e.classList.contains('active')"))


def _started(page, noun: str, before) -> str:
    """The id of the run the message says was started (``noun``: run, search, walk-forward),
    once it names one that is not in ``before`` (the ids there when the test began)."""
    start = f"Started {noun} "

    def named():
        text = _message(page)
        run_id = text.split(start, 1)[1].split(":", 1)[0] if start in text else None
        return run_id if run_id and run_id not in before else None

    return wait_for(named)


def _ids(runs: list[dict]) -> set[str]:
    return {r["id"] for r in runs}


def test_the_form_refuses_what_the_api_refuses_and_marks_the_field(page, served):
    page.get_by_role("tab", name="Backtest").click()
    _mode(page, "Backtest")
    page.locator("#bt-params").fill("fast=10, slow=20")
    backtests = [r["id"] for r in served.orch.backtests.list(1000)]
    searches = [r["id"] for r in served.orch.research.list("search", 1000)]
    cases = (("#bt-cash", "-5", "cash: must be a positive number"),
             ("#bt-size", "3", "size: must be a fraction of equity"))  # fmt: skip
    for field, value, words in cases:
        page.locator(field).fill(value)
        page.get_by_role("button", name="Run backtest").click()
        wait_for(lambda words=words: words in _message(page))
        assert "is-invalid" in page.locator(field).get_attribute("class")
        assert page.locator(field).input_value() == value
        page.locator(field).fill("1" if field == "#bt-size" else "10000")
    assert [r["id"] for r in served.orch.backtests.list(1000)] == backtests  # nothing ran
    _mode(page, "Search")
    page.locator("#bt-params").fill("fast=2:10:2, slow=10:40:10")
    page.locator("#bt-constraint").fill("fast ** 2 < slow")
    page.get_by_role("button", name="Run search").click()
    wait_for(lambda: "'fast ** 2' is refused" in _message(page))
    assert "is-invalid" in page.locator("#bt-constraint").get_attribute("class")
    assert [r["id"] for r in served.orch.research.list("search", 1000)] == searches  # none ran


def test_search_results_open_wide_then_open_the_best_as_a_backtest(page, served):
    page.get_by_role("tab", name="Backtest").click()
    searches = _ids(served.orch.research.list("search", 1000))
    backtests = _ids(served.orch.backtests.list(1000))
    _mode(page, "Search")
    page.locator("#bt-params").fill("fast=2:10:2, slow=10:40:10")
    page.locator("#bt-constraint").fill("fast < slow")
    page.locator("#bt-maximize").select_option("Return [%]")
    page.get_by_role("button", name="Run search").click()
    search_id = _started(page, "search", searches)
    wait_for(lambda: f"Search {search_id}: done" in _status(page), timeout=120)
    # the one search started is the one the page names
    assert _ids(served.orch.research.list("search", 1000)) == searches | {search_id}
    run = served.orch.research.get(search_id)
    assert run["status"] == "done" and len(run["trials"]) == 19
    # the results view covers the charts, wider than the side panel
    view = page.locator("#results-view").bounding_box()
    panel = page.locator(".side-panel").bounding_box()
    assert view["width"] > 1.5 * panel["width"]
    # one heatmap, of this search's values (another search's may still be drawn a moment)
    axes = [[str(v) for v in sorted({t["params"][name] for t in run["trials"]})]
            for name in ("fast", "slow")]  # fmt: skip
    wait_for(lambda: plot(page, "bt-heatmaps", "gd.data.length") == 1
             and plot(page, "bt-heatmaps", "[gd.data[0].x, gd.data[0].y]") == axes)  # fmt: skip
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
    backtest_id = _started(page, "run", backtests)
    assert _ids(served.orch.backtests.list(1000)) == backtests | {backtest_id}
    backtest = served.orch.backtests.get(backtest_id)
    assert backtest["params"]["params"] == best["params"]
    wait_for(lambda: f"Run {backtest_id}: done" in _status(page), timeout=60)
    wait_for(lambda: "Return [%]" in page.locator("#bt-stats").inner_text())
    page.get_by_role("button", name="× Back to charts").click()
    wait_for(lambda: not page.locator("#results-view").is_visible())


def test_walk_forward_and_cancel(page, served):
    page.get_by_role("tab", name="Backtest").click()
    walks = _ids(served.orch.research.list("walkforward", 1000))
    searches = _ids(served.orch.research.list("search", 1000))
    _mode(page, "Walk-forward")
    page.locator("#bt-params").fill("fast=2:6:2, slow=10:30:10")
    page.locator("#bt-is-bars").fill("60")
    page.locator("#bt-oos-bars").fill("30")
    page.get_by_role("button", name="Run walk-forward").click()
    walk_id = _started(page, "walk-forward", walks)
    wait_for(lambda: f"Walk-forward {walk_id}: done" in _status(page), timeout=180)
    assert _ids(served.orch.research.list("walkforward", 1000)) == walks | {walk_id}
    folds = served.orch.research.get(walk_id)["result"]["folds"]
    assert len(folds) >= 2
    wait_for(lambda: page.locator("#bt-wf-folds tbody tr").count() == len(folds) + 1)
    assert "walk-forward efficiency" in page.locator("#bt-wf-text").inner_text()
    assert plot(page, "bt-wf-chart", "gd.data.length") >= 2
    # a Cancel pressed early always ends the search cancelled
    _mode(page, "Search")
    page.locator("#bt-params").fill("fast=2:60:1, slow=10:300:1")
    page.get_by_role("button", name="Run search").click()
    search_id = _started(page, "search", searches)
    page.get_by_role("button", name="Cancel").click()
    wait_for(lambda: f"Cancelling search {search_id}" in _message(page))
    wait_for(lambda: f"Search {search_id}: cancelled" in _status(page), timeout=60)
    assert _ids(served.orch.research.list("search", 1000)) == searches | {search_id}
    assert served.orch.research.get(search_id, trials=False)["status"] == "cancelled"
    kept = served.orch.research.store.count_trials(search_id)
    # it resumes from the trials it kept, and cancels again
    page.get_by_role("button", name="Resume").click()
    wait_for(lambda: f"Resumed search {search_id}" in _message(page))
    wait_for(lambda: served.orch.research.store.count_trials(search_id) > kept, timeout=60)
    page.get_by_role("button", name="Cancel").click()
    wait_for(lambda: served.orch.research.get(search_id, trials=False)["status"] == "cancelled",
             timeout=60)  # fmt: skip


def test_two_symbols_picked_run_a_portfolio(page, served):
    page.get_by_role("tab", name="Backtest").click()
    backtests = _ids(served.orch.backtests.list(1000))
    _mode(page, "Backtest")
    _pick_symbols(page, ["BTC/USDT", "ETH/USDT"])
    page.locator("#bt-params").fill("fast=3, slow=12")
    page.locator("#bt-sl").fill("0.5")
    page.get_by_role("button", name="Run backtest").click()
    run_id = _started(page, "run", backtests)
    assert "BTC/USDT, ETH/USDT" in _message(page)
    assert _ids(served.orch.backtests.list(1000)) == backtests | {run_id}
    wait_for(lambda: served.orch.backtests.get(run_id)["status"] in ("done", "failed"), timeout=120)
    run = served.orch.backtests.get(run_id)
    assert run["status"] == "done", run["error"]
    wait_for(lambda: f"Run {run_id}: done" in _status(page), timeout=60)
    assert set(run["symbols"]) == {"BTC/USDT", "ETH/USDT"}
    assert run["params"]["params"]["sl_pct"] == 0.5
    wait_for(lambda: "ETH/USDT: 50% of the cash" in page.locator("#bt-portfolio").inner_text())
    runs = page.locator("#bt-runs").inner_text()
    assert "BTC/USDT, ETH/USDT 1m" in runs and "sl_pct=0.5" in runs


Blocking = backtest_helpers.Blocking
blocking = backtest_helpers.blocking


def test_run_watch_progress_read_results_jump_to_a_trade_and_compare(page, served, blocking):
    """Run a backtest, watch it queue and progress, read its results, jump to a trade, compare
    two runs. (Last in the module: a trade's jump leaves the live chart on it.)"""
    page.get_by_role("tab", name="Backtest").click()
    # a strategy's defaults, filled in by the form's callback as it is picked (tidy left this
    # strategy's in the field: another strategy first, whose defaults are none)
    strategy = page.locator("#bt-strategy")
    strategy.select_option("buy_and_hold")
    wait_for(lambda: page.locator("#bt-params").input_value() == "")
    strategy.select_option(OPENING_STRATEGY)
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
    wait_for(lambda: second[:6] in page.locator("#bt-runs").inner_text())
    boxes = page.locator("#bt-runs input[type='checkbox']")
    boxes.nth(0).check()
    boxes.nth(1).check()
    wait_for(lambda: plot(page, "bt-compare-chart", "gd.data.length") == 2)
    header = page.locator("#bt-compare th").all_inner_texts()
    assert any(first[:6] in h for h in header) and any(second[:6] in h for h in header)
    assert "Sharpe Ratio" in page.locator("#bt-compare").inner_text()
