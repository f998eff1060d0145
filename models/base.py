"""The one predictor interface every model of the project implements.

Pattern classifiers (random forest, XGBoost) and the neural models (DQN, CNN, transformer) all
look the same from outside, scikit-learn style::

    model = create_model("xgboost", n_estimators=200)   # hyperparameters only in __init__
    model.fit(X, y, sample_weight=w, callbacks=[hook])  # returns self; learned state ends in _
    proba = model.predict_proba(X)                      # (n, len(model.classes_))
    model.save("some/dir")
    same = type(model).load("some/dir")                 # or models.registry.load_predictor

``input_kind`` says what ``X`` is: ``"tabular"`` models take a 2-D table (a DataFrame of
window-matrix columns ``"<feature>@<k>"`` or an ndarray), ``"sequence"`` models take 3-D windows
``(n, window, n_features)``.

Saved models are a folder with ``metadata.json`` (what :meth:`Predictor.metadata` returns, plus the
model's own JSON state) and one model file in a format that does not run code when read: XGBoost's
JSON, skops for scikit-learn (with an explicit list of trusted types), ``state_dict`` tensors for
torch. Pickle and joblib are not used: unpickling a file runs whatever code its author put in it,
and model folders travel (MLflow artifacts, a remote registry, a colleague's download).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
_WINDOW_COLUMN = re.compile(r"^(?P<feature>.+)@(?P<k>-?\d+)$")

InputKind = Literal["tabular", "sequence"]


class TrainingCancelled(Exception):
    """Raised from ``fit`` (or a training pipeline) when a callback asked to stop."""


class TrainingCallback:
    """Hooks for the side effects of training. Every method does nothing by default.

    Subclass and override what you need: a progress bar calls ``on_progress``, a cancel button
    makes ``should_stop`` return True (the model then raises :class:`TrainingCancelled`).
    """

    def on_stage(self, stage: str) -> None:
        """A named step begins (``"fitting"``, ``"evaluating"``, ...)."""

    def on_progress(self, fraction: float) -> None:
        """Share of the current work done, 0.0 to 1.0."""

    def on_batch(self, event: dict[str, Any]) -> None:
        """A minibatch was learnt (neural models): ``epoch``, ``batch``, ``batches``, ``loss``
        and ``rows``, the positions in ``X`` the batch's predictions are about."""

    def should_stop(self) -> bool:
        """Return True to cancel training at the next check."""
        return False

    def commit(self) -> bool:
        """Called just before the training's side effect (registering the model): False stops
        it (a cancel was accepted); True means it goes ahead and can no longer be cancelled."""
        return not self.should_stop()


class CallbackList(TrainingCallback):
    """Fans each hook out to several callbacks; ``should_stop`` is True if any says so."""

    def __init__(self, callbacks: Sequence[TrainingCallback] | TrainingCallback | None = None):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, TrainingCallback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks)

    def on_stage(self, stage: str) -> None:
        for callback in self.callbacks:
            callback.on_stage(stage)

    def on_progress(self, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        for callback in self.callbacks:
            callback.on_progress(fraction)

    def on_batch(self, event: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.on_batch(event)

    def should_stop(self) -> bool:
        return any(callback.should_stop() for callback in self.callbacks)

    def commit(self) -> bool:
        if self.should_stop():
            return False
        return all(callback.commit() for callback in self.callbacks)

    def check_stop(self) -> None:
        """Raise :class:`TrainingCancelled` if a callback asked to stop."""
        if self.should_stop():
            raise TrainingCancelled("training was cancelled")


def describe_columns(columns: Sequence[str]) -> tuple[list[str], int]:
    """Base feature names (first-seen order) and window length of window-matrix columns.

    >>> describe_columns(["rsi@0", "ret@0", "rsi@1", "ret@1"])
    (['rsi', 'ret'], 2)

    Columns without an ``@k`` suffix count as window 1.
    """
    features: list[str] = []
    lags: set[int] = set()
    for column in columns:
        match = _WINDOW_COLUMN.match(str(column))
        feature = match["feature"] if match else str(column)
        lags.add(int(match["k"]) if match else 0)
        if feature not in features:
            features.append(feature)
    return features, max(len(lags), 1)


class Predictor(ABC):
    """Base class of every model. See the module docstring for the contract."""

    name: ClassVar[str] = ""
    input_kind: ClassVar[InputKind] = "tabular"
    model_file: ClassVar[str] = "model.bin"

    # ---- hyperparameters -------------------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters given to ``__init__`` (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Predictor:
        allowed = self._param_names()
        for key, value in params.items():
            if key not in allowed:
                raise ValueError(f"{self.name}: unknown parameter {key!r} (allowed: {allowed})")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- training and inference --------------------------------------------------------------

    @abstractmethod
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        callbacks: Sequence[TrainingCallback] | TrainingCallback | None = None,
    ) -> Predictor:
        """Learn from inputs ``X`` and string labels ``y``; returns ``self``."""

    @abstractmethod
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n, len(classes_))``, rows summing to 1."""

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def feature_importances(self) -> np.ndarray | None:
        """One importance per input column of ``X`` (None where a model has none)."""
        return None

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "classes_")

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError(f"{self.name}: call fit() or load() before predicting")

    # ---- input checks shared by implementations ----------------------------------------------

    def _fit_inputs(self, X: Any, y: Any, sample_weight: Any) -> tuple:
        """What every ``fit`` starts with: the input as floats (learning its columns), the
        labels as class codes, and the weights checked against them."""
        array = self._learn_input(X)
        codes = self._encode_labels(y)
        return array, codes, self._check_lengths(array, codes, sample_weight)

    def _learn_input(self, X: Any) -> np.ndarray:
        """Record the shape and column names of the training input; return it as float64."""
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = [str(c) for c in X.columns]
        else:
            self.feature_names_in_ = None
        array = self._as_array(X, check_columns=False)
        if self.input_kind == "sequence":
            self.window_ = int(array.shape[1])
            self.features_ = self.feature_names_in_ or [f"x{i}" for i in range(array.shape[2])]
            self.n_features_in_ = int(array.shape[2])
        else:
            self.n_features_in_ = int(array.shape[1])
            if self.feature_names_in_ is not None:
                self.features_, self.window_ = describe_columns(self.feature_names_in_)
            else:
                self.features_ = [f"x{i}" for i in range(array.shape[1])]
                self.window_ = 1
        return array

    def _as_array(self, X: Any, check_columns: bool = True) -> np.ndarray:
        """``X`` as a float64 array of the right rank (DataFrame columns put in training order)."""
        if isinstance(X, pd.DataFrame):
            expected = getattr(self, "feature_names_in_", None) if check_columns else None
            if expected is not None and self.input_kind == "tabular":
                missing = [c for c in expected if c not in X.columns]
                if missing:
                    raise ValueError(
                        f"{self.name}: input lacks {len(missing)} column(s) the model was "
                        f"trained on, e.g. {missing[:5]}"
                    )
                X = X[expected]
            array = X.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            array = np.asarray(X, dtype=np.float64)
        rank = 3 if self.input_kind == "sequence" else 2
        if array.ndim != rank:
            raise ValueError(
                f"{self.name}: expects {self.input_kind} input of {rank} dimensions, "
                f"got shape {array.shape}"
            )
        if check_columns and hasattr(self, "n_features_in_"):
            width = array.shape[-1]
            if width != self.n_features_in_:
                raise ValueError(
                    f"{self.name}: expects {self.n_features_in_} features per row, got {width}"
                )
        return array

    def _encode_labels(self, y: Any) -> np.ndarray:
        """Learn ``classes_`` (sorted strings) and return integer codes for ``y``."""
        labels = np.asarray(y).astype(str)
        if labels.ndim != 1:
            raise ValueError(f"{self.name}: labels must be one-dimensional, got {labels.shape}")
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{self.name}: training needs at least 2 classes, got {self.classes_.tolist()}"
            )
        return np.searchsorted(self.classes_, labels)

    @staticmethod
    def _check_lengths(X: np.ndarray, y: np.ndarray, sample_weight: Any) -> np.ndarray | None:
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != (len(y),):
            raise ValueError(f"sample_weight must have shape ({len(y)},), got {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("sample_weight must be finite and >= 0")
        return weights

    # ---- persistence ---------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """What a caller needs to know to feed and read the model."""
        self._require_fitted()
        return {
            "name": self.name,
            "classes": [str(c) for c in self.classes_],
            "window": int(self.window_),
            "features": list(self.features_),
            "params": self.get_params(),
            "input_kind": self.input_kind,
        }

    def save(self, path: str | Path) -> Path:
        """Write ``metadata.json`` and the model file into folder ``path`` (created)."""
        self._require_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self._save_model(folder / self.model_file)
        document = {
            "format_version": FORMAT_VERSION,
            **self.metadata(),
            "feature_names_in": self.feature_names_in_,
            "n_features_in": int(self.n_features_in_),
            "model_file": self.model_file,
            "state": self._state(),
        }
        (folder / METADATA_FILE).write_text(json.dumps(document, indent=2))
        return folder

    @classmethod
    def load(cls, path: str | Path) -> Predictor:
        """Read a model that :meth:`save` wrote. Call it on the right subclass, or use
        ``models.registry.load_predictor`` which picks the class from the metadata."""
        folder = Path(path)
        document = read_metadata(folder)
        if cls is Predictor or inspect.isabstract(cls):
            raise TypeError("call load() on a model class, or use models.registry.load_predictor")
        if document.get("name") != cls.name:
            raise ValueError(
                f"{folder} holds a {document.get('name')!r} model, not {cls.name!r}: "
                "use models.registry.load_predictor"
            )
        if document.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{folder}: unsupported format_version {document.get('format_version')}"
            )
        model = cls(**document["params"])
        model.classes_ = np.asarray(document["classes"], dtype=str)
        model.window_ = int(document["window"])
        model.features_ = list(document["features"])
        model.feature_names_in_ = document.get("feature_names_in")
        model.n_features_in_ = int(document["n_features_in"])
        model._restore(folder / document["model_file"], document.get("state") or {})
        return model

    @abstractmethod
    def _save_model(self, file: Path) -> None:
        """Write the learned model to ``file`` in a format that does not run code on load."""

    @abstractmethod
    def _restore(self, file: Path, state: dict[str, Any]) -> None:
        """Read what :meth:`_save_model` and :meth:`_state` wrote."""

    def _state(self) -> dict[str, Any]:
        """Extra learned state, as plain JSON values, stored in ``metadata.json``."""
        return {}


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The ``metadata.json`` of a saved model folder, with a clear error if it is missing."""
    file = Path(path) / METADATA_FILE
    if not file.is_file():
        raise FileNotFoundError(f"{path} is not a saved model folder (no {METADATA_FILE})")
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file} is not valid JSON: {exc}") from exc
