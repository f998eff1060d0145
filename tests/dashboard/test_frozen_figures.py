"""Figures built once (``dashboard.figures.frozen``): the placeholders and the empty loss chart
the page's layout holds are the figures Plotly builds, sent as the same JSON, built once per
process, and each caller gets a dict of its own."""

from __future__ import annotations

import json

import plotly.graph_objects as go

from dashboard import ids
from dashboard.figures.backtest_figures import _placeholder, compare_figure, placeholder
from dashboard.figures.frozen import frozen
from dashboard.panels.neural_panel import loss_figure


def sent(figure) -> dict:
    """A figure as the page receives it (what Dash's JSON encoder makes of it)."""
    return json.loads(go.Figure(figure).to_json())


def test_a_placeholder_is_the_figure_plotly_builds_with_the_dark_template():
    text = "Its equity curve and drawdown appear here"
    figure = placeholder(text, 120)
    assert figure == json.loads(_placeholder(text, 120).to_json())
    assert figure["layout"]["template"]["layout"]["paper_bgcolor"]  # the dark template travels
    assert figure["layout"]["annotations"][0]["text"] == text
    assert figure["layout"]["height"] == 120
    assert sent(figure) == figure
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


def test_the_served_layout_holds_the_same_figures(tmp_path):
    from app import create_app
    from runtime.config import config_from_dict

    config = config_from_dict({"data_dir": str(tmp_path / "data")}, base_dir=tmp_path)
    layout = create_app(config=config).server.test_client().get("/_dash-layout").get_json()
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
    assert figures[ids.NEURAL_LOSS] == json.loads(loss_figure([], "").to_json())
    assert figures[ids.BT_HEATMAPS] == json.loads(_placeholder("", 80).to_json())
    assert figures[ids.BT_COMPARE_CHART] == compare_figure([])
