"""REST routes on the Dash server's Flask app. Errors are JSON ``{"error": ...}`` with a 4xx
status and words a user can act on; a 5xx from bad input would be a bug."""

from __future__ import annotations

import logging
import math

from flask import Blueprint, Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from core.candles import is_timeframe, timeframe_ms
from dashboard.api.alerts import alerts_api
from dashboard.api.audit import audit_api
from dashboard.api.backtests import backtests_api
from dashboard.api.errors import ApiError, int_arg
from dashboard.api.models import models_api
from dashboard.api.neural import neural_api
from dashboard.api.predictions import predictions_api
from dashboard.api.research import research_api
from dashboard.context import orchestrator
from dashboard.people import Refused
from market import candle_views, indicators, rollups

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


def symbol_and_timeframe() -> tuple[str, str]:
    orch = orchestrator()
    symbol = request.args.get("symbol")
    if not symbol:
        raise ApiError(400, "symbol is required, e.g. ?symbol=BTC/USDT&timeframe=1m")
    if symbol not in orch.symbols():
        raise ApiError(404, f"unknown symbol {symbol!r}; known: {', '.join(orch.symbols())}")
    timeframe = request.args.get("timeframe", "1m")
    served = orch.timeframes(symbol)
    if not is_timeframe(timeframe) or timeframe not in served:
        raise ApiError(
            400,
            f"timeframe {timeframe!r} is not served for {symbol}; use one of {', '.join(served)}",
        )
    return symbol, timeframe


@api.get("/live-updates")
def live_updates():
    symbol, timeframe = symbol_and_timeframe()
    since = int_arg("since", None, 0)
    limit = min(int_arg("limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    since_seq = int_arg("since_seq", None, 0)
    return jsonify(orchestrator().live_updates(symbol, timeframe, since, limit, since_seq))


@api.get("/candles")
def candles():
    orch = orchestrator()
    symbol = request.args.get("symbol")
    if not symbol:
        raise ApiError(400, "symbol is required, e.g. ?symbol=BTC/USDT&start=MS&end=MS")
    if symbol not in orch.symbols():
        raise ApiError(404, f"unknown symbol {symbol!r}; known: {', '.join(orch.symbols())}")
    forced = request.args.get("timeframe") or None
    if forced is not None and not is_timeframe(forced):
        raise ApiError(400, f"timeframe {forced!r} is not like 1m, 5m, 1h or 1d")
    stored = [tf for s, tf in orch.store.series() if s == symbol]
    base = candle_views.base_for(stored, forced)
    start, end = int_arg("start", None, 0), int_arg("end", None, 0)
    if start is None or end is None:
        bounds = orch.store.bounds(symbol, base) if base else None
        if bounds is None:
            return jsonify({"timeframe": forced or base or "1m", "candles": []})
        start = bounds[0] if start is None else start
        end = bounds[1] + timeframe_ms(base) if end is None else end
    max_slots = int_arg("max", candle_views.DEFAULT_SLOTS, 1, candle_views.MAX_SLOTS)
    try:
        timeframe, found = candle_views.view(orch.store, symbol, base, start, end, max_slots,
                                             forced)  # fmt: skip
    except candle_views.ViewError as exc:
        raise ApiError(400, str(exc)) from None
    # Plain dicts: dataclasses.asdict costs more than the query for 2,000 candles.
    rows = [{"time": c.time, "open": c.open, "high": c.high, "low": c.low, "close": c.close,
             "volume": c.volume, "closed": c.closed} for c in found]  # fmt: skip
    return jsonify({"timeframe": timeframe, "candles": rows})


@api.get("/indicators")
def indicator_values():
    """One indicator over the whole stored series of a timeframe, cut to [start, end)."""
    orch = orchestrator()
    args = request.args
    symbol = args.get("symbol")
    if not symbol:
        raise ApiError(400, "symbol is required, e.g. ?symbol=BTC/USDT&timeframe=1m&name=RSI")
    if symbol not in orch.symbols():
        raise ApiError(404, f"unknown symbol {symbol!r}; known: {', '.join(orch.symbols())}")
    name = args.get("name")
    if not name:
        raise ApiError(400, f"name is required: one of {', '.join(indicators.KINDS)}")
    stored = [tf for s, tf in orch.store.series() if s == symbol]
    timeframe = args.get("timeframe") or candle_views.minute_base(stored)
    if not is_timeframe(timeframe or ""):
        raise ApiError(400, f"timeframe {timeframe!r} is not like 1m, 5m, 1h or 1d")
    base = candle_views.base_for(stored, timeframe)
    if base is None or timeframe not in rollups.ladder(base):
        ladder = ", ".join(rollups.ladder(base)) if base else "none (nothing stored)"
        raise ApiError(400, f"timeframe {timeframe} is not available for {symbol}; use {ladder}")
    raw = {k: v for k, v in args.items() if k not in ("symbol", "timeframe", "name", "start",
                                                      "end")}  # fmt: skip
    try:
        spec = indicators.parse(name, raw)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    start, end = int_arg("start", None, 0), int_arg("end", None, 0)
    # Everything stored before ``end``: a value depends on every candle before it (the
    # exponential smoothings), none after it.
    candles = orch.store.view(symbol, base, timeframe, -(2**62), end if end is not None else 2**62)
    values = indicators.compute_candles(spec, candles)
    keep = [i for i, c in enumerate(candles) if start is None or c.time >= start]
    plain = lambda v: float(v) if math.isfinite(v) else None  # noqa: E731 - JSON has no NaN
    return jsonify({
        "symbol": symbol, "timeframe": timeframe, "name": spec.name, "params": dict(spec.params),
        "time": [candles[i].time for i in keep],
        "values": {out: [plain(series[i]) for i in keep] for out, series in values.items()},
    })  # fmt: skip


@api.get("/health")
def health():
    return jsonify(orchestrator().health())


@api.route("/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def unknown(rest: str):
    # Without this, Dash's catch-all page route would answer unknown /api paths with HTML.
    raise ApiError(404, f"no API endpoint /api/{rest}; see /api/health")


def register_api(server: Flask) -> None:
    """Mount the blueprint and make every /api error JSON."""
    server.register_blueprint(models_api)
    server.register_blueprint(neural_api)
    server.register_blueprint(predictions_api)
    server.register_blueprint(backtests_api)
    server.register_blueprint(research_api)
    server.register_blueprint(audit_api)
    server.register_blueprint(alerts_api)
    server.register_blueprint(api)

    @server.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify({"error": exc.message}), exc.status

    @server.errorhandler(Refused)
    def _refused(exc: Refused):
        # The person's role does not allow the action: the reason says who may.
        return jsonify({"error": str(exc)}), 403

    @server.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify({"error": f"{exc.name}: {exc.description}"}), exc.code
        return exc
