"""Pattern inference over REST: /api/predict, /api/predict/batch, /api/model/info, OpenAPI.

One app and one MLflow store serve the whole module: the fixture records the answers given before
any model exists, then builds a small dataset of planted runs and trains one tiny XGBoost model
(the champion) that every test reuses. The hot-swap test trains a second version while requests
run and puts the alias back when done.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app import create_app
from dashboard.api import models as api_models
from runtime.config import Config, config_from_dict
from serving.pattern_inference import PatternService, complete_rows, predict_candles
from tests.helpers.pattern_data import SMALL_SPEC, pattern_series
from tests.helpers.pattern_data import build_pattern_dataset as build_dataset_into
from training.features import compute_features, feature_columns, window_matrix
from training.pipeline import TrainingResult, train
from training.tracking import Tracker

NAME = "pattern-classifier"
WINDOW = 4
TRAINING = {"window": WINDOW, "params": {"xgboost": {"n_estimators": 10, "max_depth": 3}}}
CLASSES = ["bear_run", "bull_run", "none"]
MODEL_KEYS = {"name", "version", "alias", "type", "classes", "window", "trained_at", "run_id",
              "dataset_version"}  # fmt: skip
FIELDS = ("open", "high", "low", "close", "volume")
BAD = 100  # the candle index the bad-input tests spoil


def candle_dicts(frame: pd.DataFrame) -> list[dict]:
    return [
        {"time": int(t), **{k: float(v) for k, v in zip(FIELDS, row, strict=True)}}
        for t, row in zip(frame.index, frame[list(FIELDS)].to_numpy(), strict=True)
    ]


@dataclass
class Api:
    config: Config
    app: object
    client: object
    service: PatternService
    tracker: Tracker
    result: TrainingResult
    dataset_version: str
    frame: pd.DataFrame  # unseen candles (another seed than the dataset's)
    before: dict  # path -> (status, body) answered before any model was trained

    @property
    def candles(self) -> list[dict]:
        return candle_dicts(self.frame)

    def predict(self, body=None, raw: str | bytes | None = None):
        data = raw if raw is not None else json.dumps(body)
        return self.client.post("/api/predict", data=data, content_type="application/json")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Api:
    base = tmp_path_factory.mktemp("api_predict")
    config = config_from_dict({"data_dir": str(base / "data"), "training": TRAINING}, base_dir=base)
    app = create_app(config=config)
    client = app.server.test_client()
    frame, _ = pattern_series(200, seed=99)
    before = {}
    for path in ("/api/predict", "/api/model/info"):
        if path == "/api/predict":
            response = client.post(path, json={"candles": candle_dicts(frame)})
        else:
            response = client.get(path)
        before[path] = (response.status_code, response.get_json())
    version = build_dataset_into(config.datasets_path, window=WINDOW)
    result = train("xgboost", config.datasets_path, config.data_path, config.training, version)
    tracker = Tracker.from_config(config.training, config.data_path)
    service = app.server.extensions["orchestrator"].patterns
    return Api(config, app, client, service, tracker, result, version, frame, before)


def min_candles() -> int:
    return SMALL_SPEC.warmup + WINDOW


def span_labels(times, spans: list[dict]) -> list[str]:
    """The label of each candle time as the spans say ("none" outside every span)."""
    labels = []
    for t in times:
        inside = [s["label"] for s in spans if s["start"] <= t <= s["end"]]
        assert len(inside) <= 1, f"spans overlap at {t}"
        labels.append(inside[0] if inside else "none")
    return labels


# ---- no model yet -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/predict", "/api/model/info"])
def test_before_any_model_503_says_how_to_train(api, path):
    status, body = api.before[path]
    assert status == 503
    assert set(body) == {"error"}
    assert "no pattern model is registered yet" in body["error"]
    assert "Train" in body["error"] and "python app.py train" in body["error"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("model", ["x"]),
        ("model", {"a": 1}),
        ("version", [1]),
        ("version", True),
        ("version", "latest"),
    ],
)
def test_a_model_or_version_of_the_wrong_kind_is_a_400(api, field, value):
    response = api.predict({"candles": api.candles, field: value})
    assert response.status_code == 400
    assert field in response.get_json()["error"]


def test_a_deeply_nested_body_is_a_400_not_a_crash(api):
    response = api.client.post(
        "/api/predict", data="[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert response.status_code == 400 and "nested" in response.get_json()["error"]


def test_a_bad_item_of_the_wrong_kind_in_a_batch_fails_alone(api):
    good = {"candles": api.candles}
    body = api.client.post("/api/predict/batch", json={"items": [good, {**good, "model": ["x"]}]})
    results = body.get_json()["results"]
    assert body.status_code == 200 and "predictions" in results[0]
    assert results[1]["status"] == 400


def test_unknown_model_name_is_404_naming_it(api):
    response = api.predict({"candles": api.candles, "model": "no-such-model"})
    assert response.status_code == 404
    assert "'no-such-model'" in response.get_json()["error"]
    assert "train one" in response.get_json()["error"]


# ---- bad input: one rule each -------------------------------------------------------------------


def spoil(candles: list[dict], change) -> list[dict]:
    candles = [dict(c) for c in candles]
    change(candles[BAD], candles[BAD - 1])
    return candles


def _set(**values):
    def change(candle, _previous):
        candle.update(values)

    return change


def _drop(field):
    return lambda candle, _previous: candle.pop(field)


CANDLE_RULES = {
    "missing_field": (_drop("volume"), r"missing field 'volume'"),
    "missing_time": (_drop("time"), r"missing field 'time'"),
    "text_number": (_set(open="101.5"), r"open must be a number, got '101.5'"),
    "null": (_set(close=None), r"close must be a number, got None"),
    "bool": (_set(volume=True), r"volume must be a number, got True"),
    "not_an_object": (None, r"must be an object, got list"),
    "price_zero": (_set(low=0), r"low 0 must be > 0"),
    "price_negative": (_set(open=-1.0), r"open -1 must be > 0"),
    "high_below_body": (
        lambda c, _p: c.update(high=max(c["open"], c["close"]) * 0.999),
        r"high .* is below max\(open, close\)",
    ),
    "low_above_body": (
        lambda c, _p: c.update(low=min(c["open"], c["close"]) * 1.001),
        r"low .* is above min\(open, close\)",
    ),
    "negative_volume": (_set(volume=-0.5), r"volume -0.5 must be >= 0"),
    "time_equal": (
        lambda c, p: c.update(time=p["time"]),
        r"is not after the previous candle's .*strictly increasing",
    ),
    "time_decreasing": (
        lambda c, p: c.update(time=p["time"] - 30_000),
        r"is not after the previous candle's .*strictly increasing",
    ),
    "time_fractional": (lambda c, p: c.update(time=c["time"] + 0.5), r"whole epoch milliseconds"),
    "time_negative": (_set(time=-1), r"whole epoch milliseconds"),
}


@pytest.mark.parametrize("rule", list(CANDLE_RULES))
def test_bad_candle_names_index_and_rule(api, rule):
    change, message = CANDLE_RULES[rule]
    if change is None:
        candles = [dict(c) for c in api.candles]
        candles[BAD] = list(candles[BAD].values())
    else:
        candles = spoil(api.candles, change)
    response = api.predict({"candles": candles})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.startswith(f"candle {BAD}: "), error
    assert re.search(message, error), error


@pytest.mark.parametrize(
    "token", ["NaN", "Infinity", "-Infinity", "1e400", "9" * 400], ids=lambda t: t[:9]
)
@pytest.mark.parametrize("field", ["close", "volume", "time"])
def test_non_finite_numbers_in_raw_json_are_refused(api, token, field):
    candles = spoil(api.candles, _set(**{field: "@@"}))
    raw = json.dumps({"candles": candles}).replace('"@@"', token)
    assert token in raw
    response = api.predict(raw=raw)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.startswith(f"candle {BAD}: {field} must be finite"), error


@pytest.mark.parametrize(
    "raw, message",
    [
        ('{"candles": [', "the body is not valid JSON"),
        ("{'candles': []}", "the body is not valid JSON"),
        (b"\xff\xfe\x00{", "the body is not valid JSON"),
        ("", "the body must be a JSON object"),
        ("[]", "the body must be a JSON object"),
        ('"candles"', "the body must be a JSON object"),
        ("{}", "'candles' is required"),
        ('{"candles": {"time": 1}}', "'candles' must be a list"),
        ('{"candles": null}', "'candles' must be a list"),
    ],
)
def test_bad_body_is_400_naming_the_rule(api, raw, message):
    response = api.predict(raw=raw)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_unknown_field_is_refused_with_the_allowed_ones(api):
    response = api.predict({"candles": api.candles, "limit": 5})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "unknown field 'limit'" in error and "min_confidence" in error


@pytest.mark.parametrize(
    "raw_value", ["-0.1", "1.5", '"0.5"', "true", "[]", "NaN", "Infinity", "9" * 400]
)
def test_bad_min_confidence(api, raw_value):
    raw = json.dumps({"candles": api.candles, "min_confidence": "@@"}).replace('"@@"', raw_value)
    response = api.predict(raw=raw)
    assert response.status_code == 400
    assert "min_confidence must be a number in 0..1" in response.get_json()["error"]


def test_bad_version_is_400(api):
    response = api.predict({"candles": api.candles, "version": "latest"})
    assert response.status_code == 400
    assert "version must be a number" in response.get_json()["error"]


def test_too_few_candles_says_how_many_the_model_needs(api):
    need = min_candles()
    info = api.client.get("/api/model/info").get_json()
    assert info["min_candles"] == need == SMALL_SPEC.warmup + WINDOW
    response = api.predict({"candles": api.candles[: need - 1]})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert f"at least {need} candles" in error and f"got {need - 1}" in error
    assert "warm-up and window" in error
    # Exactly enough: one candle has a complete window.
    assert api.predict({"candles": api.candles[:need]}).status_code == 200


def test_more_candles_than_the_limit_is_413(api):
    limit = api_models.MAX_CANDLES
    frame, _ = pattern_series(limit + 1, seed=5)
    candles = candle_dicts(frame)
    response = api.predict({"candles": candles})
    assert response.status_code == 413
    assert f"too many candles: {limit + 1} sent, at most {limit}" in response.get_json()["error"]
    assert api.predict({"candles": candles[:limit]}).status_code == 200


def test_body_over_the_size_limit_is_413(api):
    size = api_models.MAX_BODY_BYTES + 1
    raw = b'{"candles": [' + b" " * (size - 15) + b"]}"
    assert len(raw) >= size
    response = api.predict(raw=raw)
    assert response.status_code == 413
    assert "request body over 8 MB" in response.get_json()["error"]


# ---- good requests ------------------------------------------------------------------------------


def test_good_request_returns_the_exact_schema(api):
    response = api.predict({"candles": api.candles, "symbol": "BTC/USDT", "timeframe": "1m"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"model", "predictions"}
    model = body["model"]
    assert set(model) == MODEL_KEYS
    assert model["name"] == NAME
    assert model["version"] == api.result.model_version
    assert model["alias"] == "champion"
    assert model["type"] == "xgboost"
    assert model["classes"] == CLASSES
    assert model["window"] == WINDOW
    assert isinstance(model["trained_at"], int) and model["trained_at"] > 1_700_000_000_000
    assert model["run_id"] == api.result.run_id
    assert model["dataset_version"] == api.dataset_version

    times = [c["time"] for c in api.candles]
    first_predicted = times[min_candles() - 1]
    spans = body["predictions"]
    assert {s["label"] for s in spans} == {"bull_run", "bear_run"}  # the model learned both
    previous_end = -1
    for span in spans:
        assert set(span) == {"start", "end", "label", "confidence"}
        assert isinstance(span["start"], int) and isinstance(span["end"], int)
        assert span["start"] in times and span["end"] in times
        assert first_predicted <= span["start"] <= span["end"]
        assert span["start"] > previous_end  # in time order, no overlap
        previous_end = span["end"]
        assert span["label"] in CLASSES and span["label"] != "none"
        assert 0.0 <= span["confidence"] <= 1.0


def test_min_confidence_filters_spans(api):
    everything = api.predict({"candles": api.candles}).get_json()["predictions"]
    distinct = sorted({s["confidence"] for s in everything})
    threshold = (distinct[0] + distinct[1]) / 2 if len(distinct) > 1 else distinct[0] + 1e-3
    kept = api.predict({"candles": api.candles, "min_confidence": threshold}).get_json()
    assert kept["predictions"] == [s for s in everything if s["confidence"] >= threshold]
    assert len(kept["predictions"]) < len(everything)
    zero = api.predict({"candles": api.candles, "min_confidence": 0}).get_json()["predictions"]
    assert zero == everything
    one = api.predict({"candles": api.candles, "min_confidence": 1}).get_json()["predictions"]
    assert all(s["confidence"] == 1.0 for s in one)


def test_pinned_version_gives_the_same_spans_without_the_alias(api):
    version = api.result.model_version
    pinned = api.predict({"candles": api.candles, "version": int(version)}).get_json()
    champion = api.predict({"candles": api.candles}).get_json()
    assert pinned["model"]["version"] == version and pinned["model"]["alias"] is None
    assert pinned["predictions"] == champion["predictions"]


def test_registry_pyfunc_agrees_with_the_api_per_candle(api):
    import mlflow.pyfunc

    frame = api.frame
    # The window matrix built here from the dataset's feature spec, not by the service.
    features = compute_features(frame, SMALL_SPEC)
    rows = complete_rows(features, WINDOW)
    X = window_matrix(features, WINDOW).iloc[rows]
    assert list(X.columns[: len(feature_columns(SMALL_SPEC))]) == [
        f"{c}@0" for c in feature_columns(SMALL_SPEC)
    ]
    api.tracker.activate()
    model = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    out = model.predict(X)  # the signature check proves the columns are the training ones

    # predict_candles (what the service runs) equals pyfunc row by row.
    times, labels, confidence = predict_candles(api.service.current(), frame)
    np.testing.assert_array_equal(times, frame.index.to_numpy()[rows])
    assert list(labels) == out["label"].tolist()
    np.testing.assert_allclose(confidence, out["confidence"].to_numpy(), rtol=1e-12)

    # The API's spans, expanded back to one label per candle, say the same.
    spans = api.predict({"candles": api.candles}).get_json()["predictions"]
    assert span_labels(times, spans) == out["label"].tolist()
    assert sum(1 for label in out["label"] if label != "none") > 0
    # Each span's confidence is the mean of its candles'.
    by_time = dict(zip(times.tolist(), out["confidence"], strict=True))
    for span in spans:
        inside = [c for t, c in by_time.items() if span["start"] <= t <= span["end"]]
        assert span["confidence"] == pytest.approx(float(np.mean(inside)), abs=1e-4)


def test_predictions_do_not_look_ahead(api):
    """Candles after t change nothing at or before t."""
    full = api.candles
    cut = 160
    times = [c["time"] for c in full[min_candles() - 1 : cut]]
    short = api.predict({"candles": full[:cut]}).get_json()["predictions"]
    changed = full[:cut] + [
        dict(c, close=c["close"] * 1.05, high=max(c["high"], c["close"] * 1.05)) for c in full[cut:]
    ]
    long = api.predict({"candles": changed}).get_json()["predictions"]
    assert span_labels(times, short) == span_labels(times, long)


# ---- batch --------------------------------------------------------------------------------------


def test_batch_answers_each_item_in_order(api):
    good = {"candles": api.candles}
    high_below = spoil(api.candles, lambda c, _p: c.update(high=min(c["open"], c["close"]) * 0.9))
    items = [
        good,
        {"candles": high_below},
        {"candles": api.candles, "min_confidence": 1},
        {"candles": api.candles[:10]},
        "not an object",
        {"candles": api.candles, "bogus": 1},
        good,
    ]
    response = api.client.post("/api/predict/batch", json={"items": items})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == len(items)
    single = api.predict(good).get_json()
    assert results[0] == single and results[6] == single
    assert results[2] == api.predict(items[2]).get_json()
    errors = {i: r for i, r in enumerate(results) if "error" in r}
    assert sorted(errors) == [1, 3, 4, 5]
    for i, error in errors.items():
        assert set(error) == {"error", "status"}
        assert error["status"] == 400
        assert error["error"].startswith(f"item {i}: ")
    assert f"candle {BAD}: high" in errors[1]["error"]
    assert f"at least {min_candles()} candles" in errors[3]["error"]
    assert "unknown field 'bogus'" in errors[5]["error"]


def test_batch_item_with_too_many_candles_is_413_for_that_item_only(api):
    frame, _ = pattern_series(api_models.MAX_CANDLES + 1, seed=6)
    items = [{"candles": candle_dicts(frame)}, {"candles": api.candles}]
    results = api.client.post("/api/predict/batch", json={"items": items}).get_json()["results"]
    assert results[0]["status"] == 413 and "too many candles" in results[0]["error"]
    assert "predictions" in results[1]


def test_batch_limits_and_shape(api):
    limit = api_models.MAX_BATCH_ITEMS
    response = api.client.post("/api/predict/batch", json={"items": [{}] * (limit + 1)})
    assert response.status_code == 413
    assert f"too many items: {limit + 1}, at most {limit}" in response.get_json()["error"]
    for body in ({}, {"items": {"candles": []}}, {"items": None}):
        response = api.client.post("/api/predict/batch", json=body)
        assert response.status_code == 400
        assert "'items' must be a list" in response.get_json()["error"]
    response = api.client.post(
        "/api/predict/batch", data="{items: []", content_type="application/json"
    )
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["error"]
    assert api.client.post("/api/predict/batch", json={"items": []}).get_json() == {"results": []}


# ---- model info and OpenAPI ---------------------------------------------------------------------


def test_model_info(api):
    response = api.client.get("/api/model/info")
    assert response.status_code == 200
    info = response.get_json()
    assert MODEL_KEYS | {"features", "metrics"} <= set(info)
    assert info["features"] == feature_columns(SMALL_SPEC)
    assert info["classes"] == CLASSES and info["window"] == WINDOW
    assert info["version"] == api.result.model_version and info["alias"] == "champion"
    metrics = info["metrics"]
    assert metrics["macro_f1"] == pytest.approx(api.result.metrics["test_macro_f1"])
    assert metrics["macro_f1"] > 0.8
    assert set(metrics["per_class"]) == set(CLASSES)
    for row in metrics["per_class"].values():
        assert {"precision", "recall", "f1", "support"} <= set(row)
        assert all(0 <= row[k] <= 1 for k in ("precision", "recall", "f1"))
        assert isinstance(row["support"], int) and row["support"] > 0
    assert sum(r["support"] for r in metrics["per_class"].values()) == api.result.rows["test"]


def test_openapi_document(api):
    response = api.client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert {"title", "version"} <= set(doc["info"])
    paths = doc["paths"]
    assert paths["/api/predict"]["post"]["responses"].keys() >= {"200", "400", "413", "503"}
    assert "post" in paths["/api/predict/batch"]
    assert (
        "get" in paths["/api/model/info"] and "503" in paths["/api/model/info"]["get"]["responses"]
    )
    assert "get" in paths["/api/live-updates"] and "get" in paths["/api/health"]
    schemas = doc["components"]["schemas"]
    assert schemas["PredictRequest"]["properties"]["candles"]["maxItems"] == api_models.MAX_CANDLES

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(doc))
    assert found and all(r.startswith("#/components/schemas/") for r in found)
    assert {r.rsplit("/", 1)[1] for r in found} <= set(schemas)


# ---- hot swap -----------------------------------------------------------------------------------


def test_champion_swaps_under_load_without_a_failed_request(api):
    """4 threads post predictions while a second version is trained and made champion; the
    service notices the alias move on its own (short check interval)."""
    old = api.result.model_version
    body = json.dumps({"candles": api.candles[: min_candles() + 20]})
    seen: dict[int, list[tuple[int, str | None]]] = {k: [] for k in range(4)}
    stop = threading.Event()
    deadline = time.monotonic() + 60

    def worker(k: int) -> None:
        client = api.app.server.test_client()
        n = 0
        while n < 40 or (not stop.is_set() and time.monotonic() < deadline):
            response = client.post("/api/predict", data=body, content_type="application/json")
            version = (response.get_json() or {}).get("model", {}).get("version")
            seen[k].append((response.status_code, version))
            n += 1

    api.service.check_every_s = 0.05
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    try:
        for thread in threads:
            thread.start()
        while sum(map(len, seen.values())) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        second = train(
            "xgboost",
            api.config.datasets_path,
            api.config.data_path,
            replace(api.config.training, params={"xgboost": {"n_estimators": 6, "max_depth": 2}}),
            api.dataset_version,
        )
        new = second.model_version
        assert new != old
        if not second.champion.promoted:  # the first one already scores 1.0: force the move
            api.tracker.client.set_registered_model_alias(NAME, "champion", new)

        def swapped() -> bool:
            return all(any(v == new for _, v in answers) for answers in seen.values())

        while not swapped() and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        answers = [a for k in seen for a in seen[k]]
        assert len(answers) >= 160
        assert all(status == 200 for status, _ in answers), {s for s, _ in answers}
        assert {v for _, v in answers} == {old, new}
        for k, thread_answers in seen.items():  # a thread never goes back to the old version
            versions = [v for _, v in thread_answers]
            first_new = versions.index(new)
            assert set(versions[first_new:]) == {new}, k
        info = api.client.get("/api/model/info").get_json()
        assert info["version"] == new and info["run_id"] == second.run_id
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        api.tracker.client.set_registered_model_alias(NAME, "champion", old)
        api.service.refresh()
        api.service.check_every_s = 5.0
    assert api.client.get("/api/model/info").get_json()["version"] == old


def test_a_champion_that_cannot_load_leaves_the_old_one_serving(api, tmp_path: Path):
    old = api.result.model_version
    client = api.tracker.client
    broken = client.create_model_version(NAME, source=str(tmp_path / "nowhere")).version
    try:
        client.set_registered_model_alias(NAME, "champion", broken)
        assert api.service.refresh() is False
        response = api.predict({"candles": api.candles})
        assert response.status_code == 200
        assert response.get_json()["model"]["version"] == old
    finally:
        client.set_registered_model_alias(NAME, "champion", old)
        api.service.refresh()


# ---- issue 19, finding 7: pattern routes serve pattern models only --------------------------


@pytest.mark.parametrize("kind", ["cnn", "transformer", "dqn"])
def test_a_neural_model_is_a_400_naming_the_kinds_served(api, kind):
    response = api.predict({"candles": api.candles, "model": f"neural-{kind}"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert f"'neural-{kind}' is a {kind} model" in error and "random_forest, xgboost" in error


def test_a_batch_naming_a_neural_model_is_a_400_per_item(api):
    items = [{"candles": api.candles[:60], "model": "neural-cnn"}] * 100
    body = api.client.post("/api/predict/batch", json={"items": items}).get_json()
    assert [r["status"] for r in body["results"]] == [400] * 100
    assert "pattern classifiers only" in body["results"][0]["error"]


def test_the_champion_by_its_own_name_is_served(api):
    named = api.predict({"candles": api.candles, "model": NAME}).get_json()
    assert named["model"]["name"] == NAME and named["model"]["alias"] == "champion"
