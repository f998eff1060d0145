"""Honest evaluation of the neural models: every number beside its baseline. Pure functions.

* Direction (CNN, transformer): accuracy against the majority class of the training period and
  against 50 %; calibration as accuracy per confidence bin.
* Price (CNN target price, transformer predicted price): mean absolute error against the
  last-price forecast ("the price stays where it is"); ``mae_skill`` = 1 - MAE / naive MAE, so
  > 0 means better than the naive forecast and <= 0 means no edge.
* Trading (DQN): validation return against buy-and-hold and against staying flat (0), after fees;
  the number of trades; the action distribution, flagged ``degenerate`` when one action is taken
  more than 95 % of the time.

``score`` is what the champion policy compares (higher is better): the accuracy over the majority
baseline for the direction models, the return over the better of buy-and-hold and flat for the DQN.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from models.trading_env import ACTIONS, buy_and_hold, simulate

DEGENERATE_SHARE = 0.95


def majority_class(labels: np.ndarray) -> str:
    counts = Counter(np.asarray(labels).astype(str).tolist())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def calibration(correct: np.ndarray, confidence: np.ndarray, bins: int = 5) -> list[dict]:
    """Accuracy per confidence bin (equal-width bins over [0, 1]); empty bins are left out."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            out.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "count": int(mask.sum()),
                    "confidence": float(confidence[mask].mean()),
                    "accuracy": float(correct[mask].mean()),
                }
            )
    return out


def direction_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    confidence: np.ndarray,
    train_labels: np.ndarray,
    bins: int = 5,
) -> dict:
    y_true = np.asarray(y_true).astype(str)
    correct = y_true == np.asarray(y_pred).astype(str)
    majority = majority_class(train_labels)
    accuracy = float(correct.mean()) if len(correct) else float("nan")
    baseline = float((y_true == majority).mean()) if len(y_true) else float("nan")
    return {
        "accuracy": accuracy,
        "majority_class": majority,
        "majority_accuracy": baseline,
        "chance_accuracy": 0.5,
        "accuracy_over_majority": accuracy - baseline,
        "calibration": calibration(correct, np.asarray(confidence, dtype=float), bins),
        "rows": len(y_true),
    }


def price_metrics(current: np.ndarray, predicted: np.ndarray, realised: np.ndarray) -> dict:
    mae = float(np.mean(np.abs(predicted - realised)))
    naive = float(np.mean(np.abs(current - realised)))
    return {
        "mae": mae,
        "naive_mae": naive,
        "mae_ratio": mae / naive if naive > 0 else float("nan"),
        "mae_skill": 1 - mae / naive if naive > 0 else float("nan"),
    }


def trading_metrics(
    actions: np.ndarray, returns: np.ndarray, fee: float, allow_short: bool = True
) -> dict:
    episode = simulate(actions, returns, fee, allow_short)
    hold = buy_and_hold(returns, fee).total_return
    counts = np.bincount(np.asarray(actions, dtype=int), minlength=len(ACTIONS))
    shares = counts / max(1, counts.sum())
    return {
        "return": episode.total_return,
        "buy_and_hold_return": hold,
        "flat_return": 0.0,
        "return_over_best_baseline": episode.total_return - max(hold, 0.0),
        "trades": episode.trades,
        "actions": {a: float(s) for a, s in zip(ACTIONS, shares, strict=True)},
        "degenerate": bool(shares.max() > DEGENERATE_SHARE),
        "rows": len(actions),
    }


def score(kind: str, metrics: dict) -> float:
    if kind == "dqn":
        return float(metrics["return_over_best_baseline"])
    return float(metrics["accuracy_over_majority"])


def flat_metrics(metrics: dict, prefix: str) -> dict[str, float]:
    """The numeric entries as MLflow metrics (``val_accuracy``, ``val_actions.BUY`` ...)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, int | float):  # bool is an int
            out[f"{prefix}_{key}"] = float(value)
        elif isinstance(value, dict):
            out.update({f"{prefix}_{key}.{k}": float(v) for k, v in value.items()})
    return out
