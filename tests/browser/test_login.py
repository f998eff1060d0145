"""With server.auth_token set, a person signs in through the form and then sees the charts."""

import pytest

from tests.helpers.browser import serve_app
from tests.helpers.waiting import wait_for

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
    wait_for(lambda: "not right" in page.inner_text("body"))  # the answer is a new page
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


def test_signing_out_ends_the_session(browser, locked):
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and locked.console_errors.append(m.text))
    page.goto(locked.url)
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
    cookie = next(c for c in context.cookies() if c["name"] == "tradedash_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert locked.console_errors == []  # nothing went wrong while signed in
    page.click("#sign-out")
    page.wait_for_url("**/login")
    assert not [c for c in context.cookies() if c["name"] == "tradedash_session"]
    page.goto(locked.url)
    assert "/login" in page.url  # signed out: the page asks for the token again
    # A copy of the cookie taken before signing out opens nothing either.
    other = browser.new_context()
    other.add_cookies([cookie])
    status = other.request.get(f"{locked.url}/api/health").status
    assert status == 401
    other.close()
    context.close()
    # The charts' updates that were in flight when the session ended are refused (401) as the
    # page leaves; anything else in the console is a fault.
    assert [e for e in locked.console_errors if "status of 401" not in e] == []
