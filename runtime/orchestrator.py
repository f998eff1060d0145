"""The one object that owns live state: candle store, prediction deques, feed, background jobs.

REST routes, Dash callbacks and tests reach it as ``server.extensions["orchestrator"]`` and read
snapshots from it; nothing outside touches a deque or a thread directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from alerts.drawings import DrawingStore
from alerts.evaluator import AlertWorker
from alerts.sources import LiveSources
from alerts.store import AlertStore
from alerts.webhook import WebhookSender
from backtest.research import Research
from backtest.runner import Backtests
from core.audit import AuditLog
from core.candles import Candle
from core.db import Database
from core.jobs import JobManager, JobState
from core.spans import SpanError
from labels.annotations import AnnotationStore
from market.candle_store import CandleStore, ClosedCandle
from market.retention import DiskUsage
from predictions.book import KINDS, PredictionBook
from predictions.resolver import OutcomeResolver
from runtime.config import Config
from serving.neural_live import LiveNeural, NeuralService
from serving.pattern_inference import PatternService
from serving.pattern_live import LivePatterns
from training import champion_lock

log = logging.getLogger(__name__)

VERSION = "0.1.0"


def now_ms() -> int:
    return int(time.time() * 1000)


class Orchestrator:
    def __init__(self, config: Config, db: Database | None = None, feed=None):
        self.config = config
        self.db = db if db is not None else Database(config.storage_url)
        self.store = CandleStore(self.db, config.buffers)
        self.predictions = PredictionBook(
            self.db,
            list(config.symbols),
            config.orchestrator.prediction_maxlen,
            config.outcomes.stable_band_pct,
        )
        self._feed = feed
        self._runner = None
        self.leadership = None  # several processes on PostgreSQL: who leads (runtime/leadership)
        champion_lock.use_database(self.db)  # PostgreSQL: champion decisions lock there
        self.last_compute: dict | None = None  # where the last training ran (compute.backend)
        self._following = None
        self._started = False
        self._start_lock = threading.Lock()
        self._closed_listeners: list = []
        self.store.add_listener(self._on_closed)
        self.annotations = AnnotationStore(self.db, self.candle_times)
        self.audit = AuditLog(self.db)
        # a search (or walk-forward) may run beside a backtest and a training
        self.jobs = JobManager(max_workers=3)
        if self.db.dialect.name == "postgresql":  # other app processes may share the database
            from runtime.shared_jobs import SharedJobs, SharedJobStore

            self.jobs = SharedJobs(self.jobs, SharedJobStore(self.db))
        self.patterns = PatternService(config)
        self.live_patterns = LivePatterns(
            self.db, self.patterns, self.store, config.training.live_timeframes
        )
        self.add_closed_listener(self.live_patterns.on_closed)
        self.neural = NeuralService(config)
        self.live_neural = LiveNeural(self.neural, self.store, self.predictions, config.neural)
        self.add_closed_listener(self.live_neural.on_closed)
        self.outcomes = OutcomeResolver(self.predictions, self.store, config.outcomes)
        self.add_closed_listener(self.outcomes.on_closed)
        self.store.load()
        self.predictions.load()
        self.backtests = Backtests(
            self.db, self.jobs, self.store, self.predictions, self.patterns, config
        )
        self.research = Research(
            self.db, self.jobs, self.store, self.patterns, config, self.annotations
        )
        self.disk = DiskUsage(config.data_path, self.db.path)
        self._add_alerts()

    def _add_alerts(self) -> None:
        """Drawings, alerts and their evaluator: woken by closed candles, new predictions and job
        ends, each of which only queues a wake-up."""
        self.drawings = DrawingStore(self.db)
        self.alerts = AlertStore(self.db)
        self.webhooks = WebhookSender(self.config.alerts)
        sources = LiveSources(
            db=self.db, store=self.store, book=self.predictions, symbols=self.symbols,
            feed_status=self.feed_status, jobs=self.jobs, patterns=self.patterns,
            neural=self.neural, drawings=self.drawings,
            baseline_window=self.config.alerts.baseline_window,
        )  # fmt: skip
        self.alert_worker = AlertWorker(self.alerts, sources, self.config.alerts, self.webhooks)
        self.add_closed_listener(self.alert_worker.on_closed)
        self.predictions.add_listener(self.alert_worker.on_event)
        self.jobs.add_end_listener(self.alert_worker.on_event)

    # ---- names the original system used ----------------------------------------------------
    @property
    def recent_dqn_predictions(self) -> dict[str, deque]:
        return self.predictions.deques("dqn")

    @property
    def recent_cnn_predictions(self) -> dict[str, deque]:
        return self.predictions.deques("cnn")

    @property
    def recent_transformer_predictions(self) -> dict[str, deque]:
        return self.predictions.deques("transformer")

    def store_dqn_prediction(self, symbol: str, data: dict) -> dict:
        return self.store_prediction("dqn", symbol, data)

    def store_cnn_prediction(self, symbol: str, data: dict) -> dict:
        return self.store_prediction("cnn", symbol, data)

    def store_transformer_prediction(self, symbol: str, data: dict) -> dict:
        return self.store_prediction("transformer", symbol, data)

    def store_prediction(self, kind: str, symbol: str, data: dict) -> dict:
        """Validate, keep in the symbol's deque and write to SQLite; raises PredictionError."""
        return self.predictions.add(kind, symbol, data)

    def clear_predictions(
        self, symbol: str, kinds: tuple[str, ...] | None = None, source: str | None = None
    ) -> int:
        """Clear a symbol's predictions (the original call), or only some kinds and/or source."""
        return self.predictions.clear(symbol, kinds, source)

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Backfill history, then start the feed. Safe to call twice (it starts once).

        On PostgreSQL several app processes may share the database: this one leads (and runs
        what follows) only while it holds the leader lock; otherwise it follows the leader's
        data and stands for leader every second. On SQLite it owns the file."""
        with self._start_lock:
            if self._started:
                return
            if self.db.dialect.name == "postgresql":
                from runtime.leadership import FollowerSync, Leadership

                self._following = FollowerSync(
                    self.db, self.store, self.predictions, self.config.symbols,
                    self.config.feed.stale_after_s,
                )  # fmt: skip
                self.leadership = Leadership(self.db, self._lead, self._step_down)
                self._started = True
                self.leadership.start()
                if self.leadership.role != "leader":
                    log.info("another process leads: following its data")
                    self.backtests.queue_only = True
                    self.research.queue_only = True
                    self._following.start()
                return
            # The process that runs the feed and the jobs owns a SQLite file: a second is
            # refused here, before it starts anything.
            self.db.claim("the app")
            self._started = True
        self._lead()

    def _lead(self) -> None:
        """Start what the leading process runs: the feed (after filling what the store lacks),
        the live workers, the outcome resolver, the jobs and the schedules."""
        from market.feed_runner import FeedRunner
        from market.feeds import make_feed
        from market.retention import start_retention
        from runtime.neural_jobs import start_background
        from runtime.training_jobs import schedule_retraining

        if self._following is not None:
            self._following.stop()
            # What the old leader stored last: the forming 1 m candle is rebuilt from these 1 s
            # candles as the feed fills the gap.
            self.store.drop_forming()
            self.store.load()
            self.predictions.load()
        if self.leadership is not None:
            self.store.fence = self.leadership.fence
            self.store.publish_forming = True
            self.backtests.queue_only = False
            self.research.queue_only = False

        feed = self._feed or make_feed(self.config)
        self._runner = FeedRunner(feed, self.store, list(self.config.symbols), self.config.feed)
        feed_config = self.config.feed
        self._runner.backfill_all(
            backfill_1m_ms=int(feed_config.backfill_1m_hours * 3_600_000),
            backfill_1s_ms=int(feed_config.backfill_1s_minutes * 60_000),
        )
        self._runner.start()
        self.live_patterns.start()
        self.outcomes.start()  # its first pass catches up on horizons passed while down
        # A dead leader's running runs: failed, saying so (run them again); queued ones run.
        self.backtests.recover(shared=self.leadership is not None)
        self.research.recover(shared=self.leadership is not None)
        if self.leadership is not None:
            self.backtests.adopt_queued()
            self.research.adopt_queued()
            self.jobs.schedule("adopt-backtests", 1 / 60, self.backtests.adopt_queued)
            self.jobs.schedule("adopt-research", 1 / 60, self.research.adopt_queued)
            self.jobs.recover()  # the jobs a dead leader ran: failed, saying so
            self.jobs.schedule("shared-jobs", 1 / 60, lambda: self.jobs.sync(self._start_queued))
        schedule_retraining(self)
        self.live_neural.start()
        self.webhooks.start()
        self.alert_worker.start()
        start_background(self)
        start_retention(self.db, self.store, self.jobs, self.config.retention, self.config.symbols)
        log.info("orchestrator started with feed %s", type(feed).__name__)

    def _step_down(self) -> None:
        """The leader lock is gone: stop writing and running jobs, and follow."""
        self._stop_leading()
        self.store.publish_forming = False
        self.backtests.queue_only = True
        self.research.queue_only = True
        if self._following is not None:
            self._following.start()

    @property
    def role(self) -> str:
        """``leader`` (the process that runs the feed and the jobs) or ``follower``."""
        if self.leadership is not None:
            return self.leadership.role
        return "leader"

    def stop(self) -> None:
        # Stop standing for leader first, stop the feed and the jobs (their last writes are
        # fenced by the lock still held), and only then release the lock to the next leader.
        if self.leadership is not None:
            self.leadership.stand_down()
        if self._following is not None:
            self._following.stop()
        self._stop_leading()
        if self.leadership is not None:
            self.leadership.release()
        self.db.release()  # stopped: another app process may take the SQLite file now
        self._started = False

    def _stop_leading(self) -> None:
        if self._runner is not None:
            self._runner.stop()
        self.stop_workers()
        self.jobs.shutdown()

    def stop_workers(self, webhook_grace_s: float = 5) -> None:
        """Stop the threads that read and write the database on their own (closed-candle
        workers, the alert evaluator, webhooks): before the database closes under them. A
        webhook post in flight gets ``webhook_grace_s`` (a slow receiver can take its timeout)."""
        self.live_patterns.stop()
        self.live_neural.stop()
        self.outcomes.stop()
        self.alert_worker.stop()
        self.webhooks.stop(webhook_grace_s)

    def start_autolabel(
        self,
        symbol: str,
        timeframe: str,
        hours: float,
        patterns: list[str] | None = None,
        started_by: str = "",
        job_id: str | None = None,
    ) -> JobState:
        """Auto-label the last ``hours`` of a series in the background (``started_by``: who;
        on a follower process it is queued for the leader)."""
        from labels.pending_labels import autolabel_series

        cap = self.config.limits.autolabel_hours
        if not 0 < hours <= cap:  # NaN fails too
            raise ValueError(f"hours must be in (0, {cap:g}] (limits.autolabel_hours), got {hours}")
        latest = self.store.latest(symbol, timeframe)
        if latest is None:
            raise ValueError(f"no candles stored for {symbol} {timeframe}")
        end = latest.time
        start = end - int(hours * 3_600_000)
        title = f"auto-label {symbol} {timeframe}, last {hours:g} h"
        if self.role == "follower":
            args = {"symbol": symbol, "timeframe": timeframe, "hours": hours, "patterns": patterns}
            return self.jobs.enqueue("autolabel", title, "autolabel", args, started_by)
        return self.jobs.submit(
            "autolabel",
            title,
            lambda job: autolabel_series(
                self.store,
                self.annotations,
                symbol,
                timeframe,
                start,
                end,
                patterns,
                job.progress,
                job.cancelled,
            ),
            started_by,
            job_id,
        )

    def _start_queued(self, action: str, args: dict, started_by: str, job_id: str) -> JobState:
        """The leader: start a job another process queued (``runtime/shared_jobs.py``)."""
        from runtime.neural_jobs import start_neural_training
        from runtime.training_jobs import start_dataset_build, start_training

        starts = {
            "train": lambda: start_training(self, **args, started_by=started_by, job_id=job_id),
            "train_neural": lambda: start_neural_training(
                self, **args, started_by=started_by, job_id=job_id
            ),
            "autolabel": lambda: self.start_autolabel(**args, started_by=started_by, job_id=job_id),
            "dataset": lambda: start_dataset_build(self, started_by, job_id),
        }
        if action not in starts:
            raise ValueError(f"this app version can't run a queued {action!r} job")
        return starts[action]()

    def import_candles(self, path, symbol: str, timeframe: str) -> int:
        """Store a CSV/Parquet file as the history of an imported symbol (never a live series)."""
        from market.imports import import_candles

        kind = self.config.feed.kind
        live = {(s, tf): kind for s in self.config.symbols for tf in self.config.timeframes}
        return import_candles(self.store, path, symbol, timeframe, live)

    def add_closed_listener(self, listener) -> None:
        """Called with each ClosedCandle (models run on closed candles)."""
        self._closed_listeners.append(listener)

    def _on_closed(self, event: ClosedCandle) -> None:
        for listener in self._closed_listeners:
            listener(event)

    # ---- reading ---------------------------------------------------------------------------
    def symbols(self) -> list[str]:
        """Configured live symbols first, then symbols that only have imported history."""
        live = list(self.config.symbols)
        extra = sorted({s for s, _ in self.store.series()} - set(live))
        return live + extra

    def timeframes(self, symbol: str) -> list[str]:
        if symbol in self.config.symbols:
            return list(self.config.timeframes)
        return sorted({tf for s, tf in self.store.series() if s == symbol})

    def candle_times(self, symbol: str, timeframe: str, start: int, end: int) -> list[int] | None:
        """Open times of stored candles in [start, end], or None for an unknown series."""
        if not self.store.has(symbol, timeframe):
            return None
        days = self.config.limits.range_days
        if end - start > days * 86_400_000:
            raise SpanError(f"the range is longer than {days:g} days (limits.range_days)")
        return self.store.history(symbol, timeframe, start, end + 1).index.tolist()

    def feed_status(self) -> dict[str, dict[str, Any]]:
        if self.role == "follower":
            return self._following.status()
        if self._runner is None:
            return {s: {"status": "stopped", "last_update": None} for s in self.config.symbols}
        return self._runner.status()

    def live_updates(
        self,
        symbol: str,
        timeframe: str,
        since: int | None = None,
        limit: int = 500,
        since_seq: int | None = None,
    ) -> dict[str, Any]:
        """The payload of ``GET /api/live-updates`` (arguments already validated). With
        ``since_seq`` the predictions are those stored after that sequence number."""
        if since is None:
            latest = self.store.latest(symbol, timeframe)
            candles: list[Candle] = [latest] if latest else []
        else:
            candles = self.store.since(symbol, timeframe, since, limit)
        status = self.feed_status().get(symbol, {"status": "stopped", "last_update": None})
        payload = {
            "symbol": symbol,
            "timeframe": timeframe,
            "server_time": now_ms(),
            "candles": [c.to_dict() for c in candles],
            "predictions": self.predictions.snapshot(symbol, since),
            "feed": {"status": status["status"], "last_update": status["last_update"]},
        }
        if since_seq is not None:
            stored = self.predictions.stored_after(since_seq, symbol, limit)
            payload["predictions"] = {k: [p for p in stored if p["kind"] == k] for k in KINDS}
            payload["last_seq"] = stored[-1]["seq"] if stored else since_seq
        return payload

    def health(self) -> dict[str, Any]:
        feeds = {
            s: {"status": v["status"], "last_update": v["last_update"]}
            for s, v in self.feed_status().items()
        }
        models = {
            kind: sum(len(d) for d in self.predictions.deques(kind).values()) for kind in KINDS
        }
        return {
            "status": "ok",
            "feeds": feeds,
            "models": {"predictions_held": models, "neural": self.neural.status()},
            "storage": {
                **self.disk.report(),
                "pending_writes": self.store.pending_writes(),
                "commits": self._runner.commits if self._runner else 0,
            },
            "version": VERSION,
            "role": self.role,
        }
