"""Parameter searches and walk-forwards over REST: start, list, read, cancel, resume.

``POST /api/searches`` answers 202 with the new search's id; it runs in the background (one
search or walk-forward at a time, on ``compute.workers`` processes) and ``GET
/api/searches/{id}`` shows its status, progress, the trials stored so far and, when done, the
best parameters re-run with full statistics, trades and equity. ``/api/walkforwards`` works the
same way. Both store each trial as it finishes: a cancelled or interrupted run can be resumed.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from backtest.request import RequestError
from backtest.research import trials_csv
from backtest.search_request import SearchRequest, parse_search
from core.jobs import QueueFull
from dashboard.api.errors import ApiError
from dashboard.api.models import _body
from dashboard.context import orchestrator
from dashboard.people import require
from market.request_candles import InputError

research_api = Blueprint("research_api", __name__, url_prefix="/api")

KINDS = {"searches": "search", "walkforwards": "walkforward"}
NAMES = {"search": "search", "walkforward": "walk-forward"}
ACTIONS = {"search": "run searches", "walkforward": "run walk-forwards"}  # core.people.ACTIONS
RUN_FIELDS = ("id", "kind", "status", "progress", "error", "request", "result", "trials",
              "created_at", "finished_at", "mlflow_run_id", "started_by")  # fmt: skip


def _kind(collection: str) -> str:
    return KINDS[collection]


def _run_or_404(kind: str, run_id: str, trials: bool = True) -> dict:
    run = orchestrator().research.get(run_id, trials=trials)
    if run is None or run["kind"] != kind:
        collection = "searches" if kind == "search" else "walkforwards"
        raise ApiError(404, f"no {NAMES[kind]} {run_id!r}; see GET /api/{collection}")
    return run


def _json(body) -> Response:
    # not jsonify: it sorts keys, and the statistics read in backtesting.py's order
    return Response(json.dumps(body, allow_nan=False), mimetype="application/json")


def start(collection: str):
    kind = _kind(collection)
    person = require(ACTIONS[kind])
    orch = orchestrator()
    try:
        parsed = parse_search(_body(), orch, walkforward=kind == "walkforward")
    except InputError as exc:
        raise ApiError(exc.status, str(exc)) from None
    except RequestError as exc:
        raise ApiError(exc.status, str(exc)) from None
    try:
        run_id = orch.research.submit(kind, parsed, started_by=person.name)
    except QueueFull as exc:
        raise ApiError(429, str(exc)) from None
    orch.audit.record(person.name, f"{NAMES[kind]} started",
                      f"{kind} {run_id}: {parsed.strategy} on {parsed.symbol}"
                      f" {parsed.timeframe}")  # fmt: skip
    return jsonify({"id": run_id, "status": "queued", "started_by": person.name}), 202


def list_runs(collection: str):
    return _json(orchestrator().research.list(_kind(collection)))


def get_run(collection: str, run_id: str):
    kind = _kind(collection)
    run = _run_or_404(kind, run_id)
    body = {key: run.get(key) for key in RUN_FIELDS}
    if kind == "walkforward":
        body["folds_done"] = len(run.get("folds_done") or [])
    return _json(body)


def get_trials(collection: str, run_id: str):
    """The trials as JSON, or as CSV with ``?format=csv`` (formula cells escaped)."""
    kind = _kind(collection)
    run = _run_or_404(kind, run_id, trials=False)
    trials = orchestrator().research.store.trials(run_id)
    if request.args.get("format", "json") == "csv":
        text = trials_csv(trials, SearchRequest.from_dict(run["request"]))
        name = f"{kind}-{run_id}-trials.csv"
        disposition = {"Content-Disposition": f"attachment; filename={name}"}
        return Response(text, mimetype="text/csv", headers=disposition)
    return _json(trials)


def cancel(collection: str, run_id: str):
    kind = _kind(collection)
    person = require(ACTIONS[kind])
    run = _run_or_404(kind, run_id, trials=False)
    if run["status"] not in ("queued", "running"):
        raise ApiError(409, f"{NAMES[kind]} {run_id} is {run['status']}: nothing to cancel")
    if not orchestrator().research.cancel(run_id):
        raise ApiError(409, f"{NAMES[kind]} {run_id} is not running in this server, or it is"
                            " too late to cancel it")  # fmt: skip
    orchestrator().audit.record(person.name, f"{NAMES[kind]} cancelled", f"{kind} {run_id}")
    return jsonify({"id": run_id, "status": "cancelling"}), 202


def resume(collection: str, run_id: str):
    kind = _kind(collection)
    person = require(ACTIONS[kind])
    run = _run_or_404(kind, run_id, trials=False)
    if not orchestrator().research.resume(run_id):
        raise ApiError(409, f"{NAMES[kind]} {run_id} is {run['status']}: only a failed,"
                            " cancelled or interrupted run can be resumed")  # fmt: skip
    orchestrator().audit.record(person.name, f"{NAMES[kind]} resumed", f"{kind} {run_id}")
    return jsonify({"id": run_id, "status": "queued"}), 202


def _route(collection: str, rule: str, view, methods: list[str]) -> None:
    def endpoint(**kwargs):
        return view(collection, **kwargs)

    name = f"{collection}_{view.__name__}"
    research_api.add_url_rule(f"/{collection}{rule}", name, endpoint, methods=methods)


for _collection in KINDS:
    _route(_collection, "", start, ["POST"])
    _route(_collection, "", list_runs, ["GET"])
    _route(_collection, "/<run_id>", get_run, ["GET"])
    _route(_collection, "/<run_id>/trials", get_trials, ["GET"])
    _route(_collection, "/<run_id>/cancel", cancel, ["POST"])
    _route(_collection, "/<run_id>/resume", resume, ["POST"])
