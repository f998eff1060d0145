"""The neural: section and training.device are validated with the key's name."""

import pytest

from core.config import ConfigError
from runtime.config import config_from_dict, load_config


def test_the_shipped_config_loads_with_neural_defaults():
    config = load_config()
    assert config.training.device == "auto"
    assert config.neural.registered_model("dqn") == "neural-dqn"
    assert config.neural.model_params("cnn", bootstrap=True)["epochs"] == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"neural": {"window": 1}}, "neural.window: must be 2..512"),
        ({"neural": {"params": {"cnn": {"chanels": 3}}}}, "neural.params.cnn: .*chanels"),
        ({"neural": {"params": {"lstm": {}}}}, "neural.params.lstm: unknown model"),
        ({"neural": {"live_timeframes": ["5m"]}}, "neural.live_timeframes"),
        ({"training": {"device": "tpu"}}, "training.device: must be one of"),
        ({"training": {"default_model": "cnn"}}, "training.default_model"),
    ],
)
def test_bad_values_name_their_key(data, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)
