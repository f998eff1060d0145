"""The security and work-limit keys (issue 19) are typed and checked, with a message naming the
key and what is allowed."""

import pytest

from core.config import ConfigError
from runtime.config import config_from_dict


def test_the_defaults():
    config = config_from_dict({})
    assert config.server.trusted_proxy is None
    assert config.server.session_hours == 24.0
    assert (config.server.login_attempts, config.server.login_window_minutes) == (10, 15.0)
    assert (config.limits.queued_jobs, config.limits.accuracy_predictions) == (20, 20_000)


def test_good_values_are_taken():
    config = config_from_dict(
        {"server": {"trusted_proxy": "10.0.0.2", "session_hours": 8, "login_attempts": 3,
                    "login_window_minutes": 1}, "limits": {"queued_jobs": 2,
                                                           "accuracy_predictions": 5000}}
    )  # fmt: skip
    assert config.server.trusted_proxy == "10.0.0.2" and config.server.session_hours == 8.0
    assert config.limits.queued_jobs == 2 and config.limits.accuracy_predictions == 5000


@pytest.mark.parametrize(
    "section, key, value, words",
    [
        ("server", "trusted_proxy", "proxy.example", "IP address"),
        ("server", "trusted_proxy", 5, "must be text"),
        ("server", "session_hours", 0, "more than 0"),
        ("server", "session_hours", 24 * 365, "at most 2160"),
        ("server", "session_hours", "a day", "must be a number"),
        ("server", "login_attempts", 0, "1..1000"),
        ("server", "login_attempts", 2.5, "whole number"),
        ("server", "login_window_minutes", -1, "more than 0"),
        ("limits", "queued_jobs", 0, "1..1000"),
        ("limits", "queued_jobs", True, "whole number"),
        ("limits", "accuracy_predictions", 10, "1000..10000000"),
    ],
)
def test_a_wrong_value_names_its_key(section, key, value, words):
    with pytest.raises(ConfigError, match=rf"{section}\.{key}: .*{words}"):
        config_from_dict({section: {key: value}})
