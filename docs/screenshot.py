"""Regenerate docs/screenshot.png: a running dashboard at 1400x900 after its first start trained
the CNN, transformer and DQN (live arrows, diamonds, stars), a CNN backtest whose predictions
are scored (hits filled, misses hollow), a 24 h auto-label run (pending labels as the strip
under the candles), a few accepted labels, and the review list. Takes a few minutes.

.venv/bin/python docs/screenshot.py
"""

import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from backtest.request import parse_request  # noqa: E402
from core.spans import Span  # noqa: E402
from labels.pending_labels import autolabel_series  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

MINUTE = 60_000


def wait(what: str, ready, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: {what} did not happen within {timeout:.0f} s")
        time.sleep(1)


def seed(orch) -> None:
    """Real models only: the first-start CNN, transformer and DQN predict live; a CNN backtest
    over the last twelve hours leaves scored predictions (hits filled, misses hollow)."""
    wait("first-start training", lambda: all(
        s["status"] == "ok" for s in orch.neural.status().values()), 600)  # fmt: skip
    wait("live predictions", lambda: all(
        any(p["source"] == "live" for p in orch.predictions.snapshot("BTC/USDT")[k])
        for k in ("dqn", "cnn", "transformer")), 150)  # fmt: skip
    last = orch.store.latest("BTC/USDT", "1m")
    t = last.time
    request = parse_request({"symbol": "BTC/USDT", "strategy": "cnn", "start": t - 12 * 60 * MINUTE,
                             "params": {"min_confidence": 0.4}}, orch)  # fmt: skip
    orch.backtests.run_now(request)
    orch.outcomes.run_pass()
    orch.annotations.create(Span(None, "BTC/USDT", "1m", t - 120 * MINUTE, t - 100 * MINUTE,
                                 "bull_flag", "human", "accepted"))  # fmt: skip
    autolabel_series(orch.store, orch.annotations, "BTC/USDT", "1m", t - 24 * 60 * MINUTE, t)
    # An annotator has accepted a few of the TA-Lib spans in view.
    pending = orch.annotations.list(symbol="BTC/USDT", status="pending", start=t - 90 * MINUTE)
    picked = [s for s in pending if s.label.startswith(("CDLENGULFING", "CDLHAMMER", "CDLDOJI_"))]
    orch.annotations.set_status([s.id for s in picked[:4]], "accepted")


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as data:
        config = {"data_dir": data, "feed": {"backfill_1m_hours": 36, "backfill_1s_minutes": 12}}
        app = create_app(config=config_from_dict(config))
        orch = app.server.extensions["orchestrator"]
        orch.start()
        seed(orch)
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{server.server_port}")
            page.wait_for_selector("#chart-1m .main-svg")
            time.sleep(4)
            page.screenshot(path=str(out))
            browser.close()
        server.shutdown()
        orch.stop()


if __name__ == "__main__":
    main(Path(__file__).resolve().parent / "screenshot.png")
