"""What one live chart tick costs: a ``dash.Patch`` against the whole figure, and the REST route.

Part 1 drives the candle store directly (no feed): a 2,000-candle 1 m chart of a simulated
BTC-like market, one new closed 1 s candle ingested per tick (the forming 1 m candle changes each
tick, a new one appears every 60), with all overlays on and the prediction deques full (50 per
model kind, as in steady state). Each tick is answered both ways and serialised as Dash does
(``to_json_plotly`` of the callback response, figure and state outputs together); server time is
the callback body plus that serialisation. Variant B adds a new prediction every 10 ticks.

Part 2 starts the simulator feed and times ``GET /api/live-updates`` over real HTTP (werkzeug in
a thread, ``requests`` in this one), with ``since`` = now - 10 s and without it.

    python bench/live_updates.py [ticks] [requests] [whole_every]

The whole figure is built on every ``whole_every``-th tick (default 2), every new-minute tick and
every prediction tick: at 2,000 candles it costs a few hundred ms, and doing it every tick would
take the run past two minutes.
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
from core.config import SimFeedConfig  # noqa: E402
from dashboard import ids  # noqa: E402
from dashboard.layout import OVERLAY_OPTIONS  # noqa: E402
from dashboard.panels.charts import live_charts  # noqa: E402
from market.feeds.sim import DEFAULT_MARKETS, SimFeed  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402

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
            json.dumps(ids.chart("1m", BENCH), sort_keys=True): {"figure": figure},
            json.dumps(ids.chart_state("1m", BENCH), sort_keys=True): {"data": state},
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


def op_bytes(patch: Patch) -> dict[str, int]:
    """Serialised size of a Patch's operations by what they touch."""
    sizes = {"candles": 0, "overlay traces": 0, "shapes": 0}
    for op in patch.to_plotly_json()["operations"]:
        where = op["location"]
        if where[:1] == ["layout"]:
            part = "shapes"
        elif where[:2] in (["data", 0], ["data", 1]):
            part = "candles"
        else:
            part = "overlay traces"
        sizes[part] += len(to_json_plotly(op))
    return sizes


def run_ticks(orch, seconds, predict_every: int | None, whole_every: int, rng) -> list[dict]:
    """Ingest one 1 s candle per tick and answer the 1 m chart with a Patch; answer it with the
    whole figure too on every ``whole_every``-th tick, every new minute and every prediction
    tick (building the figure is what takes the time, and it hardly varies)."""
    tick, whole = chart_calls(ENABLED)
    _, raw = tick(orch, None)  # first draw: the browser's starting state
    raw = json.loads(json.dumps(raw))
    samples = []
    for i, candle in enumerate(seconds):
        orch.store.ingest(BENCH, [candle])
        predicted = bool(predict_every) and i % predict_every == predict_every - 1
        if predicted:
            kind = KINDS[(i // predict_every) % len(KINDS)]
            orch.store_prediction(kind, BENCH, prediction(kind, candle.time, candle.close, rng))
        sample = {"predicted": predicted, "new_minute": candle.time % MINUTE == 0}

        start = time.perf_counter()
        patch, state = tick(orch, raw)
        body = dash_response(patch, state)
        sample["patch"] = (len(body), (time.perf_counter() - start) * 1000, gz(body))
        if not isinstance(patch, Patch):
            raise AssertionError(f"tick {i} sent {type(patch).__name__}, not a Patch")
        if predicted:
            sample["parts"] = op_bytes(patch)
        raw = json.loads(json.dumps(state))  # the dcc.Store round trip

        if predicted or sample["new_minute"] or i % whole_every == 0:
            start = time.perf_counter()
            figure, whole_state = whole(orch)
            body = dash_response(figure, whole_state.to_dict())
            sample["whole"] = (len(body), (time.perf_counter() - start) * 1000, gz(body))
        samples.append(sample)
    latest = orch.store.latest(BENCH, "1m")
    assert raw["count"] == 2000 and raw["last_time"] == latest.time, raw
    return samples


def gz(body: bytes) -> int:
    return len(gzip.compress(body, 6))


def print_ticks(label: str, samples: list[dict]) -> None:
    stats = {}
    for path in ("patch", "whole"):
        rows = [s[path] for s in samples if path in s]
        stats[path] = {
            "n": len(rows),
            "b": [pct([r[0] for r in rows], q) for q in (0.5, 0.99)],
            "ms": [pct([r[1] for r in rows], q) for q in (0.5, 0.99)],
            "gz": pct([r[2] for r in rows], 0.5),
        }
    for path, st in stats.items():
        print(
            f"{label:<27} {path:<5} {st['n']:>4} {st['b'][0]:>9,.0f} {st['b'][1]:>9,.0f} "
            f"{st['gz']:>8,.0f} {st['ms'][0]:>8.2f} {st['ms'][1]:>8.2f}"
        )
    p, w = stats["patch"], stats["whole"]
    print(
        f"{'  whole / patch':<27} {'':<5} {'':>4} {w['b'][0] / p['b'][0]:>9.1f} "
        f"{w['b'][1] / p['b'][1]:>9.1f} {w['gz'] / p['gz']:>8.1f} "
        f"{w['ms'][0] / p['ms'][0]:>8.1f} {w['ms'][1] / p['ms'][1]:>8.1f}"
    )


def part1(orch, ticks: int, whole_every: int) -> None:
    rng = random.Random(1)
    seconds = seed_bench_symbol(orch, history_minutes=2100, ticks=2 * ticks)
    fill_predictions(orch, BENCH, rng)
    a = run_ticks(orch, seconds[:ticks], None, whole_every, rng)
    b = run_ticks(orch, seconds[ticks:], 10, whole_every, rng)
    predicted = [s for s in b if s["predicted"]]

    print(
        f"1. 1 m chart tick, 2,000 candles, all overlays on ({', '.join(ENABLED)}), "
        f"{orch.predictions.maxlen} predictions per model kind held; {ticks} ticks per variant, "
        f"one 1 s candle each. Bytes = Dash's response body (figure + state outputs)."
    )
    print(
        f"{'':<27} {'path':<5} {'n':>4} {'B p50':>9} {'B p99':>9} {'gzip p50':>8}"
        f" {'ms p50':>8} {'ms p99':>8}"
    )
    print_ticks("A candles only", a)
    print_ticks("A, new-minute ticks only", [s for s in a if s["new_minute"]])
    print_ticks("B + prediction every 10", b)
    print_ticks(f"B, the {len(predicted)} prediction ticks", predicted)
    parts = {k: pct([s["parts"][k] for s in predicted], 0.5) for k in predicted[0]["parts"]}
    print(
        "   a prediction tick's Patch, median bytes by part: "
        + ", ".join(f"{k} {v:,.0f}" for k, v in parts.items())
    )


def settle(limit_s: float = 15.0) -> float:
    """Wait until this process's background threads (feed, model loading) use under a fifth of
    a core, so the latencies are the steady state and not start-up work."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        cpu, wall = time.process_time(), time.perf_counter()
        time.sleep(0.5)
        if (time.process_time() - cpu) / (time.perf_counter() - wall) < 0.2:
            break
    return time.perf_counter() - started


def part2(app, orch, n: int) -> None:
    rng = random.Random(2)
    started = time.perf_counter()
    # The live-pattern thread asks the model registry for a champion on each closed 1 m candle;
    # the first ask imports MLflow and creates its tables (seconds of CPU). Do that once here so
    # the latencies below are the steady state, not a one-off in the middle of them.
    orch.patterns.refresh()
    warm_s = time.perf_counter() - started
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
    settled = settle()
    print(
        f"\n2. GET /api/live-updates over HTTP, {n} requests each, feed running "
        f"(registry warm-up {warm_s:.1f} s, start {backfill_s:.1f} s, settled after "
        f"{settled:.1f} s; {LIVE} buffers "
        f"1s={buffers['1s']:,} 1m={buffers['1m']:,}, {orch.predictions.maxlen} predictions "
        "per kind)"
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
        server.server_close()
        thread.join(5)


def main() -> None:
    ticks = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    whole_every = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        config = config_from_dict(
            {
                "data_dir": tmp,
                "feed": {"backfill_1m_hours": 36, "backfill_1s_minutes": 15},
            },
            base_dir=tmp,
        )
        app = create_app(config=config)
        orch = app.server.extensions["orchestrator"]
        try:
            part1(orch, ticks, whole_every)
            part2(app, orch, n)
        finally:
            orch.stop()
            orch.db.close()
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
