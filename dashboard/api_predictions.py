"""REST routes over stored predictions and their outcomes: accuracy against baselines."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from core.accuracy import accuracy
from core.disagreements import pattern_outcomes
from core.prediction_queries import stored
from core.predictions import KINDS
from dashboard.api import ApiError, int_arg
from dashboard.context import orchestrator

predictions_api = Blueprint("predictions_api", __name__, url_prefix="/api/predictions")

MAX_WINDOW = 10_000


def pattern_scores(orch, symbol: str) -> dict[str, dict]:
    """Per timeframe: the pattern classifier's spans scored against accepted human spans."""
    out = {}
    for timeframe in orch.timeframes(symbol):
        spans = orch.live_patterns.spans(symbol, timeframe)
        human = orch.annotations.list(symbol=symbol, timeframe=timeframe, status="accepted")
        out[timeframe] = pattern_outcomes(spans, human)
    return out


def accuracy_payload(orch, symbol: str | None, kind: str | None, window: int) -> dict:
    payload = {"symbol": symbol, "kind": kind, "window": window, "groups": []}
    if kind != "pattern":
        rows = stored(orch.db, symbol, (kind,) if kind else None, resolved_only=True)
        payload["groups"] = accuracy(rows, window)
    if symbol is not None and kind in (None, "pattern"):
        payload["pattern"] = pattern_scores(orch, symbol)
    return payload


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
    if window > MAX_WINDOW:
        raise ApiError(400, f"window must be <= {MAX_WINDOW}, got {window}")
    return jsonify(accuracy_payload(orch, symbol, kind, window))
