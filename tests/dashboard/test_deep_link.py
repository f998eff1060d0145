"""Deep links: what a query string opens, and the message naming a bad parameter."""

import pytest

from dashboard.panels.charts.deep_link import LinkRefused, parse_link

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]


def test_a_link_names_symbol_timeframe_and_range():
    view = parse_link("?symbol=ETH%2FUSDT&tf=5m&from=1000&to=2000", SYMBOLS)
    assert view == {"symbol": "ETH/USDT", "tf": "5m", "range": [1000, 2000]}
    assert parse_link("?symbol=ETH/USDT", SYMBOLS) == {
        "symbol": "ETH/USDT", "tf": "auto", "range": None}  # fmt: skip
    assert parse_link("?tf=1h", SYMBOLS)["symbol"] == "BTC/USDT"


def test_a_page_without_view_parameters_opens_as_usual():
    assert parse_link("", SYMBOLS) is None and parse_link("?utm=x", SYMBOLS) is None


@pytest.mark.parametrize(
    "query, named",
    [
        ("symbol=NOPE/USDT", "symbol='NOPE/USDT'"),
        ("symbol=ETH/USDT&tf=3m", "tf='3m'"),
        ("tf=1s", "tf='1s'"),
        ("from=20&to=10", "from=20 is not before to=10"),
        ("from=5&to=5", "from=5 is not before to=5"),
        ("from=abc&to=10", "from='abc'"),
        ("from=10", "only one of them"),
        ("from=-1&to=10", "from=-1 is out of range"),
    ],
)
def test_a_bad_parameter_is_named(query, named):
    with pytest.raises(LinkRefused, match=named.replace("(", r"\(")):
        parse_link("?" + query, SYMBOLS)
