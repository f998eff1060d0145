"""The evaluator with the stores on a real database (SQLite and PostgreSQL): firings stored
with the alert's state, nothing fired twice across a restart, job ends and champion moves as
events, and a webhook's delivery recorded beside its firing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from alerts.config import AlertsConfig
from alerts.evaluator import AlertWorker
from alerts.rules import parse_alert
from alerts.sources import Snapshot
from alerts.store import AlertStore
from core.db import Database


class FakeSources:
    """A snapshot the test sets, in place of the live parts."""

    def __init__(self):
        self.shot = Snapshot(1_000_000)

    def snapshot(self, want_baseline: bool = False) -> Snapshot:
        return self.shot


class RecordingWebhooks:
    def __init__(self):
        self.sent: list[tuple[str, dict]] = []

    def send(self, url, payload, done):
        self.sent.append((url, payload))
        done("sent (200) after 1 try")


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.close()


def worker_on(db, sources, webhooks=None) -> AlertWorker:
    config = AlertsConfig(min_interval_s=0, webhook_hosts=("127.0.0.1",))
    return AlertWorker(AlertStore(db), sources, config, webhooks or RecordingWebhooks())


def add(store: AlertStore, **body) -> dict:
    return store.add(parse_alert(body, ["BTC/USDT"], ("127.0.0.1",)), "ann")


def test_a_price_alert_fires_once_and_a_restart_neither_refires_nor_forgets_its_side(db):
    sources = FakeSources()
    worker = worker_on(db, sources)
    alert = add(worker.alerts, kind="price_cross", symbol="BTC/USDT", level=100.0)
    sources.shot = Snapshot(1000, prices={"BTC/USDT": 99.0})
    assert worker.evaluate_once() == []
    sources.shot = Snapshot(2000, prices={"BTC/USDT": 100.5})
    [fired_id] = worker.evaluate_once()
    # A new evaluator (a restart) on the same database: the price is still above, no refire.
    again = worker_on(db, sources)
    sources.shot = Snapshot(3000, prices={"BTC/USDT": 101.0})
    assert again.evaluate_once() == []
    sources.shot = Snapshot(4000, prices={"BTC/USDT": 98.0})
    assert again.evaluate_once() == []  # back below: re-armed
    sources.shot = Snapshot(5000, prices={"BTC/USDT": 100.0})
    assert len(again.evaluate_once()) == 1
    [listed] = again.alerts.list(with_fired=True)
    assert listed["id"] == alert["id"] and listed["fired"] == [5000, 2000]
    fired = again.alerts.fired_after(0)
    assert [f["id"] for f in fired][0] == fired_id
    assert fired[0]["message"] == "BTC/USDT crossed up through 100 at 100.5"


def test_jobs_that_ended_before_the_first_pass_are_not_news(db):
    sources = FakeSources()
    worker = worker_on(db, sources)
    add(worker.alerts, kind="job", when="failed")
    old = SimpleNamespace(id="j0", status="failed", title="old")
    sources.shot = Snapshot(1000, jobs=[old])
    assert worker.evaluate_once() == []
    new = SimpleNamespace(id="j1", status="failed", title="train rf")
    sources.shot = Snapshot(2000, jobs=[new, old])
    assert len(worker.evaluate_once()) == 1
    assert worker.alerts.fired_after(0)[0]["message"] == "job train rf failed"
    sources.shot = Snapshot(3000, jobs=[new, old])
    assert worker.evaluate_once() == []


def test_a_champion_move_fires_and_the_webhook_delivery_is_recorded(db):
    sources, webhooks = FakeSources(), RecordingWebhooks()
    worker = worker_on(db, sources, webhooks)
    alert = add(worker.alerts, kind="champion", webhook="http://127.0.0.1:9/hook")
    sources.shot = Snapshot(1000, champions={"cnn": "3", "pattern": None})
    assert worker.evaluate_once() == []  # the first pass only learns what is served
    sources.shot = Snapshot(2000, champions={"cnn": "4", "pattern": None})
    [fired_id] = worker.evaluate_once()
    [(url, payload)] = webhooks.sent
    assert url == "http://127.0.0.1:9/hook"
    assert (
        payload["alert"] == alert["id"] and payload["message"] == "cnn champion changed: v3 -> v4"
    )
    assert worker.alerts.fired_after(0)[0]["delivery"] == "sent (200) after 1 try"
    assert worker.alerts.recent_fired()[0]["id"] == fired_id


def test_the_minimum_interval_holds_back_a_condition_that_comes_back_soon(db):
    sources = FakeSources()
    worker = worker_on(db, sources)
    worker.config = AlertsConfig(min_interval_s=60)
    add(worker.alerts, kind="signal", model="dqn", call="BUY")
    buy, sell = {"action": "BUY", "confidence": 0.9}, {"action": "SELL", "confidence": 0.9}
    times = []
    for t, call in ((0, buy), (10_000, sell), (20_000, buy), (30_000, sell), (70_000, buy)):
        sources.shot = Snapshot(t, newest={("BTC/USDT", "dqn"): call})
        if worker.evaluate_once():
            times.append(t)
    assert times == [0, 70_000]


def test_drawings_are_kept_listed_and_deleted(db):
    from alerts.drawings import DrawingStore, make_drawing

    drawings = DrawingStore(db)
    line = drawings.add(make_drawing("BTC/USDT", "line", 2000, 1000, 1.5, 2.5, "ann"))
    drawings.add(make_drawing("ETH/USDT", "hline", 1000, None, 3.0, None))
    assert [d.id for d in drawings.list("BTC/USDT")] == [line.id]
    assert (line.x0, line.x1, line.y0, line.y1) == (2000, 1000, 1.5, 2.5)  # a line keeps its ends
    assert drawings.get(line.id) == line
    assert drawings.delete(line.id) and not drawings.delete(line.id)
    assert [d.kind for d in drawings.list()] == ["hline"]


def test_a_live_model_below_its_majority_baseline_over_its_last_outcomes(tmp_path):
    """LiveSources on a real prediction book: 200 live CNN calls of version 4, hit 40 % of the
    time while the price went UP 70 % of the time: below the baseline; another version is not
    the served one and is not read."""
    from alerts.sources import LiveSources
    from predictions.book import PredictionBook

    db = Database(tmp_path / "book.db")
    book = PredictionBook(db, ["BTC/USDT"])
    outcomes = []
    for i in range(200):
        p = book.add("cnn", "BTC/USDT", {"timestamp": 1_700_000_000_000 + i * 60_000,
                                         "confidence": 0.7, "direction": "UP", "source": "live",
                                         "current_price": 100.0, "target_price": 101.0,
                                         "horizon_minutes": 5, "model_version": "4"})  # fmt: skip
        realised = "UP" if i % 10 < 7 else "DOWN"
        outcome = {"id": p["id"], "symbol": "BTC/USDT", "resolved_at": p["timestamp"] + 1,
                   "realised_price": 101.0, "hit": i % 10 < 4, "error_pct": 1.0,
                   "naive_error_pct": 1.0}  # fmt: skip
        outcomes.append({**outcome, "detail": {"realised_direction": realised}})
    book.record_outcomes(outcomes)
    neural = SimpleNamespace(status=lambda: {"cnn": {"status": "ok", "version": "4"}})
    sources = LiveSources(db=db, store=None, book=book, symbols=lambda: [], feed_status=dict,
                          jobs=None, patterns=None, neural=neural, drawings=None)  # fmt: skip
    [group] = sources.below_baseline({"cnn": "4"})["cnn"]
    assert group["symbol"] == "BTC/USDT" and group["hit_rate"] == pytest.approx(0.4)
    assert group["majority_baseline"] == pytest.approx(0.7)
    sources._below_at = 0.0  # the once-a-minute read, due again
    assert sources.below_baseline({"cnn": "5"}) == {}
    db.close()
