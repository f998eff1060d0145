"""The ``training:`` section of config.yaml, without the training pipeline behind it.

``core.config`` loads this at start-up; :mod:`training.pipeline` trains what it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from core.config_checks import requirer, whole
from models.registry import MODELS, NEURAL_KINDS, create_model, get_model_class
from training.splits import check_fractions

BALANCING = ("class_weight", "oversample", "none")


def _default_params() -> dict[str, dict[str, Any]]:
    return {
        "random_forest": {"n_estimators": 100, "min_samples_leaf": 2},
        "xgboost": {"n_estimators": 200, "max_depth": 6, "learning_rate": 0.1, "max_bin": 64},
    }


@dataclass(frozen=True)
class TrainingConfig:
    """The ``training:`` section of config.yaml."""

    model_name_prefix: str = "pattern"
    registered_model: str = "pattern-classifier"
    experiment: str = "pattern-classifier"
    default_model: str = "xgboost"
    window: int = 8
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    purge: int | None = None  # candles dropped after each split boundary; None = window
    balancing: Literal["class_weight", "oversample", "none"] = "class_weight"
    min_class_support: int = 10
    min_improvement: float = 0.0
    params: dict[str, dict[str, Any]] = field(default_factory=_default_params)
    tracking_uri: str | None = None
    schedule_minutes: int | None = None
    threads: int = 1
    live_timeframes: tuple[str, ...] = ("1m",)  # the champion runs on each closed candle of these
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"  # neural models: auto = CUDA when present

    @property
    def effective_purge(self) -> int:
        return self.window if self.purge is None else self.purge

    def validate(self, key: str = "training") -> None:
        need = requirer(self, key)
        need(bool(self.model_name_prefix.strip()), "model_name_prefix", "must not be empty")
        need(bool(self.registered_model.strip()), "registered_model", "must not be empty")
        need(bool(self.experiment.strip()), "experiment", "must not be empty")
        patterns = sorted(set(MODELS) - set(NEURAL_KINDS))  # neural kinds: the neural: section
        need(self.default_model in patterns, "default_model", f"must be one of {patterns}")
        need(whole(self.window, 1) and self.window <= 512, "window", "must be 1..512 candles")
        try:
            check_fractions(self.split)
        except ValueError as exc:
            raise ValueError(f"{key}.split: {exc}") from None
        need(
            self.purge is None or whole(self.purge, self.window),
            "purge",
            f"must be >= window ({self.window}) candles, or empty for the window",
        )
        need(self.balancing in BALANCING, "balancing", f"must be one of {list(BALANCING)}")
        need(whole(self.min_class_support, 0), "min_class_support", "must be >= 0")
        need(0 <= self.min_improvement <= 1, "min_improvement", "must be in [0, 1] (macro-F1)")
        need(whole(self.threads, 1), "threads", "must be a whole number >= 1")
        need(
            self.schedule_minutes is None or whole(self.schedule_minutes, 1),
            "schedule_minutes",
            "must be >= 1, or empty for no schedule",
        )
        for name, params in self.params.items():
            if name not in MODELS:
                raise ValueError(
                    f"{key}.params.{name}: unknown model (known: {', '.join(sorted(MODELS))})"
                )
            try:
                create_model(name, **params)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{key}.params.{name}: {exc}") from None

    def model_params(self, model_type: str) -> dict[str, Any]:
        """Configured hyperparameters, with the thread cap and seed applied."""
        cls = get_model_class(model_type)
        params = dict(self.params.get(model_type, {}))
        allowed = cls._param_names()
        if "n_jobs" in allowed:
            params["n_jobs"] = self.threads
        if "random_state" in allowed:
            params.setdefault("random_state", self.seed)
        return params
