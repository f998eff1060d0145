"""The explicit map from model names (as used in config, MLflow and the API) to classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.base import Predictor, read_metadata
from models.dqn import DQNPredictor
from models.neural import CNNPredictor, TransformerPredictor
from models.random_forest import RandomForestPredictor
from models.xgboost_model import XGBoostPredictor

MODELS: dict[str, type[Predictor]] = {
    "random_forest": RandomForestPredictor,
    "xgboost": XGBoostPredictor,
    "cnn": CNNPredictor,
    "transformer": TransformerPredictor,
    "dqn": DQNPredictor,
}
# The neural kinds: one champion each, run live, drawn as overlays (pattern models: one champion).
NEURAL_KINDS = ("dqn", "cnn", "transformer")
# The pattern classifiers: what /api/predict and the pattern strategy serve.
PATTERN_KINDS = tuple(name for name in MODELS if name not in NEURAL_KINDS)


def get_model_class(name: str) -> type[Predictor]:
    """The class registered as ``name``; a ``ValueError`` lists the known names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}: choose one of {', '.join(sorted(MODELS))}"
        ) from None


def create_model(name: str, **params: Any) -> Predictor:
    """A new, unfitted model; unknown hyperparameters are refused with the allowed ones."""
    cls = get_model_class(name)
    allowed = cls._param_names()
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"{name}: unknown parameter(s) {unknown} (allowed: {', '.join(allowed)})")
    return cls(**params)


def load_predictor(path: str | Path) -> Predictor:
    """Load a saved model folder, whatever its type (read from its ``metadata.json``)."""
    return get_model_class(read_metadata(path).get("name", "")).load(path)
