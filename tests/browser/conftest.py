"""Browser tests: the real app served in a thread, driven through Playwright in Debian's chromium.

They never skip: a missing chromium is an error that says how to install it (`make test` does).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server

from app import create_app
from core.config import config_from_dict

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Small history so a test app starts in a second or two.
FAST_FEED = {"backfill_1m_hours": 3, "backfill_1s_minutes": 5, "sim": {"tick_interval_ms": 100}}


@dataclass
class Served:
    url: str
    app: object
    orch: object
    console_errors: list = field(default_factory=list)


def serve_app(tmp_path, overrides: dict | None = None, start: bool = True) -> Iterator[Served]:
    data = {
        "data_dir": str(tmp_path / "data"),
        "feed": dict(FAST_FEED),
        "dashboard": {"refresh_interval_ms": 500},
    }
    for key, value in (overrides or {}).items():
        data[key] = value
    app = create_app(config=config_from_dict(data, base_dir=tmp_path))
    orch = app.server.extensions["orchestrator"]
    if start:
        orch.start()
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", app, orch)
    finally:
        server.shutdown()
        orch.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which("chromium") and not shutil.os.path.exists(CHROMIUM):
        pytest.fail(
            "Debian's chromium is missing: run `make test` (it installs it) or "
            "`apt-get install -y chromium`"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(tmp_path):
    yield from serve_app(tmp_path)


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and served.console_errors.append(m.text))
    page.on("pageerror", lambda e: served.console_errors.append(str(e)))
    page.goto(served.url)
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=20_000)
    page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg", timeout=20_000)
    yield page
    context.close()
    # Every browser test also proves the page logged no error (a failed Patch shows only here).
    assert served.console_errors == [], served.console_errors


def figure_data(page, tf: str, expr: str):
    """Evaluate ``expr`` with ``gd`` bound to the chart's plotly element."""
    find = f"document.querySelector('#chart-{tf} .js-plotly-plot')"
    return page.evaluate(f"() => {{ const gd = {find}; return {expr}; }}")
