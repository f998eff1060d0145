"""REST routes over stored predictions and their outcomes: accuracy against baselines."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.api.errors import ApiError, int_arg
from dashboard.context import orchestrator
from predictions.book import KINDS, SOURCES
from runtime.accuracy_report import DEFAULT_SOURCES, accuracy_payload

predictions_api = Blueprint("predictions_api", __name__, url_prefix="/api/predictions")

MAX_WINDOW = 10_000


@predictions_api.get("/accuracy")
def get_accuracy():
    orch = orchestrator()
    symbol = request.args.get("symbol") or None
    if symbol is not None and symbol not in orch.symbols():
        raise ApiError(404, f"unknown symbol {symbol!r}; known: {', '.join(orch.symbols())}")
    kind = request.args.get("kind") or None
    if kind is not None and kind not in (*KINDS, "pattern"):
        raise ApiError(400, f"kind must be one of {', '.join(KINDS)}, pattern; got {kind!r}")
    window = int_arg("window", 200, 1)
    # The figures read the newest limits.accuracy_predictions per model: a longer window would
    # not be what it says.
    most = min(MAX_WINDOW, orch.config.limits.accuracy_predictions)
    if window > most:
        raise ApiError(400, f"window must be <= {most}, got {window}")
    sources = tuple(request.args.getlist("source")) or DEFAULT_SOURCES
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ApiError(400, f"source must be one of {', '.join(SOURCES)}, got {unknown[0]!r}")
    flag = (request.args.get("include_in_sample") or "false").lower()
    if flag not in ("true", "false", "1", "0"):
        raise ApiError(400, f"include_in_sample must be true or false, got {flag!r}")
    include = flag in ("true", "1")
    return jsonify(accuracy_payload(orch, symbol, kind, window, sources, include))
