"""Alerts over REST: create (``POST /api/alerts``), list with their fired times
(``GET /api/alerts``), delete (``DELETE /api/alerts/{id}``); and the drawings of a symbol
(``GET /api/drawings?symbol=``), whose horizontal lines a price alert may follow."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from alerts.rules import AlertError
from dashboard.api.errors import ApiError
from dashboard.api.models import _body
from dashboard.context import orchestrator
from dashboard.people import require
from market.request_candles import InputError
from runtime import alert_actions

alerts_api = Blueprint("alerts_api", __name__, url_prefix="/api")

PUBLIC = ("id", "kind", "symbol", "level", "drawing", "model", "call", "min_confidence",
          "stale_s", "when", "webhook", "note", "description", "created_by", "created_at",
          "armed", "last_fired")  # fmt: skip


def public(alert: dict) -> dict:
    out = {k: alert.get(k) for k in PUBLIC if k in alert}
    if "fired" in alert:
        out["fired"] = alert["fired"]
    return out


@alerts_api.post("/alerts")
def add_alert():
    person = require("manage alerts")
    try:
        body = _body()
    except InputError as exc:
        raise ApiError(exc.status, str(exc)) from None
    try:
        stored = alert_actions.add_alert(orchestrator(), body, person.name)
    except AlertError as exc:
        raise ApiError(400, str(exc)) from None
    return jsonify(public(stored)), 201


@alerts_api.get("/alerts")
def list_alerts():
    return jsonify([public(a) for a in orchestrator().alerts.list(with_fired=True)])


@alerts_api.delete("/alerts/<alert_id>")
def delete_alert(alert_id: str):
    person = require("manage alerts")
    orch = orchestrator()
    if not orch.alerts.delete(alert_id):
        raise ApiError(404, f"no alert {alert_id!r}; see GET /api/alerts")
    orch.audit.record(person.name, "alert deleted", alert_id)
    return jsonify({"id": alert_id, "deleted": True})


@alerts_api.get("/drawings")
def list_drawings():
    orch = orchestrator()
    symbol = request.args.get("symbol") or None
    if symbol is not None and symbol not in orch.symbols():
        raise ApiError(404, f"unknown symbol {symbol!r}; known: {', '.join(orch.symbols())}")
    return jsonify([d.to_dict() for d in orch.drawings.list(symbol)])
