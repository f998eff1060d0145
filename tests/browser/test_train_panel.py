"""An operator trains from the Train panel and reads it: warnings in the panel, no stale
"Started" alert, Cancel within seconds, no scores for a killed run, the F1 chart only once
there is a model, and the champion promoted and rolled back by hand.

One app for the module and one kept page its tests take turns on: an opening costs about 4 s of
chromium CPU, more than most of what these checks cost. ``tidy`` puts back
what a fresh page would not show (a reason typed in the champion box, another model picked to
train). The jobs, runs and versions of the other tests stay on the server and their words in the
status line and the alerts: each test waits for the job it started (one that was not there when
it began) and reads the page's lines for that job. A test that needs something an earlier one
made (a dataset, a first champion) makes it when it runs alone. The check of the panel before
the first model gets the module's app while none is registered there (it comes first in the
file), else an app of its own."""

import re

import pytest

from runtime.champion_moves import PATTERN, registered_versions
from tests.helpers.browser import (
    FAST_FEED,
    OPENING_TAB_LABEL,
    accept_common_autolabels,
    app_and_page,
    message_text,
    new_job,
    serve_app,
    train_status,
)
from tests.helpers.waiting import wait_for
from training.champion import champion_info
from training.datasets import list_datasets
from training.training_config import TrainingConfig

pytestmark = pytest.mark.browser

TRAINING = {
    "window": 4,
    # Every class is "rare" against this bar: the run warns, and the panel must show it.
    "min_class_support": 100_000,
    "params": {
        "xgboost": {"n_estimators": 15, "max_depth": 3, "learning_rate": 0.3},
        "random_forest": {"n_estimators": 3000, "progress_steps": 300},
    },
}
OVERRIDES = {"feed": dict(FAST_FEED, backfill_1m_hours=16), "training": TRAINING}
DEFAULT_MODEL = TrainingConfig.default_model  # the Train select's value on a fresh page
VIEWPORT = {"width": 1500, "height": 1000}  # (the kept page's, for a page of its own too)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("train"), OVERRIDES)


@pytest.fixture(scope="module")
def labelled(served):
    return accept_common_autolabels(served.orch)


@pytest.fixture
def page(kept_page):
    return kept_page


@pytest.fixture
def modelless(request, served, browser, tmp_path):
    """(an app with accepted labels and no model registered, a page of it): the module's app
    and kept page while none is registered there (this check comes first in the file, and a
    cancelled run registers none); after a check that registered one there, an app of its own
    like the module's and a page of it (the kept page put away first: none ticks beside it)."""
    if not registered_versions(served.orch, PATTERN):
        request.getfixturevalue("labelled")
        yield served, request.getfixturevalue("kept_page")
        return
    request.getfixturevalue("page_keeper").put_away()
    yield from app_and_page(browser, tmp_path, OVERRIDES, VIEWPORT, accept_common_autolabels)


def tidy(page) -> None:
    """What these checks leave that a fresh page does not show, put back in the Train tab as a
    person would (the tab's fields exist only while it shows): the reason typed in the champion
    box cleared, the default model picked to train; then the opening tab again."""
    page.get_by_role("tab", name="Train").click()
    reason, model = page.locator("#champion-reason"), page.locator("#train-model")
    wait_for(lambda: reason.is_visible() and model.is_visible())
    if reason.input_value():
        reason.fill("")
        wait_for(lambda: reason.input_value() == "")
    if model.input_value() != DEFAULT_MODEL:
        model.select_option(DEFAULT_MODEL)
        wait_for(lambda: model.input_value() == DEFAULT_MODEL)
    tab = page.get_by_role("tab", name=OPENING_TAB_LABEL)
    tab.click()
    wait_for(lambda: tab.evaluate("e => e.classList.contains('active')"))


def build_dataset(page, served):
    """Press Build; its job, once the status line shows the dataset it built."""
    known = {j.id for j in served.orch.jobs.list()}
    page.get_by_role("button", name="Build dataset from accepted labels").click()
    job = new_job(served.orch, known, "dataset")
    wait_for(lambda: job.result and f"Dataset {job.result['version']}" in train_status(page))
    return job


def train(page, served, model="xgboost"):
    """Start training ``model``; its job, once the status line follows it."""
    before = train_status(page)
    known = {j.id for j in served.orch.jobs.list()}
    page.locator("#train-model").select_option(model)
    page.get_by_role("button", name="Train", exact=True).click()
    job = new_job(served.orch, known, f"train:{model}")
    # The status line follows the job from its start; no "Started" alert outlives it.
    wait_for(lambda: (s := train_status(page)) != before and (f"train {model}" in s or "Done" in s))
    assert message_text(page) == ""
    return job


def trained(page, job):
    """The version ``job`` registered, once the status line says it is done."""
    wait_for(lambda: job.result and f"Done: version {job.result['model_version']}," in train_status(
        page), timeout=120)  # fmt: skip
    return str(job.result["model_version"])


def test_train_shows_warnings_then_the_f1_chart_and_clears_the_started_alert(modelless):
    served, page = modelless
    page.get_by_role("tab", name="Train").click()
    wait_for(lambda: "No champion yet" in page.locator("#train-champion").inner_text(), timeout=60)
    assert not page.locator("#train-class-chart").is_visible()
    build_dataset(page, served)
    train(page, served)
    wait_for(lambda: "Done: version 1" in train_status(page), timeout=120)
    warning = page.locator("#train-status .train-warning").first
    assert "fewer than 100000 training rows" in warning.inner_text()
    assert message_text(page) == ""
    wait_for(lambda: page.locator("#train-class-chart").is_visible())


def test_cancel_stops_a_run_within_seconds_and_it_shows_no_scores(page, served, labelled):
    page.get_by_role("tab", name="Train").click()
    if not list_datasets(served.orch.config.datasets_path):  # alone: the first check builds it
        build_dataset(page, served)
    audit = served.orch.audit
    audited = len(audit.list(limit=1_000_000))
    job = train(page, served, "random_forest")
    wait_for(lambda: "fitting" in train_status(page), timeout=60)
    page.locator("#train-cancel").click()
    wait_for(lambda: "cancelled" in train_status(page))
    # The fit itself stopped within seconds of the press (timed on the server, from the audit
    # entry the press wrote: the press's round trip, seconds beside CPU hogs, is not the fit's;
    # the panel shows it on its next tick, up to one refresh later).
    entries = audit.list(limit=1_000_000)  # newest first: those since the test began lead
    [press] = [e for e in entries[: len(entries) - audited] if e["action"] == "training cancelled"]
    assert job.status == "cancelled" and job.finished_at - press["at"] / 1000 < 5
    runs = page.locator("#train-runs")
    wait_for(lambda: "KILLED" in runs.inner_text())
    # Newest first: the first killed row is this run's (none started after it).
    row = runs.locator("tr", has_text="KILLED").first
    assert row.locator("td[data-dash-column='val']").inner_text().strip() == ""
    assert row.locator("td[data-dash-column='test']").inner_text().strip() == ""


def test_promote_and_roll_back_the_champion_by_hand(page, served, labelled):
    from training.tracking import Tracker

    page.get_by_role("tab", name="Train").click()
    if not registered_versions(served.orch, PATTERN):  # alone: the first model, as check 1 trains
        if not list_datasets(served.orch.config.datasets_path):
            build_dataset(page, served)
        trained(page, train(page, served))
    if "Champion: " not in page.locator("#train-champion").inner_text():
        wait_for(lambda: "Champion: " in page.locator("#train-champion").inner_text())
    config = served.orch.config.training
    tracker = Tracker.from_config(config, served.orch.config.data_path)

    def champion():
        return champion_info(tracker, config.registered_model)["version"]

    earlier = champion()  # the champion to roll back to
    registered = {v["version"] for v in registered_versions(served.orch, PATTERN)}
    version = trained(page, train(page, served))
    assert version not in registered
    newest = page.locator("#train-runs td[data-dash-column='version']").first
    wait_for(lambda: newest.inner_text().strip() == version)

    answered = []

    def answer(dialog):
        answered.append(dialog.message)
        dialog.accept()

    moves = ((version, "newer run reads better", "promoted"),
             (earlier, "the new one mislabels dojis", "rolled back"))  # fmt: skip
    page.on("dialog", answer)
    try:
        for target, reason, word in moves:
            if champion() == target:
                continue
            cell = re.compile(rf"^\s*{target}\s*$")
            page.locator("#train-runs td[data-dash-column='version']", has_text=cell).first.click()
            wait_for(lambda t=target: f"Picked version {t} (" in page.locator("#champion-picked")
                     .inner_text())  # fmt: skip
            page.locator("#champion-reason").fill(reason)
            page.get_by_role("button", name="Make champion").click()
            wait_for(lambda w=word, t=target: f"Champion {w} to version {t} (" in page.locator(
                "#champion-message").inner_text())  # fmt: skip
            assert f"Make version {target}" in answered[-1]
            assert champion() == target
            tags = tracker.client.get_model_version(config.registered_model, target).tags
            assert reason in tags["champion_decision"]
            wait_for(lambda t=target: f"version {t} ·" in page.locator("#train-champion")
                     .inner_text())  # fmt: skip
    finally:
        page.remove_listener("dialog", answer)
