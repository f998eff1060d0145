"""The alert evaluator: one worker thread that wakes on each closed candle, each new prediction
and each job end (they only queue a wake-up: the feed never waits for it), and at least every
``alerts.check_every_s``. Each pass reads one snapshot, steps every alert's trigger, stores what
fired and hands webhooks to their own thread."""

from __future__ import annotations

import logging

from alerts.conditions import Events, evaluate
from alerts.config import AlertsConfig
from alerts.rules import Trigger, step
from alerts.store import AlertStore
from alerts.webhook import WebhookSender
from core.worker import ClosedCandleWorker

log = logging.getLogger(__name__)
ENDED = ("done", "failed", "cancelled")


class AlertWorker(ClosedCandleWorker):
    thread_name = "alerts"

    def __init__(self, alerts: AlertStore, sources, config: AlertsConfig, webhooks: WebhookSender):
        super().__init__(timeframes=None)  # every closed candle wakes it
        self.every_s = config.check_every_s
        self.alerts, self.sources, self.config, self.webhooks = alerts, sources, config, webhooks
        self._jobs_seen: set[str] | None = None  # None until the first pass
        self._champions: dict[str, str | None] | None = None

    def start(self) -> None:
        # Leading again after another process led: the jobs that ended meanwhile are not news.
        self._jobs_seen = None
        super().start()

    def on_event(self, *_args) -> None:
        """A prediction was stored or a job ended: evaluate soon (queue only)."""
        self.wake()

    def run_batch(self, pending) -> None:
        self.evaluate_once()

    def _events(self, shot) -> Events:
        ended = [j for j in shot.jobs if j.status in ENDED]
        events = Events()
        if self._jobs_seen is not None:  # jobs that ended before the first pass are not news
            events.ended_jobs = [j for j in ended if j.id not in self._jobs_seen]
        self._jobs_seen = {j.id for j in ended}
        if self._champions is not None:
            for kind, version in sorted(shot.champions.items()):
                old = self._champions.get(kind)
                if version is not None and version != old:
                    events.champion_moves.append((kind, old, version))
        self._champions = dict(shot.champions)
        return events

    def evaluate_once(self) -> list[int]:
        """One pass over every alert; returns the ids of the firings stored."""
        alerts = self.alerts.list()
        wants_baseline = any(
            a["kind"] == "champion" and a.get("when") == "below_baseline" for a in alerts
        )
        shot = self.sources.snapshot(wants_baseline)
        events = self._events(shot)
        min_interval_ms = int(self.config.min_interval_s * 1000)
        fired = []
        for alert in alerts:
            try:
                outcome = evaluate(alert, alert["memo"], shot, events)
                before = Trigger(alert["armed"], alert["last_fired"])
                trigger, fire = step(before, outcome.holds, shot.now_ms, min_interval_ms)
                if fire:
                    fired.append(self._fire(alert, trigger, outcome.memo, outcome.message))
                elif trigger != before or outcome.memo != alert["memo"]:
                    self.alerts.save_state(alert["id"], trigger, outcome.memo)
            except Exception:
                log.exception("alert %s could not be evaluated", alert.get("id"))
        return fired

    def _fire(self, alert: dict, trigger: Trigger, memo: dict, message: str) -> int:
        fired_id = self.alerts.record_fired(alert["id"], trigger, memo, message)
        log.info("alert %s fired: %s", alert["id"], message)
        if alert.get("webhook"):
            payload = {"alert": alert["id"], "kind": alert["kind"], "symbol": alert.get("symbol"),
                       "description": alert["description"], "message": message,
                       "fired_at": trigger.last_fired, "fired_id": fired_id}  # fmt: skip
            self.alerts.set_delivery(fired_id, "queued")
            record = lambda outcome: self.alerts.set_delivery(fired_id, outcome)  # noqa: E731
            self.webhooks.send(alert["webhook"], payload, record)
        return fired_id
