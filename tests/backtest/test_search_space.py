"""Parameter ranges, lists and the constraint whitelist (parsed with ast, never eval)."""

from __future__ import annotations

import pytest

from backtest.search_space import (
    SpaceError,
    iter_grid,
    parse_constraint,
    parse_dimension,
    sample_indices,
)


def test_a_range_is_start_stop_inclusive_step_and_ints_unless_a_decimal_point():
    assert parse_dimension("fast", "5:50:5").values == tuple(range(5, 55, 5))
    assert parse_dimension("fast", "5:52:5").values[-1] == 50
    floats = parse_dimension("sl_pct", "0.5:2:0.5").values
    assert floats == (0.5, 1.0, 1.5, 2.0)
    assert parse_dimension("x", "0.1:0.3:0.1").values == (0.1, 0.2, 0.3)
    assert all(isinstance(v, int) for v in parse_dimension("slow", "20:200:10").values)


def test_lists_and_fixed_values_from_json_and_the_command_line():
    assert parse_dimension("slow", [20, 50, 100]).values == (20, 50, 100)
    assert parse_dimension("slow", "20,50,100", cli=True).values == ("20", "50", "100")
    assert parse_dimension("slow", 30).values == (30,)
    assert not parse_dimension("slow", 30).varies


@pytest.mark.parametrize("text", ["5:50", "5:50:0", "50:5:5", "a:b:c", "1:1e9:1", "5:50:-5"])
def test_bad_ranges_are_refused_naming_the_parameter(text):
    with pytest.raises(SpaceError) as err:
        parse_dimension("fast", text)
    assert err.value.field == "params.fast"
    assert str(err.value).startswith("params.fast:")


def test_constraints_compare_and_combine_parameters():
    text = "fast < slow and not (slow >= 10 * fast) or fast == 1"
    check = parse_constraint(text, ["fast", "slow"])
    assert check({"fast": 5, "slow": 20})
    assert not check({"fast": 5, "slow": 60})
    assert check({"fast": 1, "slow": 600})
    assert parse_constraint("slow >= 2 * fast", ["fast", "slow"])({"fast": 10, "slow": 20})
    assert parse_constraint("slow / fast > 2", ["fast", "slow"])({"fast": 10, "slow": 30})
    # a division by zero refuses the combination rather than failing the search
    assert not parse_constraint("slow / fast > 2", ["fast", "slow"])({"fast": 0, "slow": 30})
    assert parse_constraint("1 < fast - -1 < 10", ["fast"])({"fast": 5})
    assert parse_constraint("  ", ["fast"]) is None


@pytest.mark.parametrize(
    "text, part",
    [
        ("__import__('os').system('x')", "__import__('os').system('x')"),
        ("fast ** 2 < slow", "fast ** 2"),
        ("fast < slow.real", "slow.real"),
        ("fast < sloww", "sloww"),
        ("fast < 'a'", "'a'"),
        ("fast < slow if True else 1", "fast < slow if True else 1"),
        ("fast in [1, 2]", "fast in [1, 2]"),
        ("(lambda: 1)()", "(lambda: 1)()"),
        ("fast < True", "True"),
        ("fast % 2 == 0", "fast % 2"),
    ],
)
def test_anything_outside_the_whitelist_is_refused_naming_the_part(text, part):
    with pytest.raises(SpaceError) as err:
        parse_constraint(text, ["fast", "slow"])
    assert err.value.field == "constraint"
    assert repr(part) in str(err.value)


def test_a_syntax_error_is_refused():
    with pytest.raises(SpaceError, match="constraint: not an expression"):
        parse_constraint("fast <", ["fast"])


def test_the_grid_runs_in_product_order_and_a_subset_is_seeded():
    dims = [parse_dimension("a", [1, 2]), parse_dimension("b", [10, 20, 30])]
    assert [tuple(p.values()) for p in iter_grid(dims)] == [
        (1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30)]  # fmt: skip
    picked = sample_indices(100, 10, seed=4)
    assert len(set(picked)) == 10 and list(picked) == sorted(picked)
    assert list(picked) == list(sample_indices(100, 10, seed=4))
    assert list(picked) != list(sample_indices(100, 10, seed=5))


def test_a_trial_reuses_indicators_of_its_own_candles_only():
    import numpy as np

    from backtest.trials import _CACHES, CandleArrays, candle_arrays
    from tests.helpers.market_data import random_candles

    first = candle_arrays(random_candles(300, seed=1))
    candles = CandleArrays(first)
    assert candles.sma(10) is candles.sma(10)  # computed once
    before = len(_CACHES)
    del candles, first  # the cache goes with its candles (no later array inherits it by id)
    assert len(_CACHES) == before - 1
    second = CandleArrays(candle_arrays(random_candles(300, seed=2)))
    expected = np.convolve(second.close, np.ones(10) / 10, mode="valid")
    np.testing.assert_allclose(second.sma(10)[9:], expected, rtol=1e-12)
