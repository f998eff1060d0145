"""Using a registered neural model: load the champion (or a pinned version) of a kind and get its
predictions per bar of a candle DataFrame. The live worker and backtests both go through here.

    model = load_neural(config, "cnn")                  # or version="3"
    frame = model.predict_frame(candles)                # candles: time index, OHLCV columns
    model.trained_on                                    # {"start": ms, "end": ms}: in-sample span

Each row of ``predict_frame`` uses only the candles up to its own bar: the features are causal,
the window ends at the bar, and the DQN's position comes from playing its policy forward in time
from flat at the first complete window (so a prediction never depends on a later candle).
Columns: ``time``, ``confidence``, ``current_price`` (close of the bar) and, by kind,
``direction``, ``target_price`` / ``predicted_price``, ``price_change`` (percent),
``horizon_minutes``, or ``action`` and ``position``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.registry import NEURAL_KINDS
from training.feature_config import FeatureSpec
from training.neural_data import Windows, series_windows

CHAMPION = "champion"


class NoNeuralModel(LookupError):
    """No registered version of that kind (or alias) to load."""


def feature_spec(data: dict) -> FeatureSpec:
    """The feature spec stored with a model (lists back to tuples)."""
    return FeatureSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass(frozen=True)
class NeuralModel:
    kind: str
    predictor: Any
    info: dict  # training.json: trained_on, evaluation, window, horizon, feature_spec ...
    version: str

    @property
    def name(self) -> str:
        return self.info.get("registered_model", self.kind)

    @property
    def run_id(self) -> str | None:
        return self.info.get("run_id")

    @property
    def trained_on(self) -> dict[str, int]:
        """The training period's first and last decision times (ms): in-sample before ``end``."""
        return dict(self.info["trained_on"])

    @property
    def spec(self) -> FeatureSpec:
        return feature_spec(self.info["feature_spec"])

    @property
    def window(self) -> int:
        return int(self.info["window"])

    @property
    def min_candles(self) -> int:
        """Candles a first prediction needs: the features' warm-up plus one window."""
        return self.spec.warmup + self.window

    def describe(self) -> dict[str, Any]:
        evaluation = self.info.get("evaluation", {})
        return {
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "trained_on": self.trained_on,
            "trained_at": self.info.get("trained_at"),
            "score": self.info.get("score"),
            "metrics": {
                split: {k: v for k, v in values.items() if k != "calibration"}
                for split, values in evaluation.items()
            },
            "calibration": evaluation.get("val", {}).get("calibration"),
        }

    @property
    def input_key(self) -> tuple:
        """Models with equal keys read the same windows (computed once for all of them)."""
        info = self.info
        return (repr(self.spec), self.window, int(info["horizon"]), float(info["stable_band_pct"]))

    def windows(self, candles: pd.DataFrame, last: int | None = None) -> Windows:
        """Windows of ``candles`` (those ending in the ``last`` candles only, if given)."""
        info = self.info
        return series_windows(
            candles,
            self.spec,
            self.window,
            int(info["horizon"]),
            float(info["stable_band_pct"]),
            last=last,
        )

    def predict_frame(self, candles: pd.DataFrame) -> pd.DataFrame:
        """One row per bar with a complete window (see the module docstring)."""
        return self.predict_windows(self.windows(candles))

    def predict_windows(self, data: Windows) -> pd.DataFrame:
        """One row per window of ``data`` (consecutive windows of one series, for the DQN)."""
        return pd.DataFrame(self.predict_columns(data))

    def predict_columns(self, data: Windows) -> dict[str, np.ndarray]:
        """:meth:`predict_windows` as plain arrays (no DataFrame: the live path is hot)."""
        columns: dict[str, Any] = {"time": data.times, "current_price": data.close}
        if not len(data):
            return {**columns, "confidence": np.zeros(0)}
        classes = np.asarray(self.predictor.classes_, dtype=object)
        if self.kind == "dqn":
            actions, positions, confidence = self.predictor.policy(data.X)
            return {
                **columns,
                "action": classes[actions],
                "position": positions,
                "confidence": confidence,
            }
        proba, change = self.predictor.predict_outputs(data.X)
        best = proba.argmax(axis=1)
        horizon = int(self.info["horizon"])
        minutes = horizon if self.info.get("timeframe", "1m") == "1m" else horizon / 60
        key = "target_price" if self.kind == "cnn" else "predicted_price"
        return {
            **columns,
            "direction": classes[best],
            "confidence": proba[np.arange(len(best)), best],
            "price_change": change,
            "horizon_minutes": np.full(len(best), float(minutes)),
            key: data.close * (1 + change / 100),
        }


def load_neural(config: Any, kind: str, version: str = CHAMPION) -> NeuralModel:
    """The champion (``version="champion"``) or a pinned version (``"3"``) of ``kind``.
    ``config``: the app's Config (``data_path``, ``training``, ``neural``)."""
    from training.tracking import Tracker

    if kind not in NEURAL_KINDS:
        raise ValueError(f"unknown neural model {kind!r}: choose one of {', '.join(NEURAL_KINDS)}")
    tracker = Tracker.from_config(config.training, config.data_path, config.neural.experiment)
    name = config.neural.registered_model(kind)
    try:
        if version == CHAMPION:
            found = tracker.alias_version(name, CHAMPION)
            if found is None:
                raise NoNeuralModel(
                    f"no {kind} model registered yet: "
                    f"train one (python app.py train --model {kind})"
                )
            version = str(found.version)
        tracker.download_model(name, version)
    except NoNeuralModel:
        raise
    except Exception as exc:  # MLflow says "not found" in several ways
        raise NoNeuralModel(f"{name} version {version} is not in the registry: {exc}") from exc
    # A version that is there but does not load is broken, not missing: the error propagates.
    predictor, info = tracker.load_predictor(name, version)
    return NeuralModel(kind, predictor, info, str(version))


def neural_training_info(config: Any, kind: str, version: str) -> dict:
    """The ``training.json`` of a registered version (its training period, series ...), read
    without loading the model. Raises ``NoNeuralModel`` when that version is not registered."""
    import json

    from training.tracking import PREDICTOR_ARTIFACT, TRAINING_INFO_FILE, Tracker

    tracker = Tracker.from_config(config.training, config.data_path, config.neural.experiment)
    name = config.neural.registered_model(kind)
    try:
        folder = tracker.download_model(name, str(version))
    except Exception as exc:  # MLflow says "not found" in several ways
        raise NoNeuralModel(f"{name} version {version} is not in the registry: {exc}") from exc
    info_file = folder / "artifacts" / PREDICTOR_ARTIFACT / TRAINING_INFO_FILE
    return json.loads(info_file.read_text()) if info_file.is_file() else {}


def champion_version(config: Any, kind: str) -> str | None:
    """The version the champion alias points at now (a cheap registry read), or None."""
    from training.tracking import Tracker

    tracker = Tracker.from_config(config.training, config.data_path, config.neural.experiment)
    found = tracker.alias_version(config.neural.registered_model(kind), CHAMPION)
    return None if found is None else str(found.version)
