"""SQLite against PostgreSQL in the same run, 50 symbols at 1 s (issue 16):

- ingest CPU: the candle store taking one 1 s candle per symbol per second of simulated time
  and committing once per loop (as the feed runner does); CPU of this process, and of the
  PostgreSQL server's processes for that backend;
- commits per second: one small transaction after another (a candle batch each);
- chart-tick p99: the database reads of a chart tick (the newest predictions after a sequence
  number, the last 150 1 m candles), timed while the ingest goes on in another thread;
- a year of 1 m candles for one symbol read back (``history``).

Each figure is printed for both backends with the ratio PostgreSQL / SQLite (goal for the
chart tick: at most 1.5x). A private PostgreSQL server is started (Debian's binaries, as the
tests do: fsync and synchronous_commit off, so its commit rate is an upper bound; SQLite runs as
the app runs it, WAL with synchronous=NORMAL) and stopped at the end.

    python bench/storage.py [--quick] [--seconds 120] [--days 365]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import load_average, percentiles  # noqa: E402
from core.candles import Candle  # noqa: E402
from core.db import Database  # noqa: E402
from market.candle_store import CandleStore  # noqa: E402
from predictions.book import PredictionBook  # noqa: E402
from tests.helpers.postgres import PostgresServer  # noqa: E402

SYMBOLS = [f"S{i:02d}/USDT" for i in range(50)]
T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000


def server_cpu(server: PostgresServer | None) -> float:
    """CPU seconds of the PostgreSQL server's processes so far (0 for SQLite)."""
    if server is None:
        return 0.0
    pid = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            continue
    return total


def candle(t: int, i: int) -> Candle:
    price = 100 + (t // 1000 + i) % 17
    return Candle(t, price, price + 1, price - 1, price + 0.5, 1.0)


def ingest(store: CandleStore, seconds: int, start: int = T0) -> None:
    store.hold_writes()
    for s in range(seconds):
        t = start + s * 1000
        for i, symbol in enumerate(SYMBOLS):
            store.ingest(symbol, [candle(t, i).with_closed()])
        store.flush()


def measure(url: str, server: PostgresServer | None, seconds: int, days: int) -> dict:
    db = Database(url)
    store = CandleStore(db, {"1s": 600, "1m": 200})
    book = PredictionBook(db, SYMBOLS[:3])
    out = {}

    cpu, wall, pg = time.process_time(), time.perf_counter(), server_cpu(server)
    ingest(store, seconds)
    out["ingest_cpu_s"] = time.process_time() - cpu
    out["ingest_server_cpu_s"] = server_cpu(server) - pg
    out["ingest_wall_s"] = time.perf_counter() - wall
    out["candles_per_s"] = seconds * len(SYMBOLS) * 61 / 60 / out["ingest_wall_s"]

    began, commits = time.perf_counter(), 0
    t = T0 + seconds * 1000
    while time.perf_counter() - began < 2.0:
        with db.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO candles VALUES (?,?,?,?,?,?,?,?)",
                             [(s, "1s", t, 1, 2, 0.5, 1.5, 1) for s in SYMBOLS[:5]])  # fmt: skip
        commits += 1
        t += 1000
    out["commits_per_s"] = commits / (time.perf_counter() - began)

    for k in range(200):
        book.add("cnn", SYMBOLS[0], {"timestamp": T0 + k * 1000, "confidence": 0.6,
                                     "direction": "UP", "current_price": 100,
                                     "target_price": 101, "horizon_minutes": 5})  # fmt: skip
    stop = threading.Event()
    feeder = threading.Thread(
        target=lambda: [ingest(store, 1, T0 + (seconds + 10 + n) * 1000)
                        for n in range(10**6) if not stop.is_set()],
        daemon=True,
    )  # fmt: skip
    feeder.start()
    ticks = []
    seq = 150
    for _ in range(300):
        tick = time.perf_counter()
        book.stored_after(seq, SYMBOLS[0], 500)
        store.history(SYMBOLS[0], "1m", start=T0, limit=150)
        ticks.append((time.perf_counter() - tick) * 1000)
        time.sleep(0.01)
    stop.set()
    feeder.join(30)
    out["tick_ms"] = percentiles(ticks)

    minutes = days * 1440
    rows = [("YEAR/USDT", "1m", T0 + m * 60_000, 1.0, 2.0, 0.5, 1.5, 3.0) for m in range(minutes)]
    for chunk in range(0, minutes, 50_000):
        with db.transaction() as conn:
            conn.executemany("INSERT INTO candles VALUES (?,?,?,?,?,?,?,?)",
                             rows[chunk : chunk + 50_000])  # fmt: skip
    began = time.perf_counter()
    frame = store.history("YEAR/USDT", "1m")
    out["read_1m_s"] = time.perf_counter() - began
    out["read_1m_rows"] = len(frame)
    db.close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120, help="simulated seconds of ingest")
    parser.add_argument("--days", type=int, default=365, help="days of 1 m candles to read")
    parser.add_argument("--quick", action="store_true", help="30 s of ingest, 30 days read")
    args = parser.parse_args(argv)
    seconds, days = (30, 30) if args.quick else (args.seconds, args.days)
    print(load_average())
    server = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = {
                "sqlite": measure(str(Path(tmp) / "bench.db"), None, seconds, days),
                "postgresql": measure(server.create_database("bench"), server, seconds, days),
            }
    finally:
        server.stop()
    sqlite, pg = results["sqlite"], results["postgresql"]
    ratios = {
        "ingest_cpu (client + server)": (pg["ingest_cpu_s"] + pg["ingest_server_cpu_s"])
        / sqlite["ingest_cpu_s"],
        "commits_per_s": pg["commits_per_s"] / sqlite["commits_per_s"],
        "tick_p99": pg["tick_ms"]["p99"] / sqlite["tick_ms"]["p99"],
        "read_1m": pg["read_1m_s"] / sqlite["read_1m_s"],
    }
    print(json.dumps({"symbols": len(SYMBOLS), "seconds": seconds, "days": days,
                      "postgresql_settings": "fsync=off, synchronous_commit=off",
                      **results, "postgresql_over_sqlite": ratios}, indent=1,
                     default=lambda v: float(np.round(v, 4))))  # fmt: skip
    print(f"chart-tick p99 PostgreSQL / SQLite: {ratios['tick_p99']:.2f}x (goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
