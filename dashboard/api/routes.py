"""REST routes on the Dash server's Flask app. Errors are JSON ``{"error": ...}`` with a 4xx
status and words a user can act on; a 5xx from bad input would be a bug."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from core.candles import is_timeframe
from dashboard.api.audit import audit_api
from dashboard.api.backtests import backtests_api
from dashboard.api.errors import ApiError, int_arg
from dashboard.api.models import models_api
from dashboard.api.neural import neural_api
from dashboard.api.predictions import predictions_api
from dashboard.api.research import research_api
from dashboard.context import orchestrator
from dashboard.people import Refused

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
