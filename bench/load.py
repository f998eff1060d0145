"""R4: load on the server as ``make run`` starts it (``python app.py``, waitress, one process):
50 clients follow a chart through ``GET /api/live-updates`` (one request a second each, passing
the newest open time they hold, as the dashboard does) and 10 clients call ``POST /api/predict``
back to back with 200 candles, for 60 s. Reports errors (any non-200 or failed request) and p50
and p99 latency per route. The clients run in this process, on the same machine.

    python bench/load.py [--seconds 60] [--pollers 50] [--predictors 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    load_average,
    percentiles,
    predict_body,
    sample_process,
    served,
    train_tiny_model,
)  # fmt: skip

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]


class Route:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def record(self, began: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append((time.perf_counter() - began) * 1000)
            if error:
                self.errors.append(error)


def poller(url: str, symbol: str, stop: threading.Event, route: Route) -> None:
    session = requests.Session()
    since = int(time.time() * 1000) - 10_000
    while not stop.is_set():
        began = time.perf_counter()
        error = None
        try:
            response = session.get(
                f"{url}/api/live-updates",
                params={"symbol": symbol, "timeframe": "1s", "since": since},
                timeout=30,
            )
            if response.status_code != 200:
                error = f"{response.status_code}: {response.text[:100]}"
            else:
                candles = response.json()["candles"]
                if candles:
                    since = candles[-1]["time"]
        except requests.RequestException as exc:
            error = type(exc).__name__
        route.record(began, error)
        stop.wait(max(0.0, 1.0 - (time.perf_counter() - began)))


def predictor(url: str, body: bytes, stop: threading.Event, route: Route) -> None:
    session = requests.Session()
    headers = {"Content-Type": "application/json"}
    while not stop.is_set():
        began = time.perf_counter()
        error = None
        try:
            response = session.post(f"{url}/api/predict", data=body, headers=headers, timeout=60)
            if response.status_code != 200:
                error = f"{response.status_code}: {response.text[:100]}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        route.record(began, error)


def run(url: str, proc, seconds: float, pollers: int, predictors: int) -> dict:
    stop = threading.Event()
    live, predict = Route(), Route()
    body = predict_body()
    # Warm up: the first predict loads the model from the registry (seconds), once.
    requests.post(f"{url}/api/predict", data=body, timeout=120,
                  headers={"Content-Type": "application/json"}).raise_for_status()  # fmt: skip
    threads = [
        threading.Thread(target=poller, args=(url, SYMBOLS[i % 3], stop, live), daemon=True)
        for i in range(pollers)
    ] + [
        threading.Thread(target=predictor, args=(url, body, stop, predict), daemon=True)
        for _ in range(predictors)
    ]
    for thread in threads:
        thread.start()
    usage = sample_process(proc, seconds)
    stop.set()
    for thread in threads:
        thread.join(70)
    return {
        "seconds": seconds,
        "server": usage,
        "live_updates": {**percentiles(live.latencies), "errors": len(live.errors),
                         "per_s": round(len(live.latencies) / seconds, 1),
                         "first_errors": live.errors[:3]},
        "predict": {**percentiles(predict.latencies), "errors": len(predict.errors),
                    "per_s": round(len(predict.latencies) / seconds, 1),
                    "first_errors": predict.errors[:3]},
    }  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--predictors", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="10 s")
    args = parser.parse_args(argv)
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        train_tiny_model(Path(tmp) / "data")
        config = {"feed": {"backfill_1m_hours": 2, "backfill_1s_minutes": 10}}
        with served(Path(tmp), config) as server:
            seconds = 10.0 if args.quick else args.seconds
            result = run(server.url, server.process, seconds, args.pollers, args.predictors)
            result["alive_after"] = server.health()["status"] == "ok"
    print(json.dumps(result, indent=1))
    print(load_average())
    errors = result["live_updates"]["errors"] + result["predict"]["errors"]
    return 0 if errors == 0 and result["alive_after"] else 1


if __name__ == "__main__":
    sys.exit(main())
