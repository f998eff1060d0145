"""Long backtests as Ray tasks (``compute.backend: ray``).

A backtest of a rule strategy over at least ``compute.ray_backtest_bars`` candles runs its heavy
part (signals, the engine, the statistics) as one task on the cluster: the candles go to it once
through Ray's object store, it reports its stage back to the job (progress bar), and a Cancel
reaches it between stages (stopped by force after a grace period, as training tasks are). The
runner stores, replays and logs the result here as for a local run, so the run reads the same.

Model strategies (``pattern``, ``cnn``, ``transformer``, ``dqn``) stay in this process: their
signals come from the model this process serves. Shorter runs stay too: a task's scheduling and
the candles' trip cost more than such a run takes.
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np
import pandas as pd

from backtest.engine import run_backtest
from backtest.stats import compute_stats
from backtest.strategies import MODEL_STRATEGIES, make_strategy
from core.compute import ComputeCancelled, RemoteProgress, ray_cluster, worker_info
from core.jobs import JobCancelled

log = logging.getLogger(__name__)


def on_cluster(compute, strategy: str, bars: int) -> bool:
    """Whether a run of ``strategy`` over ``bars`` candles goes to the Ray cluster."""
    return (
        compute.backend == "ray"
        and strategy not in MODEL_STRATEGIES
        and bars >= compute.ray_backtest_bars
    )


def _stop_if_asked(progress: RemoteProgress) -> None:
    if progress.stop_requested():
        raise JobCancelled()


def backtest_task(candles: pd.DataFrame, strategy: str, params: dict, settings,
                  progress: RemoteProgress):  # fmt: skip
    """On a worker: signals, engine and statistics of one run; with where it ran."""
    progress.report(0.1, "computing signals on the Ray cluster")
    rules = make_strategy(strategy, params, None)
    signals = rules.signals(candles)
    _stop_if_asked(progress)
    progress.report(0.5, "running the engine on the Ray cluster")
    times = candles.index.to_numpy(dtype=np.int64)
    close = candles["close"].to_numpy(dtype=np.float64)
    result = run_backtest(candles["open"].to_numpy(dtype=np.float64), close, times,
                          signals.targets, settings, signals.warmup,
                          high=candles["high"].to_numpy(dtype=np.float64),
                          low=candles["low"].to_numpy(dtype=np.float64),
                          exits=rules.exits)  # fmt: skip
    _stop_if_asked(progress)
    progress.report(0.9, "statistics on the Ray cluster")
    stats = compute_stats(result.trades, result.equity, times, close, result.warmup)
    return signals, result, stats, worker_info()


def run_on_cluster(compute, candles: pd.DataFrame, request, job, share: float, span: float):
    """Run ``request`` over ``candles`` as a Ray task; progress from ``share`` over ``span`` of
    the job's bar. Returns (signals, result, stats, where it ran)."""
    cluster = ray_cluster(compute.address)

    def report(fraction, stage):
        # a Cancel is passed to the task below (``cancelled``), not raised here mid-wait
        with contextlib.suppress(JobCancelled):
            job.progress(share + span * (fraction or 0.0), stage)

    job.progress(share, f"sending {len(candles):,} candles to the Ray cluster")
    try:
        answer = cluster.run(backtest_task, cluster.share(candles), request.strategy,
                             dict(request.params), request.settings, report=report,
                             cancelled=job.cancelled)  # fmt: skip
    except ComputeCancelled as exc:
        raise JobCancelled() from exc
    except Exception as exc:
        if job.cancelled():
            raise JobCancelled() from exc
        cause = getattr(exc, "cause", None)  # a task's own error, without Ray's wrapping
        if isinstance(cause, Exception):
            raise cause from None
        raise
    where = answer[3]
    log.info("backtest of %s over %d candles ran on the Ray cluster at %s (worker %s on %s)",
             request.strategy, len(candles), compute.address, where["pid"],
             where["host"])  # fmt: skip
    return answer
