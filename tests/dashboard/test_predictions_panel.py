"""The details card and the filter summary, as pure functions."""

import json

from dashboard.panels.predictions_panel import details, summary
from predictions.queries import PredictionFilter


def text(component) -> str:
    return json.dumps(component, default=lambda c: c.to_plotly_json())


def base(**kw):
    return {"id": "p1", "kind": "cnn", "symbol": "A", "model": "cnn", "model_version": "3",
            "run_id": "r9", "source": "backtest", "confidence": 0.7, "timestamp": 0,
            **kw}  # fmt: skip


def test_the_card_names_model_version_run_source_backtest_and_outcome():
    card = text(details(base(backtest_id="bt7", resolved_at=60_000, hit=False)))
    for piece in ('"pred-model_version"', '"3"', '"r9"', '"backtest"', '"bt7"', '"miss"'):
        assert piece in card
    assert "pred-backtest_id" not in text(details(base()))  # only where there is one
    assert '"pending"' in text(details(base()))


def test_the_summary_counts_what_passes_the_filters():
    held = {"cnn": [base(), base(id="p2", resolved_at=1, hit=True)], "dqn": []}
    assert summary(held, PredictionFilter()) == (
        "2 held predictions pass: 1 hits, 0 misses, 1 pending"
    )
    assert summary(held, PredictionFilter(outcomes=("hit",))).startswith("1 held")
