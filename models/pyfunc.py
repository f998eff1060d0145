"""MLflow ``pyfunc`` face of our saved predictors.

This file is logged as MLflow "model code" (``python_model=<path of this file>``): MLflow copies
it next to the model and runs it to load the model, so no pickled Python object is stored. With
the ``models`` package logged as ``code_paths``, this works in any process::

    model = mlflow.pyfunc.load_model("models:/pattern-classifier@champion")
    model.predict(window_matrix_rows)  # DataFrame: label, confidence, proba_<class>...

``import mlflow`` takes seconds: import this module lazily (only training and tools need it).
"""

from __future__ import annotations

from typing import Any

import mlflow.models
import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.base import Predictor
from models.registry import load_predictor

PREDICTOR_ARTIFACT = "predictor"
PROBA_PREFIX = "proba_"


def predictions_frame(predictor: Predictor, X: Any) -> pd.DataFrame:
    """``label``, ``confidence`` (its probability) and one ``proba_<class>`` column per class."""
    proba = predictor.predict_proba(X)
    index = X.index if isinstance(X, pd.DataFrame) else None
    best = np.argmax(proba, axis=1) if len(proba) else np.zeros(0, dtype=int)
    frame = pd.DataFrame(
        {
            "label": predictor.classes_[best].astype(str),
            "confidence": proba[np.arange(len(proba)), best] if len(proba) else np.zeros(0),
        },
        index=index,
    )
    for i, label in enumerate(predictor.classes_):
        frame[f"{PROBA_PREFIX}{label}"] = proba[:, i]
    return frame


class PatternPyfuncModel(mlflow.pyfunc.PythonModel):
    """Loads the predictor folder logged as artifact ``"predictor"`` and predicts from a
    DataFrame of window-matrix columns (``"<feature>@<k>"``)."""

    def load_context(self, context: Any) -> None:
        self.predictor = load_predictor(context.artifacts[PREDICTOR_ARTIFACT])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        return predictions_frame(self.predictor, model_input)


# Run by MLflow when it loads this file as model code.
mlflow.models.set_model(PatternPyfuncModel())
