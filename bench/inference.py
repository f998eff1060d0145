"""Latency and throughput of the pattern-inference REST API against the bare model.

Builds a throw-away data folder, trains one small XGBoost model on random-walk candles with
planted two-candle runs (the default feature spec: 90 features, warm-up 277 candles, window 8),
serves the app with Werkzeug on 127.0.0.1 (a real HTTP server, threaded) and measures:

* ``POST /api/predict`` with ``--candles`` candles: p50 and p99 over ``--requests`` requests;
* ``POST /api/predict/batch`` with ``--items`` items of ``--candles`` candles: windows/second;
* the same work done in-process, step by step: candle validation, features + window matrix,
  the model alone on the precomputed window matrix; and the API's overhead as a ratio.

    python bench/inference.py [--requests 200] [--candles 500] [--items 20] [--batches 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import requests  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from core.spans import Span  # noqa: E402
from dashboard.api import models as api_models  # noqa: E402
from market.request_candles import parse_candles  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402
from serving.pattern_inference import complete_rows, predict_candles  # noqa: E402
from tests.helpers.pattern_data import pattern_series  # noqa: E402
from training.datasets import build_dataset  # noqa: E402
from training.features import compute_features, window_matrix  # noqa: E402
from training.pipeline import train  # noqa: E402

FIELDS = ("open", "high", "low", "close", "volume")


def candle_dicts(frame) -> list[dict]:
    return [
        {"time": int(t), **{k: float(v) for k, v in zip(FIELDS, row, strict=True)}}
        for t, row in zip(frame.index, frame[list(FIELDS)].to_numpy(), strict=True)
    ]


def timed(fn, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` calls (after one warm-up call)."""
    fn()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def train_model(config, series_candles: int) -> tuple[str, float]:
    """A dataset of planted runs in two random-walk series, and one small model on it."""
    series, spans = {}, []
    for i, symbol in enumerate(("BTC/USDT", "ETH/USDT")):
        candles, runs = pattern_series(series_candles, seed=20 + i)
        series[(symbol, "1m")] = candles
        spans += [
            Span(None, symbol, "1m", start, end, label, "manual", "accepted")
            for start, end, label in runs
        ]
    info = build_dataset(
        series, spans, config.features, config.training.window, config.datasets_path
    )
    result = train("xgboost", config.datasets_path, config.data_path, config.training, info.version)
    return f"v{result.model_version}, test macro-F1 {result.metrics['test_macro_f1']:.3f}", float(
        info.rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--candles", type=int, default=500)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--series-candles", type=int, default=3000)
    parser.add_argument("--trees", type=int, default=40)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    logging.getLogger("mlflow").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="bench-inference-") as tmp:
        config = config_from_dict(
            {
                "data_dir": str(Path(tmp) / "data"),
                "training": {"params": {"xgboost": {"n_estimators": args.trees, "max_depth": 4}}},
            },
            base_dir=tmp,
        )
        started = time.perf_counter()
        model_text, dataset_rows = train_model(config, args.series_candles)
        train_s = time.perf_counter() - started

        app = create_app(config=config)
        service = app.server.extensions["orchestrator"].patterns
        loaded = service.current()
        frame, _ = pattern_series(args.candles, seed=77)
        candles = candle_dicts(frame)
        body = json.dumps({"candles": candles})
        windows = len(complete_rows(compute_features(frame, loaded.spec), loaded.window))

        # ---- in process, step by step ---------------------------------------------------------
        def features_and_matrix():
            features = compute_features(frame, loaded.spec)
            rows = complete_rows(features, loaded.window)
            return window_matrix(features, loaded.window).iloc[rows]

        matrix = features_and_matrix()
        n = args.requests
        t_json = timed(lambda: json.loads(body), n)
        t_parse = timed(
            lambda: parse_candles(candles, api_models.MAX_CANDLES, loaded.min_candles), n
        )
        t_features = timed(features_and_matrix, n)
        t_model = timed(lambda: loaded.predictor.predict_proba(matrix), n)
        t_pipeline = timed(lambda: predict_candles(loaded, frame), n)
        t_refresh = timed(service.refresh, 20)  # the alias check every check_every_s

        # ---- over HTTP ------------------------------------------------------------------------
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}/api"
        session = requests.Session()
        headers = {"Content-Type": "application/json"}
        try:

            def predict():
                response = session.post(f"{url}/predict", data=body, headers=headers)
                assert response.status_code == 200, response.text
                return response

            spans = len(predict().json()["predictions"])
            t_http = timed(predict, n)

            batch = json.dumps({"items": [{"candles": candles}] * args.items})

            def predict_batch():
                response = session.post(f"{url}/predict/batch", data=batch, headers=headers)
                assert response.status_code == 200, response.text
                assert all("predictions" in r for r in response.json()["results"])

            t_batch = timed(predict_batch, args.batches)
        finally:
            server.shutdown()
            thread.join()

    ms = 1000.0
    model_p50 = statistics.median(t_model)
    http_p50 = statistics.median(t_http)
    batch_windows_s = windows * args.items / statistics.median(t_batch)
    print(
        f"model: xgboost {args.trees} trees x 3 classes, {model_text}, trained on "
        f"{dataset_rows:,.0f} dataset rows in {train_s:.1f} s (incl. MLflow logging)"
    )
    print(
        f"request: {args.candles} candles -> {windows} complete windows "
        f"(warm-up {loaded.spec.warmup} + window {loaded.window} = min_candles "
        f"{loaded.min_candles}), {matrix.shape[1]} columns, {len(body) / 1024:.0f} KB JSON, "
        f"{spans} spans; cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}"
    )
    print()
    print(f"{'step (one request)':44s} {'p50 ms':>9s} {'p99 ms':>9s} {'x model':>8s}")
    rows = [
        ("json.loads of the body", t_json),
        ("parse_candles (validation)", t_parse),
        ("compute_features + window_matrix", t_features),
        ("model.predict_proba on the window matrix", t_model),
        ("predict_candles (features + model)", t_pipeline),
        ("PatternService.refresh (alias check)", t_refresh),
        (f"POST /api/predict over HTTP (n={n})", t_http),
        (f"POST /api/predict/batch {args.items} items (n={args.batches})", t_batch),
    ]
    for name, values in rows:
        print(
            f"{name:44s} {pct(values, 50) * ms:9.2f} {pct(values, 99) * ms:9.2f} "
            f"{pct(values, 50) / model_p50:8.1f}"
        )
    print()
    print(f"{'throughput':44s} {'windows/s':>12s}")
    print(f"{'model alone (precomputed window matrix)':44s} {windows / model_p50:12,.0f}")
    print(f"{'/api/predict, one request at a time':44s} {windows / http_p50:12,.0f}")
    print(f"{'/api/predict/batch':44s} {batch_windows_s:12,.0f}")
    print()
    print(
        f"API overhead: /api/predict p50 is {http_p50 / model_p50:.1f}x the model alone "
        f"({(http_p50 - model_p50) * ms:.1f} ms more per request; features "
        f"{statistics.median(t_features) / http_p50:.0%} of it, validation + JSON "
        f"{(statistics.median(t_parse) + statistics.median(t_json)) / http_p50:.0%})"
    )


if __name__ == "__main__":
    main()
