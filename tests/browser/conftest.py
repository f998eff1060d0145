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
    WarmProfile,
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
def playwright():
    from playwright.sync_api import sync_playwright

    if not shutil.os.path.exists(CHROMIUM):
        pytest.fail(
            f"Debian's chromium headless shell is missing ({CHROMIUM}): run `make test` (it "
            "installs it) or `apt-get install -y chromium chromium-headless-shell`"
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def served(tmp_path):
    yield from serve_app(tmp_path)


@pytest.fixture(scope="session")
def warm_profile(playwright, tmp_path_factory):
    """The worker's ``WarmProfile``: the ``page`` fixture's pages, the kept pages and
    ``own_page``, one after another (a check that needs another time zone, a sign-in or two
    people at once takes a context of its own)."""
    profile = WarmProfile(playwright, tmp_path_factory.mktemp("profile"), DEFAULT_VIEWPORT)
    yield profile
    profile.close()


@pytest.fixture
def page(warm_profile, served):
    page = warm_profile.context.new_page()
    page.set_default_timeout(60_000)  # sized for a busy machine
    page.on("console", lambda m: m.type == "error" and served.console_errors.append(m.text))
    page.on("pageerror", lambda e: served.console_errors.append(str(e)))
    page.goto(served.url)
    page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg", timeout=60_000)
    yield page
    page.close()
    # Same origin for every test: what this one stored in the browser must not reach the next.
    warm_profile.forget(served.url)
    # Every browser test also proves the page logged no error (a failed Patch shows only here).
    assert served.console_errors == [], (served.console_errors, served.server_errors)


@pytest.fixture
def labelled(served):
    return accept_common_autolabels(served.orch)


@pytest.fixture(scope="module")
def page_keeper(request, warm_profile):
    """The module's ``KeptPage``, on the module's ``served`` app (module scope), in the
    worker's profile at the module's ``VIEWPORT`` (else 1500x1000), tidied with the module's
    ``tidy(page)`` if any. What the module's pages stored in the browser goes with it."""
    served = request.getfixturevalue("served")
    viewport = getattr(request.module, "VIEWPORT", DEFAULT_VIEWPORT)
    keeper = KeptPage(warm_profile, served.url, getattr(request.module, "tidy", None), viewport)
    yield keeper
    left = list(keeper.errors)  # what the page logged after the module's last test on it
    keeper.close()
    warm_profile.forget(served.url)
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
def own_page(request, warm_profile, served, page_keeper):
    """A page of the module's app that starts with nothing stored in the browser and takes what
    it stores there with it, for a check that leaves what the kept page's checks must not see.
    The kept page is put away first: none ticks beside it (and one opened after this starts
    with nothing stored too, as the module's first did)."""
    page_keeper.put_away()
    warm_profile.forget(served.url)
    viewport = getattr(request.module, "VIEWPORT", DEFAULT_VIEWPORT)
    page, errors = open_page(warm_profile.context, served.url, viewport)
    page.wait_for_selector("#chart-1s .js-plotly-plot .main-svg", timeout=60_000)
    yield page
    page.close()
    warm_profile.forget(served.url)
    assert errors == [], errors
