"""Overlays that stay readable: disagreement marks follow the layer toggles, target lines only on
the chart of the prediction's timeframe, a layer whose predictions draw nothing says so."""

from dashboard.figures.layer_notes import layer_options
from dashboard.figures.outcome_overlays import OUTCOME_TRACE
from dashboard.panels.charts.live_charts import chart_view, make_view
from runtime.orchestrator import Orchestrator
from tests.helpers.candles import make_candles
from tests.helpers.figures import browser_json

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
SYMBOL = "BTC/USDT"
ALL = ["dqn", "cnn", "transformer", "patterns"]


def call(direction, target, **extra):
    return {"timestamp": T0 + 60_000, "confidence": 0.7, "direction": direction,
            "current_price": 100.0, "horizon_minutes": 5, **target, **extra}  # fmt: skip


def orch_with_predictions(make_config):
    orch = Orchestrator(make_config())
    orch.store.ingest(SYMBOL, make_candles(150, start=T0, closed_last=False))
    orch.store_cnn_prediction(SYMBOL, call("UP", {"target_price": 101.0}, id="c1"))
    orch.store_transformer_prediction(
        SYMBOL, call("DOWN", {"predicted_price": 99.0, "price_change": -1.0}, id="t1")
    )
    return orch


def test_disagreement_marks_show_only_while_the_layers_they_compare_are_on(make_config):
    orch = orch_with_predictions(make_config)
    marks = OUTCOME_TRACE["disagreements"]
    for enabled, count in ((ALL, 1), (["cnn", "transformer"], 1), (["cnn"], 0), ([], 0)):
        figure, _ = chart_view(orch, SYMBOL, "1m", make_view(enabled))
        assert len(browser_json(figure)["data"][marks]["x"]) == count, enabled


def test_target_lines_only_on_the_chart_of_the_predictions_timeframe(make_config):
    orch = orch_with_predictions(make_config)
    orch.store_cnn_prediction(SYMBOL, call("UP", {"target_price": 100.5}, id="s1",
                                           timeframe="1s", horizon_minutes=0.5))  # fmt: skip
    lines = {}
    for tf in ("1s", "1m"):
        figure, _ = chart_view(orch, SYMBOL, tf, make_view(ALL))
        shapes = browser_json(figure)["layout"].get("shapes", [])
        names = [s.get("name", "") for s in shapes]
        lines[tf] = sorted(n for n in names if n.startswith(("cnn:", "transformer:")))
    assert lines == {"1m": ["cnn:c1", "transformer:t1"], "1s": ["cnn:s1"]}


def test_a_layer_of_holds_says_so_in_its_label():
    holds = {"dqn": [{"action": "HOLD"}] * 12, "cnn": [{"direction": "UP"}]}
    labels = {o["value"]: o["label"] for o in layer_options(holds)}
    assert labels["dqn"] == " DQN ▲▼ · 12 HOLD" and labels["cnn"] == " CNN ◆"
    mixed = {"dqn": [{"action": "HOLD"}, {"action": "BUY"}]}
    assert layer_options(mixed) == layer_options()
