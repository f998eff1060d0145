"""The ``neural:`` section of config.yaml: the DQN, CNN and transformer, their data and serving."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.config_checks import requirer, whole
from models.registry import NEURAL_KINDS, create_model
from training.feature_config import FeatureSpec
from training.splits import check_fractions


def _default_params() -> dict[str, dict[str, Any]]:
    return {
        "cnn": {"channels": 32, "epochs": 5, "batch_size": 256, "learning_rate": 0.001},
        "transformer": {"d_model": 32, "heads": 2, "layers": 2, "epochs": 5, "batch_size": 256},
        "dqn": {"episodes": 5, "gamma": 0.9, "fee": 0.001, "train_every": 16},
    }


def _bootstrap_params() -> dict[str, dict[str, Any]]:
    """Small first-start models: overlays within minutes, replaced by real training later."""
    return {
        "cnn": {"channels": 16, "epochs": 2},
        "transformer": {"d_model": 16, "heads": 2, "layers": 1, "epochs": 2},
        "dqn": {"channels": 16, "hidden": 32, "episodes": 2, "train_every": 8, "batch_size": 64},
    }


@dataclass(frozen=True)
class NeuralConfig:
    experiment: str = "neural"
    registered_prefix: str = "neural"  # registered models are "<prefix>-<kind>"
    timeframe: str = "1m"  # what the models are trained on and predict
    window: int = 32  # candles per input window
    horizon: int = 5  # candles ahead the CNN and transformer predict
    stable_band_pct: float = 0.05  # |change| at the horizon below this percent: STABLE
    max_candles: int = 20_000  # per series, the newest, when training from the store
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    min_improvement: float = 0.0  # a new version must beat the champion's score by this
    calibration_bins: int = 5
    training_predictions_every: int = 10  # batches between training-time predictions
    live: bool = True
    live_timeframes: tuple[str, ...] = ("1m",)  # add 1s to predict on every closed second too
    dqn_rollout: int = 30  # live DQN: candles its position is played forward over, from flat
    bootstrap: bool = True  # first start: train small models when none is registered
    features: FeatureSpec = field(default_factory=lambda: FeatureSpec(include_cdl=False))
    params: dict[str, dict[str, Any]] = field(default_factory=_default_params)
    bootstrap_params: dict[str, dict[str, Any]] = field(default_factory=_bootstrap_params)

    def registered_model(self, kind: str) -> str:
        return f"{self.registered_prefix}-{kind}"

    def model_params(self, kind: str, bootstrap: bool = False) -> dict[str, Any]:
        params = dict(self.params.get(kind, {}))
        if bootstrap:
            params.update(self.bootstrap_params.get(kind, {}))
        return params

    def validate(self, key: str = "neural") -> None:
        need = requirer(self, key)
        need(bool(self.experiment.strip()), "experiment", "must not be empty")
        need(bool(self.registered_prefix.strip()), "registered_prefix", "must not be empty")
        need(whole(self.window, 2) and self.window <= 512, "window", "must be 2..512 candles")
        need(whole(self.horizon, 1) and self.horizon <= 1440, "horizon", "must be 1..1440")
        need(0 <= self.stable_band_pct < 100, "stable_band_pct", "must be in [0, 100) percent")
        need(whole(self.max_candles, 100), "max_candles", "must be >= 100")
        try:
            check_fractions(self.split)
        except ValueError as exc:
            raise ValueError(f"{key}.split: {exc}") from None
        need(self.min_improvement >= 0, "min_improvement", "must be >= 0")
        need(whole(self.calibration_bins, 1), "calibration_bins", "must be >= 1")
        need(
            whole(self.training_predictions_every, 1), "training_predictions_every", "must be >= 1"
        )
        need(whole(self.dqn_rollout, 1), "dqn_rollout", "must be >= 1")
        need(
            set(self.live_timeframes) <= {"1s", "1m"}, "live_timeframes", "must be within [1s, 1m]"
        )
        need(self.timeframe in ("1s", "1m"), "timeframe", "must be 1s or 1m")
        self.features.validate(f"{key}.features")
        for section in ("params", "bootstrap_params"):
            for kind, params in getattr(self, section).items():
                if kind not in NEURAL_KINDS:
                    raise ValueError(
                        f"{key}.{section}.{kind}: unknown model (known: {', '.join(NEURAL_KINDS)})"
                    )
                try:
                    create_model(kind, **{**self.params.get(kind, {}), **params})
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{key}.{section}.{kind}: {exc}") from None
