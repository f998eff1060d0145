"""``GET /api/models``: the served model of every kind with its metrics and baselines."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.context import orchestrator
from serving.model_catalog import served_models

neural_api = Blueprint("neural_api", __name__, url_prefix="/api")


@neural_api.get("/models")
def models():
    orch = orchestrator()
    return jsonify(served_models(orch.patterns, orch.neural))
