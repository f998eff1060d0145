"""With server.auth_token set, a person signs in through the form and then sees the charts."""

import pytest

from tests.helpers.browser import serve_app

pytestmark = pytest.mark.browser

TOKEN = "a-long-random-token-for-tests"


@pytest.fixture
def locked(tmp_path):
    yield from serve_app(tmp_path, {"server": {"auth_token": TOKEN}})


def test_signing_in_with_the_token_opens_the_dashboard(browser, locked):
    page = browser.new_page()
    page.set_default_timeout(60_000)  # sized for a busy machine
    page.on("console", lambda m: m.type == "error" and locked.console_errors.append(m.text))
    page.goto(locked.url)
    assert "/login" in page.url
    page.fill("#token", "not the token")
    page.click("button[type=submit]")
    assert "not right" in page.inner_text("body")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
    assert "/login" not in page.url
    # The REST API called from the signed-in page rides on the same cookie.
    status = page.evaluate("() => fetch('/api/health').then(r => r.status)")
    assert status == 200
    page.close()
    # A refused first attempt logs a 401 for the form post; nothing else may be in the console.
    assert [e for e in locked.console_errors if "401" not in e] == []
