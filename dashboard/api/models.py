"""Pattern inference over REST: ``POST /api/predict``, ``POST /api/predict/batch``,
``GET /api/model/info`` and the OpenAPI document. Features come from the training code."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, jsonify, request

from dashboard.api.openapi import openapi_document
from dashboard.context import orchestrator
from market.request_candles import InputError, parse_candles
from serving.pattern_inference import NoModel

log = logging.getLogger(__name__)

models_api = Blueprint("models_api", __name__, url_prefix="/api")

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_CANDLES = 10_000
MAX_BATCH_ITEMS = 100
OPTIONAL_KEYS = {"symbol", "timeframe", "model", "version", "min_confidence"}


def _body():
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise InputError(f"request body over {MAX_BODY_BYTES // (1024 * 1024)} MB", 413)
    # Read at most one byte past the limit, also when the client sent no Content-Length.
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise InputError(f"request body over {MAX_BODY_BYTES // (1024 * 1024)} MB", 413)
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError("the body is nested too deeply to be a predict request") from None
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object")
    return body


def _min_confidence(item: dict) -> float:
    value = item.get("min_confidence", 0.0)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not 0 <= value <= 1:  # NaN compares false; a huge integer is > 1
        raise InputError(f"min_confidence must be a number in 0..1, got {value!r}")
    return float(value)


def predict_item(item) -> dict:
    """One prediction request -> response; raises InputError or NoModel."""
    if not isinstance(item, dict):
        raise InputError("each request must be a JSON object with 'candles'")
    unknown = sorted(set(item) - OPTIONAL_KEYS - {"candles"})
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r}; allowed: candles, " + ", ".join(sorted(OPTIONAL_KEYS))
        )
    if "candles" not in item:
        raise InputError("'candles' is required: a list of {time, open, high, low, close, volume}")
    service = orchestrator().patterns
    model, version = item.get("model"), item.get("version")
    if model is not None and not isinstance(model, str):
        raise InputError(f"model must be a registered model name (text), got {model!r}")
    if version is not None and (isinstance(version, bool) or not isinstance(version, (str, int))):
        raise InputError(f"version must be a number or 'champion', got {version!r}")
    loaded = service.get(model, None if version is None else str(version))
    candles = parse_candles(item["candles"], MAX_CANDLES, loaded.min_candles)
    return service.predict(candles, loaded, _min_confidence(item))


def _error(exc: Exception) -> tuple[dict, int]:
    if isinstance(exc, InputError):
        return {"error": str(exc)}, exc.status
    if isinstance(exc, NoModel):
        return {"error": str(exc)}, 503
    raise exc


@models_api.post("/predict")
def predict():
    try:
        return jsonify(predict_item(_body()))
    except (InputError, NoModel) as exc:
        body, status = _error(exc)
        return jsonify(body), status


@models_api.post("/predict/batch")
def predict_batch():
    try:
        body = _body()
        items = body.get("items")
        if not isinstance(items, list):
            raise InputError("'items' must be a list of predict requests")
        if len(items) > MAX_BATCH_ITEMS:
            raise InputError(f"too many items: {len(items)}, at most {MAX_BATCH_ITEMS}", 413)
    except InputError as exc:
        return jsonify({"error": str(exc)}), exc.status
    results = []
    for i, item in enumerate(items):
        try:
            results.append(predict_item(item))
        except (InputError, NoModel) as exc:
            error, status = _error(exc)
            results.append({"error": f"item {i}: {error['error']}", "status": status})
    return jsonify({"results": results})


@models_api.get("/model/info")
def model_info():
    try:
        loaded = orchestrator().patterns.current()
    except NoModel as exc:
        return jsonify({"error": str(exc)}), 503
    info = loaded.info
    metrics = info.get("metrics") or {}
    period = "test" if "test" in metrics else "val"
    chosen = metrics.get(period, {})
    return jsonify(
        {
            **loaded.describe(),
            "features": info.get("features", []),
            "metrics": {
                "period": period,
                "macro_f1": chosen.get("macro_f1"),
                "per_class": chosen.get("per_class", {}),
            },
            "min_candles": loaded.min_candles,
        }
    )


@models_api.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(MAX_CANDLES, MAX_BATCH_ITEMS))
