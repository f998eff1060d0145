"""MLflow ``pyfunc`` face of the neural models (logged as model code, like ``models/pyfunc.py``).

Input: a DataFrame of flattened windows, columns ``"<feature>@<k>"`` with k = 0 for the candle at
the decision time and k = window-1 for the oldest (the window-matrix naming of
``training.features.window_matrix``). Output per row: ``label`` (direction, or action for the
DQN, from a flat position), ``confidence``, and ``change_pct`` where the model predicts it.

    model = mlflow.pyfunc.load_model("models:/neural-cnn@champion")
"""

from __future__ import annotations

from typing import Any

import mlflow.models
import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.registry import load_predictor

PREDICTOR_ARTIFACT = "predictor"


def flatten_windows(X: np.ndarray, features: list[str]) -> pd.DataFrame:
    """Windows ``(n, window, f)``, oldest first, as window-matrix columns (k = rows back)."""
    n, window, width = X.shape
    columns = [f"{name}@{k}" for k in range(window) for name in features]
    flat = X[:, ::-1, :].reshape(n, window * width)
    return pd.DataFrame(flat.astype(np.float64), columns=columns)


def unflatten_windows(frame: pd.DataFrame, window: int, width: int) -> np.ndarray:
    array = frame.to_numpy(dtype=np.float64).reshape(len(frame), window, width)
    return array[:, ::-1, :]


def neural_frame(predictor: Any, X: np.ndarray) -> pd.DataFrame:
    proba = predictor.predict_proba(X)
    best = proba.argmax(axis=1)
    frame = pd.DataFrame(
        {
            "label": predictor.classes_[best].astype(str),
            "confidence": proba[np.arange(len(best)), best],
        }
    )
    if getattr(predictor, "change_scale_", None) is not None:
        frame["change_pct"] = predictor.predict_change(X)
    return frame


class NeuralPyfuncModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        self.predictor = load_predictor(context.artifacts[PREDICTOR_ARTIFACT])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        p = self.predictor
        return neural_frame(p, unflatten_windows(model_input, p.window_, p.n_features_in_))


mlflow.models.set_model(NeuralPyfuncModel())
