"""An operator builds a dataset, trains a model from the Train panel, and sees its patterns."""

import pytest

from tests.helpers.browser import FAST_FEED, SMALL_TRAINING, message_text, serve_app
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path):
    feed = dict(FAST_FEED, backfill_1m_hours=16)
    yield from serve_app(tmp_path, {"feed": feed, "training": SMALL_TRAINING})


def pattern_count(page):
    return page.evaluate(
        "() => ((document.querySelector('#chart-1m .js-plotly-plot').layout.shapes) || [])"
        ".filter(s => (s.name || '').startsWith('pattern:')).length"
    )


def test_train_from_the_panel_then_see_patterns_and_filter_them(page, served, labelled):
    page.get_by_role("tab", name="Train").click()
    page.get_by_role("button", name="Build dataset from accepted labels").click()
    # The build runs as a job: its stages, then the result, show in the status line.
    wait_for(lambda: "Dataset " in page.locator("#train-status").inner_text())
    assert "rows" in page.locator("#train-status").inner_text()
    page.get_by_role("button", name="Train", exact=True).click()
    # The start shows in the status line, which follows the job (no alert outlives it).
    wait_for(lambda: "train xgboost" in page.locator("#train-status").inner_text()
             or "Done" in page.locator("#train-status").inner_text())  # fmt: skip
    # Progress shows a stage while it runs, then the result.
    wait_for(lambda: "Done: version 1" in page.locator("#train-status").inner_text(), timeout=120)
    wait_for(lambda: "★ champion" in page.locator("#train-runs").inner_text())
    assert "Champion: xgboost version 1" in page.locator("#train-champion").inner_text()
    assert page.locator("#train-classes td[data-dash-column='label']").count() >= 2

    # The champion labels the recent candles; its spans show as outlined boxes.
    slider = page.locator("#pattern-min-confidence [role='slider']")
    slider.focus()
    page.keyboard.press("Home")  # confidence >= 0: every predicted span
    everything = wait_for(lambda: pattern_count(page), timeout=60)
    outline = page.evaluate(
        "() => document.querySelector('#chart-1m .js-plotly-plot').layout.shapes"
        ".find(s => (s.name || '').startsWith('pattern:'))"
    )
    assert outline["fillcolor"] == "rgba(0,0,0,0)" and outline["line"]["dash"] == "dash"
    slider.focus()
    page.keyboard.press("End")  # confidence >= 1: the low-confidence spans disappear
    wait_for(lambda: pattern_count(page) < everything)

    # Active learning: the model's spans go to review; the annotator dismisses one.
    slider.focus()
    page.keyboard.press("Home")
    page.get_by_role("tab", name="Annotate").click()
    page.get_by_role("button", name="Review model spans").click()
    wait_for(lambda: "model spans to review" in page.locator("#ann-message").inner_text())
    sent = served.orch.annotations.list(source="model", status="pending")
    assert sent and all(s.note.startswith("predicted by model version 1") for s in sent)
    page.locator("#ann-filter-source").click()
    page.get_by_role("option", name="model").click()
    wait_for(lambda: set(page.locator("#ann-table td[data-dash-column='source']").all_inner_texts())
             == {"model"})  # fmt: skip
    page.locator("#ann-table td[data-dash-column='label']").first.click()
    wait_for(lambda: page.locator("#ann-edit-label").input_value() != "")
    page.get_by_role("button", name="Reject", exact=True).click()
    wait_for(lambda: len(served.orch.annotations.list(source="model", status="rejected")) == 1)


def test_training_with_no_dataset_says_what_to_do(page, served):
    page.get_by_role("tab", name="Train").click()
    page.get_by_role("button", name="Build dataset from accepted labels").click()
    wait_for(lambda: "no accepted spans" in page.locator("#train-message").inner_text())
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for(
        lambda: (
            "failed" in page.locator("#train-status").inner_text()
            or "no dataset" in message_text(page)
        ),
    )
    assert "build one from accepted labels" in (
        page.locator("#train-status").inner_text() + message_text(page)
    )
