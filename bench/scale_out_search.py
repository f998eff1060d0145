"""The search half of ``bench/scale_out.py``: one 200-trial grid on local workers and on a local
Ray head, same machine, same process, every trial's value checked equal."""

from __future__ import annotations

import json
import time

from backtest.search import Searcher
from backtest.trials import TrialSetup, candle_arrays, run_trial
from bench.search import candles, request_for
from core.compute import LocalExecutor, ray_cluster
from core.ray_executor import RayExecutor
from tests.helpers.ray_head import RayHead

FAST, SLOW = list(range(5, 105, 5)), list(range(110, 300, 20))  # 20 x 10 = 200, all fast < slow
WORKERS = 2
PRELOAD = ("backtest.trials",)
GOAL = 1.3
RAY_ROUNDS = 3  # the first on a fresh head starts its workers; the goal reads the others


def _search(executor, request, setup) -> list[tuple]:
    searcher = Searcher(request, executor, setup, on_trial=lambda *a: None,
                        progress=lambda f: None, done={})  # fmt: skip
    return [(t["params"], t["value"]) for t in searcher.run()]


def _local(arrays, request, setup) -> tuple[list, float, float]:
    """The trials, the whole search's time (as the app runs one: a fresh pool) and the time of
    its trials alone, once the workers are up (as Ray's are after its first search)."""
    began = time.perf_counter()
    with LocalExecutor(WORKERS, arrays, PRELOAD) as executor:
        list(executor.map(run_trial, setup, [{"fast": 2, "slow": 3}] * WORKERS))
        warm = time.perf_counter()
        trials = _search(executor, request, setup)
        trials_s = time.perf_counter() - warm
    return trials, time.perf_counter() - began, trials_s


def _ray(cluster, arrays, request, setup) -> tuple[list, float]:
    began = time.perf_counter()
    with RayExecutor(cluster, arrays, PRELOAD) as executor:
        trials = _search(executor, request, setup)
    return trials, time.perf_counter() - began


def compare_search(bars: int) -> bool:
    frame = candles(bars)
    request = request_for(frame, FAST, SLOW)
    setup = TrialSetup(request.strategy, request.settings, request.maximize, request.min_trades)
    arrays = candle_arrays(frame)
    head = RayHead(num_cpus=WORKERS).start()
    try:
        cluster = ray_cluster(head.address)
        began = time.perf_counter()
        cluster.connect()
        connect_s = time.perf_counter() - began
        # alternate the sides so a change in the machine's load falls on both
        expected, whole_s, trials_s = _local(arrays, request, setup)
        got, cold_ray_s = _ray(cluster, arrays, request, setup)
        if got != expected:
            raise SystemExit("the Ray search's trials differ from the local one's")
        local_s, local_trials_s, ray_s = [whole_s], [trials_s], []
        for _ in range(RAY_ROUNDS - 1):
            got, seconds = _ray(cluster, arrays, request, setup)
            ray_s.append(seconds)
            if got != expected:
                raise SystemExit("the Ray search's trials differ from the local one's")
            _, whole_s, trials_s = _local(arrays, request, setup)
            local_s.append(whole_s)
            local_trials_s.append(trials_s)
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        head.stop()
    local_best, ray_best = min(local_s), min(ray_s)
    ratio = ray_best / local_best
    # against the local trials alone (pool start left out): Ray's own overhead per search
    ratio_warm = ray_best / min(local_trials_s)
    print(json.dumps({
        "search": f"{len(expected)} trials sma_cross on {bars} bars, {WORKERS} workers each",
        "local_s": [round(s, 2) for s in local_s],
        "local_trials_only_s": [round(s, 2) for s in local_trials_s],
        "ray_s": [round(s, 2) for s in ray_s],
        "ray_first_on_fresh_head_s": round(cold_ray_s, 2), "ray_connect_s": round(connect_s, 2),
        "ray_over_local": round(ratio, 2), "goal": GOAL,
        "ray_over_local_trials_only": round(ratio_warm, 2),
        "values_equal": True,
    }))  # fmt: skip
    return ratio <= GOAL
