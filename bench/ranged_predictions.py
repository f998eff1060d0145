"""Stored predictions on a loaded range: 30 days of 1 m candles with a prediction per kind every
three candles (43,200 stored, those older than a day scored), viewed on the minute chart in auto
zoomed out to all of it, then a week, a day and four hours of it, days back.

Per view, the server's work for a whole ranged figure (``auto_tick`` with no state, then the
figure made JSON as Dash sends it) with the stored predictions of the range merged in, against
the same with the deques' predictions only (the path before), in the same process; the
prediction markers drawn (thinned per candle, so bounded by the candles), how far back they
reach (the newest 5,000 stored are read), and the response size.
Then the per-tick cost of a ranged chart that follows live: a plain tick (no store read) and a
redraw after a new live prediction (one store read).

    python bench/ranged_predictions.py
"""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import plotly

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.candle_views import year_of_minutes  # noqa: E402
from bench.harness import load_average  # noqa: E402
from dashboard.figures import unchecked  # noqa: E402
from dashboard.figures.charts import PREDICTION_TRACES, TRACE  # noqa: E402
from dashboard.figures.outcome_overlays import OUTCOME_TRACE  # noqa: E402
from dashboard.panels.charts import live_charts  # noqa: E402
from dashboard.panels.charts.live_charts import auto_tick, make_view  # noqa: E402
from predictions.book import normalize_prediction  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402
from runtime.orchestrator import Orchestrator  # noqa: E402

DAY = 86_400_000
MIN = 60_000
SYMBOL = "BTC/USDT"
DAYS = 30
EVERY = 3  # candles between two predictions of one kind
REPEAT = 5
KINDS = ["dqn", "cnn", "transformer"]
MARKER_TRACES = [TRACE[n] for n in PREDICTION_TRACES] + [
    OUTCOME_TRACE["outcome_hit"],
    OUTCOME_TRACE["outcome_miss"],
]


def prediction(kind: str, i: int, candle) -> dict:
    up = i % 2 == 0
    price = candle.close
    if kind == "dqn":
        return {"timestamp": candle.time, "confidence": 0.6 + (i % 4) / 10,
                "action": "BUY" if up else "SELL", "price": price}  # fmt: skip
    target = price * (1.002 if up else 0.998)
    field = "target_price" if kind == "cnn" else "predicted_price"
    return {"timestamp": candle.time, "confidence": 0.6 + (i % 4) / 10, "current_price": price,
            field: target, "horizon_minutes": 5, "direction": "UP" if up else "DOWN"}  # fmt: skip


def store_predictions(orch, candles) -> int:
    """Written in one transaction (as an import would), the older ones scored; then the deques
    refilled from the store as at start-up."""
    scored_before = candles[-1].time - DAY
    rows, outcomes = [], []
    for i, candle in enumerate(candles[::EVERY]):
        for kind in KINDS:
            p = normalize_prediction(kind, SYMBOL, prediction(kind, i, candle))
            rows.append((p["id"], kind, SYMBOL, p["timestamp"], json.dumps(p)))
            if p["timestamp"] < scored_before:
                hit = (i + len(kind)) % 3 != 0
                outcomes.append((p["id"], p["timestamp"] + 5 * MIN, candle.close, int(hit),
                                 0.1, 0.2, "{}"))  # fmt: skip
    with orch.db.transaction() as conn:
        for row in rows:
            conn.execute("INSERT INTO predictions (id, kind, symbol, timestamp, data)"
                         " VALUES (?,?,?,?,?)", row)  # fmt: skip
        for row in outcomes:
            conn.execute("INSERT INTO prediction_outcomes VALUES (?,?,?,?,?,?,?)", row)
    orch.predictions.load()
    return len(rows)


@contextlib.contextmanager
def deques_only():
    """The path before: a ranged figure's predictions from the deques alone."""
    real = live_charts.window_predictions
    live_charts.window_predictions = lambda orch, symbol, view, window, frame_ms: real(
        orch, symbol, view, None
    )
    try:
        yield
    finally:
        live_charts.window_predictions = real


def whole_view(orch, visible) -> tuple[float, float, dict, int]:
    """(wall ms, this thread's CPU ms, figure as sent, bytes) of one ranged figure built from
    scratch. CPU time moves less with the load of a shared machine."""
    view = make_view(KINDS, visible=list(visible), labels="none")
    t0, c0 = time.perf_counter(), time.thread_time()
    figure, _ = auto_tick(orch, SYMBOL, "1m", view, None)
    text = json.dumps(unchecked.as_dict(figure), cls=plotly.utils.PlotlyJSONEncoder)
    cpu = (time.thread_time() - c0) * 1000
    return (time.perf_counter() - t0) * 1000, cpu, json.loads(text), len(text)


def markers(figure: dict) -> int:
    return sum(len(figure["data"][i]["x"]) for i in MARKER_TRACES)


def reach(figure: dict, end: int) -> str:
    """How far back the markers drawn reach, in days before the newest candle: the cap on rows
    read keeps the newest, so a wide dense range shows its newest part only."""
    xs = [x for i in MARKER_TRACES for x in figure["data"][i]["x"]]
    return f"{(end - min(xs)) / DAY:.1f}" if xs else "-"


def median_view(orch, visible) -> tuple[float, float, dict, int]:
    """Median wall and CPU ms of ``REPEAT`` builds; the last figure and its size."""
    runs = [whole_view(orch, visible) for _ in range(REPEAT)]
    wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
    return wall, cpu, runs[-1][2], runs[-1][3]


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        config = config_from_dict(
            {"data_dir": f"{folder}/data", "neural": {"bootstrap": False}}, base_dir=Path(folder)
        )
        orch = Orchestrator(config)
        end = int(time.time() * 1000) // MIN * MIN
        start = end - DAYS * DAY
        candles = year_of_minutes(DAYS, start)
        orch.store.merge_history(SYMBOL, "1m", candles)
        began = time.perf_counter()
        count = store_predictions(orch, candles)
        print(f"{len(candles):,} 1 m candles, {count:,} predictions stored in"
              f" {time.perf_counter() - began:.1f} s; {load_average()}")  # fmt: skip
        views = {"all 30 days": (start, end), "one week": (end - 14 * DAY, end - 7 * DAY),
                 "one day": (end - 3 * DAY, end - 2 * DAY),
                 "four hours": (end - 2 * DAY, end - 2 * DAY + 4 * 3_600_000)}  # fmt: skip
        print(
            "per view: median of 5 builds, wall ms and CPU ms, with the stored predictions and"
            " before (deques only); markers drawn; response KB; days back the markers reach"
        )
        heads = ("candles", "wall", "before", "ratio", "CPU", "before", "ratio", "markers",
                 "before", "KB", "before", "reach d")  # fmt: skip
        print(f"{'view':<13} " + " ".join(f"{h:>7}" for h in heads))
        whole_view(orch, views["all 30 days"])  # warm-up: the chart frame is built once
        for name, visible in views.items():
            wall, cpu, figure, size = median_view(orch, visible)
            with deques_only():
                wall0, cpu0, figure0, size0 = median_view(orch, visible)
            title = figure["layout"]["title"]["text"].split(" · ")[1]
            print(f"{name:<13} {len(figure['data'][0]['x']):>7} {wall:>7.1f} {wall0:>7.1f}"
                  f" {wall / wall0:>6.1f}x {cpu:>7.1f} {cpu0:>7.1f} {cpu / cpu0:>6.1f}x"
                  f" {markers(figure):>7} {markers(figure0):>7} {size / 1024:>7.0f}"
                  f" {size0 / 1024:>7.0f} {reach(figure, end):>7}  ({title}, view from"
                  f" {(end - visible[0]) / DAY:.1f} d back)")  # fmt: skip

        # A ranged chart following live (the last two days): plain ticks and a redraw.
        view = make_view(KINDS, visible=[end - 2 * DAY, end], labels="none")
        _, state = auto_tick(orch, SYMBOL, "1m", view, None)
        plain = []
        for _ in range(20):
            c0 = time.thread_time()
            auto_tick(orch, SYMBOL, "1m", view, state)
            plain.append((time.thread_time() - c0) * 1000)
        redraw = []
        for i in range(REPEAT):
            orch.store_dqn_prediction(SYMBOL, prediction("dqn", i, candles[-1]))
            c0 = time.thread_time()
            _, state = auto_tick(orch, SYMBOL, "1m", view, state)
            redraw.append((time.thread_time() - c0) * 1000)
        print(f"following live, two days: plain tick median {statistics.median(plain):.2f} ms CPU"
              f" (no store read), redraw after a new prediction median"
              f" {statistics.median(redraw):.1f} ms CPU")  # fmt: skip
        print(f"{load_average()}")


if __name__ == "__main__":
    main()
