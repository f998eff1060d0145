"""Parameter search speed and memory: our search against backtesting.py's ``optimize``, same grid,
same machine, same run.

- a 400-cell ``sma_cross`` grid (fast 5..100 by 5, slow 110..490 by 20) on 200,000 synthetic
  1 m bars, maximising SQN: our grid search (worker processes, the candles in shared memory)
  against ``Backtest.optimize(..., return_heatmap=True)`` (its own process pool); every cell's
  value is checked equal (goal: at least 50x faster);
- the same search on 1 worker against 2 (goal: at least 1.7x);
- peak memory (RSS) of a search worker after the whole grid against a worker that ran one
  backtest (goal: at most 2x);
- a 10-fold walk-forward of the same grid (the real code path: SQLite candles, stored trials,
  MLflow), and what an MLflow child run per trial would cost (why there is none).

    python bench/search.py [--quick] [--bars N] [--skip-theirs]

``--quick`` (``make bench``): 20,000 bars and a 100-cell grid.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bars
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backtest.search import Searcher  # noqa: E402
from backtest.search_request import SearchRequest  # noqa: E402
from backtest.trials import TrialSetup, candle_arrays, run_trial  # noqa: E402
from bench.backtest import candles  # noqa: E402 (the same synthetic 1 m bars)
from core.compute import LocalExecutor  # noqa: E402


def measured_trial(arrays, setup, params):
    """A trial that also reports its worker's peak RSS (MB) so far."""
    out = run_trial(arrays, setup, params)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def grid(quick: bool) -> tuple[list[int], list[int]]:
    if quick:
        return list(range(5, 55, 5)), list(range(60, 260, 20))  # 10 x 10
    return list(range(5, 105, 5)), list(range(110, 510, 20))  # 20 x 20


def _range(values: list[int]) -> str:
    step = values[1] - values[0] if len(values) > 1 else 1
    return f"{values[0]}:{values[-1]}:{step}"


def request_for(frame: pd.DataFrame, fast, slow, **extra) -> SearchRequest:
    return SearchRequest(
        "BENCH", "1m", int(frame.index[0]), int(frame.index[-1]), "sma_cross",
        {"fast": _range(fast), "slow": _range(slow)},
        constraint="fast < slow", maximize="SQN", commission=0.0, fractional_unit=1.0,
        space={"fast": fast, "slow": slow}, **extra,
    )  # fmt: skip


def our_search(frame, request, workers: int, trial=run_trial):
    """The trials and the wall time: the whole search (workers started, candles shared, trials
    run, workers stopped), and its trials alone (after the workers are up)."""
    arrays = candle_arrays(frame)
    setup = TrialSetup(request.strategy, request.settings, request.maximize, request.min_trades)
    started = time.perf_counter()
    with LocalExecutor(workers, arrays, ("backtest.trials",)) as executor:
        warm = [{"fast": 2, "slow": 3}] * workers  # start every worker before the clock
        list(executor.map(run_trial, setup, warm))
        began = time.perf_counter()
        searcher = Searcher(request, executor, setup, on_trial=lambda *a: None,
                            progress=lambda f: None, done={})  # fmt: skip
        trials = _run(searcher, trial)
        trials_s = time.perf_counter() - began
    our_search.last_trials_s = trials_s
    return trials, time.perf_counter() - started


def _run(searcher: Searcher, trial) -> list[dict]:
    if trial is run_trial:
        return searcher.run()
    # the same grid, through the executor, with the measuring trial function
    combos = searcher.plan_grid()
    results: dict[int, dict] = {}
    for index, result in searcher.executor.map(trial, searcher.setup, combos):
        results[index] = {"params": combos[index], **result}
    return [results[i] for i in range(len(combos))]


def their_optimize(frame, fast, slow):
    from backtesting import Backtest

    from tests.helpers.backtesting_oracle import FullSmaCross

    data = frame.rename(columns=str.capitalize)
    data.index = np.asarray(frame.index, dtype="datetime64[ms]")
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backtest = Backtest(data, FullSmaCross, cash=10_000, commission=0.0,
                            exclusive_orders=True, finalize_trades=True)  # fmt: skip
        _, heatmap = backtest.optimize(fast=fast, slow=slow, constraint=lambda p: p.fast < p.slow,
                                       maximize="SQN", return_heatmap=True)  # fmt: skip
    return heatmap, time.perf_counter() - started


def check_same(trials: list[dict], heatmap) -> None:
    ours = {(t["params"]["fast"], t["params"]["slow"]): t["value"] for t in trials}
    for cell, theirs in heatmap.items():
        mine = ours[cell]
        if (mine is None) != bool(np.isnan(theirs)) or (
            mine is not None and abs(mine - theirs) > 1e-9 * max(1.0, abs(theirs))
        ):
            raise SystemExit(f"cell {cell}: ours {mine}, backtesting.py {theirs}")


def memory(frame, request, workers: int) -> tuple[float, float]:
    """Peak RSS (MB) of a worker that ran one backtest, and of workers after the whole grid."""
    one = request_for(frame, request.space["fast"][:1], request.space["slow"][:2])
    single, _ = our_search(frame, one, 1, measured_trial)
    whole, _ = our_search(frame, request, workers, measured_trial)
    return single[0]["peak_mb"], max(t["peak_mb"] for t in whole)


def walkforward(frame, fast, slow, folds: int = 10) -> tuple[float, int]:
    """A walk-forward of the grid through the app's code (SQLite candles, stored trials,
    MLflow): wall time and trials."""
    from runtime.config import config_from_dict
    from runtime.orchestrator import Orchestrator
    from tests.helpers.research import store_frame

    n = len(frame)
    oos = n // (folds + 3)
    is_bars = n - folds * oos
    with tempfile.TemporaryDirectory() as tmp:
        data = {"data_dir": f"{tmp}/data", "compute": {"workers": 2},
                "backtest": {"max_candles": 10_000_000}}  # fmt: skip
        config = config_from_dict(data, base_dir=tmp)
        orch = Orchestrator(config)
        store_frame(orch, "BENCH", "1m", frame)
        request = request_for(frame, fast, slow, is_bars=is_bars, oos_bars=oos)
        started = time.perf_counter()
        run = orch.research.run_now("walkforward", request)
        took = time.perf_counter() - started
        if run["status"] != "done":
            raise SystemExit(f"walk-forward {run['status']}: {run['error']}")
        count = orch.research.store.count_trials(run["id"])
        orch.db.close()
    return took, count


def child_run_cost(count: int = 20) -> float:
    """Milliseconds an MLflow child run (one param, one metric) costs in the local store."""
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        experiment = mlflow.create_experiment("bench", artifact_location=f"file://{tmp}/art")
        with mlflow.start_run(experiment_id=experiment):
            mlflow.start_run(experiment_id=experiment, nested=True)  # the store's first run
            mlflow.end_run()
            started = time.perf_counter()
            for i in range(count):
                with mlflow.start_run(experiment_id=experiment, nested=True):
                    mlflow.log_param("fast", i)
                    mlflow.log_metric("SQN", float(i))
            took = time.perf_counter() - started
    return took / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 bars, a 100-cell grid")
    parser.add_argument("--bars", type=int, help="default 200,000 (quick: 20,000)")
    parser.add_argument("--skip-theirs", action="store_true", help="leave backtesting.py out")
    args = parser.parse_args()
    n = args.bars or (20_000 if args.quick else 200_000)
    fast, slow = grid(args.quick)
    frame = candles(n)
    request = request_for(frame, fast, slow)
    cells = len(fast) * len(slow)
    print(f"{cells}-cell sma_cross grid on {n:,} bars; {os.cpu_count()} cores,"
          f" load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip

    # the forkserver starts once per process (it imports the trial code): not part of a search
    our_search(frame.iloc[:500], request_for(frame, [2], [3]), 1)
    two, two_s = our_search(frame, request, 2)
    two_trials = our_search.last_trials_s
    print(f"ours, 2 workers: {two_s:7.2f} s in all, {two_trials:.2f} s of trials"
          f" ({cells / two_trials:,.0f} cells/s)", flush=True)  # fmt: skip
    one, one_s = our_search(frame, request, 1)
    one_trials = our_search.last_trials_s
    print(f"ours, 1 worker:  {one_s:7.2f} s in all, {one_trials:.2f} s of trials; 2 workers are"
          f" {one_trials / two_trials:.2f}x faster on the trials, {one_s / two_s:.2f}x in all"
          " (goal 1.7x)", flush=True)  # fmt: skip
    assert [t["value"] for t in one] == [t["value"] for t in two]
    if not args.skip_theirs:
        heatmap, their_s = their_optimize(frame, fast, slow)
        check_same(two, heatmap)
        speedup = their_s / two_s
        print(f"backtesting.py optimize: {their_s:7.2f} s; ours (2 workers) is {speedup:.0f}x"
              " faster (goal 50x); every cell equal", flush=True)  # fmt: skip
    single_mb, worker_mb = memory(frame, request, 2)
    ratio = worker_mb / single_mb
    print(f"peak RSS: a worker after one backtest {single_mb:.0f} MB, after the whole grid"
          f" {worker_mb:.0f} MB: {ratio:.2f}x (goal at most 2x)", flush=True)  # fmt: skip
    took, count = walkforward(frame, fast, slow)
    print(f"10-fold walk-forward of the grid: {took:.2f} s ({count} trials, stored, with"
          " MLflow)", flush=True)  # fmt: skip
    per_run = child_run_cost()
    per_trial = two_s / cells * 1000
    print(f"an MLflow child run costs {per_run:.0f} ms (written one by one, in the server)"
          f" against {per_trial:.1f} ms a trial (2 workers): one per trial would add"
          f" {per_run / per_trial:.0%} to the search, so the trials go to one table artifact",
          flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
