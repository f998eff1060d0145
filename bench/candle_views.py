"""Full history at every zoom: a year of 1 m candles (525,600) for one symbol, viewed as a trader
would (zoom out to all of it, pan across it, zoom in to an hour) through ``GET /api/candles``.

Prints, per view, the server time (the request through Flask's test client: read, pick, JSON),
the response size and the candles drawn, with p50/p99, against aggregating the 1 m candles on
every read (what a chart without rollups does) in the same run. Goals: p99 <= 150 ms per view,
<= 250 KB per response, <= 2,500 candles.

    python bench/candle_views.py            # a year of 1 m candles
    python bench/candle_views.py --quick    # 30 days
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from core.candles import Candle, timeframe_ms  # noqa: E402
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
        times, sizes, counts, alt = [], [], [], []
        for lo, hi in views(start, end):
            t0 = time.perf_counter()
            response = client.get(f"/api/candles?symbol=YEAR%2FUSD&start={lo}&end={hi}")
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.get_json()
            sizes.append(len(response.data) / 1024)
            counts.append(len(response.get_json()["candles"]))
            t0 = time.perf_counter()
            on_read(orch.store._db, lo, hi, 2000)
            alt.append((time.perf_counter() - t0) * 1000)
        p = lambda v, q: float(np.percentile(v, q))  # noqa: E731
        print(f"{len(times)} views over {days} days (zoom out, pan, zoom in)")
        print(f"  rollups: p50 {p(times, 50):.1f} ms, p99 {p(times, 99):.1f} ms (goal <= 150)")
        print(f"  aggregate on read (SQL GROUP BY, rows only, no JSON): p50 {p(alt, 50):.1f} ms,"
              f" p99 {p(alt, 99):.1f} ms")  # fmt: skip
        print(
            f"  slowest view: {max(times):.1f} ms (view {int(np.argmax(times))}: the first"
            " is a cold read connection)"
        )
        print(f"  ratio p99 on-read / rollups: {p(alt, 99) / p(times, 99):.1f}x")
        print(
            f"  response: max {max(sizes):.0f} KB (goal <= 250), candles: max {max(counts)}"
            " (goal <= 2,500)"
        )


if __name__ == "__main__":
    main()
