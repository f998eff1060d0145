"""The neural models' adapters to the :class:`~models.base.Predictor` interface.

``X`` is a batch of windows ``(n, window, features)``, oldest candle first (``input_kind
"sequence"``). Each model standardises every feature with the mean and standard deviation of the
windows it was fitted on (the training period only), stored with the model; NaN becomes 0 (the
mean) after scaling.

* ``cnn`` / ``transformer``: ``y`` are direction labels (``UP``/``DOWN``/``STABLE``);
  ``fit(..., change=percent_changes)`` also trains the percent-change head, read with
  :meth:`DirectionPredictor.predict_change`.
* ``dqn``: the trading agent, in ``models/dqn.py``.

``device`` (``cpu`` or ``cuda``) is where training runs; the fitted network always comes back to
the CPU, where inference runs. Weights are ``state_dict`` tensors written by ``torch.save``
and read with ``torch.load(weights_only=True)``, which refuses anything but tensors and plain
containers (no code runs on load). torch is imported inside the methods: the web server imports
the registry at start-up and must not pay torch's 2 s for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.base import CallbackList, Predictor, TrainingCallback


class TorchPredictor(Predictor):
    input_kind = "sequence"
    model_file = "model.pt"

    # ---- what subclasses provide ------------------------------------------------------------
    def _build_net(self) -> Any:
        raise NotImplementedError

    # ---- shared ---------------------------------------------------------------------------
    def _learn_scaling(self, array: np.ndarray, feature_names: Sequence[str] | None) -> None:
        if feature_names is not None:
            if len(feature_names) != array.shape[2]:
                raise ValueError(
                    f"{self.name}: {len(feature_names)} feature names for {array.shape[2]} features"
                )
            self.features_ = [str(f) for f in feature_names]
        flat = array.reshape(-1, array.shape[2])
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(np.where(np.isfinite(flat), flat, np.nan), axis=0)
            std = np.nanstd(np.where(np.isfinite(flat), flat, np.nan), axis=0)
        self.mean_ = np.nan_to_num(mean, nan=0.0)
        self.std_ = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)

    def _scaled(self, X: Any) -> np.ndarray:
        array = self._as_array(X)
        if array.shape[1] != self.window_:
            raise ValueError(
                f"{self.name}: expects windows of {self.window_} candles, got {array.shape[1]}"
            )
        scaled = (array - self.mean_) / self.std_
        return np.nan_to_num(scaled, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)

    def _state(self) -> dict[str, Any]:
        return {"mean": self.mean_.tolist(), "std": self.std_.tolist(), **self._extra_state()}

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _save_model(self, file: Path) -> None:
        import torch

        torch.save(self.net_.state_dict(), file)

    def _restore(self, file: Path, state: dict[str, Any]) -> None:
        import torch

        self.mean_ = np.asarray(state["mean"], dtype=np.float64)
        self.std_ = np.asarray(state["std"], dtype=np.float64)
        self._restore_extra(state)
        self.net_ = self._build_net()
        self.net_.load_state_dict(torch.load(file, weights_only=True, map_location="cpu"))
        self.net_.eval()

    def _restore_extra(self, state: dict[str, Any]) -> None:
        pass

    def _forward(self, X: Any):
        import torch

        self._require_fitted()
        scaled = self._scaled(X)
        self.net_.eval()
        with torch.no_grad():
            return self.net_(torch.as_tensor(scaled))


class DirectionPredictor(TorchPredictor):
    """Direction classes plus the percent change at the horizon (see the module docstring)."""

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        callbacks: Sequence[TrainingCallback] | TrainingCallback | None = None,
        change: Any = None,
        feature_names: Sequence[str] | None = None,
    ) -> DirectionPredictor:
        from models.torch_loop import fit_direction

        hooks = CallbackList(callbacks)
        array, codes, weights = self._fit_inputs(X, y, sample_weight)
        self._learn_scaling(array, feature_names)
        changes = None
        if change is not None:
            changes = np.asarray(change, dtype=np.float64)
            if changes.shape != (len(array),) or not np.all(np.isfinite(changes)):
                raise ValueError(f"{self.name}: change must be {len(array)} finite numbers")
            self.change_scale_ = float(np.std(changes)) or 1.0
            changes = changes / self.change_scale_
        else:
            self.change_scale_ = None
        self.net_ = self._build_net()
        self.loss_history_ = fit_direction(
            self.net_,
            self._scaled(array),
            codes,
            changes,
            weights,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            change_weight=self.change_weight,
            seed=self.random_state,
            hooks=hooks,
            device=self.device,
        )
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        import torch

        logits, _ = self._forward(X)
        return torch.softmax(logits.double(), dim=1).numpy()

    def predict_outputs(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """(probabilities, percent changes or None) from one pass of the network."""
        import torch

        logits, change = self._forward(X)
        proba = torch.softmax(logits.double(), dim=1).numpy()
        if self.change_scale_ is None:
            return proba, None
        return proba, change.double().numpy() * self.change_scale_

    def predict_change(self, X: Any) -> np.ndarray:
        """Percent change at the horizon per window (needs ``fit(..., change=...)``)."""
        self._require_fitted()
        if self.change_scale_ is None:
            raise RuntimeError(f"{self.name}: fitted without change targets")
        _, change = self._forward(X)
        return change.double().numpy() * self.change_scale_

    def _extra_state(self) -> dict[str, Any]:
        return {"change_scale": self.change_scale_}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        self.change_scale_ = state.get("change_scale")


class CNNPredictor(DirectionPredictor):
    """1-D convolutions over the window (``models.nets.ConvNet``)."""

    name = "cnn"

    def __init__(
        self,
        channels: int = 32,
        kernel: int = 3,
        dropout: float = 0.1,
        epochs: int = 5,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        change_weight: float = 0.5,
        random_state: int = 0,
        device: str = "cpu",
    ):
        self.channels = channels
        self.kernel = kernel
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.change_weight = change_weight
        self.random_state = random_state
        self.device = device

    def _build_net(self) -> Any:
        import torch

        from models.nets import ConvNet

        torch.manual_seed(self.random_state)
        return ConvNet(
            self.n_features_in_, len(self.classes_), self.channels, self.kernel, self.dropout
        )


class TransformerPredictor(DirectionPredictor):
    """A small transformer encoder over the window (``models.nets.EncoderNet``)."""

    name = "transformer"

    def __init__(
        self,
        d_model: int = 32,
        heads: int = 2,
        layers: int = 2,
        dropout: float = 0.1,
        epochs: int = 5,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        change_weight: float = 0.5,
        random_state: int = 0,
        device: str = "cpu",
    ):
        self.d_model = d_model
        self.heads = heads
        self.layers = layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.change_weight = change_weight
        self.random_state = random_state
        self.device = device

    def _build_net(self) -> Any:
        import torch

        from models.nets import EncoderNet

        torch.manual_seed(self.random_state)
        return EncoderNet(
            self.n_features_in_,
            len(self.classes_),
            self.window_,
            self.d_model,
            self.heads,
            self.layers,
            self.dropout,
        )
