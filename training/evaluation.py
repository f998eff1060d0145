"""Classification metrics as pure functions, plus the files that show them (PNG, CSV).

Conventions, the same as scikit-learn's ``average="macro", zero_division=0``: the classes are
the ones given, else every label seen in ``y_true`` or ``y_pred`` (sorted); a precision or recall
with a zero denominator is 0; macro-F1 is the plain mean of the per-class F1 scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.csv_cells import escape_cell


@dataclass(frozen=True)
class ClassificationReport:
    classes: list[str]
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray  # rows: true class, columns: predicted class
    macro_f1: float
    accuracy: float

    def per_class(self) -> dict[str, dict[str, float]]:
        """``{label: {"precision", "recall", "f1", "support"}}`` (the API's shape)."""
        return {
            label: {
                "precision": float(self.precision[i]),
                "recall": float(self.recall[i]),
                "f1": float(self.f1[i]),
                "support": int(self.support[i]),
            }
            for i, label in enumerate(self.classes)
        }

    def table(self) -> pd.DataFrame:
        """One row per class: label, precision, recall, f1, support."""
        return pd.DataFrame(
            {
                "label": self.classes,
                "precision": self.precision,
                "recall": self.recall,
                "f1": self.f1,
                "support": self.support.astype(int),
            }
        )


def _labels(values: Any) -> np.ndarray:
    return np.asarray(values).astype(str)


def confusion_matrix(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Counts of (true, predicted) pairs and the class order of rows and columns.

    Labels outside ``classes`` (when given) are ignored.
    """
    true, pred = _labels(y_true), _labels(y_pred)
    if len(true) != len(pred):
        raise ValueError(f"y_true has {len(true)} labels but y_pred has {len(pred)}")
    if classes is None:
        classes = sorted(set(true.tolist()) | set(pred.tolist()))
    order = [str(c) for c in classes]
    index = {label: i for i, label in enumerate(order)}
    matrix = np.zeros((len(order), len(order)), dtype=np.int64)
    for t, p in zip(true, pred, strict=True):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    return matrix, order


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros(len(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] | None = None
) -> ClassificationReport:
    """Per-class precision, recall, F1 and support; macro-F1; accuracy; confusion matrix."""
    matrix, order = confusion_matrix(y_true, y_pred, classes)
    true_positive = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = _safe_divide(true_positive, predicted.astype(np.float64))
    recall = _safe_divide(true_positive, support.astype(np.float64))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    total = matrix.sum()
    return ClassificationReport(
        classes=order,
        precision=precision,
        recall=recall,
        f1=f1,
        support=support,
        confusion=matrix,
        macro_f1=float(f1.mean()) if len(order) else 0.0,
        accuracy=float(true_positive.sum() / total) if total else 0.0,
    )


def class_counts(labels: Sequence[str]) -> dict[str, int]:
    """How many examples of each label, labels sorted."""
    values, counts = np.unique(_labels(labels), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def rare_classes(
    train_counts: Mapping[str, int], min_class_support: int, all_classes: Sequence[str] = ()
) -> dict[str, int]:
    """Classes with fewer than ``min_class_support`` training examples, with their count.

    ``all_classes`` adds labels seen elsewhere (validation, test, the dataset) that training
    lacks entirely: they are reported with 0, not hidden.
    """
    counts = {str(c): 0 for c in all_classes}
    counts.update({str(k): int(v) for k, v in train_counts.items()})
    return {k: v for k, v in sorted(counts.items()) if v < min_class_support}


def feature_importance_table(
    columns: Sequence[str], importances: Sequence[float] | None
) -> pd.DataFrame:
    """Importance per input column and summed per base feature (``"rsi@3"`` -> ``"rsi"``).

    Columns: column, feature, importance, feature_importance (the base feature's total); sorted
    by importance, largest first. Empty when the model has no importances.
    """
    if importances is None:
        return pd.DataFrame(columns=["column", "feature", "importance", "feature_importance"])
    values = np.asarray(importances, dtype=np.float64)
    if len(values) != len(columns):
        raise ValueError(f"{len(values)} importances for {len(columns)} columns")
    table = pd.DataFrame({"column": [str(c) for c in columns], "importance": values})
    table["feature"] = table["column"].str.replace(r"@-?\d+$", "", regex=True)
    table["feature_importance"] = table.groupby("feature")["importance"].transform("sum")
    table = table[["column", "feature", "importance", "feature_importance"]]
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def save_confusion_png(report: ClassificationReport, path: str | Path, title: str = "") -> Path:
    """Draw the confusion matrix (counts, rows = true class) into a PNG file."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    size = max(4.0, 0.6 * len(report.classes) + 2.0)
    figure = Figure(figsize=(size, size * 0.85))
    axes = figure.add_subplot()
    matrix = report.confusion
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    ticks = np.arange(len(report.classes))
    axes.set_xticks(ticks, report.classes, rotation=45, ha="right")
    axes.set_yticks(ticks, report.classes)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title or f"macro-F1 {report.macro_f1:.3f}")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        colour = "white" if value > threshold else "black"
        axes.text(j, i, str(value), ha="center", va="center", color=colour, fontsize=8)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=100)
    return path


def save_class_table_csv(report: ClassificationReport, path: str | Path) -> Path:
    """Write the per-class table (label, precision, recall, f1, support) as CSV. Labels are
    people's text: one a spreadsheet would run as a formula is written after a ``'``."""
    path = Path(path)
    table = report.table()
    table["label"] = table["label"].map(escape_cell)
    table.to_csv(path, index=False)
    return path
