"""Training progress never overflows: the batch a DQN reports is never past its episode's
count ("batch 150/149"), whatever the series length and train_every."""

import numpy as np
import pytest

from models.base import TrainingCallback
from models.registry import get_model_class


class Batches(TrainingCallback):
    def __init__(self):
        self.events, self.progress = [], []

    def on_batch(self, event):
        self.events.append((event["epoch"], event["batch"] + 1, event["batches"]))

    def on_progress(self, fraction):
        self.progress.append(fraction)


@pytest.mark.parametrize("n", [101, 67])
def test_dqn_batches_stay_within_their_count(n):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4, 3)).astype(np.float32)
    returns = rng.normal(scale=0.001, size=n)
    model = get_model_class("dqn")(channels=4, hidden=8, episodes=3, train_every=8, batch_size=4)
    seen = Batches()
    model.fit(X, returns, callbacks=seen)
    assert seen.events
    assert all(batch <= batches for _, batch, batches in seen.events), [
        e for e in seen.events if e[1] > e[2]
    ][:3]
    # After the replay memory warmed up, each episode's last batch is its count exactly.
    for episode in (1, 2):
        last = [e for e in seen.events if e[0] == episode][-1]
        assert last[1] == last[2]
    assert all(0.0 <= f <= 1.0 for f in seen.progress)
