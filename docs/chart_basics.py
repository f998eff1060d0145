"""Regenerate docs/crosshair.png (the minute chart with the crosshair's price and time tags beside
the last-price tag, local time) and docs/keys.png (the `?` list of keys) at 1400x900, from a
fresh app on the simulator (no training). Takes about a minute.

.venv/bin/python docs/chart_basics.py
"""

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        config = {"data_dir": data, "feed": {"backfill_1m_hours": 6, "backfill_1s_minutes": 10},
                  "neural": {"bootstrap": False}}  # fmt: skip
        app = create_app(config=config_from_dict(config))
        orch = app.server.extensions["orchestrator"]
        orch.start()
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": 1400, "height": 900}, timezone_id="Europe/Berlin"
            )
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"http://127.0.0.1:{server.server_port}")
            page.wait_for_selector("#chart-1m .main-svg")
            page.locator("#time-zone").get_by_label("local").check()
            page.wait_for_function(
                "() => (document.querySelector('#chart-1m .ohlcv-legend') || {}).textContent"
                "?.includes('UTC+')"
            )
            box = page.locator("#chart-1m .nsewdrag").first.bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.35)
            page.wait_for_selector("#chart-1m .crosshair-price", state="visible")
            page.locator("#chart-1m").screenshot(path=str(HERE / "crosshair.png"))
            page.mouse.move(5, 5)
            page.keyboard.press("?")
            page.wait_for_selector("#key-help", state="visible")
            page.screenshot(path=str(HERE / "keys.png"), clip={"x": 400, "y": 40, "width": 600,
                                                              "height": 420})  # fmt: skip
            browser.close()
        server.shutdown()
        orch.stop()


if __name__ == "__main__":
    main()
