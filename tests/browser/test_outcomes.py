"""A trader sees which predictions came true: hit and miss markers with their realised price,
filters that change what is drawn, a details card on click, and a download with the filters.

One app for the module, with one hit, one miss and one pending prediction stored (``scored``).
The checks that read the page take turns on one kept page; those that change the filters open
their own (a page's filters are its own) before the disagreement adds predictions of its own."""

import pytest

from predictions.export import COLUMNS
from predictions.input import direction_of_change
from tests.helpers.browser import click_point, figure_data, serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser
M = 60_000
OTHER = {"UP": "DOWN", "DOWN": "UP", "STABLE": "UP"}


def store_scored(orch, symbol="BTC/USDT"):
    """One hit, one miss (both resolved now) and one pending CNN prediction on the 1 m chart."""
    candles = orch.store.tail(symbol, "1m", 40)
    by_time = {c.time: c for c in candles}
    made = {}
    for name, back in (("hit", 30), ("miss", 20)):
        at = candles[-back]
        realised = by_time[at.time + 5 * M].close
        band = orch.config.outcomes.stable_band_pct
        actual = direction_of_change((realised / at.close - 1) * 100, band)
        direction = actual if name == "hit" else OTHER[actual]
        made[name] = orch.store_cnn_prediction(symbol, {
            "timestamp": at.time, "confidence": 0.8, "current_price": at.close,
            "direction": direction, "horizon_minutes": 5, "model_version": "7", "run_id": "run42",
            # A target near the price: the price axis fits the visible candles.
            "target_price": at.close * (1.002 if direction != "DOWN" else 0.998),
        })  # fmt: skip
    at = candles[-10]
    made["pending"] = orch.store_cnn_prediction(symbol, {
        "timestamp": at.time, "confidence": 0.6, "current_price": at.close, "direction": "UP",
        "target_price": at.close * 1.02, "horizon_minutes": 600, "source": "backtest"})  # fmt: skip
    assert orch.outcomes.run_pass() + orch.outcomes.resolved_total >= 2
    return made


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("outcomes"))


@pytest.fixture(scope="module", autouse=True)
def scored(served):
    return store_scored(served.orch)


@pytest.fixture
def page(kept_page):
    return kept_page


def trace(page, name, expr):
    return figure_data(page, "1m", f"(t => {expr})(gd.data.find(t => t.name === '{name}'))")


MARKER_POINT = """(name) => {
    const gd = document.querySelector('#chart-1m .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const t = gd.data.find(t => t.name === name);
    const box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(xa.d2l(t.x[0])), box.top + ya._offset + ya.l2p(t.y[0])];
}"""


def test_hits_are_filled_misses_hollow_with_a_segment_to_the_realised_price(page, served, scored):
    made = scored
    wait_for(lambda: trace(page, "Resolved: hit", "t.x.length") == 1)
    assert trace(page, "Resolved: hit", "t.marker.symbol[0]") == "diamond"
    assert trace(page, "Resolved: miss", "t.marker.symbol[0]") == "diamond-open"
    assert trace(page, "Resolved: hit", "t.customdata[0]") == made["hit"]["id"]
    held = {p["id"]: p for p in served.orch.recent_cnn_predictions["BTC/USDT"]}
    # One segment per resolved prediction, ending at its realised price.
    ends = trace(page, "Realised price", "t.y.filter((v, i) => i % 3 === 1)")
    assert sorted(ends) == sorted(held[made[k]["id"]]["realised_price"] for k in ("hit", "miss"))
    assert trace(page, "CNN target", "t.customdata") == [made["pending"]["id"]]


def test_clicking_a_marker_opens_its_details_card(page, scored):
    made = scored
    wait_for(lambda: trace(page, "Resolved: hit", "t.x.length") == 1)
    card = page.locator("#pred-details-body")
    click_point(page, lambda: page.evaluate(MARKER_POINT, "Resolved: hit"),
                lambda: card.is_visible() and made["hit"]["id"] in card.inner_text())  # fmt: skip
    assert page.locator(".pred-outcome").inner_text() == "hit"
    assert page.locator(".pred-model_version").inner_text() == "7"
    assert page.locator(".pred-run_id").inner_text() == "run42"
    assert page.locator(".pred-source").inner_text() == "live"
    assert "realised_price" in page.locator(".pred-fields").inner_text()
    page.locator("#pred-details-close").click()
    wait_for(lambda: not card.is_visible())


def test_models_tab_shows_accuracy_beside_its_baselines(page):
    page.get_by_role("tab", name="Models").click()
    card = page.locator(".models-card").first
    wait_for(lambda: card.is_visible())
    assert "cnn v7 · BTC/USDT · 2 resolved" in card.inner_text()
    headline = page.locator(".models-headline").first.inner_text()
    assert "hit rate 50% (last 200)" in headline and "vs majority" in headline
    assert "naive" in headline
    assert page.locator(".models-card .js-plotly-plot").count() == 1


def test_the_uncertainty_queue_says_when_there_is_no_model_yet(page, served):
    page.get_by_role("tab", name="Review").click()
    page.get_by_role("button", name="Load queue").click()
    message = page.locator("#review-message")
    wait_for(lambda: "No pattern model is registered yet" in message.inner_text())
    assert "reviewed today: 0" in page.locator("#review-today").inner_text()


def test_filters_change_what_the_chart_draws(own_page):
    page = own_page
    wait_for(lambda: trace(page, "Resolved: miss", "t.x.length") == 1)
    page.get_by_role("tab", name="Predictions").click()
    page.locator("#pred-outcomes label", has_text="pending").click()
    wait_for(lambda: trace(page, "CNN target", "t.x.length") == 0)
    assert trace(page, "Resolved: hit", "t.x.length") == 1
    page.locator("#pred-outcomes label", has_text="miss").click()
    wait_for(lambda: trace(page, "Resolved: miss", "t.x.length") == 0)
    page.locator("#pred-outcomes label", has_text="pending").click()
    wait_for(lambda: trace(page, "CNN target", "t.x.length") == 1)
    page.locator("#pred-sources label", has_text="backtest").click()
    wait_for(lambda: trace(page, "CNN target", "t.x.length") == 0)
    page.locator(".pred-min-conf-cnn").fill("0.9")
    wait_for(lambda: trace(page, "Resolved: hit", "t.x.length") == 0)
    # The summary follows on the panels' tick, half a beat after the chart's.
    wait_for(lambda: "0 held predictions pass" in page.locator("#pred-summary").inner_text())


def test_download_applies_the_current_filters(own_page, tmp_path):
    page = own_page
    page.get_by_role("tab", name="Predictions").click()
    page.locator("#pred-outcomes label", has_text="pending").click()
    wait_for(lambda: "2 held predictions pass" in page.locator("#pred-summary").inner_text())
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / "down.csv"
    info.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == 3 and all(",run42," in line for line in lines[1:])


def test_a_disagreement_is_marked_and_its_row_jumps_the_chart(page, served):
    orch = served.orch
    at = orch.store.tail("BTC/USDT", "1m", 100)[0]  # far left of the chart
    base = {"timestamp": at.time + 1_000, "confidence": 0.7, "current_price": at.close,
            "horizon_minutes": 600}  # fmt: skip
    orch.store_cnn_prediction("BTC/USDT", {**base, "target_price": at.close * 1.01})  # UP
    orch.store_transformer_prediction("BTC/USDT", {**base, "predicted_price": at.close * 0.99})
    wait_for(lambda: trace(page, "Disagreements", "t.x") == [at.time])
    page.get_by_role("tab", name="Review").click()
    row = page.locator("#review-disagree td[data-dash-column='detail']").first
    wait_for(lambda: row.is_visible() and "CNN UP vs transformer DOWN" in row.inner_text())
    row.click()

    def around_the_disagreement():
        # The chart opens on an explicit range too: wait for the jump's narrower one.
        span = figure_data(page, "1m", "gd.layout.xaxis.range")
        lo, hi = (page.evaluate(f"() => new Date('{v}Z').getTime()") if isinstance(v, str)
                  else v for v in span)  # fmt: skip
        return lo < at.time < hi and hi - lo <= 62 * 60_000

    wait_for(around_the_disagreement)
