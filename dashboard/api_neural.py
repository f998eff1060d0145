"""``GET /api/models``: the served model of every kind with its metrics and baselines."""

from __future__ import annotations

from flask import Blueprint, jsonify

from core.model_catalog import served_models
from dashboard.context import orchestrator

neural_api = Blueprint("neural_api", __name__, url_prefix="/api")


@neural_api.get("/models")
def models():
    return jsonify(served_models(orchestrator()))
