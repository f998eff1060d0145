"""Metrics against a hand-computed example, and the files that show them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.evaluation import (
    class_counts,
    classification_report,
    confusion_matrix,
    feature_importance_table,
    rare_classes,
    save_class_table_csv,
    save_confusion_png,
)

Y_TRUE = ["a", "a", "a", "b", "b", "c"]
Y_PRED = ["a", "a", "b", "b", "c", "c"]


def test_hand_computed_example():
    # confusion (rows true a, b, c):  a: 2 1 0 | b: 0 1 1 | c: 0 0 1
    # precision a 2/2, b 1/2, c 1/2; recall a 2/3, b 1/2, c 1/1
    # F1 a 2*(1*2/3)/(5/3) = 0.8, b 0.5, c 2*(0.5*1)/1.5 = 2/3; macro (0.8+0.5+2/3)/3
    report = classification_report(Y_TRUE, Y_PRED)
    assert report.classes == ["a", "b", "c"]
    assert report.confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    np.testing.assert_allclose(report.precision, [1.0, 0.5, 0.5])
    np.testing.assert_allclose(report.recall, [2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(report.f1, [0.8, 0.5, 2 / 3])
    assert report.support.tolist() == [3, 2, 1]
    assert report.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert report.accuracy == pytest.approx(4 / 6)


def test_agrees_with_scikit_learn_on_random_labels():
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    rng = np.random.default_rng(3)
    y_true = rng.choice(["none", "hammer", "doji", "engulfing"], 300, p=[0.7, 0.1, 0.1, 0.1])
    y_pred = rng.choice(["none", "hammer", "doji", "star"], 300)
    report = classification_report(y_true, y_pred)
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=report.classes, zero_division=0
    )
    np.testing.assert_allclose(report.precision, p)
    np.testing.assert_allclose(report.recall, r)
    np.testing.assert_allclose(report.f1, f)
    assert report.support.tolist() == s.tolist()
    assert report.macro_f1 == pytest.approx(
        f1_score(y_true, y_pred, average="macro", zero_division=0)
    )


def test_a_class_never_true_or_never_predicted_scores_zero_without_error():
    report = classification_report(["a", "a"], ["a", "b"])
    per_class = report.per_class()
    assert per_class["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert per_class["a"]["recall"] == 0.5
    assert isinstance(next(iter(per_class)), str)


def test_confusion_matrix_with_given_classes_keeps_their_order():
    matrix, order = confusion_matrix(Y_TRUE, Y_PRED, classes=["c", "b", "a", "z"])
    assert order == ["c", "b", "a", "z"]
    assert matrix.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 2, 0], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match="y_pred"):
        confusion_matrix(["a"], ["a", "b"])


def test_rare_classes_are_reported_with_their_counts_including_missing_ones():
    counts = class_counts(["none"] * 30 + ["doji"] * 3)
    assert counts == {"doji": 3, "none": 30}
    assert rare_classes(counts, 10, all_classes=["hammer", "doji", "none"]) == {
        "doji": 3,
        "hammer": 0,
    }
    assert rare_classes(counts, 0) == {}


def test_feature_importances_per_column_and_per_base_feature():
    table = feature_importance_table(["rsi@0", "ret@0", "rsi@1", "ret@1"], [0.1, 0.4, 0.3, 0.2])
    assert table["column"].tolist() == ["ret@0", "rsi@1", "ret@1", "rsi@0"]
    by_feature = dict(zip(table["feature"], table["feature_importance"], strict=False))
    assert by_feature == pytest.approx({"ret": 0.6, "rsi": 0.4})
    assert feature_importance_table(["a"], None).empty
    with pytest.raises(ValueError, match="2 importances for 1 columns"):
        feature_importance_table(["a"], [1, 2])


def test_png_and_csv_files(tmp_path):
    report = classification_report(Y_TRUE, Y_PRED)
    png = save_confusion_png(report, tmp_path / "confusion.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(save_class_table_csv(report, tmp_path / "classes.csv"))
    assert table.columns.tolist() == ["label", "precision", "recall", "f1", "support"]
    assert table["support"].tolist() == [3, 2, 1]
    assert table["f1"].tolist() == pytest.approx([0.8, 0.5, 2 / 3])


def test_a_label_a_spreadsheet_would_run_is_written_after_a_quote(tmp_path):
    """Issue 19, finding 5: labels are people's text, and this table is an MLflow artifact."""
    report = classification_report(["=cmd|x", "ok", "=cmd|x"], ["=cmd|x", "ok", "ok"])
    path = save_class_table_csv(report, tmp_path / "classes.csv")
    labels = pd.read_csv(path)["label"].tolist()
    assert sorted(labels) == ["'=cmd|x", "ok"]
