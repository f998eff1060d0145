"""What one live chart tick costs: a ``dash.Patch`` against the whole figure, and the REST route.

Part 1 drives the candle store directly (no feed): a 2,000-candle 1 m chart of a simulated
BTC-like market, one new closed 1 s candle ingested per tick (the forming 1 m candle changes each
tick, a new one appears every 60), with all overlays on and the prediction deques full (50 per
model kind, as in steady state). Each tick is answered both ways and serialised as Dash does
(``to_json_plotly`` of the callback response, figure and state outputs together); server time is
the callback body plus that serialisation. Variant B adds a new prediction every 10 ticks.

Part 2 starts the simulator feed and times ``GET /api/live-updates`` over real HTTP (werkzeug in
a thread, ``requests`` in this one), with ``since`` = now - 10 s and without it.

    python bench/live_updates.py [ticks] [requests]
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from dash import Patch
from plotly.io.json import to_json_plotly
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from core.config import SimFeedConfig, config_from_dict  # noqa: E402
from core.feeds.sim import DEFAULT_MARKETS, SimFeed  # noqa: E402
from dashboard import ids, live_charts  # noqa: E402
from dashboard.layout import OVERLAY_OPTIONS  # noqa: E402

BENCH = "BENCH/USDT"  # part 1's symbol: not fed by the live feed, so nothing moves under us
LIVE = "BTC/USDT"  # part 2's symbol, fed by the simulator
MINUTE = 60_000
ENABLED = [o["value"] for o in OVERLAY_OPTIONS]  # every overlay on, the page's default
KINDS = ("dqn", "cnn", "transformer")


def chart_calls(enabled: list[str]):
    """(tick, whole) for the 1 m chart over either signature of ``live_charts``: the view dict
    of ``make_view`` where it exists, else ``enabled`` and ``selected`` arguments."""
    if hasattr(live_charts, "make_view"):
        view = live_charts.make_view(enabled)
        return (
            lambda orch, raw: live_charts.tick(orch, BENCH, "1m", view, raw),
            lambda orch: live_charts.chart_view(orch, BENCH, "1m", view),
        )
    return (
        lambda orch, raw: live_charts.tick(orch, BENCH, "1m", enabled, raw, None),
        lambda orch: live_charts.chart_view(orch, BENCH, "1m", enabled, None),
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def prediction(kind: str, t: int, price: float, rng: random.Random) -> dict:
    data = {"timestamp": t, "confidence": round(rng.uniform(0.5, 0.99), 3), "model_version": "3"}
    if kind == "dqn":
        return {**data, "action": rng.choice(("BUY", "SELL")), "price": price}
    move = rng.uniform(-0.004, 0.004)
    direction = "UP" if move > 0.001 else "DOWN" if move < -0.001 else "STABLE"
    target = "target_price" if kind == "cnn" else "predicted_price"
    return {
        **data,
        "direction": direction,
        "current_price": price,
        target: round(price * (1 + move), 2),
        "horizon_minutes": 5 if kind == "cnn" else 15,
    }


def fill_predictions(orch, symbol: str, rng: random.Random) -> None:
    """Steady state: each kind's deque full, one prediction per recent closed minute."""
    maxlen = orch.predictions.maxlen
    minutes = [c for c in orch.store.tail(symbol, "1m", maxlen + 1) if c.closed][-maxlen:]
    for candle in minutes:
        for kind in KINDS:
            orch.store_prediction(
                kind, symbol, prediction(kind, candle.time + 59_000, candle.close, rng)
            )


def dash_response(figure, state) -> bytes:
    """The body Dash sends for the chart callback (both outputs, pattern-matching ids)."""
    response = {
        "multi": True,
        "response": {
            json.dumps(ids.chart("1m"), sort_keys=True): {"figure": figure},
            json.dumps(ids.chart_state("1m"), sort_keys=True): {"data": state},
        },
    }
    return to_json_plotly(response).encode()


def seed_bench_symbol(orch, history_minutes: int, ticks: int):
    """History for BENCH from a private simulator (BTC-like prices), and the 1 s candles the
    ticks will ingest, which continue that history."""
    feed = SimFeed(SimFeedConfig(seed=7, markets={BENCH: DEFAULT_MARKETS[LIVE]}))
    end = (int(time.time() * 1000) // MINUTE - 30) * MINUTE  # in the past, minute aligned
    orch.store.merge_history(
        BENCH, "1m", feed.backfill(BENCH, "1m", end - history_minutes * MINUTE, end)
    )
    orch.store.merge_history(BENCH, "1s", feed.backfill(BENCH, "1s", end - 15 * MINUTE, end))
    return feed.backfill(BENCH, "1s", end, end + ticks * 1000)


def run_ticks(orch, seconds, predict_every: int | None, rng: random.Random) -> dict:
    """Ingest one 1 s candle per tick and answer the 1 m chart both ways."""
    tick, whole = chart_calls(ENABLED)
    _, raw = tick(orch, None)  # first draw: the browser's starting state
    raw = json.loads(json.dumps(raw))
    out = {k: [] for k in ("patch_b", "patch_ms", "whole_b", "whole_ms", "patch_gz", "whole_gz")}
    out["predict_ticks"] = []
    for i, candle in enumerate(seconds):
        orch.store.ingest(BENCH, [candle])
        if predict_every and i % predict_every == predict_every - 1:
            kind = KINDS[(i // predict_every) % len(KINDS)]
            orch.store_prediction(kind, BENCH, prediction(kind, candle.time, candle.close, rng))
            out["predict_ticks"].append(i)

        start = time.perf_counter()
        patch, state = tick(orch, raw)
        body = dash_response(patch, state)
        out["patch_ms"].append((time.perf_counter() - start) * 1000)
        out["patch_b"].append(len(body))
        out["patch_gz"].append(len(gzip.compress(body)))
        if not isinstance(patch, Patch):
            raise AssertionError(f"tick {i} sent {type(patch).__name__}, not a Patch")
        raw = json.loads(json.dumps(state))  # the dcc.Store round trip

        start = time.perf_counter()
        figure, whole_state = whole(orch)
        body = dash_response(figure, whole_state.to_dict())
        out["whole_ms"].append((time.perf_counter() - start) * 1000)
        out["whole_b"].append(len(body))
        out["whole_gz"].append(len(gzip.compress(body)))
    latest = orch.store.latest(BENCH, "1m")
    assert raw["count"] == 2000 and raw["last_time"] == latest.time, raw
    return out


def print_ticks(label: str, r: dict) -> None:
    rows = [
        ("patch", "patch_b", "patch_ms", "patch_gz"),
        ("whole", "whole_b", "whole_ms", "whole_gz"),
    ]
    for path, b, ms, gz in rows:
        print(
            f"{label:<28} {path:<6} {pct(r[b], 0.5):>9,.0f} {pct(r[b], 0.99):>9,.0f} "
            f"{pct(r[gz], 0.5):>8,.0f} {pct(r[ms], 0.5):>8.2f} {pct(r[ms], 0.99):>8.2f}"
        )
    ratio = [pct(r["whole_b"], q) / pct(r["patch_b"], q) for q in (0.5, 0.99)]
    t_ratio = [pct(r["whole_ms"], q) / pct(r["patch_ms"], q) for q in (0.5, 0.99)]
    gz_ratio = pct(r["whole_gz"], 0.5) / pct(r["patch_gz"], 0.5)
    print(
        f"{'':<28} {'x':<6} {ratio[0]:>9.0f} {ratio[1]:>9.1f} {gz_ratio:>8.0f} "
        f"{t_ratio[0]:>8.1f} {t_ratio[1]:>8.1f}   (whole / patch)"
    )


def part1(orch, ticks: int) -> None:
    rng = random.Random(1)
    seconds = seed_bench_symbol(orch, history_minutes=2100, ticks=2 * ticks)
    fill_predictions(orch, BENCH, rng)
    runs = {
        "A candles only": run_ticks(orch, seconds[:ticks], None, rng),
        "B + prediction every 10": run_ticks(orch, seconds[ticks:], 10, rng),
    }
    b = runs["B + prediction every 10"]
    pred = {k: [b[k][i] for i in b["predict_ticks"]] for k in b if k != "predict_ticks"}
    pred["predict_ticks"] = []

    print(f"\n1. 1 m chart tick, 2,000 candles, {ticks} ticks per variant (1 s candle per tick)")
    print(
        f"{'':<28} {'path':<6} {'B p50':>9} {'B p99':>9} {'gzip p50':>8}"
        f" {'ms p50':>8} {'ms p99':>8}"
    )
    for label, r in runs.items():
        print_ticks(label, r)
    print_ticks(f"B, the {len(b['predict_ticks'])} prediction ticks", pred)


def part2(app, orch, n: int) -> None:
    rng = random.Random(2)
    started = time.perf_counter()
    orch.start()
    backfill_s = time.perf_counter() - started
    fill_predictions(orch, LIVE, rng)
    buffers = {tf: len(orch.store.candles(LIVE, tf)) for tf in ("1s", "1m")}

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/live-updates"
    time.sleep(1.0)  # let the feed run a few polls
    print(
        f"\n2. GET /api/live-updates over HTTP, {n} requests each, feed running "
        f"(backfill {backfill_s:.1f} s; {LIVE} buffers 1s={buffers['1s']:,} 1m={buffers['1m']:,})"
    )
    print(f"{'request':<36} {'ms p50':>8} {'ms p99':>8} {'bytes p50':>10} {'candles':>8}")
    try:
        with requests.Session() as session:
            for timeframe in ("1s", "1m"):
                for with_since in (True, False):
                    latencies, sizes, counts = [], [], []
                    for i in range(n + 20):
                        params = {"symbol": LIVE, "timeframe": timeframe}
                        if with_since:
                            params["since"] = int(time.time() * 1000) - 10_000
                        start = time.perf_counter()
                        response = session.get(url, params=params, timeout=10)
                        elapsed = (time.perf_counter() - start) * 1000
                        response.raise_for_status()
                        if i >= 20:  # the first few warm up connections and caches
                            latencies.append(elapsed)
                            sizes.append(len(response.content))
                            counts.append(len(response.json()["candles"]))
                    name = f"{timeframe} " + ("since=now-10s" if with_since else "no since")
                    print(
                        f"{name:<36} {pct(latencies, 0.5):>8.2f} {pct(latencies, 0.99):>8.2f} "
                        f"{pct(sizes, 0.5):>10,.0f} {pct(counts, 0.5):>8.0f}"
                    )
            status = session.get(url, params={"symbol": LIVE}, timeout=10).json()["feed"]["status"]
            print(f"feed status at the end: {status}")
    finally:
        server.shutdown()
        thread.join(5)


def main() -> None:
    ticks = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        config = config_from_dict(
            {
                "data_dir": tmp,
                "feed": {"sim": {"backfill_1m_hours": 36, "backfill_1s_minutes": 15}},
            },
            base_dir=tmp,
        )
        app = create_app(config=config)
        orch = app.server.extensions["orchestrator"]
        try:
            part1(orch, ticks)
            part2(app, orch, n)
        finally:
            orch.stop()
            orch.db.close()
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
