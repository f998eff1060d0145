"""What the neural models cost on this machine.

1. Training time per epoch (wall clock, and the CPU time the process used: on a shared machine
   the CPU time is what the model costs). CNN, transformer: one pass over the windows; DQN: one
   episode, one decision per window; on 50,000 windows of 32 candles x 29 features, default
   hyperparameters from config, torch on ``training.threads`` threads (goal: <= 30 s per epoch
   on 2 cores).
2. Inference latency for one window and for a batch of 1,000.
3. CPU time per closed candle for 3 models x 3 symbols: the live worker's whole job (features,
   windows, the three models, storing the predictions in SQLite) for one closed 1 m candle on
   each of 3 symbols (goal: <= 30 ms).
4. Chart-tick p99 (the 1 m chart's Patch callback, as ``bench/live_updates.py`` times it) idle,
   then while a CNN trains in a background thread of the same process (goal: <= 2x idle).

    python bench/neural.py [--quick]      # --quick: 5,000 windows, fewer ticks (< 1 minute)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import live_updates  # noqa: E402
import torch  # noqa: E402

from core.config import SimFeedConfig  # noqa: E402
from market.feeds.sim import SimFeed  # noqa: E402
from models.base import TrainingCancelled  # noqa: E402
from models.registry import NEURAL_KINDS, create_model  # noqa: E402
from runtime.config import Config, config_from_dict  # noqa: E402
from runtime.orchestrator import Orchestrator  # noqa: E402
from serving.neural_inference import NeuralModel  # noqa: E402
from training.features import feature_columns  # noqa: E402
from training.neural_pipeline import run_niced  # noqa: E402

KINDS = NEURAL_KINDS


def synthetic(n: int, window: int, width: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, window, width)).astype(np.float32)
    score = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    y = np.where(score > 0.5, "UP", np.where(score < -0.5, "DOWN", "STABLE"))
    change = score * 0.1
    returns = np.clip(score * 0.001 + rng.normal(0, 0.001, n), -0.05, 0.05)
    return X, y, change, returns


def fit(kind: str, params: dict, X, y, change, returns):
    model = create_model(kind, **params)
    if kind == "dqn":
        return model.fit(X, returns)
    return model.fit(X, y, change=change)


def one_epoch_params(kind: str, config: Config) -> dict:
    params = config.neural.model_params(kind)
    return {**params, ("episodes" if kind == "dqn" else "epochs"): 1}


def part_training(config: Config, n: int) -> dict:
    window, width = config.neural.window, len(feature_columns(config.neural.features))
    X, y, change, returns = synthetic(n, window, width)
    print(
        f"\n1. training, one epoch on {n:,} windows of {window} x {width} "
        f"(torch threads {torch.get_num_threads()})"
    )
    fitted = {}
    for kind in KINDS:
        started, cpu = time.perf_counter(), time.process_time()
        fitted[kind] = fit(kind, one_epoch_params(kind, config), X, y, change, returns)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"   {kind:<12} {seconds:7.2f} s per epoch (CPU {cpu:6.2f} s)   "
            f"{n / seconds:9,.0f} windows/s"
        )
    print("\n2. inference latency (median of repeats)")
    for kind, model in fitted.items():
        one = np.median([_timed(model.predict_proba, X[:1]) for _ in range(50)])
        batch = np.median([_timed(model.predict_proba, X[:1000]) for _ in range(5)])
        print(f"   {kind:<12} 1 window {one * 1000:7.2f} ms   1,000 windows {batch * 1000:8.1f} ms")
    return fitted


def _timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def part_live(config: Config, fitted: dict, rounds: int) -> None:
    """The live worker on a real orchestrator (SQLite), its three models set directly."""
    neural = config.neural
    orch = Orchestrator(config)
    symbols = list(config.symbols)
    feed = SimFeed(SimFeedConfig(seed=7))
    minutes = neural.features.warmup + neural.window + neural.dqn_rollout + 50
    end = (int(time.time() * 1000) // 60_000 - 30) * 60_000
    for symbol in symbols:
        orch.store.merge_history(
            symbol, "1m", feed.backfill(symbol, "1m", end - minutes * 60_000, end)
        )
    info = {
        "trained_on": {"start": 0, "end": 1},
        "feature_spec": neural.features.to_dict(),
        "window": neural.window,
        "horizon": neural.horizon,
        "stable_band_pct": neural.stable_band_pct,
        "timeframe": "1m",
        "registered_model": "bench",
    }
    for kind, model in fitted.items():
        orch.neural._set(kind, NeuralModel(kind, model, info, "1"), {"status": "ok"})
    orch.neural._checked = float("inf")  # no registry lookups during the bench
    samples = []
    for _ in range(rounds):
        orch.live_neural._last.clear()  # predict the same candle again each round
        started = time.process_time()
        stored = sum(orch.live_neural.predict(symbol, "1m") for symbol in symbols)
        samples.append((time.process_time() - started) * 1000)
        assert stored == len(symbols) * len(fitted), stored
    print(
        f"\n3. CPU per closed candle, {len(fitted)} models x {len(symbols)} symbols: "
        f"median {np.median(samples):.1f} ms, p99 {np.percentile(samples, 99):.1f} ms "
        f"over {rounds} candles (goal <= 30 ms)"
    )
    orch.stop()


def part_ticks(config: Config, n_train: int, ticks: int) -> None:
    orch = Orchestrator(config)
    seconds = live_updates.seed_bench_symbol(orch, history_minutes=2100, ticks=2 * ticks + 60)
    rng = random.Random(1)
    live_updates.fill_predictions(orch, live_updates.BENCH, rng)
    idle = live_updates.run_ticks(orch, seconds[:ticks], None, 10**9, rng)
    window, width = config.neural.window, len(feature_columns(config.neural.features))
    X, y, change, returns = synthetic(n_train, window, width, seed=1)
    params = {**config.neural.model_params("cnn"), "epochs": 1000}
    stop = threading.Event()

    def train():  # as the pipeline trains: run_niced around fit
        with contextlib.suppress(TrainingCancelled):
            run_niced(
                lambda: create_model("cnn", **params).fit(
                    X, y, callbacks=[_Hooks(stop)], change=change
                ),
                config.training.threads,
            )

    worker = threading.Thread(target=train, daemon=True)
    worker.start()
    time.sleep(1.0)
    busy = live_updates.run_ticks(orch, seconds[ticks : 2 * ticks], None, 10**9, rng)
    stop.set()
    worker.join(timeout=30)
    p_idle = np.percentile([s["patch"][1] for s in idle], 99)
    p_busy = np.percentile([s["patch"][1] for s in busy], 99)
    print(
        f"\n4. 1 m chart tick (Patch callback), {ticks} ticks each: p99 idle {p_idle:.1f} ms, "
        f"while a CNN trains {p_busy:.1f} ms: {p_busy / p_idle:.2f}x (goal <= 2x)"
    )
    orch.stop()


class _Hooks:
    """Training hooks that only stop the training when the bench is done."""

    def __init__(self, stop: threading.Event):
        self._stop = stop

    def on_stage(self, stage):
        pass

    def on_progress(self, fraction):
        pass

    def on_batch(self, event):
        pass

    def should_stop(self):
        return self._stop.is_set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 windows, fewer ticks")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = 5_000 if args.quick else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        config = config_from_dict({"data_dir": tmp})
        torch.set_num_threads(config.training.threads)
        load = os.getloadavg()
        print(
            f"cpu count {os.cpu_count()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            f" at start (other work on the machine slows every figure)"
        )
        fitted = part_training(config, n)
        part_live(config, fitted, rounds=30 if args.quick else 200)
        part_ticks(config, n, ticks=60 if args.quick else 300)
        load = os.getloadavg()
        print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
