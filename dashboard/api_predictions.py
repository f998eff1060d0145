"""REST routes over stored predictions and their outcomes: accuracy against baselines."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from core.accuracy import accuracy
from core.disagreements import pattern_outcomes
from core.prediction_queries import stored
from core.predictions import KINDS, SOURCES
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


# Training-time predictions are in-sample: they would flatter a model, so by default they are out.
DEFAULT_SOURCES = ("live", "backtest")


def accuracy_payload(
    orch, symbol: str | None, kind: str | None, window: int, sources=DEFAULT_SOURCES
) -> dict:
    payload = {"symbol": symbol, "kind": kind, "window": window, "sources": list(sources),
               "groups": []}  # fmt: skip
    if kind != "pattern":
        rows = stored(orch.db, symbol, (kind,) if kind else None, resolved_only=True)
        payload["groups"] = accuracy([p for p in rows if p.get("source") in sources], window)
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
    sources = tuple(request.args.getlist("source")) or DEFAULT_SOURCES
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ApiError(400, f"source must be one of {', '.join(SOURCES)}, got {unknown[0]!r}")
    return jsonify(accuracy_payload(orch, symbol, kind, window, sources))
