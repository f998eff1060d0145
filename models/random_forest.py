"""Random forest pattern classifier (scikit-learn), saved with skops."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.base import CallbackList, Predictor, TrainingCallback

# The only types outside skops' default allow-list that a fitted forest holds. Anything else in a
# file is refused (skops raises UntrustedTypesFoundException) instead of being loaded.
SKOPS_TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]


class RandomForestPredictor(Predictor):
    """A random forest over window-matrix rows.

    Missing values (NaN: a feature still warming up, a gap) are replaced by the per-column median
    learned in ``fit``. Class balance is the caller's business, through ``sample_weight``. Trees
    are grown in ``progress_steps`` batches so that progress is reported and a cancel request is
    honoured between batches.
    """

    name = "random_forest"
    input_kind = "tabular"
    model_file = "model.skops"

    def __init__(
        self,
        n_estimators: int = 200,
        max_depth: int | None = None,
        min_samples_leaf: int = 1,
        max_features: str | float | None = "sqrt",
        n_jobs: int = 1,
        random_state: int = 0,
        progress_steps: int = 10,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.progress_steps = progress_steps

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        callbacks: Sequence[TrainingCallback] | TrainingCallback | None = None,
    ) -> RandomForestPredictor:
        from sklearn.ensemble import RandomForestClassifier

        hooks = CallbackList(callbacks)
        array, codes, weights = self._fit_inputs(X, y, sample_weight)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: median is NaN
            medians = np.nanmedian(array, axis=0) if len(array) else np.zeros(array.shape[1])
        self.medians_ = np.where(np.isfinite(medians), medians, 0.0)
        filled = self._impute(array)

        model = RandomForestClassifier(
            n_estimators=0,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            warm_start=True,
        )
        total = int(self.n_estimators)
        if total < 1:
            raise ValueError(f"{self.name}: n_estimators must be >= 1, got {total}")
        step = max(1, -(-total // max(1, int(self.progress_steps))))
        hooks.on_progress(0.0)
        grown = 0
        while grown < total:
            hooks.check_stop()
            grown = min(total, grown + step)
            model.set_params(n_estimators=grown)
            model.fit(filled, codes, sample_weight=weights)
            hooks.on_progress(grown / total)
        model.set_params(warm_start=False)
        self.model_ = model
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        self._require_fitted()
        array = self._impute(self._as_array(X))
        proba = np.zeros((len(array), len(self.classes_)))
        if len(array):
            # Every code 0..k-1 occurs in training, so the forest's columns are exactly ours.
            proba[:, self.model_.classes_.astype(int)] = self.model_.predict_proba(array)
        return proba

    def feature_importances(self) -> np.ndarray | None:
        self._require_fitted()
        return np.asarray(self.model_.feature_importances_, dtype=np.float64)

    def _impute(self, array: np.ndarray) -> np.ndarray:
        missing = ~np.isfinite(array)
        if not missing.any():
            return array
        filled = array.copy()
        filled[missing] = np.broadcast_to(self.medians_, array.shape)[missing]
        return filled

    def _save_model(self, file: Path) -> None:
        import skops.io

        skops.io.dump(self.model_, file)

    def _state(self) -> dict[str, Any]:
        return {"medians": [float(m) for m in self.medians_]}

    def _restore(self, file: Path, state: dict[str, Any]) -> None:
        import skops.io

        self.model_ = skops.io.load(file, trusted=SKOPS_TRUSTED_TYPES)
        self.medians_ = np.asarray(state["medians"], dtype=np.float64)
