"""Serving the pattern classifier: the registry's champion, loaded lazily and swapped in when the
alias moves, without a restart and without failing a request during the swap.

Requests hold a reference to the ``LoadedModel`` they started with; a swap only replaces the
service's reference, so a request in flight finishes on the model it began with.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.config import build_section
from core.versions import is_version_number
from labels.predicted_spans import labels_to_spans
from market.request_candles import InputError
from models.registry import NEURAL_KINDS, PATTERN_KINDS
from training.feature_config import FeatureSpec
from training.features import compute_features, window_matrix

if TYPE_CHECKING:  # the composite is built in runtime/; only its type is named here
    from runtime.config import Config

log = logging.getLogger(__name__)


MODEL_NAME = re.compile(r"^[\w.-]{1,128}$")


class NoModel(LookupError):
    """No registered model to serve yet."""


def _wrong_kind(name: str, kind: str | None) -> str:
    return (
        f"model {name!r} is a {kind or 'model of an unknown kind'} model: this route serves"
        f" pattern classifiers only ({', '.join(PATTERN_KINDS)}); the neural models' predictions"
        " are in /api/live-updates"
    )


@dataclass(frozen=True)
class LoadedModel:
    predictor: Any
    info: dict
    spec: FeatureSpec
    window: int

    @property
    def min_candles(self) -> int:
        """History a prediction needs: the features' warm-up plus the model's window."""
        return self.spec.warmup + self.window

    def describe(self) -> dict:
        keys = ("name", "version", "alias", "type", "classes", "window", "trained_at", "run_id",
                "dataset_version")  # fmt: skip
        return {k: self.info.get(k) for k in keys}


def complete_rows(features: pd.DataFrame, window: int) -> np.ndarray:
    """Positions of rows whose whole window lies past the features' warm-up."""
    warm = features["warmup"].to_numpy(dtype=bool)
    last_warm = np.flatnonzero(warm)
    first = (int(last_warm[-1]) + 1 if len(last_warm) else 0) + window - 1
    return np.arange(first, len(features))


def predict_candles(loaded: LoadedModel, candles: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per candle with a complete window: (times, labels, confidences). The same feature code as
    training (``compute_features`` then ``window_matrix``)."""
    features = compute_features(candles, loaded.spec)
    rows = complete_rows(features, loaded.window)
    if len(rows) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=object), np.array([])
    matrix = window_matrix(features, loaded.window).iloc[rows]
    values = matrix.to_numpy(dtype=float)
    with np.errstate(over="ignore"):
        # Finite but extreme prices or volumes (1e308 beside 1e-300) overflow a ratio, or the
        # float32 the models read.
        extreme = np.isinf(values.astype(np.float32)).any()
    if extreme:
        raise InputError("the candles' values are too extreme to compute features from")
    proba = loaded.predictor.predict_proba(matrix)
    classes = np.asarray(loaded.predictor.classes_, dtype=object)
    best = proba.argmax(axis=1)
    return features.index.to_numpy()[rows], classes[best], proba[np.arange(len(best)), best]


def load_model(config: Config, name: str | None = None, version: str = "champion") -> LoadedModel:
    from training.champion import champion_info
    from training.tracking import Tracker

    training = config.training
    name = name or training.registered_model
    tracker = Tracker.from_config(training, config.data_path)
    try:
        predictor, info = tracker.load_predictor(name, version)
    except LookupError as exc:
        raise NoModel(str(exc)) from exc
    except Exception as exc:  # MLflow says "not found" in several ways
        if "not found" in str(exc).lower() or "RESOURCE_DOES_NOT_EXIST" in str(exc):
            raise NoModel(f"no registered model {name!r} version {version!r}") from exc
        raise
    resolved = version
    if not is_version_number(str(version)):
        champion = champion_info(tracker, name)
        resolved = champion["version"] if champion else version
    spec = build_section(FeatureSpec, info.get("feature_spec") or {}, "feature_spec")
    meta = predictor.metadata()
    described = {
        "name": name,
        "version": str(resolved),
        "alias": "champion" if not is_version_number(str(version)) else None,
        "type": info.get("model_type", meta["name"]),
        "classes": meta["classes"],
        "window": int(info.get("window", meta["window"])),
        "features": list(info.get("feature_columns") or []),
        "trained_at": info.get("trained_at"),
        "run_id": info.get("run_id"),
        "dataset_version": info.get("dataset_version"),
        "metrics": info.get("metrics", {}),
    }
    return LoadedModel(predictor, described, spec, described["window"])


class PatternService:
    """The served model. ``current()`` returns the champion, checking at most every
    ``check_every_s`` whether the alias moved, and swapping the new version in when it did."""

    def __init__(self, config: Config, check_every_s: float = 5.0, loader=load_model):
        self.config = config
        self.check_every_s = check_every_s
        self._loader = loader
        self._champion: LoadedModel | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        # Other registered models than the served champion: (model, when its alias was read).
        self._pinned: dict[tuple[str, str], tuple[LoadedModel, float]] = {}
        self._pinned_lock = threading.Lock()
        # Loads of one model wait for each other, not for other models' (striped: a request
        # naming a model that does not exist adds nothing that stays).
        self._load_locks = tuple(threading.Lock() for _ in range(16))

    def current(self) -> LoadedModel:
        loaded = self._champion
        if loaded is None:
            self.refresh()
            loaded = self._champion
        elif time.monotonic() - self._checked_at > self.check_every_s:
            # While one request checks (or loads a new version), the others keep answering
            # with the model they have instead of queueing behind the lock.
            self.refresh(wait=False)
            loaded = self._champion
        if loaded is None:
            raise NoModel(
                "no pattern model is registered yet: label spans, build a dataset and press Train"
                " (or run `python app.py train`)"
            )
        return loaded

    def served_version(self) -> str | None:
        """The version served now (None before the first load); reads nothing."""
        loaded = self._champion
        return None if loaded is None else str(loaded.info["version"])

    def refresh(self, wait: bool = True) -> bool:
        """Load the champion if the alias points at another version; True when swapped.
        With ``wait=False`` it returns at once when another thread is already checking."""
        if not self._lock.acquire(blocking=wait):
            return False
        try:
            return self._refresh_locked()
        finally:
            self._lock.release()

    def _refresh_locked(self) -> bool:
        self._checked_at = time.monotonic()
        try:
            version = self._champion_version()
        except Exception:  # the registry is unreachable: keep serving what we have
            log.exception("could not read the champion alias")
            return False
        if version is None or (self._champion and self._champion.info["version"] == version):
            return False
        try:
            loaded = self._loader(self.config)
        except Exception as exc:
            # A champion that cannot be loaded (artifacts missing, unknown model type) must
            # not fail requests that the current model can answer: keep it, retry later.
            if self._champion is not None:
                log.exception(
                    "could not load champion version %s: still serving version %s",
                    version,
                    self._champion.info["version"],
                )
                return False
            if isinstance(exc, NoModel):
                raise
            raise NoModel(f"the champion (version {version}) could not be loaded: {exc}") from exc
        self._champion = loaded
        log.info("serving %s version %s", loaded.info["name"], loaded.info["version"])
        return True

    def _champion_version(self) -> str | None:
        from training.champion import champion_info
        from training.tracking import Tracker

        training = self.config.training
        tracker = Tracker.from_config(training, self.config.data_path)
        champion = champion_info(tracker, training.registered_model)
        return None if champion is None else champion["version"]

    def get(self, name: str | None = None, version: str | None = None) -> LoadedModel:
        """The champion (hot-swapped), or another registered pattern model: a numbered version
        (loaded once, kept) or another model's champion (loaded once, reloaded when its alias
        moves, checked at most every ``check_every_s``). A model of another kind (the neural
        ones) is refused with a 400 naming the kinds served here."""
        name = name or self.config.training.registered_model
        if not MODEL_NAME.fullmatch(name):
            raise InputError(
                f"model must be a registered model name (letters, digits, _ . -), got {name[:80]!r}"
            )
        version = str(version or "champion")
        if version != "champion" and not is_version_number(version):
            raise InputError(f"version must be a number or 'champion', got {version!r}")
        neural = {self.config.neural.registered_model(kind): kind for kind in NEURAL_KINDS}
        if name in neural:
            raise InputError(_wrong_kind(name, neural[name]))
        if name == self.config.training.registered_model and version == "champion":
            return self.current()
        key = (name, version)
        loaded = self._cached(key)  # a kept model is served without waiting for any load
        if loaded is None:
            # One load per model at a time; a model already kept is not held up.
            with self._load_locks[hash(key) % len(self._load_locks)]:
                loaded = self._cached(key)  # loaded by another request meanwhile
                if loaded is None:
                    loaded = self._load(name, version)
                    with self._pinned_lock:
                        self._pinned[key] = (loaded, time.monotonic())
        kind = loaded.info.get("type")
        if kind not in PATTERN_KINDS:
            raise InputError(_wrong_kind(name, kind))
        return loaded

    def _cached(self, key: tuple[str, str]) -> LoadedModel | None:
        """The kept model for ``key``, or None when it must be (re)loaded. A numbered version
        never changes; another model's champion is kept while its alias stays put."""
        with self._pinned_lock:
            entry = self._pinned.get(key)
        if entry is None:
            return None
        loaded, checked_at = entry
        name, version = key
        if version != "champion" or time.monotonic() - checked_at <= self.check_every_s:
            return loaded
        try:
            moved = self._alias_version(name) != loaded.info.get("version")
        except Exception:  # the registry is unreachable: keep serving what we have
            log.exception("could not read the champion alias of %s", name)
            moved = False
        if moved:
            return None
        with self._pinned_lock:
            self._pinned[key] = (loaded, time.monotonic())
        return loaded

    def _alias_version(self, name: str) -> str | None:
        from training.champion import champion_info
        from training.tracking import Tracker

        tracker = Tracker.from_config(self.config.training, self.config.data_path)
        champion = champion_info(tracker, name)
        return None if champion is None else str(champion["version"])

    def _load(self, name: str, version: str) -> LoadedModel:
        try:
            return self._loader(self.config, name, version)
        except NoModel as exc:
            # The client named a model or version that isn't there: not found, not 503.
            raise InputError(f"{exc}; see /api/model/info for the served one", 404) from exc
        except Exception as exc:  # a corrupt or unreadable model: say so, keep serving
            log.exception("could not load %s version %s", name, version)
            raise InputError(
                f"model {name!r} version {version} could not be loaded "
                f"({type(exc).__name__}); the served model is unaffected",
                503,
            ) from exc

    def predict(
        self, candles: pd.DataFrame, loaded: LoadedModel, min_confidence: float = 0.0
    ) -> dict:
        times, labels, confidence = predict_candles(loaded, candles)
        return {
            "model": loaded.describe(),
            "predictions": labels_to_spans(times, labels, confidence, min_confidence),
        }
