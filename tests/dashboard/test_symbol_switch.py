"""Switching symbol: a chart tick in flight as the symbol changes must not land on the new
symbol's chart. Each chart's components are named by its symbol (``ids.chart(tf, symbol)``),
so the tick answers for the chart it was sent from and Dash drops the answer once that chart
is gone. Seen beside two CPU hogs before, in both directions
(``test_chart_view.py::test_the_view_is_kept_per_symbol``): the new symbol drawn at the old
one's range, and the old one's remembered view lost on the way back."""

import json

import pytest
from dash import Patch, no_update

from core.spans import Span
from dashboard import ids
from dashboard.panels.charts.live_charts import chart_block, focus_shapes, make_view
from runtime.orchestrator import Orchestrator
from tests.helpers.callbacks import answer_text, callback_body, press
from tests.helpers.candles import make_candles
from tests.helpers.secured_app import make_app

MIN = 60_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000
CHART_PARTS = ("chart", "chart-state", "chart-visible", "chart-drawn")


def pattern_ids(component) -> list[dict]:
    """Every pattern-matching (dict) id in a component tree."""
    found = [component.id] if isinstance(getattr(component, "id", None), dict) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += pattern_ids(child)
    return found


def test_a_charts_components_are_named_by_its_symbol_and_timeframe(make_config):
    orch = Orchestrator(make_config())
    orch.store.ingest("ETH/USDT", make_candles(600, start=T0, closed_last=False))
    block = chart_block(orch, "ETH/USDT", "1m", make_view(["dqn"]))
    named = {i["type"]: i for i in pattern_ids(block) if i["type"] in CHART_PARTS}
    assert set(named) == set(CHART_PARTS)
    assert all(i["symbol"] == "ETH/USDT" and i["tf"] == "1m" for i in named.values())


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("switch"))


@pytest.fixture
def client(app):
    return app.server.test_client()


def tick_request(dependencies: list[dict], symbol: str) -> dict:
    """The minute chart's tick as the page sends it for ``symbol``'s chart."""
    dep = next(d for d in dependencies if '"type":"chart"}.figure' in d["output"])
    matched = {"tf": "1m", "symbol": symbol}

    def ref(item: dict, value=None) -> dict:
        component = item["id"]
        if component.startswith("{"):
            component = {k: matched[k] if v == ["MATCH"] else v
                         for k, v in json.loads(component).items()}  # fmt: skip
        return {"id": component, "property": item["property"], "value": value}

    values = {"overlay-toggles": ["dqn"], "chart-timeframe": "auto", "labels-shown": "all"}
    return {
        "output": dep["output"],
        "outputs": [{"id": ids.chart("1m", symbol), "property": "figure"},
                    {"id": ids.chart_state("1m", symbol), "property": "data"}],
        "inputs": [ref(i, values.get(i["id"])) for i in dep["inputs"]],
        "state": [ref(i) for i in dep["state"]],
        "changedPropIds": ["chart-tick.data"],
    }  # fmt: skip


def test_a_tick_answers_for_the_chart_it_came_from_not_the_symbol_dropdown(client):
    dependencies = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in dependencies if '"type":"chart"}.figure' in d["output"])
    # Nothing of the dropdown's: a tick sent from BTC's chart as it changes draws BTC.
    assert all(i["id"] != ids.SYMBOL for i in dep["inputs"] + dep["state"])
    assert dep["output"].count('"symbol":["MATCH"]') == 2
    for symbol in ("ETH/USDT", "BTC/USDT"):
        response = client.post("/_dash-update-component",
                               json=tick_request(dependencies, symbol))  # fmt: skip
        assert response.status_code == 200, response.data[:300]
        answer = response.get_json()["response"]
        figure, state = (next(v for k, v in answer.items() if f'"type":"{t}"' in k)
                         for t in ("chart", "chart-state"))  # fmt: skip
        assert figure["figure"]["layout"]["title"]["text"].startswith(symbol)
        assert state["data"]["symbol"] == symbol


def test_a_tick_for_a_symbol_the_app_does_not_serve_changes_nothing(client):
    dependencies = client.get("/_dash-dependencies").get_json()
    for symbol in ("NOPE/USDT", "<b>x</b>"):  # no such chart on any page: a forged id
        response = client.post("/_dash-update-component",
                               json=tick_request(dependencies, symbol))  # fmt: skip
        assert response.status_code in (200, 204), response.data[:300]
        assert response.status_code == 204 or response.get_json()["response"] == {}


DRAWN = '{"symbol":["ALL"],"tf":["ALL"],"type":"chart-drawn"}.data'
LINE = {"name": "new-drawing", "type": "line", "xref": "x", "yref": "y", "x0": T0,
        "x1": T0 + 60_000, "y0": 100.0, "y1": 101.0}  # fmt: skip


def drawn_on(dependencies: list[dict], symbol: str) -> dict:
    """The request the modebar's line tool sends from ``symbol``'s minute chart."""
    body = callback_body(dependencies, DRAWN, {DRAWN: [None, {"shape": LINE, "at": 1}]})
    for ref in body["inputs"][0]:
        ref["id"]["symbol"] = symbol
    changed = json.dumps(ids.chart_drawn("1m", symbol), sort_keys=True, separators=(",", ":"))
    body["changedPropIds"] = [f"{changed}.data"]
    return body


def test_a_drawing_is_kept_on_the_symbol_of_the_chart_it_was_drawn_on(app, client):
    orch = app.server.extensions["orchestrator"]
    dependencies = client.get("/_dash-dependencies").get_json()
    [dep] = [d for d in dependencies
             if DRAWN in [f"{i['id']}.{i['property']}" for i in d["inputs"]]]  # fmt: skip
    assert all(s["id"] != ids.SYMBOL for s in dep["state"])  # the chart's, not the dropdown's
    text = answer_text(
        client.post("/_dash-update-component", json=drawn_on(dependencies, "ETH/USDT"))
    )
    assert text == "Kept line on ETH/USDT"
    assert [d.kind for d in orch.drawings.list("ETH/USDT")] == ["line"]
    assert orch.drawings.list("BTC/USDT") == []
    text = answer_text(
        client.post("/_dash-update-component", json=drawn_on(dependencies, "NOPE/USDT"))
    )
    assert "'NOPE/USDT' is not served here" in text and orch.drawings.list("NOPE/USDT") == []


def test_a_verdict_is_stored_on_the_symbol_its_queue_was_loaded_for(app, client):
    """The uncertainty queue stays loaded when the dropdown moves on: a verdict given then is
    on the queue's symbol, not the one the dropdown shows now."""
    orch = app.server.extensions["orchestrator"]
    dependencies = client.get("/_dash-dependencies").get_json()
    queued = {"start": T0, "end": T0 + 4 * MIN, "label": "double_top", "margin": 0.05,
              "confidence": 0.6, "symbol": "ETH/USDT"}  # fmt: skip
    orch.store.merge_history("ETH/USDT", "1m", make_candles(30, start=T0, frame_ms=MIN))
    press(client, dependencies, "review-confirm.n_clicks", {
        "review-queue.selected_rows": [0], "review-queue-data.data": [queued],
        "symbol-select.value": "BTC/USDT"})  # fmt: skip
    [made] = orch.annotations.list(source="model", start=T0, end=T0 + 4 * MIN)
    assert (made.symbol, made.status) == ("ETH/USDT", "accepted")


def test_a_jump_moves_only_its_own_symbols_chart(make_config):
    from dashboard.panels.annotations import jumps
    from dashboard.panels.review_panel import focus_of

    orch = Orchestrator(make_config())
    for symbol in ("BTC/USDT", "ETH/USDT"):
        orch.store.ingest(symbol, make_candles(1800, start=T0, closed_last=False))
    charts = [ids.chart(tf, "ETH/USDT") for tf in ("1s", "1m")]
    at = (T0 + 20 * MIN, T0 + 22 * MIN)
    btc = Span(None, "BTC/USDT", "1m", *at, "double_top", "model", "pending")
    eth = Span(None, "ETH/USDT", "1m", *at, "double_top", "model", "pending")
    assert jumps(orch, btc, charts) == [no_update, no_update]  # a list not yet redrawn
    moved = jumps(orch, eth, charts)
    assert moved[0] is no_update and isinstance(moved[1], Patch)
    # The queue's focus names its symbol, and only that symbol's chart highlights it.
    focus = focus_of([{"start": at[0], "end": at[1], "label": "x", "symbol": "ETH/USDT"}], [0])
    assert focus["symbol"] == "ETH/USDT"
    assert focus_shapes(focus, "ETH/USDT", "1m", None)
    assert focus_shapes(focus, "BTC/USDT", "1m", None) == []


def test_a_saved_verdict_says_so_when_the_queue_cannot_reload(app, client):
    """After a verdict the queue reloads from the pattern model; with none registered (this
    app has none) the answer still says the verdict was saved, then why the queue is empty."""
    orch = app.server.extensions["orchestrator"]
    dependencies = client.get("/_dash-dependencies").get_json()
    at = T0 + 40 * MIN
    queued = {"start": at, "end": at + 2 * MIN, "label": "double_top", "margin": 0.05,
              "confidence": 0.6, "symbol": "ETH/USDT"}  # fmt: skip
    orch.store.merge_history("ETH/USDT", "1m", make_candles(60, start=T0, frame_ms=MIN))
    text = answer_text(press(client, dependencies, "review-dismiss.n_clicks", {
        "review-queue.selected_rows": [0], "review-queue-data.data": [queued],
        "symbol-select.value": "ETH/USDT"}))  # fmt: skip
    assert "dismiss: double_top" in text and "saved" in text, text
    assert "No pattern model is registered yet" in text, text
    assert orch.annotations.list(source="model", start=at, end=at + 2 * MIN)
