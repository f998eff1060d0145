"""A trader opens a link to a morning two weeks back and sees the DQN calls made then on the
minute chart (auto), although the prediction deques hold only the newest few: the loaded range
draws the stored predictions of that range, and not the ones the user cleared."""

import time

import pytest

from dashboard.figures.charts import TRACE
from dashboard.figures.outcome_overlays import OUTCOME_TRACE
from tests.helpers.browser import figure_data, serve_app
from tests.helpers.candles import make_candles
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MIN = 60_000
HOUR = 60 * MIN
DAYS = 14
SYMBOL = "BTC/USDT"
# Where a DQN call can be drawn: pending (buy/sell markers) or, once scored, resolved.
DQN_TRACES = (TRACE["dqn_buy"], TRACE["dqn_sell"], OUTCOME_TRACE["outcome_hit"],
              OUTCOME_TRACE["outcome_miss"])  # fmt: skip


def buy(ts: int) -> dict:
    return {"timestamp": ts, "confidence": 0.9, "action": "BUY", "price": 100.0}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    overrides = {"orchestrator": {"prediction_maxlen": 5}}
    for served in serve_app(tmp_path_factory.mktemp("stored"), overrides):
        end = int(time.time() * 1000) - 2 * HOUR
        end -= end % MIN
        start = end - DAYS * 1440 * MIN
        history = make_candles(DAYS * 1440, start=start, frame_ms=MIN, seed=5, price=100.0)
        served.orch.store.merge_history(SYMBOL, "1m", history)
        morning = start + 24 * HOUR + 9 * HOUR
        orch = served.orch
        served.cleared = orch.store_dqn_prediction(SYMBOL, buy(morning + 90 * MIN))["timestamp"]
        orch.clear_predictions(SYMBOL, ("dqn",))
        served.calls = [orch.store_dqn_prediction(SYMBOL, buy(morning + i * 7 * MIN))["timestamp"]
                        for i in range(12)]  # fmt: skip
        for i in range(10):  # the deques now hold only the newest five of these
            orch.store_dqn_prediction(SYMBOL, buy(end - i * MIN))
        served.range = (morning - HOUR, morning + 3 * HOUR)
        yield served


def test_a_link_to_two_weeks_back_shows_the_calls_stored_then(browser, served):
    held = {p["timestamp"] for p in served.orch.predictions.snapshot(SYMBOL)["dqn"]}
    assert not held & set(served.calls)  # drawn from the store, not from the deques
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    lo, hi = served.range
    page.goto(f"{served.url}/?symbol=BTC/USDT&tf=auto&from={lo}&to={hi}")
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)

    def drawn() -> list:
        expr = f"[{','.join(map(str, DQN_TRACES))}].flatMap(i => gd.data[i].x || [])"
        return figure_data(page, "1m", expr) or []

    # Four hours two weeks back: minute candles of that morning, with its twelve calls.
    wait_for(lambda: set(served.calls) <= set(drawn()), timeout=60)
    assert figure_data(page, "1m", "gd.layout.title.text") == "BTC/USDT · 1m candles · auto"
    assert figure_data(page, "1m", "gd.data[0].x[0]") <= lo
    shown = drawn()
    assert served.cleared not in shown
    assert sorted(x for x in shown if lo <= x <= hi) == served.calls
    context.close()
    assert errors == [], (errors, served.server_errors)
