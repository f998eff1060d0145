"""An operator builds a dataset, trains a model from the Train panel, and sees its patterns.

One app for the module and one kept page its tests take turns on: an opening costs about 4 s of
chromium CPU. The check with no dataset needs an app where nothing is
accepted and no dataset built: it comes first in the file and gets the module's app and page
while that holds there; after the training check (which accepts labels and builds a dataset
there) it gets an app of its own. The training check is the only one that registers a model or
sends model spans to review, so its model is version 1 in any order; it waits for the jobs it
started and reads the spans and rejections added since it began. It sets every field it relies
on (the model to train, the confidence slider, the source filter), and the check before it
changes none, so no ``tidy`` is needed (the words that check leaves in the status line go only
with a reload, and the training check waits for its own jobs' words)."""

import pytest

from tests.helpers.browser import (
    FAST_FEED,
    SMALL_TRAINING,
    app_and_page,
    message_text,
    new_job,
    serve_app,
    train_status,
)
from tests.helpers.waiting import wait_for
from training.datasets import list_datasets

pytestmark = pytest.mark.browser

OVERRIDES = {"feed": dict(FAST_FEED, backfill_1m_hours=16), "training": SMALL_TRAINING}
VIEWPORT = {"width": 1500, "height": 1000}  # (the kept page's, for a page of its own too)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("training"), OVERRIDES)


@pytest.fixture
def page(kept_page):
    return kept_page


@pytest.fixture
def unlabelled(request, served, browser, tmp_path):
    """(an app with nothing accepted and no dataset, a page of it): the module's app and kept
    page while that holds there (this check comes first in the file); after the training check
    there, an app of its own like the module's and a page of it (the kept page put away first:
    none ticks beside it)."""
    orch = served.orch
    if not orch.annotations.list(status="accepted") and not list_datasets(
        orch.config.datasets_path
    ):
        yield served, request.getfixturevalue("kept_page")
        return
    request.getfixturevalue("page_keeper").put_away()
    yield from app_and_page(
        browser,
        tmp_path,
        OVERRIDES,
        VIEWPORT,
    )


def pattern_count(page):
    return page.evaluate(
        "() => ((document.querySelector('#chart-1m .js-plotly-plot').layout.shapes) || [])"
        ".filter(s => (s.name || '').startsWith('pattern:')).length"
    )


def test_training_with_no_dataset_says_what_to_do(unlabelled):
    _, page = unlabelled
    page.get_by_role("tab", name="Train").click()
    page.get_by_role("button", name="Build dataset from accepted labels").click()
    wait_for(lambda: "no accepted spans" in page.locator("#train-message").inner_text())
    before = train_status(page)  # (a failure shown there before this press is not this one)
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for(
        lambda: (
            ("failed" in (s := train_status(page)) and s != before)
            or "no dataset" in message_text(page)
        ),
    )
    assert "build one from accepted labels" in (
        page.locator("#train-status").inner_text() + message_text(page)
    )


def test_train_from_the_panel_then_see_patterns_and_filter_them(page, served, labelled):
    orch = served.orch
    model_spans = {s.id for s in orch.annotations.list(source="model")}
    rejected = len(orch.annotations.list(source="model", status="rejected"))
    page.get_by_role("tab", name="Train").click()
    known = {j.id for j in orch.jobs.list()}
    page.get_by_role("button", name="Build dataset from accepted labels").click()
    # The build runs as a job: its stages, then the result, show in the status line.
    build = new_job(served.orch, known, "dataset")
    wait_for(lambda: build.result and f"Dataset {build.result['version']}" in train_status(page))
    assert "rows" in page.locator("#train-status").inner_text()
    before = train_status(page)
    known = {j.id for j in orch.jobs.list()}
    page.locator("#train-model").select_option("xgboost")
    page.get_by_role("button", name="Train", exact=True).click()
    job = new_job(served.orch, known, "train:xgboost")
    # The start shows in the status line, which follows the job (no alert outlives it).
    wait_for(lambda: (s := train_status(page)) != before and ("train xgboost" in s or "Done" in s))
    # Progress shows a stage while it runs, then the result.
    wait_for(lambda: "Done: version 1" in page.locator("#train-status").inner_text(), timeout=120)
    assert job.status == "done" and str(job.result["model_version"]) == "1"
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
    pending = orch.annotations.list(source="model", status="pending")
    sent = [s for s in pending if s.id not in model_spans]
    assert sent and all(s.note.startswith("predicted by model version 1") for s in sent)
    page.locator("#ann-filter-source").click()
    page.get_by_role("option", name="model").click()
    wait_for(lambda: set(page.locator("#ann-table td[data-dash-column='source']").all_inner_texts())
             == {"model"})  # fmt: skip
    page.locator("#ann-table td[data-dash-column='label']").first.click()
    wait_for(lambda: page.locator("#ann-edit-label").input_value() != "")
    page.get_by_role("button", name="Reject", exact=True).click()
    wait_for(lambda: len(orch.annotations.list(source="model", status="rejected")) == rejected + 1)
