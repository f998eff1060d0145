"""``history`` reads at most ``limit`` rows, the oldest of the range (issue 19, finding 3: the
replay bounds its read with it), from SQLite and from the buffers alike."""

import pytest

from core.db import Database
from market.candle_store import CandleStore
from tests.helpers.candles import make_candles


@pytest.mark.parametrize("with_db", [True, False])
def test_history_returns_at_most_limit_rows_the_oldest_first(tmp_path, with_db):
    store = CandleStore(Database(tmp_path / "c.db") if with_db else None, {"1m": 500})
    candles = make_candles(300, frame_ms=60_000)
    store.merge_history("X", "1m", candles)
    start, end = candles[10].time, candles[-1].time + 60_000
    assert list(store.history("X", "1m", start, end, limit=25).index) == [
        c.time for c in candles[10:35]
    ]
    assert len(store.history("X", "1m", start, end)) == 290
