"""The OHLCV rules live in one place: the scalar check and its array form agree."""

from __future__ import annotations

import numpy as np

from core.candles import ohlc_broken, ohlc_problem


def test_the_array_form_flags_exactly_the_rows_the_scalar_check_refuses():
    rng = np.random.default_rng(0)
    # Small integers around 0..3 hit every rule and its edges (equal prices, zero volume).
    o, h, lo, c, v = (rng.integers(-1, 4, 5000).astype(float) for _ in range(5))
    broken = ohlc_broken(o, h, lo, c, v)
    expected = [ohlc_problem(*row) is not None for row in zip(o, h, lo, c, v, strict=True)]
    assert broken.tolist() == expected
    assert 0 < broken.sum() < len(broken)


def test_messages_name_the_value_and_the_rule():
    assert ohlc_problem(101.0, 102.0, 100.5, 100.75, 3) is None
    assert ohlc_problem(101.0, 102.0, 0.0, 100.75, 3) == "low 0 must be > 0"
    assert ohlc_problem(101.0, 100.9, 100.5, 100.75, 3) == (
        "high 100.9 is below max(open, close) 101"
    )
    assert ohlc_problem(101.0, 102.0, 100.8, 100.75, 3) == (
        "low 100.8 is above min(open, close) 100.75"
    )
    assert ohlc_problem(43251.37, 43260.0, 43250.0, 43255.12, -0.5) == "volume -0.5 must be >= 0"
