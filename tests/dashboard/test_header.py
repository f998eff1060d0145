"""The header's symbol picker keeps the room of the longest symbol from the first paint."""

from dashboard import ids
from dashboard.layout import header, symbol_width
from runtime.config import config_from_dict


def picker_widths(symbols: list[str]) -> tuple[str, str]:
    """(the picker's room before it loads, the picker's own width)."""
    row = header(config_from_dict({}), symbols).children
    for column in row.children:
        room = column.children
        if getattr(getattr(room, "children", None), "id", None) == ids.SYMBOL:
            return room.style["width"], room.children.style["width"]
    raise AssertionError("no symbol picker in the header")


def test_the_room_is_the_picker_width_and_fits_the_longest_symbol():
    short = ["BTC/USDT", "ETH/USDT"]
    assert picker_widths(short) == (symbol_width(short),) * 2
    assert symbol_width(short) == "clamp(11rem, calc(8ch + 3.5rem), 20rem)"
    # a ccxt perpetual listed after the first symbol still gets its room
    longer = ["BTC/USDT", "1000PEPE/USDT:USDT"]
    assert picker_widths(longer) == ("clamp(11rem, calc(18ch + 3.5rem), 20rem)",) * 2
