"""The neural champions (dqn, cnn, transformer), served live: on each closed candle of the live
timeframes every loaded champion predicts for the candle's symbol in one worker thread (never the
feed's thread, never a request), and the prediction is stored with source ``live``, the model's
name, version and MLflow run id, so the overlays draw it.

A kind without a registered model, or whose model fails to load or predict, is skipped and
reported by :meth:`NeuralService.status` (``/api/health``, the Train panel); the others carry on.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from core.candles import candles_to_frame
from core.worker import ClosedCandleWorker
from models.registry import NEURAL_KINDS
from training.neural_config import NeuralConfig

log = logging.getLogger(__name__)

# How often the registry is asked whether a champion alias moved (a training job also says so).
ALIAS_CHECK_S = 30.0


def missing_message(kind: str) -> str:
    return (
        f"no {kind} model registered yet: train one from the Train panel or with "
        f"`python app.py train --model {kind}`"
    )


class NeuralService:
    """The loaded champion of each kind, swapped when its alias moves."""

    def __init__(self, config):
        self.config = config
        self._models: dict[str, Any] = {}
        self._status: dict[str, dict] = {k: {"status": "unknown"} for k in NEURAL_KINDS}
        self._lock = threading.Lock()
        self._checked = 0.0

    def models(self) -> dict[str, Any]:
        """The champions loaded now, by kind (loading or swapping them when due)."""
        if time.monotonic() - self._checked > ALIAS_CHECK_S:
            self.refresh()
        with self._lock:
            return dict(self._models)

    def refresh(self, kinds=NEURAL_KINDS) -> bool:
        """Load champions that are new or moved; True when one changed."""
        from serving.neural_inference import NoNeuralModel, champion_version, load_neural

        self._checked = time.monotonic()
        changed = False
        if (
            not self.config.training.tracking_uri
            and not (self.config.data_path / "mlflow.db").exists()
        ):  # nothing registered yet: say so without importing MLflow (seconds)
            for kind in kinds:
                self._set(kind, None, {"status": "missing", "error": missing_message(kind)})
            return False
        for kind in kinds:
            try:
                version = champion_version(self.config, kind)
                current = self._models.get(kind)
                if version is None:
                    self._set(
                        kind,
                        None,
                        {"status": "missing", "error": missing_message(kind)},
                    )
                    continue
                if current is not None and current.version == version:
                    continue
                model = load_neural(self.config, kind, version)
                self._set(
                    kind,
                    model,
                    {
                        "status": "ok",
                        "version": model.version,
                        "run_id": model.run_id,
                        "name": model.name,
                    },
                )
                changed = True
            except NoNeuralModel as exc:
                self._set(kind, None, {"status": "missing", "error": str(exc)})
            except Exception as exc:  # a broken model is reported and skipped
                log.exception("could not load the %s champion", kind)
                self._set(kind, None, {"status": "error", "error": f"{type(exc).__name__}: {exc}"})
        return changed

    def _set(self, kind: str, model, status: dict) -> None:
        with self._lock:
            if model is None:
                self._models.pop(kind, None)
            else:
                self._models[kind] = model
            self._status[kind] = status

    def mark_failed(self, kind: str, error: str) -> None:
        with self._lock:
            self._status[kind] = {**self._status.get(kind, {}), "status": "error", "error": error}

    def mark_ok(self, kind: str) -> None:
        with self._lock:
            if self._status.get(kind, {}).get("status") == "error" and kind in self._models:
                self._status[kind] = {**self._status[kind], "status": "ok", "error": None}

    def status(self) -> dict[str, dict]:
        with self._lock:
            return {kind: dict(value) for kind, value in self._status.items()}


def prediction_record(kind: str, model, row: dict, timeframe: str, source: str) -> dict:
    """A row of ``NeuralModel.predict_frame`` as a prediction for the orchestrator."""
    base = {
        "timestamp": int(row["time"]),
        "timeframe": timeframe,
        "source": source,
        "confidence": float(min(max(row["confidence"], 0.0), 1.0)),
        "model": model.name if model is not None else kind,
        "model_version": None if model is None else model.version,
        "run_id": None if model is None else model.run_id,
    }
    if kind == "dqn":
        return {**base, "action": row["action"], "price": float(row["current_price"])}
    target = "target_price" if kind == "cnn" else "predicted_price"
    return {
        **base,
        "direction": row["direction"],
        "current_price": float(row["current_price"]),
        target: float(row[target]),
        "price_change": float(row["price_change"]),
        "horizon_minutes": float(row["horizon_minutes"]),
        # Its outcome is scored with the STABLE band the model was trained with.
        "stable_band_pct": float(model.info["stable_band_pct"]) if model is not None else None,
    }


class LiveNeural(ClosedCandleWorker):
    """The worker thread that runs the champions on closed candles and stores their predictions
    in the book."""

    thread_name = "live-neural"

    def __init__(self, service: NeuralService, store, book, config: NeuralConfig):
        super().__init__(config.live_timeframes)
        self._service = service
        self._store = store
        self._book = book
        self._config = config
        self._last: dict[tuple[str, str, str], int] = {}

    def wanted(self) -> bool:
        return self._config.live

    def run(self, symbol: str, timeframe: str) -> int:
        return self.predict(symbol, timeframe)

    def predict(self, symbol: str, timeframe: str) -> int:
        """Each loaded champion's prediction for the latest closed candle; returns how many
        were stored."""
        models = self._service.models()
        if not models:
            return 0
        rollout = self._config.dqn_rollout
        need = max(m.min_candles for m in models.values()) + rollout
        candles = [c for c in self._store.tail(symbol, timeframe, need + 1) if c.closed]
        frame = candles_to_frame(candles)
        windows: dict[tuple, Any] = {}  # models reading the same inputs share one computation
        stored = 0
        for kind, model in models.items():
            key = (kind, symbol, timeframe)
            try:
                if model.input_key not in windows:
                    windows[model.input_key] = model.windows(frame, last=rollout)
                data = windows[model.input_key]
                if not len(data) or int(data.times[-1]) == self._last.get(key):
                    continue
                # The DQN's position is played forward over the last `rollout` candles.
                keep = rollout if kind == "dqn" else 1
                last = np.arange(max(0, len(data) - keep), len(data))
                columns = model.predict_columns(data.take(last))
                row = {name: values[-1] for name, values in columns.items()}
                record = prediction_record(kind, model, row, timeframe, "live")
                self._book.add(kind, symbol, record)
                self._last[key] = record["timestamp"]
                self._service.mark_ok(kind)
                stored += 1
            except Exception as exc:  # one broken model must not stop the others
                log.exception("%s live prediction failed for %s", kind, symbol)
                self._service.mark_failed(kind, f"{type(exc).__name__}: {exc}")
        return stored
