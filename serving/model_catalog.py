"""The served model of every kind (pattern, dqn, cnn, transformer) with its validation metrics
beside their baselines: what ``GET /api/models`` returns and the Train panel shows."""

from __future__ import annotations

import logging
from typing import Any

from serving.neural_live import NeuralService
from serving.pattern_inference import NoModel, PatternService

log = logging.getLogger(__name__)


def majority_macro_f1(per_class: dict[str, dict]) -> float | None:
    """Macro-F1 of always predicting the most frequent class (from the per-class supports)."""
    supports = {label: row.get("support", 0) for label, row in per_class.items()}
    total = sum(supports.values())
    if not total:
        return None
    share = max(supports.values()) / total
    return (2 * share / (1 + share)) / len(supports)


def pattern_entry(patterns: PatternService) -> dict[str, Any]:
    try:
        loaded = patterns.current()
    except NoModel as exc:
        return {"status": "missing", "error": str(exc)}
    except Exception as exc:  # a broken store or model is reported, not raised
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    info = loaded.info
    metrics = {}
    for period, values in (info.get("metrics") or {}).items():
        metrics[period] = {
            "macro_f1": values.get("macro_f1"),
            "majority_macro_f1": majority_macro_f1(values.get("per_class", {})),
        }
    return {
        "status": "ok",
        "name": info.get("name"),
        "version": info.get("version"),
        "run_id": info.get("run_id"),
        "type": info.get("type"),
        "trained_on": info.get("trained_on"),
        "metrics": metrics,
    }


def served_models(patterns: PatternService, neural: NeuralService) -> dict[str, dict[str, Any]]:
    """``{kind: {"status", "name", "version", "run_id", "trained_on", "metrics"}}``; a missing or
    broken model has ``status`` ``missing`` / ``error`` and the reason in ``error``."""
    out = {"pattern": pattern_entry(patterns)}
    models = neural.models()
    for kind, status in neural.status().items():
        model = models.get(kind)
        if model is None:
            out[kind] = {"status": status.get("status", "missing"), "error": status.get("error")}
            continue
        out[kind] = {
            "status": status.get("status", "ok"),
            "error": status.get("error"),
            **model.describe(),
        }
    return out


def skill_line(kind: str, entry: dict[str, Any]) -> str:
    """One line a person reads: the model's validation numbers beside its baselines."""
    if entry.get("status") != "ok":
        return entry.get("error") or entry.get("status", "missing")
    val = (entry.get("metrics") or {}).get("val") or {}
    if kind == "pattern":
        f1, base = val.get("macro_f1"), val.get("majority_macro_f1")
        if f1 is None:
            return "no validation metrics"
        return f"macro-F1 {f1:.3f} vs majority class {base or 0:.3f}" + _edge(f1 - (base or 0))
    if kind == "dqn":
        text = (
            f"return {val['return']:+.3%} vs buy-and-hold {val['buy_and_hold_return']:+.3%}"
            f" and flat 0 · {val['trades']} trades"
        )
        if val.get("degenerate"):
            text += " · degenerate policy (one action > 95 %)"
        return text + _edge(val["return_over_best_baseline"])
    # An edge only when it beats every baseline: the majority class, 50 % and the last price.
    margin = min(val["accuracy"] - max(val["majority_accuracy"], 0.5), val["mae_skill"])
    return (
        f"accuracy {val['accuracy']:.3f} vs majority {val['majority_accuracy']:.3f} and 0.5"
        f" · MAE skill {val['mae_skill']:+.3f} vs last price" + _edge(margin)
    )


def _edge(margin: float) -> str:
    return " · edge" if margin > 0 else " · no edge over the baselines"
