"""A model strategy's version is 'champion' or ASCII digits (``str.isdigit`` accepts ``١٢``)."""

import pytest

from backtest.rules import StrategyError
from backtest.strategies import make_strategy


@pytest.mark.parametrize("strategy", ["pattern", "cnn", "transformer", "dqn"])
@pytest.mark.parametrize("version", ["١٢", "²", "１２"])
def test_a_version_in_other_digits_is_refused(strategy, version):
    with pytest.raises(StrategyError, match="params.version"):
        make_strategy(strategy, {"version": version}, None)


@pytest.mark.parametrize("version", ["champion", "3"])
def test_champion_and_a_number_are_taken(version):
    assert make_strategy("pattern", {"version": version}, None).values["version"] == version
