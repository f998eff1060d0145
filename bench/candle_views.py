"""Full history at every zoom: a year of 1 m candles (525,600) for one symbol, viewed as a trader
would (zoom out to all of it, pan across it, zoom in to an hour), twice:

- the minute chart in auto: its Dash callback (the tick after a zoom or pan, with the chart's
  state from the view before) through Flask's test client, figure and JSON included, against
  the same callback with every figure checked by plotly (the path before the chart frame was
  built once), in the same run;
- ``GET /api/candles``, against aggregating the 1 m candles on every read (what a chart without
  rollups does).

Prints, per view, the server time (wall and this thread's CPU: the machine is shared, CPU time
moves less with its load), the response size and the candles drawn, with p50/p99. Goals: p99
<= 150 ms per view, <= 250 KB per response, <= 2,500 candles.

    python bench/candle_views.py            # a year of 1 m candles
    python bench/candle_views.py --quick    # 30 days
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from bench.harness import load_average  # noqa: E402
from core.candles import Candle, timeframe_ms  # noqa: E402
from dashboard.figures import chart_frame, unchecked  # noqa: E402
from market import rollups  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402

DAY = 86_400_000
MIN = 60_000
SYMBOL = "YEAR/USD"


def year_of_minutes(days: int, start: int) -> list[Candle]:
    rng = np.random.default_rng(1)
    n = days * 1440
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0005, n)))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0003, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0003, n)))
    volume = rng.uniform(1, 10, n)
    times = start + np.arange(n, dtype=np.int64) * MIN
    # Prices on a 0.01 tick and volumes to 4 decimals, as an exchange sends them.
    open_, high, low, close = (np.round(a, 2) for a in (open_, high, low, close))
    high = np.maximum(high, np.maximum(open_, close))
    low = np.minimum(low, np.minimum(open_, close))
    volume = np.round(volume, 4)
    return [Candle(int(t), o, h, lo, c, v) for t, o, h, lo, c, v in
            zip(times.tolist(), open_.tolist(), high.tolist(), low.tolist(), close.tolist(),
                volume.tolist(), strict=True)]  # fmt: skip


def views(start: int, end: int) -> list[tuple[int, int]]:
    """Zoom out to everything, pan across it at a month's width, then zoom in to an hour."""
    out = [(start, end)]
    width = 30 * DAY
    out += [(t, t + width) for t in range(end - width, start, -width // 2)][:12]
    width = DAY
    out += [(t, t + width) for t in range(end - width, end - 20 * DAY, -width // 2)]
    out += [(end - 3_600_000 - i * 600_000, end - i * 600_000) for i in range(20)]
    return out


def on_read(db, start: int, end: int, max_slots: int) -> tuple[int, int]:
    """The alternative: aggregate the stored 1 m candles in SQL on every view."""
    tf = rollups.pick_timeframe(rollups.ladder("1m"), start, end, max_slots)
    frame = timeframe_ms(tf)
    rows = db.query(
        "SELECT time - time % ? AS b, MIN(time), MAX(time), MAX(high), MIN(low), SUM(volume)"
        " FROM candles WHERE symbol=? AND timeframe='1m' AND time>=? AND time<? GROUP BY b"
        " ORDER BY b",
        (frame, SYMBOL, start, end),
    )
    return len(rows), frame


def p(values, q) -> float:
    return float(np.percentile(values, q))


def report(label: str, got: dict) -> None:
    print(f"{label}: {len(got['wall'])} views")
    print(f"  server time p50 {p(got['wall'], 50):.1f} ms, p99 {p(got['wall'], 99):.1f} ms"
          f" (goal <= 150); CPU p50 {p(got['cpu'], 50):.1f} ms, p99 {p(got['cpu'], 99):.1f} ms;"
          f" slowest view {int(np.argmax(got['wall']))}")  # fmt: skip
    print(f"  response: max {max(got['kb']):.0f} KB (goal <= 250), candles: max"
          f" {max(got['candles'])} (goal <= 2,500)")  # fmt: skip


def chart_body(dependencies: list[dict], visible, state, n: int) -> dict:
    """The minute chart's tick callback as the page sends it after a zoom or pan."""
    dep = next(d for d in dependencies if '"type":"chart"}.figure' in d["output"])
    values = {
        "tick.n_intervals": n, "overlay-toggles.value": ["dqn", "cnn", "transformer", "pattern"],
        "pattern-min-confidence.value": 0.8, "labels-shown.value": "all",
        "chart-timeframe.value": "auto", "symbol-select.value": SYMBOL,
        "chart-state.data": state, "chart-visible.data": visible,
    }  # fmt: skip

    def ref(item: dict) -> dict:
        component = item["id"]
        if component.startswith("{"):
            matched = {"tf": "1m", "symbol": SYMBOL}
            component = {k: (matched[k] if v == ["MATCH"] else v)
                          for k, v in json.loads(component).items()}  # fmt: skip
            name = component["type"]
        else:
            name = component
        return {"id": component, "property": item["property"],
                "value": values.get(f"{name}.{item['property']}")}  # fmt: skip

    outputs = [{"id": {"type": t, "tf": "1m", "symbol": SYMBOL}, "property": prop}
               for t, prop in (("chart", "figure"), ("chart-state", "data"))]  # fmt: skip
    return {"output": dep["output"], "outputs": outputs,
            "inputs": [ref(i) for i in dep["inputs"]], "state": [ref(i) for i in dep["state"]],
            "changedPropIds": ["tick.n_intervals"]}  # fmt: skip


def chart_views(client, spans) -> dict:
    dependencies = client.get("/_dash-dependencies").get_json()
    got = {"wall": [], "cpu": [], "kb": [], "candles": []}
    # One view first: the chart frame is built once per process, as the page's first draw does.
    client.post("/_dash-update-component", json=chart_body(dependencies, list(spans[-1]), None, 0))
    state = None
    for n, (lo, hi) in enumerate(spans, start=1):
        body = chart_body(dependencies, [lo, hi], state, n)
        t0, c0 = time.perf_counter(), time.thread_time()
        response = client.post("/_dash-update-component", json=body)
        got["cpu"].append((time.thread_time() - c0) * 1000)
        got["wall"].append((time.perf_counter() - t0) * 1000)
        assert response.status_code in (200, 204), response.data[:500]
        # A view inside the loaded range answers with a Patch (or nothing): the candles drawn
        # stay those of the last whole figure.
        answer = response.get_json()["response"] if response.status_code == 200 else {}
        figure = next((v["figure"] for k, v in answer.items() if '"chart"' in k), {})
        state = next((v["data"] for k, v in answer.items() if '"chart-state"' in k), state)
        drawn = len(figure["data"][0]["x"]) if "data" in figure else got["candles"][-1]
        got["kb"].append(len(response.data) / 1024)
        got["candles"].append(drawn)
    return got


def api_views(client, orch, spans) -> dict:
    got = {"wall": [], "cpu": [], "kb": [], "candles": [], "alt": []}
    for lo, hi in spans:
        t0, c0 = time.perf_counter(), time.thread_time()
        response = client.get(f"/api/candles?symbol=YEAR%2FUSD&start={lo}&end={hi}")
        got["cpu"].append((time.thread_time() - c0) * 1000)
        got["wall"].append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.get_json()
        got["kb"].append(len(response.data) / 1024)
        got["candles"].append(len(response.get_json()["candles"]))
        t0 = time.perf_counter()
        on_read(orch.store._db, lo, hi, 2000)
        got["alt"].append((time.perf_counter() - t0) * 1000)
    return got


@contextlib.contextmanager
def checked_plotly():
    """Charts built as before: a fresh figure checked by plotly (the frame's template and axes
    validated again), the candle columns set through plotly's checks, the Figure handed to
    Dash's encoder."""
    new_chart, fill, as_dict = chart_frame.new_chart, unchecked.fill, unchecked.as_dict

    def checked_chart():
        return go.Figure(layout=copy.deepcopy(chart_frame._frame()))

    def checked_fill(fig, index, **columns):
        fig.data[index].update(**columns)

    patched = (checked_chart, checked_fill, lambda fig: fig)  # Dash encodes the Figure itself
    chart_frame.new_chart, unchecked.fill, unchecked.as_dict = patched
    try:
        yield
    finally:
        chart_frame.new_chart, unchecked.fill, unchecked.as_dict = new_chart, fill, as_dict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 days instead of 365")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    days = 30 if args.quick else 365
    start = 1_672_531_200_000  # 2023-01-01 UTC
    with tempfile.TemporaryDirectory() as folder:
        config = config_from_dict(
            {"data_dir": f"{folder}/data", "neural": {"bootstrap": False}},
            base_dir=Path(folder),
        )
        app = create_app(config=config)
        orch = app.server.extensions["orchestrator"]
        candles = year_of_minutes(days, start)
        began = time.perf_counter()
        orch.store.merge_history(SYMBOL, "1m", candles)
        stored_s = time.perf_counter() - began
        print(f"{len(candles):,} 1 m candles stored and rolled up in {stored_s:.1f} s")
        client = app.server.test_client()
        client.get("/")  # Dash builds its page on the first request: not a view's cost
        # The bulk import leaves a large WAL; SQLite checkpoints it on its own in time.
        orch.store._db._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        end = start + days * DAY
        print(f"{load_average()}")
        chart = chart_views(client, views(start, end))
        with checked_plotly():
            checked = chart_views(client, views(start, end))
        report("minute chart in auto (Dash callback)", chart)
        report("  the same, every figure checked by plotly (before)", checked)
        wall, cpu = (p(checked[k], 99) / p(chart[k], 99) for k in ("wall", "cpu"))
        print(f"  ratio p99 checked / now: wall {wall:.1f}x, CPU {cpu:.1f}x")
        api = api_views(client, orch, views(start, end))
        report("GET /api/candles", api)
        print(f"  aggregate on read (SQL GROUP BY, rows only, no JSON): p50 {p(api['alt'], 50):.1f}"
              f" ms, p99 {p(api['alt'], 99):.1f} ms; ratio p99 on-read / rollups:"
              f" {p(api['alt'], 99) / p(api['wall'], 99):.1f}x")  # fmt: skip
        print(f"{load_average()}")


if __name__ == "__main__":
    main()
