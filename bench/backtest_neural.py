"""What a neural-strategy backtest costs: the CNN, transformer and DQN champions run through the
real runner (SQLite candles, MLflow's registry, predictions stored with source ``backtest``).

The models have config.yaml's architecture and features (window 32) but one epoch / episode, on
the first 3,000 of the synthetic 1 m candles (a wave plus a random walk); their skill does not
matter here, only the work. Per kind and period length: the whole run's wall time (load the
model, predict every bar, the engine and statistics, storing every prediction in SQLite, MLflow
logging), the part spent computing the signals, and bars per second. Default period of the
Backtest tab: 1,440 bars (24 h of 1 m).

    python bench/backtest_neural.py [--quick]      # --quick: 1,440 bars only (< 1 minute)
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from backtest.request import parse_request  # noqa: E402
from backtest.strategies import StrategyContext, make_strategy  # noqa: E402
from core.candles import frame_to_candles  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402
from runtime.neural_jobs import train_kind  # noqa: E402
from runtime.orchestrator import Orchestrator  # noqa: E402
from tests.helpers.neural_data import wave_candles  # noqa: E402

SYMBOL = "BTC/USDT"
KINDS = ("cnn", "transformer", "dqn")
TRAIN = 3_000


def orchestrator(folder: Path) -> Orchestrator:
    root = Path(__file__).resolve().parent.parent
    data = yaml.safe_load((root / "config.yaml").read_text())
    data.update(data_dir=str(folder / "data"), symbols=[SYMBOL])
    neural = data["neural"]
    neural["bootstrap"] = False
    for kind, key in (("cnn", "epochs"), ("transformer", "epochs"), ("dqn", "episodes")):
        neural["params"][kind] = {**neural["params"][kind], key: 1}
    return Orchestrator(config_from_dict(data, base_dir=folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,440 bars only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sizes = [1_440] if args.quick else [1_440, 10_000, 50_000]
    with tempfile.TemporaryDirectory() as tmp:
        orch = orchestrator(Path(tmp))
        torch.set_num_threads(orch.config.training.threads or 1)
        candles = wave_candles(TRAIN + max(sizes), period=60, noise=0.001, walk=True)
        orch.store.merge_history(SYMBOL, "1m", frame_to_candles(candles))
        end = int(candles.index[TRAIN - 1]) + 1
        for kind in KINDS:
            started = time.perf_counter()
            train_kind(orch, kind, end=end)
            print(f"trained {kind} in {time.perf_counter() - started:.1f} s (1 epoch)")
        print(f"\n{'kind':<12}{'bars':>8}{'run s':>9}{'signals s':>11}{'bars/s':>10}{'trades':>8}")
        for n in sizes:
            start, stop = int(candles.index[TRAIN]), int(candles.index[TRAIN + n - 1])
            period = orch.store.history(SYMBOL, "1m", start, stop + 1)
            for kind in KINDS:
                body = {"symbol": SYMBOL, "strategy": kind, "start": start, "end": stop}
                if kind != "dqn":
                    body["params"] = {"min_confidence": 0}
                request = parse_request(body, orch)
                context = StrategyContext(orch.config, SYMBOL, "1m")
                began = time.perf_counter()
                make_strategy(kind, request.params, context).signals(period)
                signals_s = time.perf_counter() - began
                began = time.perf_counter()
                run = orch.backtests.run_now(request)
                run_s = time.perf_counter() - began
                assert run["status"] == "done", run["error"]
                print(f"{kind:<12}{n:>8,}{run_s:>9.2f}{signals_s:>11.2f}{n / run_s:>10,.0f}"
                      f"{run['stats']['# Trades']:>8}")  # fmt: skip
        orch.stop()


if __name__ == "__main__":
    main()
