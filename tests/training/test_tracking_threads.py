"""The live-pattern worker and the Train panel may open a fresh MLflow store at the same time."""

import threading

import pytest

from training.champion import champion_info
from training.tracking import Tracker

pytestmark = pytest.mark.slow  # seconds each: `pytest -m 'not slow and not browser'` skips them


def test_threads_opening_a_fresh_store_together_agree_on_one_experiment(tmp_path):
    ids, errors = [], []

    def open_store():
        try:
            tracker = Tracker(tmp_path / "data")
            ids.append(tracker.experiment_id())
            champion_info(tracker, "pattern-classifier")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(ids)) == 1
