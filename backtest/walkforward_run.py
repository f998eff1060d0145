"""Running a walk-forward (``backtest/walkforward.py`` says what one is).

The candles (and a rule strategy's inputs) go to the workers once; each fold's in-sample search
is a search over its window of them. Each fold is stored as it ends, with its trials (``part``:
the fold number + 1), so a resumed walk-forward goes on from the first fold not finished.

Model strategies (``pattern``, ``cnn``, ``transformer``, ``dqn``) train one model per fold on its
in-sample window only (``backtest/fold_models.py``), logged to MLflow as runs of the walk-forward
and never registered; the fold's search and out-of-sample run use that model's predictions.
"""

from __future__ import annotations

import logging

import numpy as np

from backtest.search import Searcher, best_trial
from backtest.search_request import SearchRequest
from backtest.store import equity_points
from backtest.strategies import MODEL_STRATEGIES
from backtest.trials import INPUT_PREFIX
from backtest.walkforward import efficiency, fold_windows, stability
from core.jobs import JobCancelled

log = logging.getLogger(__name__)


def run_walkforward(research, run_id: str, request: SearchRequest, job) -> dict:
    store = research.store
    parent = research.open_mlflow(run_id, "walkforward", request)
    if request.strategy in MODEL_STRATEGIES:
        from backtest.fold_models import FoldModels

        models = FoldModels(research, run_id, request, parent)
        candles, arrays, meta = models.load(job)
    else:
        models = None
        candles, arrays, meta = research.load(request, job)
    times = arrays["time"]
    folds = fold_windows(len(times), request.is_bars, request.oos_bars, request.gap_bars,
                         request.anchored)  # fmt: skip
    if not folds:
        raise ValueError(
            f"the period holds {len(times)} candles, too few for one fold of {request.is_bars}"
            f" in-sample + {request.gap_bars} gap + {request.oos_bars} out-of-sample bars"
        )
    if models is not None:
        models.total = len(folds)
    finished = {f["fold"]: f for f in store.folds(run_id)}
    cash = request.cash
    results = []
    executor = None
    try:
        for fold in folds:
            share = 0.05 + 0.9 * fold.index / len(folds)
            if fold.index in finished:  # resumed: this fold ended before
                result = finished[fold.index]
                cash = result["oos_final_equity"]
                results.append(result)
                continue
            fold_arrays, fold_meta = arrays, meta
            if models is not None:
                job.progress(share, f"fold {fold.index + 1}/{len(folds)}: training")
                fold_arrays, fold_meta = models.fold_inputs(fold, job, share)
                if executor is not None:
                    executor.close()
                    executor = None
            if executor is None:
                executor = research.executor(fold_arrays)
            part = fold.index + 1
            done = {t["idx"]: t for t in store.trials(run_id, part)}

            def progress(f, fold=fold, share=share):
                stage = f"fold {fold.index + 1}/{len(folds)}: in-sample search"
                research._progress(run_id, job, share + 0.9 / len(folds) * f, stage)

            searcher = Searcher(
                request, executor, research.setup(request, fold_meta),
                on_trial=lambda idx, params, res, part=part: store.add_trial(
                    run_id, part, idx, params, res),
                progress=progress, done=done, batch=research._config.research.tpe_batch,
                window=(fold.is_lo, fold.is_hi),
            )  # fmt: skip
            trials = searcher.run()
            job.check()
            result = _fold_result(research, request, fold_arrays, fold_meta, fold, trials, cash)
            if models is not None:
                result["model"] = models.describe(fold)
            cash = result["oos_final_equity"]
            store.add_fold(run_id, fold.index, result)
            results.append(result)
    finally:
        if executor is not None:
            executor.close()
    if len(results) != len(folds):
        raise JobCancelled()
    return summarise(request, results, times)


def _fold_result(research, request, arrays, meta, fold, trials, cash: float) -> dict:
    times = arrays["time"]
    best = best_trial(trials)
    base = {
        "fold": fold.index,
        "is": [int(times[fold.is_lo]), int(times[fold.is_hi - 1])],
        "oos": [int(times[fold.oos_lo]), int(times[fold.oos_hi - 1])],
        "is_bars": fold.is_hi - fold.is_lo,
        "oos_bars": fold.oos_hi - fold.oos_lo,
        "trials": len(trials),
    }
    if best is None:
        # nothing to trade out of sample: the account stays flat through the window
        window = times[fold.oos_lo : fold.oos_hi]
        flat = np.full(len(window), cash)
        return {**base, "params": None, "value": None, "is_stats": {}, "oos_stats": {},
                "oos_trades": [], "oos_equity": equity_points(window, flat),
                "oos_final_equity": cash, "is_equity": [],
                "note": "no in-sample trial made enough trades: flat out of sample"}  # fmt: skip
    params = {**request.fixed, **best["params"]}
    in_sample = research.full_run(request, arrays, meta, params, best["value"], fold.is_lo,
                                  fold.is_hi)  # fmt: skip
    # out of sample: indicators warm up on every earlier candle; trades and statistics cover
    # the window only
    out = research.full_run(request, arrays, meta, params, None, 0, fold.oos_hi, cash,
                            trade_from=fold.oos_lo)  # fmt: skip
    return {
        **base,
        "params": in_sample["params"],
        "searched": best["params"],
        "value": best["value"],
        "is_stats": in_sample["stats"],
        "oos_stats": out["stats"],
        "oos_trades": out["trades"],
        "oos_equity": out["equity"],
        "oos_final_equity": out["final_equity"],
        "is_equity": in_sample["equity"],
    }


def summarise(request: SearchRequest, folds: list[dict], times: np.ndarray) -> dict:
    """The report: per-fold rows, the stitched out-of-sample curve (compounded: each fold starts
    from the previous fold's ending equity), walk-forward efficiency and parameter stability."""
    oos_equity = [p for f in folds for p in f["oos_equity"]]
    is_rates, oos_rates = [], []
    rows = []
    for f in folds:
        is_ret = (f["is_stats"] or {}).get("Return [%]")
        oos_ret = (f["oos_stats"] or {}).get("Return [%]")
        if oos_ret is None and f["params"] is None:
            oos_ret = 0.0
        if is_ret is not None:
            is_rates.append(is_ret / f["is_bars"])
        if oos_ret is not None:
            oos_rates.append(oos_ret / f["oos_bars"])
        row = {k: v for k, v in f.items() if k not in ("oos_trades", "oos_equity", "is_equity")}
        row["efficiency"] = efficiency(is_ret, f["is_bars"], oos_ret, f["oos_bars"])
        rows.append(row)
    mean_is = sum(is_rates) / len(is_rates) if is_rates else None
    mean_oos = sum(oos_rates) / len(oos_rates) if oos_rates else None
    overall = (
        mean_oos / mean_is if mean_is is not None and mean_oos is not None and mean_is > 0
        else None
    )  # fmt: skip
    start_cash = request.cash
    final = folds[-1]["oos_final_equity"] if folds else start_cash
    oos_return = (final / start_cash - 1) * 100
    chosen = [f["searched"] for f in folds if f.get("searched")]
    return {
        "folds": rows,
        "oos_equity": _thin(oos_equity),
        "is_equity": [{"fold": f["fold"], "points": f["is_equity"]} for f in folds],
        "oos_trades": [dict(t, fold=f["fold"]) for f in folds for t in f["oos_trades"]],
        "efficiency": overall,
        "efficiency_note": None if overall is not None else (
            "n/a: the in-sample return per bar is 0 or negative"),
        "stability": stability(chosen),
        "oos_stats": {"Return [%]": oos_return, "Equity Final [$]": final,
                      "# Trades": sum(len(f["oos_trades"]) for f in folds)},
        "summary": {"folds": len(folds), "oos_return_pct": oos_return, "efficiency": overall},
        "maximize": request.maximize,
    }  # fmt: skip


def _thin(points: list[dict], limit: int = 4000) -> list[dict]:
    if len(points) <= limit:
        return points
    step = int(np.ceil(len(points) / limit))
    kept = points[::step]
    return kept if kept[-1] is points[-1] else [*kept, points[-1]]


__all__ = ["run_walkforward", "summarise", "INPUT_PREFIX"]
