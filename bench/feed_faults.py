"""R3: the exchange fails 30 % of its candle and trade calls (timeouts, HTTP 500s, dropped
connections, malformed candles) while two symbols are fed through the real ccxt client and the
feed runner into SQLite. Afterwards: no 1 s candle missing or stored twice, each equal to the
exchange's own, and every 1 m candle equal to the aggregate of its 1 s candles.

The exchange is the Binance stand-in of tests/helpers/exchange.py (a local HTTP server).

    python bench/feed_faults.py [--seconds 120] [--rate 0.3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.candles import Candle, aggregate  # noqa: E402
from core.config import FeedConfig  # noqa: E402
from core.db import Database  # noqa: E402
from market.candle_store import CandleStore  # noqa: E402
from market.feed_runner import FeedRunner  # noqa: E402
from market.feeds import CcxtFeed  # noqa: E402
from tests.helpers.exchange import FakeBinance, true_minute, true_second  # noqa: E402

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
FAULTS = ("timeout", "500", "drop", "malformed", "string")


class FlakyBinance(FakeBinance):
    """Each candle or trade request fails with probability ``rate``, in one of ``FAULTS``."""

    def __init__(self, rate: float, seed: int):
        self._local = threading.local()
        super().__init__(sleep_s=0.5)
        self.rate = rate
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.calls: Counter = Counter()

    @property
    def fault(self):  # per request thread: requests for two symbols run at once
        return getattr(self._local, "fault", None)

    @fault.setter
    def fault(self, value):
        self._local.fault = value

    def handle(self, request):
        path = request.path.split("?")[0]
        fault = None
        if path in ("/api/v3/klines", "/api/v3/aggTrades"):
            with self.rng_lock:
                if self.rng.random() < self.rate:
                    fault = self.rng.choice(FAULTS)
            self.calls[fault or "ok"] += 1
        if fault == "500":
            return self.reply(request, 500, {"code": -1000, "msg": "internal error"})
        self.fault = fault
        return super().handle(request)


def stored(db: Database, symbol: str, timeframe: str) -> list[Candle]:
    rows = db.query(
        "SELECT time, open, high, low, close, volume FROM candles"
        " WHERE symbol=? AND timeframe=? ORDER BY time",
        (symbol, timeframe),
    )
    return [Candle(*tuple(r)) for r in rows]


def check(db: Database, symbol: str) -> dict:
    seconds, minutes = stored(db, symbol, "1s"), stored(db, symbol, "1m")
    times = [c.time for c in seconds]
    expected = set(range(times[0], times[-1] + 1000, 1000))
    by_minute: dict[int, list[Candle]] = {}
    for c in seconds:
        by_minute.setdefault(c.time - c.time % 60_000, []).append(c)
    whole = {t: parts for t, parts in by_minute.items() if len(parts) == 60}
    minute_at = {c.time: c for c in minutes}
    return {
        "seconds": len(seconds),
        "missing": len(expected - set(times)),
        "duplicates": len(times) - len(set(times)),
        "wrong_seconds": sum(c != true_second(c.time) for c in seconds),
        "minutes": len(minutes),
        "wrong_minutes": sum(c != true_minute(c.time) for c in minutes),
        "minutes_checked_against_seconds": len(whole),
        "minutes_unlike_their_seconds": sum(
            t not in minute_at or minute_at[t] != aggregate(parts, t, closed=True)
            for t, parts in whole.items()
        ),
    }


def run(seconds: float, rate: float, seed: int, folder: Path) -> dict:
    exchange = FlakyBinance(rate, seed)
    db = Database(folder / "faults.db")
    store = CandleStore(db)
    feed = CcxtFeed(api_url=exchange.url, timeout_ms=300)
    config = FeedConfig(poll_interval_s=0.1, backoff_initial_s=0.05, backoff_max_s=0.5)
    runner = FeedRunner(feed, store, SYMBOLS, config)
    try:
        runner.backfill_all(5 * 60_000, 90_000)
        runner.start()
        time.sleep(seconds)
        exchange.rate = 0.0  # let it catch up, then compare
        calls = dict(exchange.calls)
        began = time.time() * 1000
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            latest = [store.latest(s, "1s") for s in SYMBOLS]
            if all(c is not None and c.time >= began + 2000 for c in latest):
                break
            time.sleep(0.1)
    finally:
        runner.stop()
        exchange.close()
    result = {s: check(db, s) for s in SYMBOLS}
    db.close()
    total = sum(calls.values())
    return {"calls": calls, "fault_share": round(1 - calls.get("ok", 0) / max(total, 1), 3),
            "symbols": result}  # fmt: skip


def clean(result: dict) -> bool:
    keys = ("missing", "duplicates", "wrong_seconds", "wrong_minutes")
    keys += ("minutes_unlike_their_seconds",)
    return all(r[k] == 0 for r in result["symbols"].values() for k in keys)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="20 s")
    args = parser.parse_args(argv)
    import logging

    from bench.harness import load_average

    logging.basicConfig(level=logging.ERROR)  # each injected fault logs a warning
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        result = run(20.0 if args.quick else args.seconds, args.rate, args.seed, Path(tmp))
    print(json.dumps(result, indent=1))
    return 0 if clean(result) else 1


if __name__ == "__main__":
    sys.exit(main())
