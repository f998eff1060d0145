"""Browser tests: the real app served in a thread, driven through Playwright in Debian's chromium
(its headless shell, ``tests.helpers.browser.CHROMIUM``).

They never skip: a missing chromium is an error that says how to install it (`make test` does).
"""

from __future__ import annotations

import shutil

import pytest

from tests.helpers.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    KeptPage,
    accept_common_autolabels,
    open_page,
    serve_app,
)

DEFAULT_VIEWPORT = {"width": 1500, "height": 1000}

FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Marks a test whose setup or call failed, for ``kept_page`` (it opens a fresh page next)."""
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.os.path.exists(CHROMIUM):
        pytest.fail(
            f"Debian's chromium headless shell is missing ({CHROMIUM}): run `make test` (it "
            "installs it) or `apt-get install -y chromium chromium-headless-shell`"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(tmp_path):
    yield from serve_app(tmp_path)


@pytest.fixture(scope="session")
def shared_context(browser):
    """One context for the ``page`` fixture's pages (they share an origin, see ``serve_app``).
    Not for speed: an opening in a fresh context costs the same CPU as in this one."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    yield context
    context.close()


@pytest.fixture
def page(shared_context, served):
    page = shared_context.new_page()
    page.set_default_timeout(60_000)  # sized for a busy machine
    page.on("console", lambda m: m.type == "error" and served.console_errors.append(m.text))
    page.on("pageerror", lambda e: served.console_errors.append(str(e)))
    page.goto(served.url)
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg", timeout=60_000)
    yield page
    # Same origin for every test: what this one stored in the browser must not reach the next.
    if not page.is_closed() and page.url.startswith(served.url):
        page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    shared_context.clear_cookies()
    page.close()
    # Every browser test also proves the page logged no error (a failed Patch shows only here).
    assert served.console_errors == [], (served.console_errors, served.server_errors)


@pytest.fixture
def labelled(served):
    return accept_common_autolabels(served.orch)


@pytest.fixture(scope="module")
def page_keeper(request, browser):
    """The module's ``KeptPage``, on the module's ``served`` app (module scope), in a context of
    the module's ``VIEWPORT`` (else 1500x1000), tidied with the module's ``tidy(page)`` if any."""
    served = request.getfixturevalue("served")
    context = browser.new_context(viewport=getattr(request.module, "VIEWPORT", DEFAULT_VIEWPORT))
    keeper = KeptPage(context, served.url, getattr(request.module, "tidy", None))
    yield keeper
    left = list(keeper.errors)  # what the page logged after the module's last test on it
    keeper.close()
    context.close()
    assert left == [], ("logged after the last test", left)


@pytest.fixture
def kept_page(request, page_keeper):
    """The module's kept page (``KeptPage``): for a test that only reads the page or puts back
    what it changes. Every test on it still proves the page logged no error meanwhile."""
    page, errors = page_keeper.take()
    yield page
    page_keeper.give_back(failed=request.node.stash.get(FAILED, False) or bool(errors))
    assert errors == [], errors


@pytest.fixture
def own_page(request, browser, served, page_keeper):
    """A page of the module's app in a context of its own (what it stores in the browser stays
    there), for a check that leaves what the kept page's checks must not see. The kept page is
    put away first: none ticks beside it."""
    page_keeper.put_away()
    context = browser.new_context(viewport=getattr(request.module, "VIEWPORT", DEFAULT_VIEWPORT))
    page, errors = open_page(context, served.url)
    page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg", timeout=60_000)
    yield page
    context.close()
    assert errors == [], errors
