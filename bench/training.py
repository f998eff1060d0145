"""Fit time of each registered model on 100,000 windows of realistic width.

Synthetic window-matrix rows: 60 features x window 8 = 480 columns, 5% NaN, labels "none" (90%)
and two patterns (5% each) that depend on a few columns. Each model is fitted with the training
config's default hyperparameters except the tree count (``--trees``, the same for all, so the
figures compare), on ``--threads`` threads, with class weights as the pipeline uses them.

    python bench/training.py [--rows 100000] [--trees 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.registry import MODELS, create_model  # noqa: E402
from training.samples import balance  # noqa: E402
from training.training_config import TrainingConfig  # noqa: E402


def synthetic_windows(rows: int, features: int = 60, window: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    columns = [f"f{i}@{k}" for k in range(window) for i in range(features)]
    values = rng.normal(size=(rows, len(columns))).astype(np.float64)
    values[rng.random(values.shape) < 0.05] = np.nan
    score = np.nan_to_num(values[:, 0] + 0.5 * values[:, features] - 0.3 * values[:, 3])
    labels = np.full(rows, "none", dtype=object)
    labels[score > np.nanquantile(score, 0.95)] = "bull_pattern"
    labels[score < np.nanquantile(score, 0.05)] = "bear_pattern"
    return pd.DataFrame(values, columns=columns), labels.astype(str)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--trees", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    X, y = synthetic_windows(args.rows)
    rows, weights = balance(y, "class_weight")
    config = TrainingConfig(threads=args.threads)
    print(
        f"{len(X):,} windows x {X.shape[1]} columns (60 features x window 8), "
        f"{args.trees} trees, {args.threads} thread(s), cpu count {os.cpu_count()}"
    )
    for name, cls in MODELS.items():
        if cls.input_kind != "tabular":
            continue  # the neural models: bench/neural.py
        params = config.model_params(name) | {"n_estimators": args.trees}
        model = create_model(name, **params)
        started = time.perf_counter()
        model.fit(X, y, sample_weight=weights)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        model.predict_proba(X.iloc[:10_000])
        predict_s = time.perf_counter() - started
        accuracy = float((model.predict(X.iloc[:10_000]) == y[:10_000]).mean())
        print(
            f"{name:14s} fit {fit_s:7.2f} s ({fit_s / args.trees * 1000:6.1f} ms/estimator, "
            f"{len(X) / fit_s:9,.0f} rows/s)   predict 10,000 rows {predict_s * 1000:7.1f} ms   "
            f"train accuracy {accuracy:.3f}"
        )


if __name__ == "__main__":
    main()
