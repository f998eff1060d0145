"""The page runs under its Content-Security-Policy with no console error and no CSP violation, and
another site cannot frame it (issue 19, finding 2)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """() => { window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


def test_the_page_runs_under_its_csp_with_no_console_error(page, served):
    response = page.reload()
    csp = response.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["frame-ancestors"] == ["'none'"]
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(directives["script-src"])
    assert response.headers["x-frame-options"] == "DENY"
    page.evaluate(WATCH_VIOLATIONS)
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
    # Every tab's body drawn (only the open tab's is), and the results view's (only while it is
    # open), so each lazily loaded component (tables, sliders, dropdowns, the charts) comes
    # under it.
    bodies = {"Train": "#neural-loss .main-svg", "Predictions": "#pred-versions",
              "Models": "#models-body", "Review": "#review-audit", "Backtest": "#bt-params",
              "Alerts": "#alert-list", "Annotate": "#ann-table"}  # fmt: skip
    for tab, drawn in bodies.items():
        page.get_by_role("tab", name=tab).click()
        page.locator(drawn).first.wait_for(state="attached")
        wait_for(lambda name=tab: page.locator(".nav-link.active", has_text=name).count())
    page.get_by_role("tab", name="Backtest").click()
    page.get_by_role("button", name="Results", exact=True).click()
    page.locator("#bt-runs").first.wait_for(state="attached")
    page.locator("#bt-compare-chart .main-svg").first.wait_for(state="attached")
    ticks = page.evaluate("() => document.querySelector('#chart-1s .js-plotly-plot').data.length")
    assert ticks > 0
    assert page.evaluate("() => window.__cspViolations") == []
    # The `page` fixture fails the test on any console error once it ends.
    assert served.console_errors == []


class _Framer(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = f'<!doctype html><iframe id="f" src="{self.target}" width=800 height=600></iframe>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def framing_site(served):
    """Another origin (another port) whose page frames the dashboard."""
    handler = type("Framer", (_Framer,), {"target": served.url + "/"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_another_site_cannot_frame_the_dashboard(browser, served, framing_site):
    context = browser.new_context()
    attacker = context.new_page()
    refused = []
    attacker.on("console", lambda m: refused.append(m.text))
    answered = []
    attacker.on("response", lambda r: r.url == served.url + "/" and answered.append(r.status))
    attacker.goto(framing_site)
    wait_for(lambda: answered)  # the server answered the frame's request ...
    frame = attacker.frame_locator("#f")
    # ... and the browser refused to show it: nothing of the dashboard renders in the frame.
    wait_for(lambda: any("frame" in text.lower() for text in refused))
    assert frame.locator("#chart-1m").count() == 0
    context.close()
