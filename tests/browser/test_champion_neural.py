"""Champion by hand moves neural versions too (promotion and rollback), and an empty reason is
refused before the confirmation is asked."""

from __future__ import annotations

import pytest

from runtime.neural_jobs import train_kind
from serving.neural_inference import champion_version
from tests.helpers.browser import FAST_FEED, serve_app
from tests.helpers.neural_data import SMALL_SPEC, TINY_PARAMS
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser

NEURAL = {"window": 8, "horizon": 3, "features": SMALL_SPEC.to_dict(), "params": TINY_PARAMS,
          "bootstrap": False}  # fmt: skip


@pytest.fixture
def served(tmp_path):
    feed = dict(FAST_FEED, backfill_1m_hours=4)
    yield from serve_app(tmp_path, {"feed": feed, "neural": NEURAL})


def test_promote_and_roll_back_a_neural_version_and_refuse_an_empty_reason(page, served):
    orch = served.orch
    for _ in range(2):
        train_kind(orch, "cnn")
    asked = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_role("tab", name="Train").click()
    page.locator("#champion-kind").select_option("cnn")
    options = page.locator("#champion-version option")
    wait_for(lambda: [t.split()[0] for t in options.all_inner_texts()][-2:] == ["v2", "v1"])
    assert sum("★ champion" in t for t in options.all_inner_texts()) == 1
    message = page.locator("#champion-message")
    picked = page.locator("#champion-picked")
    button = page.get_by_role("button", name="Make champion")
    for target in ("1", "2", "1"):
        page.locator("#champion-version").select_option(target)
        wait_for(lambda t=target: f"Picked version {t} (cnn)" in picked.inner_text())
        # No reason: refused in the panel before anything is asked; nothing moves.
        before = champion_version(orch.config, "cnn")
        count = len(asked)
        page.locator("#champion-reason").fill("  ")
        wait_for(lambda: "say why in the reason box" in picked.inner_text())
        assert button.is_disabled()
        button.click(force=True)  # a press on the disabled button asks nothing
        assert len(asked) == count and champion_version(orch.config, "cnn") == before
        page.locator("#champion-reason").fill(f"back to v{target} for the test")
        wait_for(lambda: button.is_enabled())
        button.click()
        wait_for(lambda c=count: len(asked) == c + 1)
        assert f"Make version {target} (cnn) the champion?" in asked[-1]
        wait_for(lambda t=target: f"to version {t}" in message.inner_text(), timeout=30)
        assert "cnn Champion" in message.inner_text()
        assert champion_version(orch.config, "cnn") == target
        wait_for(lambda t=target: orch.neural.models()["cnn"].version == t, timeout=30)
        # The move is in the audit list, with the person of the page.
        entry = orch.audit.list(limit=1)[0]
        assert entry["action"].startswith("champion") and f"cnn v{target}" in entry["detail"]
        assert entry["person"] == orch.config.annotations.author
