"""The Train tab's loss chart follows the kind picked, whatever the curves' lengths."""

from __future__ import annotations

import json
from types import SimpleNamespace

from dash import no_update
from flask import Flask

from core.jobs import JobManager
from dashboard.context import EXTENSION
from dashboard.panels.neural_panel import neural_progress
from tests.helpers.waiting import wait_for

CURVES = {"cnn": [3.0, 2.0, 1.0], "transformer": [9.0, 8.0, 7.0]}  # as long as each other


def as_sent_back(figure) -> dict:
    """The figure as the page hands it back as State (plotly's JSON)."""
    return json.loads(figure.to_json())


def test_the_loss_chart_follows_the_kind_picked_even_when_the_curves_are_as_long():
    jobs = JobManager()
    app = Flask(__name__)
    app.extensions[EXTENSION] = SimpleNamespace(jobs=jobs)
    try:
        for kind, curve in CURVES.items():
            jobs.submit(f"train:{kind}", f"train {kind} on BTC/USDT",
                        lambda job, c=curve: job.details.update(curve=c))  # fmt: skip
        wait_for(lambda: all(j.status == "done" for j in jobs.list()))
        with app.app_context():
            cnn = neural_progress(1, "train", "cnn", None)[2]
            assert cnn.layout.title.text == "cnn training loss"
            shown = as_sent_back(cnn)
            assert neural_progress(2, "train", "cnn", shown)[2] is no_update  # nothing new
            # Another kind picked: its own curve, though it has as many points.
            other = neural_progress(3, "train", "transformer", shown)[2]
            assert other.layout.title.text == "transformer training loss"
            assert list(other.data[0].y) == CURVES["transformer"]
            # A kind with no run: an empty chart under its own title, not another kind's curve.
            none = neural_progress(4, "train", "dqn", as_sent_back(other))[2]
            assert none.layout.title.text == "dqn training loss" and not list(none.data[0].y)
    finally:
        jobs.shutdown()
