"""Named people in the page (issue 18, *Roles*): a viewer signs in at /login, sees their name,
and reads why Save span and Train are refused; an annotator saves a span in their own name."""

import pytest

from tests.helpers.browser import select_range, serve_app, sign_in
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

VIEWER, ANNOTATOR = "vic-token-0123456789", "ann-token-0123456789"
USERS = [{"name": "vic", "role": "viewer", "token": VIEWER},
         {"name": "ann", "role": "annotator", "token": ANNOTATOR}]  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("roles"), {"server": {"users": USERS}})


def test_a_viewer_sees_their_name_and_reads_each_refusal(browser, served):
    context, page = sign_in(browser, served, VIEWER)
    assert page.locator("#signed-in").inner_text() == "vic · viewer"
    name = page.locator("#user-name")
    assert name.input_value() == "vic" and name.is_disabled()
    page.get_by_role("button", name="Save span").click()
    message = page.locator("#ann-message")
    wait_for(lambda: "may not" in message.inner_text())
    assert message.inner_text() == "viewer 'vic' may not save spans: annotators and operators may"
    page.get_by_role("tab", name="Train").click()
    page.get_by_role("button", name="Train", exact=True).click()
    trained = page.locator("#train-message")
    wait_for(lambda: "may not" in trained.inner_text())
    assert trained.inner_text() == "viewer 'vic' may not train models: operators may"
    assert served.orch.annotations.list() == [] and served.orch.jobs.list() == []
    context.close()
    assert served.console_errors == []


def test_an_annotator_saves_a_span_in_their_own_name(browser, served):
    context, page = sign_in(browser, served, ANNOTATOR)
    assert page.locator("#user-name").input_value() == "ann"
    select_range(page)
    page.locator("#ann-label").fill("bull_flag")
    page.get_by_role("button", name="Save span").click()
    wait_for(lambda: "Saved bull_flag" in page.locator("#ann-message").inner_text())
    [saved] = served.orch.annotations.list()
    assert saved.author == "ann"
    assert served.orch.audit.list(limit=1)[0]["person"] == "ann"
    context.close()
    assert served.console_errors == []
