"""Backtests as queued background jobs (or in the foreground, for the CLI).

Runs go one at a time in the order they were started; a queued run waits (Cancel works while it
waits). When a run starts, the symbol's earlier ``backtest`` predictions are cleared (live ones
stay). The engine computes the whole run at once; the run then advances through its period in
steps, storing the model's predictions up to each step (source ``backtest``, with
``backtest_id``) and publishing the trades entered so far, so the chart fills in as it goes. At the
end the run is saved (SQLite) and logged to MLflow: params, metrics, trades and equity as artifacts.
With ``compute.backend: ray`` a long run of a rule strategy computes its signals, engine result
and statistics as a Ray task (``backtest/remote.py``); the rest is as above.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np

from backtest.engine import TRADE_COLUMNS, run_backtest
from backtest.portfolio import Account, portfolio_stats
from backtest.remote import on_cluster, run_on_cluster
from backtest.request import BacktestRequest
from backtest.stats import compute_stats, stats_notes
from backtest.store import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    BacktestStore,
    equity_points,
    json_value,
)
from backtest.strategies import StrategyContext, in_sample, make_strategy
from core.jobs import JobCancelled, QueueFull

log = logging.getLogger(__name__)

STEPS = 20


class _Foreground:
    """Stands in for a job's context when the CLI runs a backtest."""

    def __init__(self, report=None):
        self._report = report

    def progress(self, fraction: float, stage: str | None = None) -> None:
        if self._report:
            self._report(fraction, stage)

    def check(self) -> None:
        return None

    def commit(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return False


def metric_name(stat: str) -> str:
    """A statistic's name as MLflow accepts it: 'Return (Ann.) [%]' -> 'Return Ann. pct'."""
    text = stat.replace("[%]", "pct").replace("[$]", "usd").replace("#", "n").replace("&", "and")
    text = "".join(c for c in text if c.isalnum() or c in "_-./ ")
    return " ".join(text.split())


def trade_rows(trades: dict[str, np.ndarray]) -> list[dict]:
    columns = {name: trades[name].tolist() for name in TRADE_COLUMNS}
    return [
        dict(zip(TRADE_COLUMNS, row, strict=True)) for row in zip(*columns.values(), strict=True)
    ]


def chart_points(predictions: list[tuple[str, dict]]) -> list[dict]:
    """What the run's chart draws of each prediction: time, kind, price, call, confidence."""
    return [
        {"time": int(p["timestamp"]), "kind": kind, "confidence": float(p["confidence"]),
         "price": float(p.get("current_price") or p.get("price") or 0.0),
         "call": str(p.get("direction") or p.get("action") or "")}
        for kind, p in predictions
    ]  # fmt: skip


class Backtests:
    """The app's backtests: start, cancel, read. One per orchestrator."""

    def __init__(self, db, jobs, candles, book, patterns, config):
        self.store = BacktestStore(db)
        self._job_manager = jobs
        self._candles = candles  # the candle store
        self._book = book  # the prediction book: a run's predictions are drawn on the charts
        self._patterns = patterns
        self._config = config
        # Runs wait here, not in the scheduler's small thread pool, so a queue of backtests
        # never holds the workers that training and auto-labelling need.
        self._pending: deque[tuple[str, BacktestRequest]] = deque()
        self._active: str | None = None
        self._lock = threading.Lock()
        self._jobs: dict[str, str] = {}
        # while a run advances: its trades entered and predictions made so far
        self._live: dict[str, dict[str, list[dict]]] = {}
        # A follower process (several on PostgreSQL): runs wait in the database for the leader.
        self.queue_only = False
        self.last_compute: dict | None = None  # where the last run on the Ray cluster ran

    def recover(self, shared: bool = False) -> None:
        """At the app's start: runs an earlier app left queued or running will never end.
        (Not on construction: the CLI builds an orchestrator while the app may be running.)
        ``shared`` (a new leader of several processes): only running ones are failed; queued
        ones wait for ``adopt_queued``, whoever queued them."""
        interrupted = self.store.fail_interrupted((RUNNING,) if shared else (QUEUED, RUNNING))
        if interrupted:
            log.info("%d backtest runs were interrupted by a restart", interrupted)

    def adopt_queued(self) -> int:
        """The leader: take up the runs other processes queued in the database."""
        waiting = self.store.queued()
        with self._lock:
            known = {run_id for run_id, _ in self._pending} | {self._active}
            new = [(run_id, BacktestRequest(**request)) for run_id, request in waiting
                   if run_id not in known]  # fmt: skip
            self._pending.extend(new)
            self._start_next()
        return len(new)

    # ---- starting and stopping ---------------------------------------------------------------
    def submit(self, request: BacktestRequest, started_by: str = "") -> str:
        """Queue a run (``started_by``: who started it); it starts when the runs before it have
        ended. Raises ``QueueFull`` when ``limits.queued_jobs`` runs already wait (the one
        running is not counted)."""
        limit = self._config.limits.queued_jobs
        with self._lock:
            if len(self._pending) >= limit:
                raise QueueFull(
                    f"{len(self._pending)} backtests are already waiting to run (at most {limit},"
                    " limits.queued_jobs): wait for them to finish or cancel one"
                )
            run_id = self.store.create(request.to_dict(), started_by)
            if self.queue_only:
                log.info("backtest %s queued in the database for the leading process", run_id)
                return run_id
            self._pending.append((run_id, request))
            self._start_next()
        return run_id

    def _start_next(self) -> None:
        """Hand the next queued run to the scheduler when none is running (lock held)."""
        if self._active is not None or not self._pending:
            return
        run_id, request = self._pending.popleft()
        self._active = run_id
        title = f"backtest {request.strategy} on {request.symbol} {request.timeframe}"
        state = self._job_manager.submit(
            f"backtest:{run_id}", title, lambda job: self._job(run_id, request, job)
        )
        self._jobs[run_id] = state.id

    def _job(self, run_id: str, request: BacktestRequest, job) -> dict | None:
        try:
            state = self.store.status(run_id)
            if state is None or state["status"] != QUEUED:
                return None  # cancelled meanwhile (by another process, too)
            return self._execute(run_id, request, job)
        finally:
            with self._lock:
                self._active = None
                self._start_next()

    def run_now(self, request: BacktestRequest, report=None) -> dict:
        """Run in this thread (the CLI); returns the saved run, failed ones with their error."""
        run_id = self.store.create(request.to_dict())
        with contextlib.suppress(Exception):  # saved as failed, with the error, by _execute
            self._execute(run_id, request, _Foreground(report))
        return self.get(run_id)  # with stats_notes, as the API gives it

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued run at once, or ask a running one to stop; False if neither."""
        with self._lock:
            queued = [item for item in self._pending if item[0] == run_id]
            if queued:
                self._pending.remove(queued[0])
                self.store.update(run_id, status=CANCELLED, finished_at=_now())
                return True
        job_id = self._jobs.get(run_id)
        if job_id is not None:
            return self._job_manager.cancel(job_id)
        return self.store.cancel_queued(run_id)  # queued by or for another process

    def get(self, run_id: str) -> dict | None:
        """The run as saved; while it runs, with the trades entered so far. ``stats_notes``:
        the statistics that mean nothing for the run, with the reason; a portfolio also has
        ``portfolio`` (the whole) and ``symbols`` (each sub-account)."""
        run = self.store.get(run_id)
        live = self._live.get(run_id)
        if run is not None and live is not None and run["status"] == RUNNING:
            run.update(live)
        if run is not None:
            run["stats_notes"] = stats_notes(run.get("stats") or {})
            portfolio = run.pop("portfolio", None)
            if portfolio:
                run["symbols"] = portfolio.pop("symbols", {})
                run["portfolio"] = portfolio
        return run

    def status(self, run_id: str) -> dict | None:
        """Status, progress, error and how many trades are known so far (a cheap poll)."""
        state = self.store.status(run_id)
        if state is not None:
            live = self._live.get(run_id) or {}
            state["trades_so_far"] = len(live.get("trades") or [])
            state["predictions_so_far"] = len(live.get("predictions") or [])
        return state

    def list(self, limit: int = 100) -> list[dict]:
        return self.store.list(limit)

    # ---- running -----------------------------------------------------------------------------
    def _execute(self, run_id: str, request: BacktestRequest, job) -> dict:
        self.store.update(run_id, status=RUNNING, progress=0.0)
        try:
            summary = self._simulate(run_id, request, job)
        except JobCancelled:
            self._live.pop(run_id, None)
            self.store.update(run_id, status=CANCELLED, finished_at=_now())
            raise
        except Exception as exc:
            self._live.pop(run_id, None)
            if job.cancelled():  # a Cancel accepted before the end wins over a late failure
                self.store.update(run_id, status=CANCELLED, finished_at=_now())
                raise JobCancelled() from exc
            log.exception("backtest %s failed", run_id)
            self.store.update(run_id, status=FAILED, error=str(exc) or type(exc).__name__,
                              finished_at=_now())  # fmt: skip
            raise
        return summary

    def _backtest(self, request: BacktestRequest, job, share: float = 0.05):
        """One symbol's run: its candles, signals, engine result and statistics."""
        candles = self._candles.history(request.symbol, request.timeframe, request.start,
                                     request.end + 1)  # fmt: skip
        if len(candles) < 3:
            raise ValueError(
                f"only {len(candles)} candles of {request.symbol} in the period: nothing to"
                " backtest"
            )
        times = candles.index.to_numpy(dtype=np.int64)
        close = candles["close"].to_numpy(dtype=np.float64)
        compute = self._config.compute
        if on_cluster(compute, request.strategy, len(candles)):  # a long run: a Ray task
            signals, result, stats, self.last_compute = run_on_cluster(
                compute, candles, request, job, share, 0.05)  # fmt: skip
            return times, close, signals, result, stats
        context = StrategyContext(self._config, request.symbol, request.timeframe, self._patterns)
        strategy = make_strategy(request.strategy, request.params, context)
        job.progress(share, f"computing signals of {request.symbol}")
        signals = strategy.signals(candles)
        result = run_backtest(candles["open"].to_numpy(dtype=np.float64), close, times,
                              signals.targets, request.settings, signals.warmup,
                              high=candles["high"].to_numpy(dtype=np.float64),
                              low=candles["low"].to_numpy(dtype=np.float64),
                              exits=strategy.exits)  # fmt: skip
        stats = compute_stats(result.trades, result.equity, times, close, result.warmup)
        return times, close, signals, result, stats

    def _simulate(self, run_id: str, request: BacktestRequest, job) -> dict:
        job.progress(0.0, "loading candles")
        if request.is_portfolio:
            return self._simulate_portfolio(run_id, request, job)
        times, close, signals, result, stats = self._backtest(request, job)
        overlap = in_sample(signals.trained_on, request.symbol, int(times[0]), int(times[-1]))
        self.store.update(run_id, model=signals.model, in_sample=overlap)
        self._book.clear(request.symbol, None, "backtest")
        trades = trade_rows(result.trades)
        predictions = sorted(signals.predictions, key=lambda kp: kp[1]["timestamp"])
        points = chart_points(predictions)
        self._advance(run_id, request, job, times, trades, predictions, points)
        stats_json = {key: json_value(value) for key, value in stats.items()}
        self.store.update(
            run_id, stats=stats_json, trades=trades, equity=equity_points(times, result.equity),
            predictions=points, progress=1.0,
        )  # fmt: skip
        job.progress(0.97, "logging to MLflow")
        mlflow_run = self._log_mlflow(run_id, request, signals.model, overlap, stats, trades,
                                      times, result.equity)  # fmt: skip
        return self._finish(run_id, job, mlflow_run, trades, stats_json)

    def _finish(self, run_id: str, job, mlflow_run, trades, stats_json) -> dict:
        # the one atomic check before the run is marked done: a Cancel accepted up to here
        # (while the statistics were saved or MLflow logged) ends it cancelled
        if not job.commit():
            _mark_killed(self._config, mlflow_run)
            raise JobCancelled()
        self.store.update(run_id, status=DONE, finished_at=_now(), mlflow_run_id=mlflow_run)
        self._live.pop(run_id, None)
        return {"id": run_id, "trades": len(trades), "return_pct": stats_json["Return [%]"]}

    def _simulate_portfolio(self, run_id: str, request: BacktestRequest, job) -> dict:
        """Each symbol a sub-account with its share of the cash; the whole from their sum."""
        accounts, symbols, models, overlaps = [], {}, None, {}
        shares = request.shares()
        for i, symbol in enumerate(request.symbols):
            sub = request.for_symbol(symbol, request.cash * shares[symbol])
            times, close, signals, result, stats = self._backtest(
                sub, job, 0.05 + 0.8 * i / len(request.symbols)
            )
            accounts.append(Account(symbol, sub.cash, times, result.equity, close,
                                    result.warmup, result.trades))  # fmt: skip
            overlap = in_sample(signals.trained_on, symbol, int(times[0]), int(times[-1]))
            if overlap:
                overlaps[symbol] = overlap
            models = models or signals.model
            self._book.clear(symbol, None, "backtest")
            for kind, prediction in sorted(signals.predictions, key=lambda kp: kp[1]["timestamp"]):
                self._book.add(
                    kind,
                    symbol,
                    {
                        **prediction,
                        "source": "backtest",
                        "backtest_id": run_id,
                        "timeframe": sub.timeframe,
                    },
                )
            stats_json = {key: json_value(v) for key, v in stats.items()}
            symbols[symbol] = {
                "share": shares[symbol], "cash": sub.cash, "stats": stats_json,
                "stats_notes": stats_notes(stats_json), "trades": trade_rows(result.trades),
                "equity": equity_points(times, result.equity),
                "contribution_pct": (float(result.equity[-1]) - sub.cash) / request.cash * 100,
            }  # fmt: skip
        job.progress(0.9, "summing the sub-accounts")
        stats, union, equity, trades = portfolio_stats(accounts)
        stats_json = {key: json_value(v) for key, v in stats.items()}
        rows = [{"Symbol": s, **row} for s, row in zip(
            trades["Symbol"].tolist(), trade_rows({k: trades[k] for k in TRADE_COLUMNS}),
            strict=True)]  # fmt: skip
        points = equity_points(union, equity)
        overlap = next(iter(overlaps.values()), None)
        portfolio = {"stats": stats_json, "equity": points, "stats_notes": stats_notes(stats_json),
                     "symbols": symbols}  # fmt: skip
        self.store.update(run_id, model=models, in_sample=overlap, stats=stats_json, trades=rows,
                          equity=points, portfolio=portfolio, progress=1.0)  # fmt: skip
        job.progress(0.97, "logging to MLflow")
        mlflow_run = self._log_mlflow(run_id, request, models, overlap, stats, rows, union,
                                      equity)  # fmt: skip
        return self._finish(run_id, job, mlflow_run, rows, stats_json)

    def _advance(self, run_id, request, job, times, trades, predictions, points) -> None:
        """Walk the period in steps: predictions up to each step stored, trades so far shown."""
        entry = np.array([t["EntryTime"] for t in trades], dtype=np.int64)
        exit_ = np.array([t["ExitTime"] for t in trades], dtype=np.int64)
        stamps = np.array([p["timestamp"] for _, p in predictions], dtype=np.int64)
        stored = 0
        cutoffs = times[np.linspace(0, len(times) - 1, STEPS + 1).astype(np.int64)[1:]]
        for step, cutoff in enumerate(cutoffs, start=1):
            upto = int(np.searchsorted(stamps, cutoff, side="right"))
            for kind, prediction in predictions[stored:upto]:
                self._book.add(kind, request.symbol, {
                    **prediction, "source": "backtest", "backtest_id": run_id,
                    "timeframe": request.timeframe,
                })  # fmt: skip
            stored = upto
            # exclusive orders: only the last trade entered can still be open at the cutoff
            shown = trades[: int(np.searchsorted(entry, cutoff, side="right"))]
            if shown and exit_[len(shown) - 1] > cutoff:
                shown = [*shown[:-1], {**shown[-1], "ExitTime": None, "ExitPrice": None}]
            self._live[run_id] = {"trades": shown, "predictions": points[:upto]}
            self.store.update(run_id, progress=0.1 + 0.85 * step / STEPS)
            job.progress(0.1 + 0.85 * step / STEPS, f"replaying {step}/{STEPS}")

    def _log_mlflow(self, run_id, request, model, overlap, stats, trades, times, equity):
        """Log params, metrics and the trades; a failure here is logged, the run still counts."""
        try:
            from training.tracking import Tracker

            config = self._config
            tracker = Tracker.from_config(
                config.training, config.data_path, config.backtest.experiment
            )
            name = f"backtest-{request.strategy}-{request.symbol}-{request.timeframe}"
            with tracker.start_run(name, tags={"backtest_id": run_id}) as mlflow_run:
                params = {k: v for k, v in request.to_dict().items() if k != "params"}
                params.update({f"param.{k}": v for k, v in request.params.items()})
                if model:
                    params.update({f"model.{k}": v for k, v in model.items()})
                tracker.log_params(params)
                tracker.set_tags({"in_sample": bool(overlap)})
                tracker.log_metrics({
                    metric_name(k): v for k, v in stats.items()
                    if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                })  # fmt: skip
                with tempfile.TemporaryDirectory() as tmp:
                    folder = Path(tmp)
                    columns = ("Symbol", *TRADE_COLUMNS) if request.is_portfolio else TRADE_COLUMNS
                    _write_csv(folder / "trades.csv", columns, trades)
                    np.savetxt(folder / "equity.csv", np.c_[times, equity], delimiter=",",
                               header="time,equity", comments="", fmt=["%d", "%.17g"])  # fmt: skip
                    tracker.log_artifacts(folder, "backtest")
            return mlflow_run
        except Exception:
            log.exception("backtest %s: logging to MLflow failed", run_id)
            return None


def _mark_killed(config, mlflow_run: str | None) -> None:
    """A run cancelled after it was logged: its MLflow run says so."""
    if not mlflow_run:
        return
    try:
        from training.tracking import Tracker

        tracker = Tracker.from_config(config.training, config.data_path, config.backtest.experiment)
        tracker.client.set_terminated(mlflow_run, status="KILLED")
    except Exception:
        log.exception("marking MLflow run %s killed failed", mlflow_run)


def _write_csv(path: Path, columns, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def _now() -> int:
    return int(time.time() * 1000)
