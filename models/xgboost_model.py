"""Gradient-boosted trees pattern classifier (XGBoost), saved as XGBoost JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.base import CallbackList, Predictor, TrainingCallback


def _progress_hook(hooks: CallbackList, rounds: int) -> Any:
    """An XGBoost callback that reports progress and raises when a cancel is requested."""
    import xgboost

    class _Hook(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            hooks.on_progress((epoch + 1) / rounds)
            hooks.check_stop()
            return False

    return _Hook()


class XGBoostPredictor(Predictor):
    """XGBoost over window-matrix rows (``tree_method="hist"``).

    NaN inputs are XGBoost's missing values: each split learns which side they go. Class balance
    comes in through ``sample_weight``. ``n_jobs`` caps XGBoost's threads (1 by default: the
    dashboard shares the machine).
    """

    name = "xgboost"
    input_kind = "tabular"
    model_file = "model.json"

    def __init__(
        self,
        n_estimators: int = 200,
        max_depth: int = 6,
        learning_rate: float = 0.1,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        max_bin: int = 256,
        n_jobs: int = 1,
        random_state: int = 0,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _booster_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "max_bin": self.max_bin,
            "nthread": self.n_jobs,
            "seed": self.random_state,
            "verbosity": 0,
        }
        if len(self.classes_) == 2:
            params.update(objective="binary:logistic", eval_metric="logloss")
        else:
            params.update(
                objective="multi:softprob", num_class=len(self.classes_), eval_metric="mlogloss"
            )
        return params

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        callbacks: Sequence[TrainingCallback] | TrainingCallback | None = None,
    ) -> XGBoostPredictor:
        import xgboost

        hooks = CallbackList(callbacks)
        array, codes, weights = self._fit_inputs(X, y, sample_weight)
        rounds = int(self.n_estimators)
        if rounds < 1:
            raise ValueError(f"{self.name}: n_estimators must be >= 1, got {rounds}")
        hooks.check_stop()
        hooks.on_progress(0.0)
        data = xgboost.DMatrix(
            array, label=codes, weight=weights, missing=np.nan, nthread=self.n_jobs
        )
        self.booster_ = xgboost.train(
            self._booster_params(),
            data,
            num_boost_round=rounds,
            callbacks=[_progress_hook(hooks, rounds)],
            verbose_eval=False,
        )
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        import xgboost

        self._require_fitted()
        array = self._as_array(X)
        if not len(array):
            return np.zeros((0, len(self.classes_)))
        raw = self.booster_.predict(xgboost.DMatrix(array, missing=np.nan, nthread=self.n_jobs))
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim == 1:  # binary: probability of classes_[1]
            raw = np.column_stack([1.0 - raw, raw])
        return raw / raw.sum(axis=1, keepdims=True)

    def feature_importances(self) -> np.ndarray | None:
        """Total gain of the splits on each column, normalised to sum to 1."""
        self._require_fitted()
        scores = self.booster_.get_score(importance_type="total_gain")
        values = np.zeros(self.n_features_in_)
        for key, value in scores.items():
            values[int(key.lstrip("f"))] = value
        total = values.sum()
        return values / total if total > 0 else values

    def _save_model(self, file: Path) -> None:
        self.booster_.save_model(str(file))

    def _restore(self, file: Path, state: dict[str, Any]) -> None:
        import xgboost

        self.booster_ = xgboost.Booster(params={"nthread": self.n_jobs}, model_file=str(file))
