"""An operator trains the DQN, CNN and transformer from the Train panel and sees their arrows,
diamonds and stars on the chart of the symbol, with the loss curve and each model's skill."""

from __future__ import annotations

import pytest

from tests.helpers.browser import FAST_FEED, serve_app
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

NEURAL = {
    "window": 8,
    "horizon": 3,
    "features": SMALL_SPEC.to_dict(),
    "params": TINY_PARAMS,
    "bootstrap": False,
}
MARKERS = {
    "dqn": ("DQN buy", "DQN sell"),
    "cnn": ("CNN target",),
    "transformer": ("Transformer target",),
}


@pytest.fixture
def served(tmp_path):
    feed = dict(FAST_FEED, backfill_1m_hours=6)
    yield from serve_app(tmp_path, {"feed": feed, "neural": NEURAL})


def markers_on_chart(page, names) -> int:
    return page.evaluate(
        "(names) => document.querySelector('#chart-1m .js-plotly-plot').data"
        ".filter(t => names.includes(t.name)).reduce((n, t) => n + (t.x || []).length, 0)",
        list(names),
    )


def drawn_ids(page, ids) -> bool:
    return page.evaluate(
        "(ids) => document.querySelector('#chart-1m .js-plotly-plot').data"
        ".some(t => (t.customdata || []).some(c => ids.includes(c)))",
        list(ids),
    )


def test_train_each_neural_model_then_see_its_overlay_on_the_chart(page, served):
    page.get_by_role("tab", name="Train").click()
    for kind, _label in (("cnn", "CNN"), ("transformer", "Transformer"), ("dqn", "DQN")):
        page.locator("#neural-kind").select_option(kind)
        page.get_by_role("button", name="Train neural model").click()
        wait_for(
            lambda k=kind: f"Started: train {k}" in page.locator("#neural-message").inner_text()
        )
        # This kind's line: until the panels' next tick the line still shows the kind before.
        status = page.locator("#neural-status")
        wait_for(lambda k=kind, s=status: f"Done: train {k} " in s.inner_text(), timeout=120)
        assert "version 1" in status.inner_text()
        # this kind's loss curve is drawn (its callback may land a tick after the status line)
        wait_for(
            lambda k=kind: page.evaluate(
                "(title) => { const gd = document.querySelector('#neural-loss .js-plotly-plot');"
                " return gd.layout.title.text === title && gd.data[0].y.length > 0; }",
                f"{k} training loss",
            )
        )
        # the served model's row says how it does against its baseline
        wait_for(lambda k=kind: k in page.locator("#neural-models").inner_text())
    # Every kind's row says how it does against its baseline (the table follows the status
    # line by a tick: a kind's row exists, "missing", before its model does).
    wanted = ("vs majority", "vs buy-and-hold")
    wait_for(lambda: all(w in page.locator("#neural-models").inner_text() for w in wanted))

    # Each kind's predictions (training-time, then live from the new champion) are drawn.
    symbol = page.locator("#symbol-select").inner_text().strip()
    for kind, names in MARKERS.items():
        held = served.orch.predictions.deques(kind)[symbol]
        drawable = [p for p in held if kind != "dqn" or p["action"] != "HOLD"]
        assert drawable, f"no drawable {kind} prediction for {symbol}"
        # Pending ones are in the kind's own trace; resolved ones move to the outcome traces.
        ids = [p["id"] for p in drawable]
        wait_for(lambda n=names, i=ids: markers_on_chart(page, n) > 0 or drawn_ids(page, i))
    assert {p["source"] for p in served.orch.predictions.deques("cnn")[symbol]} == {
        "training",
        "live",
    }
