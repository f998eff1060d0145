"""Parameter searches and walk-forwards as queued background jobs (or in the foreground, for the
CLI), one at a time: each takes every search worker (``compute.workers``, or the Ray cluster's
CPUs with ``compute.backend: ray``: ``core.compute.make_executor`` picks).

They follow the job state machine of backtests and training (``core/jobs.py``): a Cancel
accepted before the end always ends the run cancelled (``JobContext.commit()`` is the one atomic
check before it is marked done). Each trial is stored as it finishes, so a cancelled, failed or
interrupted run keeps its trials and can be resumed. Each run is logged to MLflow
(``research.experiment``): one parent run with the request, the best result's statistics and
the trials as a table artifact (no child run per trial: see ``bench/search.py``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque

from backtest.research_log import end_parent, log_research, open_parent, trials_csv, trials_frame
from backtest.runner import trade_rows
from backtest.search import Searcher, best_trial
from backtest.search_request import SearchRequest
from backtest.search_store import (
    CANCELLED,
    DONE,
    ENDED,
    FAILED,
    QUEUED,
    RUNNING,
    SEARCH,
    WALKFORWARD,
    ResearchStore,
)
from backtest.stats import compute_stats
from backtest.store import equity_points, json_value
from backtest.strategies import StrategyContext, in_sample, make_strategy
from backtest.trials import (
    INPUT_PREFIX,
    CandleArrays,
    TrialSetup,
    candle_arrays,
    make,
    score,
    simulate,
)
from core.compute import make_executor
from core.jobs import JobCancelled, QueueFull

log = logging.getLogger(__name__)

PRELOAD = ("backtest.trials",)  # what the workers import once (the trial function's module)


class Foreground:
    """Stands in for a job's context when the CLI runs a search."""

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


class Research:
    """The app's searches and walk-forwards: start, resume, cancel, read. One per orchestrator."""

    def __init__(self, db, jobs, candles, patterns, config, annotations=None):
        self.store = ResearchStore(db)
        self._jobs = jobs
        self._candles = candles
        self._patterns = patterns
        self._config = config
        self.annotations = annotations  # a pattern walk-forward's training labels
        self._mlflow_runs: dict[str, str] = {}  # open MLflow parent runs, by research run
        self._pending: deque[tuple[str, str, SearchRequest]] = deque()
        self._active: str | None = None
        self._job_ids: dict[str, str] = {}
        self._written: dict[str, float] = {}  # when each run's progress was last written
        self._lock = threading.Lock()
        # A follower process (several on PostgreSQL): runs wait in the database for the leader.
        self.queue_only = False

    @property
    def config(self):
        return self._config

    @property
    def candles(self):
        return self._candles

    def recover(self, shared: bool = False) -> None:
        """At the app's start: runs an earlier app left queued or running are interrupted.
        ``shared`` (a new leader of several processes): only running ones are failed; queued
        ones wait for ``adopt_queued``, whoever queued them."""
        interrupted = self.store.fail_interrupted((RUNNING,) if shared else (QUEUED, RUNNING))
        if interrupted:
            log.info("%d searches or walk-forwards were interrupted by a restart", interrupted)

    def adopt_queued(self) -> int:
        """The leader: take up the runs other processes queued (or resumed) in the database."""
        waiting = self.store.queued()
        with self._lock:
            known = {item[0] for item in self._pending} | {self._active}
            new = [(run_id, kind, SearchRequest.from_dict(request))
                   for run_id, kind, request in waiting if run_id not in known]  # fmt: skip
            self._pending.extend(new)
            self._start_next()
        return len(new)

    # ---- starting and stopping ---------------------------------------------------------------
    def submit(self, kind: str, request: SearchRequest, started_by: str = "") -> str:
        """Queue a search (``kind`` search) or walk-forward; QueueFull past limits.queued_jobs."""
        limit = self._config.limits.queued_jobs
        with self._lock:
            if len(self._pending) >= limit:
                raise QueueFull(
                    f"{len(self._pending)} searches are already waiting to run (at most {limit},"
                    " limits.queued_jobs): wait for them to finish or cancel one"
                )
            run_id = self.store.create(kind, request.to_dict(), started_by)
            if self.queue_only:
                log.info("%s %s queued in the database for the leading process", kind, run_id)
                return run_id
            self._pending.append((run_id, kind, request))
            self._start_next()
        return run_id

    def resume(self, run_id: str) -> bool:
        """Queue a failed, cancelled or interrupted run again: it keeps its stored trials (and
        folds) and runs only the rest. False when it is not resumable."""
        run = self.store.get(run_id)
        if run is None or run["status"] not in (FAILED, CANCELLED):
            return False
        request = SearchRequest.from_dict(run["request"])
        with self._lock:
            if any(item[0] == run_id for item in self._pending) or self._active == run_id:
                return False
            self.store.update(run_id, status=QUEUED, error=None, finished_at=None)
            if self.queue_only:
                return True
            self._pending.append((run_id, run["kind"], request))
            self._start_next()
        return True

    def _start_next(self) -> None:
        if self._active is not None or not self._pending:
            return
        run_id, kind, request = self._pending.popleft()
        self._active = run_id
        title = f"{kind} {request.strategy} on {request.symbol} {request.timeframe}"
        state = self._jobs.submit(
            f"research:{run_id}", title, lambda job: self._job(run_id, kind, request, job)
        )
        self._job_ids[run_id] = state.id

    def _job(self, run_id: str, kind: str, request: SearchRequest, job):
        try:
            return self.execute(run_id, kind, request, job)
        finally:
            with self._lock:
                self._active = None
                self._start_next()

    def run_now(self, kind: str, request: SearchRequest, report=None, run_id: str | None = None):
        """Run in this thread (the CLI); returns the saved run (failed ones with their error)."""
        run_id = run_id or self.store.create(kind, request.to_dict())
        with contextlib.suppress(Exception):  # saved as failed, with the error, by execute
            self.execute(run_id, kind, request, Foreground(report))
        return self.get(run_id)

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued run at once, or ask a running one to stop; False if neither."""
        with self._lock:
            queued = [item for item in self._pending if item[0] == run_id]
            if queued:
                self._pending.remove(queued[0])
                self.store.update(run_id, status=CANCELLED, finished_at=_now())
                return True
        job_id = self._job_ids.get(run_id)
        if job_id is not None:
            return self._jobs.cancel(job_id)
        return self.store.cancel_queued(run_id)  # queued by or for another process

    def get(self, run_id: str, trials: bool = True) -> dict | None:
        run = self.store.get(run_id)
        if run is None:
            return None
        if trials:
            run["trials"] = [_public_trial(t) for t in self.store.trials(run_id, 0)]
        if run["kind"] == WALKFORWARD:
            run["folds_done"] = self.store.folds(run_id)
        return run

    def status(self, run_id: str) -> dict | None:
        state = self.store.status(run_id)
        if state is not None:
            state["trials_so_far"] = self.store.count_trials(run_id)
        return state

    def list(self, kind: str, limit: int = 100) -> list[dict]:
        return self.store.list(kind, limit)

    # ---- running -----------------------------------------------------------------------------
    def execute(self, run_id: str, kind: str, request: SearchRequest, job) -> dict:
        self.store.update(run_id, status=RUNNING, progress=0.0, error=None)
        try:
            if kind == WALKFORWARD:
                from backtest.walkforward_run import run_walkforward

                result = run_walkforward(self, run_id, request, job)
            else:
                result = self._search(run_id, request, job)
            job.progress(0.98, "logging to MLflow")
            mlflow_run = self._log_mlflow(run_id, kind, request, result,
                                          self._mlflow_runs.pop(run_id, None))  # fmt: skip
            # the one atomic check: a Cancel accepted before this point ends the run cancelled
            if not job.commit():
                raise JobCancelled()
            summary = result.get("best_summary") or result.get("summary")
            self.store.update(run_id, status=DONE, progress=1.0, result=result, summary=summary,
                              finished_at=_now(), mlflow_run_id=mlflow_run)  # fmt: skip
        except JobCancelled:
            self._end_mlflow(run_id, "KILLED")
            self.store.update(run_id, status=CANCELLED, finished_at=_now())
            raise
        except Exception as exc:
            if job.cancelled():  # a Cancel accepted before the end wins over a late failure
                self._end_mlflow(run_id, "KILLED")
                self.store.update(run_id, status=CANCELLED, finished_at=_now())
                raise JobCancelled() from exc
            self._end_mlflow(run_id, "FAILED")
            log.exception("%s %s failed", kind, run_id)
            self.store.update(run_id, status=FAILED, error=str(exc) or type(exc).__name__,
                              finished_at=_now())  # fmt: skip
            raise
        return {"id": run_id, "best": (result.get("best") or {}).get("params")}

    def load(self, request: SearchRequest, job):
        """The candles, the strategy's search inputs (computed once) and the shared arrays."""
        job.progress(0.0, "loading candles")
        candles = self._candles.history(request.symbol, request.timeframe, request.start,
                                        request.end + 1)  # fmt: skip
        if len(candles) < 3:
            raise ValueError(f"only {len(candles)} candles in the period: nothing to search")
        job.progress(0.02, "computing the strategy's inputs")
        context = StrategyContext(self._config, request.symbol, request.timeframe, self._patterns)
        texts = {k: v for k, v in request.fixed.items() if isinstance(v, str)}
        inputs, meta = make_strategy(request.strategy, texts, context).search_inputs(candles)
        arrays = candle_arrays(candles)
        arrays.update({INPUT_PREFIX + name: values for name, values in inputs.items()})
        return candles, arrays, meta

    def setup(self, request: SearchRequest, meta: dict) -> TrialSetup:
        return TrialSetup(request.strategy, request.settings, request.maximize,
                          request.min_trades, dict(request.fixed), dict(meta))  # fmt: skip

    def executor(self, arrays):
        return make_executor(self._config.compute, arrays, PRELOAD)

    def _search(self, run_id: str, request: SearchRequest, job) -> dict:
        candles, arrays, meta = self.load(request, job)
        done = {t["idx"]: t for t in self.store.trials(run_id, 0)}
        job.progress(0.05, f"{len(done)} trials stored; starting the workers" if done
                     else "starting the workers")  # fmt: skip
        with self.executor(arrays) as executor:
            searcher = Searcher(
                request, executor, self.setup(request, meta),
                on_trial=lambda idx, params, result: self.store.add_trial(run_id, 0, idx, params,
                                                                          result),
                progress=lambda f: self._progress(run_id, job, 0.05 + 0.9 * f, "trials"),
                done=done, batch=self._config.research.tpe_batch,
            )  # fmt: skip
            trials = searcher.run()
        job.progress(0.95, "re-running the best parameters")
        best = best_trial(trials)
        result = {"trials": len(trials), "maximize": request.maximize,
                  "workers": executor.workers}  # fmt: skip
        if best is None:
            result["best"] = None
            result["note"] = (
                f"no trial made at least {max(1, request.min_trades)} trades with a defined"
                f" {request.maximize}"
            )
            return result
        params = {**request.fixed, **best["params"]}
        result["best"] = self.full_run(request, arrays, meta, params, best["value"])
        result["best_summary"] = {"params": best["params"], "value": best["value"]}
        overlap = in_sample(meta.get("trained_on"), request.symbol, int(candles.index[0]),
                            int(candles.index[-1]))  # fmt: skip
        result["in_sample"] = overlap or False
        if meta.get("model"):
            result["model"] = meta["model"]
        return result

    def full_run(self, request, arrays, meta, params: dict, value=None, lo=0, hi=None,
                 cash=None, trade_from=0) -> dict:  # fmt: skip
        """One parameter set re-run with full statistics, trades and equity (bars ``lo..hi`` of
        the arrays, trading from ``trade_from`` bars in, from ``cash``)."""
        strategy = make(request.strategy, params)
        settings = request.settings
        if cash is not None:
            from dataclasses import replace

            settings = replace(settings, cash=cash)
        candles = CandleArrays(arrays, lo, hi, meta)
        result, _, part = simulate(strategy, candles, settings, trade_from)
        times, close = candles.time[part], candles.close[part]
        stats = compute_stats(result.trades, result.equity, times, close, result.warmup)
        return {
            "params": strategy.all_values,
            "value": value if value is not None else score(
                stats, request.maximize, result.n_trades, request.min_trades),
            "stats": {key: json_value(v) for key, v in stats.items()},
            "trades": trade_rows(result.trades),
            "equity": equity_points(times, result.equity),
            "final_equity": float(result.equity[-1]),
            "bars": len(times),
        }  # fmt: skip

    def _progress(self, run_id: str, job, fraction: float, stage: str) -> None:
        """Report progress (a cancel stops the run here); written at most every 0.25 s."""
        now = time.monotonic()
        if now - self._written.get(run_id, 0.0) >= 0.25:
            self._written[run_id] = now
            self.store.update(run_id, progress=round(fraction, 4))
        job.progress(fraction, stage)

    def open_mlflow(self, run_id: str, kind: str, request: SearchRequest) -> str | None:
        """The run's MLflow parent run, opened now (a walk-forward's fold models nest under
        it); None when MLflow fails (the run goes on)."""
        parent = open_parent(self._config, run_id, kind, request)
        if parent:
            self._mlflow_runs[run_id] = parent
        return parent

    def _end_mlflow(self, run_id: str, status: str) -> None:
        end_parent(self._config, self._mlflow_runs.pop(run_id, None), status)

    def _log_mlflow(self, run_id: str, kind: str, request: SearchRequest, result: dict,
                    parent: str | None = None):  # fmt: skip
        return log_research(self._config, self.store.trials(run_id), run_id, kind, request,
                            result, parent)  # fmt: skip


def _public_trial(trial: dict) -> dict:
    return {"idx": trial["idx"], "params": trial["params"], "value": trial["value"],
            "trades": trial["trades"], "stats": trial["stats"],
            **({"error": trial["error"]} if trial.get("error") else {})}  # fmt: skip


def _now() -> int:
    return int(time.time() * 1000)


__all__ = ["Research", "Foreground", "trials_frame", "trials_csv", "ENDED", "SEARCH",
           "WALKFORWARD"]  # fmt: skip
