"""A local HTTP server standing in for Binance, for the ccxt feed tests."""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from core.candles import Candle

MARKETS = {"BTCUSDT": ("BTC", "USDT"), "ETHUSDT": ("ETH", "USDT")}

# The feed's timeout against this server where a test is not about timeouts. It answers in
# milliseconds on a quiet machine, but a page of 1,000 candles once took over 2 s beside two CPU
# hogs and three busy workers; the fault tests keep short timeouts against its 1 s stall.
PATIENT_MS = 30_000


# ---- the market the server serves: a deterministic function of time ---------------------------
def _empty(second: int) -> bool:
    return second % 10 == 3  # no trades: a flat candle at the previous close


def _close(second: int) -> float:
    if _empty(second):
        second -= 1
    return round(30_000 + 50 * math.sin(second / 37) + 20 * math.sin(second / 11), 2)


def true_second(t: int) -> Candle:
    """The final 1 s candle opening at ``t`` (ms)."""
    s = t // 1000
    o = _close(s - 1)
    if _empty(s):
        return Candle(t, o, o, o, o, 0.0)
    c = _close(s)
    return Candle(t, o, max(o, c) + (s % 3) * 0.25, min(o, c) - (s % 5) * 0.25, c, 1.5 + s % 7)


def forming_second(t: int) -> Candle:
    """What the server says about the second ``t`` while it is still running."""
    final = true_second(t)
    c = round((final.open + final.close) / 2, 2)
    return Candle(t, final.open, max(final.open, c), min(final.open, c), c, final.volume / 2)


def true_minute(t: int) -> Candle:
    parts = [true_second(t + i * 1000) for i in range(60)]
    return Candle(
        t,
        parts[0].open,
        max(p.high for p in parts),
        min(p.low for p in parts),
        parts[-1].close,
        math.fsum(p.volume for p in parts),
    )


def trades_of(t: int) -> list[dict]:
    c = true_second(t)
    if c.volume == 0:
        return []
    q = c.volume / 4
    return [
        {"a": t + dt, "p": str(p), "q": str(q), "f": t + dt, "l": t + dt, "T": t + dt, "m": True}
        for dt, p in ((100, c.open), (300, c.high), (500, c.low), (800, c.close))
    ]


# ---- the server -----------------------------------------------------------------------------
class FakeBinance:
    """Binance's public REST API on 127.0.0.1. ``fault`` = None | "timeout" | "drop" |
    "malformed" (high below low) | "string" (a price that is not a number)."""

    def __init__(self, sleep_s: float = 1.0):
        self.fault: str | None = None
        self.sleep_s = sleep_s
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests.append(self.path)
                server.handle(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, request):
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        now = int(time.time() * 1000)
        if url.path == "/api/v3/exchangeInfo":
            return self.reply(request, 200, exchange_info())
        if url.path not in ("/api/v3/klines", "/api/v3/aggTrades"):
            return self.reply(request, 404, {"code": -1, "msg": f"no route {url.path}"})
        fault = self.fault
        if fault == "timeout":
            time.sleep(self.sleep_s)
        if fault == "drop":
            request.close_connection = True
            request.connection.close()
            return
        if query.get("symbol") not in MARKETS:
            return self.reply(request, 400, {"code": -1121, "msg": "Invalid symbol."})
        if url.path == "/api/v3/klines":
            body = klines(query, now)
            if body and fault == "malformed":
                body[-1][2] = str(float(body[-1][3]) - 5)  # high below low
            if body and fault == "string":
                body[-1][4] = "abc"
        else:
            body = agg_trades(query, now)
            if body and fault in ("malformed", "string"):
                body[-1]["p"] = "-1" if fault == "malformed" else "abc"
        return self.reply(request, 200, body)

    @staticmethod
    def reply(request, status, body):
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout test)


def exchange_info() -> dict:
    symbols = []
    for name, (base, quote) in MARKETS.items():
        symbols.append(
            {
                "symbol": name,
                "status": "TRADING",
                "baseAsset": base,
                "baseAssetPrecision": 8,
                "quoteAsset": quote,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "filters": [
                    {
                        "filterType": "PRICE_FILTER",
                        "minPrice": "0.01",
                        "maxPrice": "1000000",
                        "tickSize": "0.01",
                    },
                    {
                        "filterType": "LOT_SIZE",
                        "minQty": "0.00001",
                        "maxQty": "9000",
                        "stepSize": "0.00001",
                    },
                ],
                "permissions": ["SPOT"],
                "permissionSets": [["SPOT"]],
            }
        )
    return {"timezone": "UTC", "serverTime": int(time.time() * 1000), "symbols": symbols}


def klines(query: dict, now: int) -> list[list]:
    frame = {"1s": 1000, "1m": 60_000}[query["interval"]]
    limit = min(int(query.get("limit", 500)), 1000)
    current = now - now % frame
    if "startTime" in query:
        start = int(query["startTime"])
        start += -start % frame
    else:
        start = current - (limit - 1) * frame
    end = min(int(query.get("endTime", current)), current)
    rows = []
    for t in range(start, end + 1, frame):
        if len(rows) == limit:
            break
        if frame == 1000:
            c = true_second(t) if t < current else forming_second(t)
        else:
            c = true_minute(t) if t < current else _forming_minute(t, now)
        rows.append(
            [
                t,
                f"{c.open:.2f}",
                f"{c.high:.2f}",
                f"{c.low:.2f}",
                f"{c.close:.2f}",
                f"{c.volume}",
                t + frame - 1,
                "0",
                4,
                "0",
                "0",
                "0",
            ]
        )
    return rows


def _forming_minute(t: int, now: int) -> Candle:
    current = now - now % 1000
    parts = [true_second(s) for s in range(t, current, 1000)] + [forming_second(current)]
    return Candle(
        t,
        parts[0].open,
        max(p.high for p in parts),
        min(p.low for p in parts),
        parts[-1].close,
        math.fsum(p.volume for p in parts),
    )


def agg_trades(query: dict, now: int) -> list[dict]:
    limit = min(int(query.get("limit", 500)), 1000)
    start = int(query.get("startTime", now - 60_000))
    end = min(int(query.get("endTime", now)), now)
    out = []
    for second in range(start - start % 1000, end + 1, 1000):
        for trade in trades_of(second):
            if start <= trade["T"] <= end and len(out) < limit:
                out.append(trade)
    return out
