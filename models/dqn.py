"""The DQN trading agent's adapter to the :class:`~models.base.Predictor` interface.

``X``: windows ``(n, window, features)`` as for the other neural models (``models/neural.py``);
``y``: the per-decision returns of :func:`models.trading_env.step_returns` (not labels);
``classes_`` are the actions ``BUY``/``HOLD``/``SELL``, as target positions.

**Confidence from Q-values**: ``predict_proba`` is ``softmax(Q / tau)`` over the three actions,
``tau`` being the standard deviation of all Q-values on the training states, learnt at fit time;
so a Q gap of one typical spread gives about 0.6 against 0.2 + 0.2, and equal Q-values give 1/3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.base import CallbackList, TrainingCallback
from models.neural import TorchPredictor
from models.trading_env import ACTIONS, rollout


class DQNPredictor(TorchPredictor):
    """A deep Q-network trading agent (see ``models.trading_env`` for the rules it plays by)."""

    name = "dqn"

    def __init__(
        self,
        channels: int = 32,
        hidden: int = 64,
        episodes: int = 5,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        gamma: float = 0.9,
        epsilon_start: float = 1.0,
        epsilon_end: float = 0.05,
        epsilon_decay: float = 0.6,
        replay_size: int = 50_000,
        target_sync: int = 50,
        train_every: int = 16,
        fee: float = 0.001,
        allow_short: bool = True,
        reward_scale: float = 100.0,
        random_state: int = 0,
        device: str = "cpu",
    ):
        self.channels = channels
        self.hidden = hidden
        self.episodes = episodes
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.gamma = gamma
        self.epsilon_start = epsilon_start
        self.epsilon_end = epsilon_end
        self.epsilon_decay = epsilon_decay
        self.replay_size = replay_size
        self.target_sync = target_sync
        self.train_every = train_every
        self.fee = fee
        self.allow_short = allow_short
        self.reward_scale = reward_scale
        self.random_state = random_state
        self.device = device

    def _build_net(self) -> Any:
        import torch

        from models.nets import QNet

        torch.manual_seed(self.random_state)
        return QNet(self.n_features_in_, len(ACTIONS), self.channels, self.hidden)

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        callbacks: Sequence[TrainingCallback] | TrainingCallback | None = None,
        episode_starts: Any = None,
        feature_names: Sequence[str] | None = None,
    ) -> DQNPredictor:
        """``y``: the return each decision earns (``trading_env.step_returns``), in time order;
        ``episode_starts``: true where a new series begins (default: only the first row)."""
        from models.torch_loop import DQNSettings, fit_dqn, q_by_position

        hooks = CallbackList(callbacks)
        if sample_weight is not None:
            raise ValueError(f"{self.name}: sample_weight is not used by a trading agent")
        array = self._learn_input(X)
        returns = np.asarray(y, dtype=np.float64)
        if returns.shape != (len(array),) or not np.all(np.isfinite(returns)):
            raise ValueError(f"{self.name}: y must be {len(array)} finite per-decision returns")
        starts = np.zeros(len(array), dtype=bool)
        if episode_starts is not None:
            starts = np.asarray(episode_starts, dtype=bool).copy()
        if len(starts):
            starts[0] = True
        self.classes_ = np.asarray(ACTIONS, dtype=str)
        self.tau_ = 1.0  # until the Q-values' spread is known (predictions during training)
        self._learn_scaling(array, feature_names)
        self.net_ = self._build_net()
        settings = DQNSettings(
            self.episodes,
            self.batch_size,
            self.learning_rate,
            self.gamma,
            self.epsilon_start,
            self.epsilon_end,
            self.epsilon_decay,
            self.replay_size,
            self.target_sync,
            self.train_every,
            self.fee,
            self.allow_short,
            self.reward_scale,
            self.random_state,
            self.device,
        )
        scaled = self._scaled(array)
        self.loss_history_ = fit_dqn(self.net_, scaled, returns, starts, settings, hooks)
        spread = float(np.std(q_by_position(self.net_, scaled)))
        self.tau_ = spread if np.isfinite(spread) and spread > 1e-9 else 1.0
        return self

    def q_values(self, X: Any, positions: Any = None) -> np.ndarray:
        """Q-values ``(n, 3)`` of each window at a held position (default flat)."""
        import torch

        self._require_fitted()
        scaled = torch.as_tensor(self._scaled(X))
        held = np.zeros(len(scaled)) if positions is None else np.asarray(positions, dtype=float)
        with torch.no_grad():
            return self.net_(scaled, torch.as_tensor(held, dtype=torch.float32)).double().numpy()

    def predict_proba(self, X: Any, positions: Any = None) -> np.ndarray:
        q = self.q_values(X, positions) / self.tau_
        q = np.exp(q - q.max(axis=1, keepdims=True))
        return q / q.sum(axis=1, keepdims=True)

    def policy(self, X: Any, position: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The agent played in time order over consecutive windows: each decision sees the
        position the previous one left. Returns (actions as codes, positions, confidences)."""
        from models.torch_loop import q_by_position

        self._require_fitted()
        table = q_by_position(self.net_, self._scaled(X))
        actions, positions = rollout(table, self.allow_short, position)
        held = np.concatenate(([position], positions[:-1]))
        index = np.searchsorted([-1.0, 0.0, 1.0], held)
        q = table[np.arange(len(table)), index] / self.tau_
        proba = np.exp(q - q.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        return actions, positions, proba[np.arange(len(actions)), actions]

    def _extra_state(self) -> dict[str, Any]:
        return {"tau": self.tau_}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        self.tau_ = float(state["tau"])
