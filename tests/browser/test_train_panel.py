"""An operator trains from the Train panel and reads it: warnings in the panel, no stale
"Started" alert, Cancel within seconds, no scores for a killed run, the F1 chart only once
there is a model, and the champion promoted and rolled back by hand."""

import pytest

from tests.helpers.browser import FAST_FEED, accept_common_autolabels, message_text, serve_app
from tests.helpers.waiting import wait_for
from training.champion import champion_info

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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    feed = dict(FAST_FEED, backfill_1m_hours=16)
    yield from serve_app(tmp_path_factory.mktemp("train"), {"feed": feed, "training": TRAINING})


@pytest.fixture(scope="module")
def labelled(served):
    return accept_common_autolabels(served.orch)


def status_text(page):
    return page.locator("#train-status").inner_text()


def train(page, model="xgboost"):
    page.locator("#train-model").select_option(model)
    page.get_by_role("button", name="Train", exact=True).click()
    # The status line follows the job from its start; no "Started" alert outlives it.
    wait_for(lambda: f"train {model}" in status_text(page) or "Done" in status_text(page))
    assert message_text(page) == ""


def test_train_shows_warnings_then_the_f1_chart_and_clears_the_started_alert(page, labelled):
    page.get_by_role("tab", name="Train").click()
    wait_for(lambda: "No champion yet" in page.locator("#train-champion").inner_text(), timeout=60)
    assert not page.locator("#train-class-chart").is_visible()
    page.get_by_role("button", name="Build dataset from accepted labels").click()
    wait_for(lambda: "Dataset " in status_text(page))
    train(page)
    wait_for(lambda: "Done: version 1" in status_text(page), timeout=120)
    warning = page.locator("#train-status .train-warning").first
    assert "fewer than 100000 training rows" in warning.inner_text()
    assert message_text(page) == ""
    wait_for(lambda: page.locator("#train-class-chart").is_visible())


def test_cancel_stops_a_run_within_seconds_and_it_shows_no_scores(page, served, labelled):
    page.get_by_role("tab", name="Train").click()
    train(page, "random_forest")
    wait_for(lambda: "fitting" in status_text(page), timeout=60)
    page.locator("#train-cancel").click()
    wait_for(lambda: "cancelled" in status_text(page))
    # The fit itself stopped within seconds of the press (timed on the server, from the audit
    # entry the press wrote: the press's round trip, seconds beside CPU hogs, is not the fit's;
    # the panel shows it on its next tick, up to one refresh later).
    job = next(j for j in served.orch.jobs.list() if j.kind == "train:random_forest")
    [press] = [e for e in served.orch.audit.list() if e["action"] == "training cancelled"]
    assert job.status == "cancelled" and job.finished_at - press["at"] / 1000 < 5
    runs = page.locator("#train-runs")
    wait_for(lambda: "KILLED" in runs.inner_text())
    row = runs.locator("tr", has_text="KILLED").first
    assert row.locator("td[data-dash-column='val']").inner_text().strip() == ""
    assert row.locator("td[data-dash-column='test']").inner_text().strip() == ""


def test_promote_and_roll_back_the_champion_by_hand(page, served, labelled):
    from training.tracking import Tracker

    page.get_by_role("tab", name="Train").click()
    if "Champion: " not in page.locator("#train-champion").inner_text():
        wait_for(lambda: "Champion: " in page.locator("#train-champion").inner_text())
    train(page)
    wait_for(lambda: "Done: version" in status_text(page) and "version 1," not in status_text(
        page), timeout=120)  # fmt: skip
    newest = page.locator("#train-runs td[data-dash-column='version']").first
    wait_for(lambda: newest.inner_text().strip() not in ("", "1"))
    version = newest.inner_text().strip()
    config = served.orch.config.training
    tracker = Tracker.from_config(config, served.orch.config.data_path)

    def champion():
        return champion_info(tracker, config.registered_model)["version"]

    answered = []
    page.on("dialog", lambda d: (answered.append(d.message), d.accept()))
    for target, reason, word in ((version, "newer run reads better", "promoted"),
                                 ("1", "the new one mislabels dojis", "rolled back")):  # fmt: skip
        if champion() == target:
            continue
        page.locator("#train-runs td[data-dash-column='version']", has_text=target).first.click()
        wait_for(lambda t=target: f"Picked version {t}" in page.locator("#champion-picked")
                 .inner_text())  # fmt: skip
        page.locator("#champion-reason").fill(reason)
        page.get_by_role("button", name="Make champion").click()
        wait_for(lambda w=word, t=target: f"Champion {w} to version {t}" in page.locator(
            "#champion-message").inner_text())  # fmt: skip
        assert f"Make version {target}" in answered[-1]
        assert champion() == target
        tags = tracker.client.get_model_version(config.registered_model, target).tags
        assert reason in tags["champion_decision"]
        wait_for(lambda t=target: f"version {t} ·" in page.locator("#train-champion").inner_text())
