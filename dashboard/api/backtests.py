"""Backtests over REST: start one, list them, read one, cancel one.

``POST /api/backtests`` answers 202 with the new run's id; the run goes on in the background and
``GET /api/backtests/{id}`` shows its status, progress and, when done, statistics (backtesting.py's
names), trades and the equity curve (at most 2,000 points).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify

from backtest.request import RequestError, parse_request
from core.jobs import QueueFull
from dashboard.api.errors import ApiError
from dashboard.api.models import _body
from dashboard.context import orchestrator
from dashboard.people import require
from market.request_candles import InputError

backtests_api = Blueprint("backtests_api", __name__, url_prefix="/api")

RUN_FIELDS = ("id", "status", "progress", "params", "in_sample", "model", "stats", "stats_notes",
              "trades", "equity", "predictions", "error", "created_at", "finished_at",
              "mlflow_run_id", "started_by")  # fmt: skip
PORTFOLIO_FIELDS = ("portfolio", "symbols")  # a portfolio run's whole and sub-accounts


def _run_or_404(run_id: str) -> dict:
    run = orchestrator().backtests.get(run_id)
    if run is None:
        raise ApiError(404, f"no backtest run {run_id!r}; see GET /api/backtests")
    return run


@backtests_api.post("/backtests")
def start_backtest():
    person = require("run backtests")
    orch = orchestrator()
    try:
        request = parse_request(_body(), orch)
    except InputError as exc:
        raise ApiError(exc.status, str(exc)) from None
    except RequestError as exc:
        raise ApiError(exc.status, str(exc)) from None
    try:
        run_id = orch.backtests.submit(request, started_by=person.name)
    except QueueFull as exc:
        raise ApiError(429, str(exc)) from None
    detail = f"run {run_id}: {request.strategy} on {request.symbol} {request.timeframe}"
    orch.audit.record(person.name, "backtest started", detail)
    return jsonify({"id": run_id, "status": "queued", "started_by": person.name}), 202


@backtests_api.get("/backtests")
def list_backtests():
    return jsonify(orchestrator().backtests.list())


@backtests_api.get("/backtests/<run_id>")
def get_backtest(run_id: str):
    run = _run_or_404(run_id)
    # not jsonify: it sorts keys, and the statistics read in backtesting.py's order
    fields = RUN_FIELDS + tuple(k for k in PORTFOLIO_FIELDS if run.get(k) is not None)
    body = json.dumps({key: run.get(key) for key in fields}, allow_nan=False)
    return Response(body, mimetype="application/json")


@backtests_api.post("/backtests/<run_id>/cancel")
def cancel_backtest(run_id: str):
    person = require("run backtests")
    run = _run_or_404(run_id)
    if run["status"] not in ("queued", "running"):
        raise ApiError(409, f"backtest {run_id} is {run['status']}: nothing to cancel")
    if not orchestrator().backtests.cancel(run_id):
        # e.g. a run the CLI started in another process: this server can't stop it
        raise ApiError(409, f"backtest {run_id} is not running in this server: cannot cancel it")
    orchestrator().audit.record(person.name, "backtest cancelled", f"run {run_id}")
    return jsonify({"id": run_id, "status": "cancelling"}), 202
