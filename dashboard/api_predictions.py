"""REST routes over stored predictions and their outcomes: accuracy against baselines."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from core.accuracy import accuracy
from core.prediction_queries import stored
from core.predictions import KINDS
from dashboard.api import ApiError, int_arg
from dashboard.context import orchestrator

predictions_api = Blueprint("predictions_api", __name__, url_prefix="/api/predictions")

MAX_WINDOW = 10_000


def accuracy_payload(orch, symbol: str | None, kind: str | None, window: int) -> dict:
    kinds = (kind,) if kind else None
    rows = stored(orch.db, symbol, kinds, resolved_only=True)
    return {"symbol": symbol, "kind": kind, "window": window, "groups": accuracy(rows, window)}


@predictions_api.get("/accuracy")
def get_accuracy():
    orch = orchestrator()
    symbol = request.args.get("symbol") or None
    if symbol is not None and symbol not in orch.symbols():
        raise ApiError(404, f"unknown symbol {symbol!r}; known: {', '.join(orch.symbols())}")
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise ApiError(400, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    window = int_arg("window", 200, 1)
    if window > MAX_WINDOW:
        raise ApiError(400, f"window must be <= {MAX_WINDOW}, got {window}")
    return jsonify(accuracy_payload(orch, symbol, kind, window))
