"""The training loops of the neural models, apart from their networks and their adapters.

* :func:`fit_direction`: minibatch Adam on cross-entropy (direction) plus a Huber loss on the
  standardised percent change, for the CNN and the transformer.
* :func:`fit_dqn`: deep Q-learning in :mod:`models.trading_env`: epsilon-greedy exploration with a
  linearly decaying epsilon (greedy actions from Q-values computed per chunk of states), a replay
  memory, a target network synced every ``target_sync``
  updates, the Huber loss on the one-step TD error.

Both report each minibatch through ``hooks.on_batch`` (epoch, batch, loss, rows), progress
through ``hooks.on_progress``, and raise :class:`TrainingCancelled` when asked to stop. Torch is
imported at the top: import this module lazily.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from models.base import CallbackList
from models.trading_env import POSITIONS, step, target_position

# The agent acts on Q-values computed in one batch for the next ACT_CHUNK states (all three
# positions), not one network call per step: the acting network is at most ACT_CHUNK steps old,
# as a target network is, and an episode costs n / ACT_CHUNK calls instead of n.
ACT_CHUNK = 256


def seed_everything(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def fit_direction(
    net: nn.Module,
    X: np.ndarray,
    codes: np.ndarray,
    change: np.ndarray | None,
    weights: np.ndarray | None,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    change_weight: float,
    seed: int,
    hooks: CallbackList,
    device: str = "cpu",
) -> list[float]:
    """Train ``net`` in place (on ``device``, back on the CPU at the end); returns the mean loss
    of each epoch."""
    generator = seed_everything(seed)
    net.to(device)
    inputs = torch.as_tensor(X, dtype=torch.float32, device=device)
    targets = torch.as_tensor(codes, dtype=torch.long, device=device)
    has_change = change is not None
    change_t = torch.as_tensor(
        change if has_change else np.zeros(len(X)), dtype=torch.float32, device=device
    )
    weight_t = torch.as_tensor(
        weights if weights is not None else np.ones(len(X)), dtype=torch.float32, device=device
    )
    optimiser = torch.optim.Adam(net.parameters(), lr=learning_rate, weight_decay=weight_decay)
    huber = nn.HuberLoss(reduction="none")
    batches = max(1, int(np.ceil(len(X) / batch_size)))
    history: list[float] = []
    hooks.on_progress(0.0)
    for epoch in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        total = 0.0
        for batch in range(batches):
            hooks.check_stop()
            net.train()  # a hook may have predicted with the net meanwhile (eval mode)
            rows = order[batch * batch_size : (batch + 1) * batch_size].to(device)
            logits, predicted = net(inputs[rows])
            w = weight_t[rows]
            loss = (nn.functional.cross_entropy(logits, targets[rows], reduction="none") * w).sum()
            if has_change:
                loss = loss + change_weight * (huber(predicted, change_t[rows]) * w).sum()
            loss = loss / w.sum().clamp(min=1e-9)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item()
            hooks.on_batch(
                {
                    "epoch": epoch,
                    "batch": batch,
                    "batches": batches,
                    "loss": total / (batch + 1),
                    "rows": rows.cpu().numpy(),
                }
            )
            hooks.on_progress((epoch * batches + batch + 1) / (epochs * batches))
        history.append(total / batches)
    net.to("cpu").eval()
    return history


@dataclass(frozen=True)
class DQNSettings:
    episodes: int
    batch_size: int
    learning_rate: float
    gamma: float
    epsilon_start: float
    epsilon_end: float
    epsilon_decay: float  # share of all steps over which epsilon falls linearly
    replay_size: int
    target_sync: int
    train_every: int
    fee: float
    allow_short: bool
    reward_scale: float
    seed: int
    device: str = "cpu"


def fit_dqn(
    qnet: nn.Module,
    X: np.ndarray,
    returns: np.ndarray,
    episode_starts: np.ndarray,
    settings: DQNSettings,
    hooks: CallbackList,
) -> list[float]:
    """Deep Q-learning over the series ``X`` (decisions in time order; a new episode begins at
    each row where ``episode_starts`` is true). Returns the mean Huber loss of each episode."""
    s = settings
    seed_everything(s.seed)
    rng = np.random.default_rng(s.seed)
    device = s.device
    qnet.to(device)
    target = copy.deepcopy(qnet).eval()
    inputs = torch.as_tensor(X, dtype=torch.float32, device=device)
    optimiser = torch.optim.Adam(qnet.parameters(), lr=s.learning_rate)
    huber = nn.HuberLoss()
    n = len(X)
    capacity = min(s.replay_size, n * s.episodes)
    # Replay memory of (state row, position before, action, reward, next row, position after, done)
    memory = np.zeros((capacity, 7))
    stored = 0
    total_steps = n * s.episodes
    decay_steps = max(1, int(total_steps * s.epsilon_decay))
    updates, step_count = 0, 0
    history: list[float] = []
    hooks.on_progress(0.0)
    for episode in range(s.episodes):
        # Learning steps of this episode: the global steps in it divisible by train_every (the
        # step count runs on across episodes, so an episode may hold one more than n // every).
        first = episode * n
        batches = max(1, (first + n) // s.train_every - first // s.train_every)
        position, losses, batch = 0.0, [], 0
        for t in range(n):
            if t % ACT_CHUNK == 0:  # the acting network's Q-values for the next chunk of states
                greedy = q_by_position(qnet, X[t : t + ACT_CHUNK], device=device)
            if episode_starts[t]:
                position = 0.0
            epsilon = s.epsilon_start + (s.epsilon_end - s.epsilon_start) * min(
                1.0, step_count / decay_steps
            )
            if rng.random() < epsilon:
                action = int(rng.integers(3))
            else:
                action = int(greedy[t % ACT_CHUNK, POSITIONS.index(position)].argmax())
            new_position, reward = step(action, position, float(returns[t]), s.fee, s.allow_short)
            done = t + 1 >= n or bool(episode_starts[t + 1])
            memory[stored % capacity] = (
                t,
                position,
                action,
                reward * s.reward_scale,
                min(t + 1, n - 1),
                new_position,
                done,
            )
            stored += 1
            position = new_position
            step_count += 1
            if step_count % s.train_every == 0 and stored >= s.batch_size:
                hooks.check_stop()
                loss = _learn(
                    qnet, target, optimiser, huber, inputs, memory, min(stored, capacity), s, rng
                )
                losses.append(loss)
                updates += 1
                if updates % s.target_sync == 0:
                    target.load_state_dict(qnet.state_dict())
                hooks.on_batch(
                    {
                        "epoch": episode,
                        "batch": batch,
                        "batches": batches,
                        "loss": loss,
                        "rows": np.array([t]),
                    }
                )
                batch += 1
                hooks.on_progress(step_count / total_steps)
        history.append(float(np.mean(losses)) if losses else float("nan"))
    qnet.to("cpu").eval()
    hooks.on_progress(1.0)
    return history


def _learn(qnet, target, optimiser, huber, inputs, memory, size, s: DQNSettings, rng) -> float:
    sample = torch.as_tensor(
        memory[rng.integers(size, size=s.batch_size)], dtype=torch.float32, device=s.device
    )
    rows, pos, actions = sample[:, 0].long(), sample[:, 1], sample[:, 2].long()
    rewards, next_rows, next_pos, done = (
        sample[:, 3],
        sample[:, 4].long(),
        sample[:, 5],
        sample[:, 6],
    )
    qnet.train()
    chosen = qnet(inputs[rows], pos).gather(1, actions.unsqueeze(1)).squeeze(1)
    with torch.no_grad():
        best_next = target(inputs[next_rows], next_pos).max(dim=1).values
        goal = rewards + s.gamma * best_next * (1 - done)
    loss = huber(chosen, goal)
    optimiser.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(qnet.parameters(), 10.0)
    optimiser.step()
    return loss.item()


def q_by_position(
    qnet: nn.Module, X: np.ndarray, batch_size: int = 1024, device: str = "cpu"
) -> np.ndarray:
    """Q-values of every state at each of POSITIONS: shape ``(n, 3 positions, 3 actions)``,
    one network call per chunk of states (the chunk repeated once per position)."""
    inputs = torch.as_tensor(X, dtype=torch.float32, device=device)
    held_values = torch.tensor(POSITIONS, dtype=torch.float32, device=device)
    out = np.empty((len(X), len(POSITIONS), 3))
    was_training = qnet.training
    qnet.eval()
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            chunk = inputs[start : start + batch_size]
            size = len(chunk)
            held = held_values.repeat_interleave(size)
            q = qnet(chunk.repeat(len(POSITIONS), 1, 1), held).cpu().numpy()
            out[start : start + size] = q.reshape(len(POSITIONS), size, 3).transpose(1, 0, 2)
    qnet.train(was_training)
    return out


__all__ = ["DQNSettings", "fit_direction", "fit_dqn", "q_by_position", "target_position"]
