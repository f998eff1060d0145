"""TA-Lib's candlestick (CDL) pattern names and lengths: plain data, no TA-Lib import.

Config validation and the dashboard's pattern list need only the names, so they read them here
without loading TA-Lib (``tests/test_autolabel.py`` checks the list against TA-Lib's own).
"""

from __future__ import annotations

from collections.abc import Iterable

# Candles that form each named pattern, as TA-Lib's rules define it (ta_CDL*.c). Context TA-Lib
# also looks at but that is not part of the pattern is not counted: the candle before a hammer,
# hanging man or shooting star (trend/gap check), the white candle before three black crows, and
# the averaging periods. CDLHIKKAKE's confirmation (+-200) reuses the 3-candle span ending there.
PATTERN_LENGTH: dict[str, int] = {
    "CDL2CROWS": 3,
    "CDL3BLACKCROWS": 3,
    "CDL3INSIDE": 3,
    "CDL3LINESTRIKE": 4,
    "CDL3OUTSIDE": 3,
    "CDL3STARSINSOUTH": 3,
    "CDL3WHITESOLDIERS": 3,
    "CDLABANDONEDBABY": 3,
    "CDLADVANCEBLOCK": 3,
    "CDLBELTHOLD": 1,
    "CDLBREAKAWAY": 5,
    "CDLCLOSINGMARUBOZU": 1,
    "CDLCONCEALBABYSWALL": 4,
    "CDLCOUNTERATTACK": 2,
    "CDLDARKCLOUDCOVER": 2,
    "CDLDOJI": 1,
    "CDLDOJISTAR": 2,
    "CDLDRAGONFLYDOJI": 1,
    "CDLENGULFING": 2,
    "CDLEVENINGDOJISTAR": 3,
    "CDLEVENINGSTAR": 3,
    "CDLGAPSIDESIDEWHITE": 3,
    "CDLGRAVESTONEDOJI": 1,
    "CDLHAMMER": 1,
    "CDLHANGINGMAN": 1,
    "CDLHARAMI": 2,
    "CDLHARAMICROSS": 2,
    "CDLHIGHWAVE": 1,
    "CDLHIKKAKE": 3,
    "CDLHIKKAKEMOD": 4,
    "CDLHOMINGPIGEON": 2,
    "CDLIDENTICAL3CROWS": 3,
    "CDLINNECK": 2,
    "CDLINVERTEDHAMMER": 1,
    "CDLKICKING": 2,
    "CDLKICKINGBYLENGTH": 2,
    "CDLLADDERBOTTOM": 5,
    "CDLLONGLEGGEDDOJI": 1,
    "CDLLONGLINE": 1,
    "CDLMARUBOZU": 1,
    "CDLMATCHINGLOW": 2,
    "CDLMATHOLD": 5,
    "CDLMORNINGDOJISTAR": 3,
    "CDLMORNINGSTAR": 3,
    "CDLONNECK": 2,
    "CDLPIERCING": 2,
    "CDLRICKSHAWMAN": 1,
    "CDLRISEFALL3METHODS": 5,
    "CDLSEPARATINGLINES": 2,
    "CDLSHOOTINGSTAR": 1,
    "CDLSHORTLINE": 1,
    "CDLSPINNINGTOP": 1,
    "CDLSTALLEDPATTERN": 3,
    "CDLSTICKSANDWICH": 3,
    "CDLTAKURI": 1,
    "CDLTASUKIGAP": 3,
    "CDLTHRUSTING": 2,
    "CDLTRISTAR": 3,
    "CDLUNIQUE3RIVER": 3,
    "CDLUPSIDEGAP2CROWS": 3,
    "CDLXSIDEGAP3METHODS": 3,
}

# Candles a CDL function reads before its output is defined (its averaging periods included).
MAX_LOOKBACK = 16

# TA-Lib's "Pattern Recognition" group, in its (alphabetical) order: the order of the features.
CDL_PATTERNS: tuple[str, ...] = tuple(PATTERN_LENGTH)


def check_patterns(patterns: Iterable[str] | None) -> tuple[str, ...]:
    """The pattern names to run (all 61 for ``None``), or ValueError naming an unknown one."""
    if patterns is None:
        return CDL_PATTERNS
    names = tuple(patterns)
    for name in names:
        if name not in PATTERN_LENGTH:
            raise ValueError(
                f"unknown TA-Lib pattern {name!r}: use CDL function names such as "
                "CDLENGULFING, CDLHAMMER (see labels.cdl_names.CDL_PATTERNS)"
            )
    return tuple(dict.fromkeys(names))
