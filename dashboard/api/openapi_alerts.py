"""The alerts and drawings part of the OpenAPI document (``openapi.py`` merges it in)."""

from __future__ import annotations

from alerts.rules import CHAMPION_EVENTS, JOB_EVENTS, KINDS, MODEL_KINDS


def alert_paths(errors) -> dict:
    """``errors``: openapi's ``_error_responses``."""
    body = {
        "type": "object",
        "required": ["kind"],
        "additionalProperties": False,
        "properties": {
            "kind": {"enum": list(KINDS)},
            "symbol": {"type": "string", "description": "required for price_cross; else any symbol"},
            "level": {"type": "number", "exclusiveMinimum": 0,
                      "description": "price_cross: the price (or give drawing)"},
            "drawing": {"type": "string",
                        "description": "price_cross: id of a drawn horizontal line (GET /api/drawings)"},
            "model": {"enum": list(MODEL_KINDS), "description": "signal (required), champion"},
            "call": {"type": "string",
                     "description": "signal: UP/DOWN/STABLE (cnn, transformer), BUY/SELL/HOLD (dqn), a pattern label"},
            "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
            "stale_s": {"type": "number", "minimum": 1, "maximum": 86400,
                        "description": "feed_stale: seconds without an update"},
            "when": {"enum": list(JOB_EVENTS + CHAMPION_EVENTS),
                     "description": "job: done, failed or ended (default); champion: changed (default) or below_baseline"},
            "webhook": {"type": "string", "format": "uri",
                        "description": "http(s) URL on a host in alerts.webhook_hosts; JSON POST on each firing"},
            "note": {"type": "string", "maxLength": 200},
        },
    }  # fmt: skip
    alert = {"type": "object", "properties": {
        **{k: {} for k in ("id", "kind", "symbol", "level", "drawing", "model", "call",
                           "min_confidence", "stale_s", "when", "webhook", "note",
                           "description", "created_by", "created_at", "armed", "last_fired")},
        "fired": {"type": "array", "items": {"type": "integer"},
                  "description": "the newest fired times (epoch ms), newest first"}}}  # fmt: skip
    alert_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "/api/alerts": {
            "post": {"summary": "Add an alert (role: annotator or operator)",
                     "requestBody": {"required": True,
                                     "content": {"application/json": {"schema": body}}},
                     "responses": {"201": {"description": "the stored alert",
                                           "content": {"application/json": {"schema": alert}}},
                                   **errors(400, 403)}},
            "get": {"summary": "The alerts, each with its fired times",
                    "responses": {"200": {"description": "alerts", "content": {"application/json": {
                        "schema": {"type": "array", "items": alert}}}}}},
        },
        "/api/alerts/{id}": {
            "delete": {"summary": "Delete an alert (and its fired list)", "parameters": alert_id,
                       "responses": {"200": {"description": "{id, deleted}"},
                                     **errors(403, 404)}},
        },
        "/api/drawings": {
            "get": {"summary": "Lines, rectangles and horizontal lines drawn on the charts",
                    "parameters": [{"name": "symbol", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "[{id, symbol, kind: hline|line|rect,"
                                                         " x0, x1 (epoch ms), y0, y1 (prices),"
                                                         " created_by, created_at}]"},
                                  **errors(404)}},
        },
    }  # fmt: skip
