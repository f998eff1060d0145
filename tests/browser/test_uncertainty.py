"""An annotator reviews the champion's least sure spans first: confirm, correct, dismiss."""

import pytest

from core.timefmt import format_ms
from runtime.training_jobs import train_now
from tests.helpers.browser import FAST_FEED, SMALL_TRAINING, serve_app
from tests.helpers.waiting import wait_for
from training.dataset_from_store import build_from_store

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path):
    feed = dict(FAST_FEED, backfill_1m_hours=16)
    yield from serve_app(tmp_path, {"feed": feed, "training": SMALL_TRAINING})


@pytest.fixture
def champion(served, request):
    """A champion trained on the annotator's accepted TA-Lib spans (``labelled``)."""
    request.getfixturevalue("labelled")
    build_from_store(served.orch, ["BTC/USDT"], ["1m"])
    train_now(served.orch, "xgboost")


def queue_margins(page):
    return [float(t) for t in page.locator("#review-queue td[data-dash-column='margin']")
            .all_inner_texts()]  # fmt: skip


def test_confirm_correct_and_dismiss_from_the_queue(page, served, champion):
    page.get_by_role("tab", name="Review").click()
    page.get_by_role("button", name="Load queue").click()
    wait_for(lambda: len(queue_margins(page)) >= 3, timeout=60)
    margins = queue_margins(page)
    assert margins == sorted(margins)  # least sure first
    assert "reviewed today: 0" in page.locator("#review-today").inner_text()
    first_label = page.locator("#review-queue td[data-dash-column='label']").first.inner_text()

    def verdict(button, done):
        page.locator("#review-queue input[type='radio']").first.check()
        page.get_by_role("button", name=button, exact=True).click()
        wait_for(lambda: f"reviewed today: {done}" in page.locator("#review-today").inner_text())

    verdict("Confirm", 1)
    page.locator("#review-label").select_option("breakout")
    verdict("Correct", 2)
    verdict("Dismiss", 3)
    spans = served.orch.annotations.list(source="model")
    assert sorted(s.status for s in spans) == ["accepted", "accepted", "rejected"]
    confirmed = next(s for s in spans if s.note.startswith("confirm"))
    assert confirmed.label == first_label
    assert any(s.label == "breakout" and s.note.startswith("correct") for s in spans)
    # The queue reloads without the reviewed spans.
    starts = page.locator("#review-queue td[data-dash-column='start']").all_inner_texts()
    assert not {format_ms(s.start) for s in spans} & set(starts)
