"""Figures built once (``dashboard.figures.frozen``): the placeholders and the empty loss chart
the page's layout holds are the figures Plotly builds, sent as the same JSON, built once per
process, and each caller gets a dict of its own."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from dashboard import ids
from dashboard.figures import frozen as frozen_module
from dashboard.figures.backtest_figures import _placeholder, compare_figure, placeholder
from dashboard.figures.frozen import frozen
from dashboard.panels.neural_panel import loss_figure


def sent(figure) -> str:
    """A figure (a ``go.Figure`` or a dict) as Dash sends it to the page."""
    return to_json_plotly(figure)


def test_a_placeholder_is_the_figure_plotly_builds_with_the_dark_template():
    text = "Its equity curve and drawdown appear here"
    figure = placeholder(text, 120)
    assert figure == json.loads(_placeholder(text, 120).to_json())
    assert figure["layout"]["template"]["layout"]["paper_bgcolor"]  # the dark template travels
    assert figure["layout"]["annotations"][0]["text"] == text
    assert figure["layout"]["height"] == 120
    assert sent(figure) == sent(_placeholder(text, 120))  # the same bytes as the figure's
    assert compare_figure([]) == placeholder("Tick two or more runs to compare their equity", 120)


def test_each_call_gets_its_own_dict_and_the_figure_is_built_once():
    built = []

    def build(title: str) -> go.Figure:
        built.append(title)
        return go.Figure(layout={"title": {"text": title}})

    first = frozen(build, "once")
    first["layout"]["title"]["text"] = "changed by a caller"
    second = frozen(build, "once")
    assert second["layout"]["title"]["text"] == "once"
    assert built == ["once"]
    assert frozen(build, "another")["layout"]["title"]["text"] == "another"
    assert built == ["once", "another"]


def test_the_served_layout_holds_the_same_figures_built_once(make_config):
    from app import create_app

    app = create_app(config=make_config())
    client = app.server.test_client()
    try:
        layout = client.get("/_dash-layout").get_json()
        before = frozen_module._built.cache_info()
        client.get("/_dash-layout")  # another page opening: its eight come from the cache
        after = frozen_module._built.cache_info()
        # the results view's six placeholders and comparison chart, the Train panel's loss chart
        assert (after.hits - before.hits, after.misses - before.misses) == (8, 0)
    finally:
        app.server.extensions["orchestrator"].db.close()
    figures = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if node.get("type") == "Graph" and "figure" in props:
                figures[props["id"]] = props["figure"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(layout)
    assert figures[ids.NEURAL_LOSS] == json.loads(sent(loss_figure([], "")))
    for graph, height in ((ids.BT_HEATMAPS, 80), (ids.BT_PARALLEL, 60), (ids.BT_WF_CHART, 80)):
        assert figures[graph] == json.loads(sent(_placeholder("", height))), graph
    assert figures[ids.BT_COMPARE_CHART] == compare_figure([])
