"""Regenerate docs/screenshot.png: a running dashboard at 1400x900 with a prediction of each
kind, a 24 h auto-label run (pending labels as the strip under the candles), a few accepted
labels, and the review list.

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
from core.config import config_from_dict  # noqa: E402
from core.pending_labels import autolabel_series  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from training.spans import Span  # noqa: E402

MINUTE = 60_000


def seed(orch) -> None:
    last = orch.store.latest("BTC/USDT", "1m")
    t, price = last.time, last.close
    for i, (action, conf) in enumerate([("BUY", 0.9), ("SELL", 0.6), ("BUY", 0.4)]):
        orch.store_dqn_prediction("BTC/USDT", {"timestamp": t - (30 - 10 * i) * MINUTE,
                                               "confidence": conf, "action": action,
                                               "price": price})  # fmt: skip
    orch.store_cnn_prediction("BTC/USDT", {"timestamp": t, "confidence": 0.8, "direction": "UP",
                                           "current_price": price, "target_price": price * 1.003,
                                           "horizon_minutes": 30})  # fmt: skip
    orch.store_transformer_prediction("BTC/USDT", {"timestamp": t, "confidence": 0.6,
                                                   "direction": "DOWN", "current_price": price,
                                                   "predicted_price": price * 0.997,
                                                   "horizon_minutes": 45})  # fmt: skip
    orch.annotations.create(Span(None, "BTC/USDT", "1m", t - 120 * MINUTE, t - 100 * MINUTE,
                                 "bull_flag", "human", "accepted"))  # fmt: skip
    autolabel_series(orch, "BTC/USDT", "1m", t - 24 * 60 * MINUTE, t)
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
