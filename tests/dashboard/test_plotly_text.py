"""Labels, notes, symbols and typed parameters reach Plotly text (hover, titles, trace names, axis
labels) as text, never markup (issue 19, finding 6): plotly renders <a href>, <b> and the like."""

import plotly.graph_objects as go

from core.spans import Span
from dashboard.figures.backtest_figures import compare_figure, equity_figure
from dashboard.figures.charts import build_figure
from dashboard.figures.outcome_overlays import disagreement_trace
from dashboard.panels.replay import replay_figure
from dashboard.panels.training_panel import class_chart
from predictions.disagreements import disagreements
from tests.helpers.outcomes import ladder

EVIL = '<a href="https://evil.example/">click</a><img src=x onerror=alert(1)>'
T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000


def strings(value):
    """Every string inside a figure (or a trace dict)."""
    if isinstance(value, go.Figure):
        value = value.to_plotly_json()
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "uirevision":  # a key for the browser's zoom state, never shown
                yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


def assert_plain(figure):
    texts = list(strings(figure))
    assert not [t for t in texts if "<a" in t or "<img" in t], texts
    assert any("&lt;a href=" in t for t in texts), "the text is still shown (escaped)"


def test_a_human_label_in_the_disagreement_hover_is_escaped():
    candles = ladder(T0, 5)
    model = [{"start": T0, "end": T0 + 60_000, "label": EVIL, "confidence": 0.9}]
    human = [Span("h1", "BTC/USDT", "1m", T0, T0 + 60_000, "<b>" + EVIL, "human", "accepted",
                  note=EVIL)]  # fmt: skip
    found = disagreements({}, model, human, "1m")
    assert found and found[0]["type"] == "pattern_vs_human"
    assert_plain(disagreement_trace(found, candles, "1m"))


def test_a_symbol_in_the_chart_title_and_trace_name_is_escaped():
    assert_plain(build_figure(ladder(T0, 5), {}, "1m", (), EVIL))


def test_a_symbol_in_the_replay_title_is_escaped():
    assert_plain(replay_figure(ladder(T0, 5), [], EVIL, "1m", T0 + 120_000))


def test_a_label_in_the_class_chart_is_escaped():
    rows = [{"label": EVIL, "precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 3}]
    assert_plain(class_chart(rows))


def test_typed_strategy_parameters_in_run_labels_are_escaped():
    from dashboard.figures.backtest_figures import plotly_text

    run = {"id": "abcdef123", "strategy": "sma_cross",
           "params": {"strategy": "sma_cross", "params": {"note": EVIL, "x": "%{y}"}},
           "equity": [{"time": T0, "equity": 100.0, "drawdown_pct": 0.0},
                      {"time": T0 + 60_000, "equity": 101.0, "drawdown_pct": 0.0}]}  # fmt: skip
    figure = compare_figure([run])
    assert_plain(figure)
    assert "%{y}" not in figure.data[0].hovertemplate.split("<extra>")[1]
    assert_plain(equity_figure(run["equity"], f"Equity · {plotly_text(EVIL)}"))
