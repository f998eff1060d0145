"""Disagreements between models, and the uncertainty queue with its verdicts."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from core.candles import Candle
from core.spans import Span
from predictions.disagreements import disagreements, pattern_outcomes
from runtime.orchestrator import Orchestrator
from serving.pattern_inference import LoadedModel, complete_rows
from serving.uncertainty import (
    apply_verdict,
    margins,
    not_reviewed,
    reviewed_today,
    uncertain_spans,
)
from tests.helpers.pattern_data import SMALL_SPEC, pattern_series
from training.features import compute_features, window_matrix

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
M = 60_000


def p(kind, i, seq, **kw):
    return {"id": f"{kind}{seq}", "kind": kind, "seq": seq, "timestamp": T0 + i * M + 5_000,
            "timeframe": "1m", **kw}  # fmt: skip


def test_cnn_against_transformer_and_dqn_against_both_on_the_same_candle():
    predictions = {
        "cnn": [p("cnn", 0, 1, direction="UP"), p("cnn", 1, 2, direction="DOWN"),
                p("cnn", 2, 3, direction="UP")],
        "transformer": [p("transformer", 0, 4, direction="DOWN"),
                        p("transformer", 1, 5, direction="DOWN"),
                        p("transformer", 2, 6, direction="STABLE")],
        "dqn": [p("dqn", 1, 7, action="BUY"), p("dqn", 0, 8, action="SELL")],
    }  # fmt: skip
    found = disagreements(predictions, [], [], "1m")
    assert [(d["type"], d["time"]) for d in found] == [
        ("dqn_vs_both", T0 + M),  # BUY while both say DOWN
        ("cnn_vs_transformer", T0),  # UP against DOWN; STABLE is not opposite
    ]
    assert found[0]["ids"] == ["dqn7", "cnn2", "transformer5"]


def test_pattern_spans_against_accepted_human_spans():
    # fmt: off
    human = [Span("h1", "A", "1m", T0, T0 + 3 * M, "double_top", "human", "accepted"),
             Span("h2", "A", "1m", T0 + 10 * M, T0 + 12 * M, "breakout", "human", "accepted"),
             Span("h3", "A", "1m", T0 + 20 * M, T0 + 22 * M, "breakout", "human", "rejected")]
    model = [{"start": T0 + M, "end": T0 + 2 * M, "label": "double_top", "confidence": 0.9},
             {"start": T0 + 11 * M, "end": T0 + 13 * M, "label": "reversal_up", "confidence": 0.6},
             {"start": T0 + 20 * M, "end": T0 + 21 * M, "label": "reversal_up", "confidence": 0.7},
             {"start": T0 + 30 * M, "end": T0 + 31 * M, "label": "breakout", "confidence": 0.7}]
    # fmt: on
    found = disagreements({}, model, human, "1m")
    assert [(d["type"], d["time"], d["ids"]) for d in found] == [
        ("pattern_vs_human", T0 + 11 * M, ["h2"])
    ]
    assert pattern_outcomes(model, human) == {"scored": 2, "hits": 1, "hit_rate": 0.5}


@pytest.fixture(scope="module")
def loaded():
    candles, runs = pattern_series(320, seed=3)
    features = compute_features(candles, SMALL_SPEC)
    rows = complete_rows(features, 4)
    times = features.index.to_numpy()[rows]
    labels = np.array(["none"] * len(times), dtype=object)
    for start, end, label in runs:
        labels[(times >= start) & (times <= end)] = label
    model = RandomForestClassifier(n_estimators=15, random_state=0, n_jobs=1)
    model.fit(window_matrix(features, 4).iloc[rows], labels)
    return LoadedModel(model, {"version": "1"}, SMALL_SPEC, 4), candles


def test_the_queue_puts_the_smallest_top_two_margin_first(loaded):
    model, candles = loaded
    spans = uncertain_spans(model, candles)
    assert spans and [s["margin"] for s in spans] == sorted(s["margin"] for s in spans)
    times, _, _, gap = margins(model, candles)
    first = spans[0]
    inside = (times >= first["start"]) & (times <= first["end"])
    assert first["margin"] == pytest.approx(gap[inside].mean(), abs=1e-4)
    assert 0 <= first["margin"] <= spans[-1]["margin"] <= 1


def test_confirm_correct_and_dismiss_store_verdicts_and_count_today(loaded, make_config):
    model, candles = loaded
    orch = Orchestrator(make_config())
    rows = zip(candles.index, candles.to_numpy(), strict=True)
    orch.store.merge_history("P", "1m", [Candle(int(t), *row) for t, row in rows])
    spans = uncertain_spans(model, candles)
    confirm = apply_verdict(orch.annotations, "P", "1m", spans[0], "confirm")
    correct = apply_verdict(orch.annotations, "P", "1m", spans[1], "correct", label="breakout")
    dismiss = apply_verdict(orch.annotations, "P", "1m", spans[2], "dismiss")
    assert (confirm.status, confirm.label, confirm.source) == (
        "accepted",
        spans[0]["label"],
        "model",
    )
    assert (correct.status, correct.label) == ("accepted", "breakout")
    assert dismiss.status == "rejected"
    assert reviewed_today(orch.annotations) == 3
    assert len(not_reviewed(spans, orch.annotations, "P", "1m")) == len(spans) - 3
    with pytest.raises(ValueError, match="pick the right label"):
        apply_verdict(orch.annotations, "P", "1m", spans[3], "correct")
