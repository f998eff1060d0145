"""The three torch networks (``nn.Module``s), and nothing else: no training, no I/O.

All take a batch of normalised windows ``(batch, window, features)``, oldest candle first, the
last row being the candle at the decision time t.

* :class:`ConvNet` (CNN): 1-D convolutions over time, pooled as the window's mean and its last
  step, two heads: direction logits (one per class) and the percent change at the horizon.
* :class:`EncoderNet` (transformer): a linear embedding to ``d_model``, learned positions for
  every slot of the window, a small ``nn.TransformerEncoder``, the last position's output into
  the same two heads.
* :class:`QNet` (DQN): a 1-D convolution over the window plus the current position (-1, 0, 1),
  one Q-value per action.

This module imports torch at its top: import it lazily (``models.neural`` does).
"""

from __future__ import annotations

import torch
from torch import nn


def _pool(hidden: torch.Tensor) -> torch.Tensor:
    """The mean over the window and the last step: what happened lately, and what just did."""
    return torch.cat([hidden.mean(dim=2), hidden[:, :, -1]], dim=1)


class ConvNet(nn.Module):
    def __init__(
        self, n_features: int, n_classes: int, channels: int = 32, kernel: int = 3, dropout=0.1
    ):
        super().__init__()
        pad = kernel // 2
        self.body = nn.Sequential(
            nn.Conv1d(n_features, channels, kernel, padding=pad),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel, padding=pad),
            nn.ReLU(),
        )
        self.dropout = nn.Dropout(dropout)
        self.direction = nn.Linear(2 * channels, n_classes)
        self.change = nn.Linear(2 * channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = _pool(self.body(x.transpose(1, 2)))  # Conv1d wants (batch, channels, time)
        hidden = self.dropout(hidden)
        return self.direction(hidden), self.change(hidden).squeeze(-1)


class EncoderNet(nn.Module):
    def __init__(
        self,
        n_features: int,
        n_classes: int,
        window: int,
        d_model: int = 32,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.embed = nn.Linear(n_features, d_model)
        # One learned position per slot of the window: valid for the whole window, never beyond.
        self.position = nn.Parameter(torch.zeros(1, window, d_model))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, dim_feedforward=2 * d_model, dropout=dropout, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.direction = nn.Linear(d_model, n_classes)
        self.change = nn.Linear(d_model, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.shape[1] > self.position.shape[1]:
            raise ValueError(f"window of {x.shape[1]} > the {self.position.shape[1]} positions")
        hidden = self.encoder(self.embed(x) + self.position[:, -x.shape[1] :])
        last = hidden[:, -1]
        return self.direction(last), self.change(last).squeeze(-1)


class QNet(nn.Module):
    def __init__(self, n_features: int, n_actions: int = 3, channels: int = 32, hidden: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(n_features, channels, 3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Linear(2 * channels + 1, hidden), nn.ReLU(), nn.Linear(hidden, n_actions)
        )

    def forward(self, x: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        hidden = _pool(self.body(x.transpose(1, 2)))
        return self.head(torch.cat([hidden, position.unsqueeze(-1)], dim=1))
