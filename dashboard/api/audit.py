"""``GET /api/audit``: who did what, when, newest first; ``person`` keeps one person's actions,
``format=csv`` answers the Review tab's CSV."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from core.people import name_problem
from dashboard.api.errors import ApiError, int_arg
from dashboard.context import orchestrator

audit_api = Blueprint("audit_api", __name__, url_prefix="/api")

DEFAULT_LIMIT = 500
MAX_LIMIT = 10_000


@audit_api.get("/audit")
def audit():
    person = request.args.get("person") or None
    if person is not None:
        problem = name_problem(person)
        if problem is not None:
            raise ApiError(400, f"person: {problem}")
    limit = int_arg("limit", DEFAULT_LIMIT, 1)
    if limit > MAX_LIMIT:  # int_arg's own bound speaks of epoch times
        raise ApiError(400, f"limit must be <= {MAX_LIMIT}, got {limit}")
    shape = (request.args.get("format") or "json").lower()
    if shape not in ("json", "csv"):
        raise ApiError(400, f"format must be json or csv, got {shape[:20]!r}")
    log = orchestrator().audit
    if shape == "csv":
        text = log.csv_text(person, limit)
        headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
        return Response(text, mimetype="text/csv", headers=headers)
    return jsonify(log.list(person, limit))
