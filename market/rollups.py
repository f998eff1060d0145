"""Coarser candles kept beside the stored ones, so a chart zoomed out over a year reads a few
thousand rows instead of aggregating half a million on every view.

Each stored series (the *base*: 1 s, 1 m, or an imported timeframe) has a ladder of coarser
timeframes (:data:`LADDERS`). Their candles live in ``candle_rollups``, keyed by symbol, base,
timeframe and open time, and are recomputed from the base candles of every bucket a write
touches, inside the same transaction as the write (the candle store's ``_persist``): a rollup is
always the exact OHLCV aggregate of the stored candles it covers (first open, max high, min low,
last close, summed volume), buckets whole and aligned to UTC.

``pick_timeframe`` chooses the finest timeframe of a ladder that keeps a range within a number of
time slots; ``read_range`` reads one timeframe's candles of a range, base or rollup alike.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from core.candles import Candle, bucket_start, timeframe_ms

log = logging.getLogger(__name__)

# Clustered by key, as ``candles`` is: a view's rows lie side by side on disk. Migration 0003
# creates it in every existing database; ``WITHOUT ROWID`` is SQLite's, dropped for PostgreSQL by
# the dialect.
SCHEMA = """
CREATE TABLE IF NOT EXISTS candle_rollups (
    symbol TEXT NOT NULL, base TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, base, timeframe, time)
) WITHOUT ROWID;
"""

# Candle sizes a chart steps through when zoomed out, finest first.
STEPS = ("1s", "5s", "15s", "1m", "5m", "15m", "1h", "4h", "1d")
# The 1 s chart stops at 1 m: coarser views belong to the minute chart, which has more history.
SECOND_LADDER = ("1s", "5s", "15s", "1m")
# Rows read per chunk when a whole series is rolled up (an import, the first start).
CHUNK_MS = {"1s": 86_400_000, "1m": 90 * 86_400_000}


def ladder(base: str) -> tuple[str, ...]:
    """Timeframes a chart of stored series ``base`` can show: the base, then the coarser steps
    it divides evenly (an imported 1 h series: 1h, 4h, 1d)."""
    if base == "1s":
        return SECOND_LADDER
    frame = timeframe_ms(base)
    coarser = tuple(
        tf for tf in STEPS if timeframe_ms(tf) > frame and timeframe_ms(tf) % frame == 0
    )
    return (base, *coarser)


def rolled(base: str) -> tuple[str, ...]:
    """Timeframes kept in ``candle_rollups`` for a base (the 1 s ladder's 1 m is stored as a
    series of its own)."""
    return tuple(tf for tf in ladder(base)[1:] if not (base == "1s" and tf == "1m"))


def slots(start: int, end: int, timeframe: str) -> int:
    """How many candles of ``timeframe`` the range [start, end) touches."""
    if end <= start:
        return 0
    frame = timeframe_ms(timeframe)
    return (bucket_start(end - 1, frame) - bucket_start(start, frame)) // frame + 1


def pick_timeframe(timeframes, start: int, end: int, max_slots: int) -> str | None:
    """The finest of ``timeframes`` whose candles over [start, end) number at most
    ``max_slots``; None when even the coarsest has more."""
    for tf in timeframes:
        if slots(start, end, tf) <= max_slots:
            return tf
    return None


def aggregate_arrays(times, open_, high, low, close, volume, frame_ms: int):
    """Time-ordered OHLCV arrays aggregated into whole UTC buckets of ``frame_ms``:
    (bucket times, open, high, low, close, volume). Pure numpy: first open, max high, min low,
    last close, summed volume; an empty bucket yields no candle."""
    times = np.asarray(times, dtype=np.int64)
    if len(times) == 0:
        empty = np.array([], dtype=float)
        return np.array([], dtype=np.int64), empty, empty, empty, empty, empty
    buckets = times - times % frame_ms
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:], len(times)] - 1
    return (
        buckets[starts],
        np.asarray(open_, dtype=float)[starts],
        np.maximum.reduceat(np.asarray(high, dtype=float), starts),
        np.minimum.reduceat(np.asarray(low, dtype=float), starts),
        np.asarray(close, dtype=float)[ends],
        np.add.reduceat(np.asarray(volume, dtype=float), starts),
    )


def _base_rows(conn, symbol: str, base: str, start: int, end: int):
    rows = conn.execute(
        "SELECT time, open, high, low, close, volume FROM candles"
        " WHERE symbol=? AND timeframe=? AND time>=? AND time<? ORDER BY time",
        (symbol, base, start, end),
    ).fetchall()
    if not rows:
        return None
    return np.array([tuple(r) for r in rows], dtype=float).T


def refresh(conn, symbol: str, base: str, times) -> int:
    """Recompute, on connection ``conn`` (inside the writer's transaction), every rollup bucket
    that contains one of ``times`` (open times of base candles just written). Returns the rows
    written."""
    targets = rolled(base)
    if not targets or len(times) == 0:
        return 0
    coarsest = timeframe_ms(targets[-1])
    times = np.unique(np.asarray(times, dtype=np.int64))
    # Runs of touched coarsest buckets, read one range each: a live close touches one bucket,
    # an import a long run.
    buckets = np.unique(times - times % coarsest)
    breaks = np.flatnonzero(np.diff(buckets) != coarsest) + 1
    written = 0
    for run in np.split(buckets, breaks):
        lo, hi = int(run[0]), int(run[-1]) + coarsest
        step = CHUNK_MS.get(base, coarsest * 64)
        step = max(coarsest, step - step % coarsest)
        for chunk_lo in range(lo, hi, step):
            written += _refresh_range(conn, symbol, base, targets, times,
                                      chunk_lo, min(hi, chunk_lo + step))  # fmt: skip
    return written


def _refresh_range(conn, symbol, base, targets, times, lo: int, hi: int) -> int:
    columns = _base_rows(conn, symbol, base, lo, hi)
    touched = times[(times >= lo) & (times < hi)]
    rows = []
    for tf in targets:
        frame = timeframe_ms(tf)
        wanted = np.unique(touched - touched % frame)
        if columns is None:
            conn.executemany(
                "DELETE FROM candle_rollups WHERE symbol=? AND base=? AND timeframe=? AND time=?",
                [(symbol, base, tf, int(t)) for t in wanted],
            )
            continue
        agg = aggregate_arrays(*columns, frame)
        keep = np.isin(agg[0], wanted)
        columns_kept = (a[keep].tolist() for a in agg)
        rows += [(symbol, base, tf, int(t), o, h, lw, c, v)
                 for t, o, h, lw, c, v in zip(*columns_kept, strict=True)]  # fmt: skip
    if rows:
        conn.executemany("INSERT OR REPLACE INTO candle_rollups VALUES (?,?,?,?,?,?,?,?,?)", rows)
    return len(rows)


def rebuild_missing(db) -> int:
    """Roll up every stored series whose rollups lag its candles (a database from before
    rollups, or one written by a copy that skipped them). Cheap when all are current: one
    aggregate query per series."""
    written = 0
    series = [tuple(r) for r in db.query("SELECT DISTINCT symbol, timeframe FROM candles")]
    for symbol, base in series:
        targets = rolled(base)
        if not targets:
            continue
        coarsest = targets[-1]
        # One MIN or MAX per query: SQLite answers each from the index, both at once by a scan.
        first, last = (
            db.query(f"SELECT {fn}(time) FROM candles WHERE symbol=? AND timeframe=?",
                     (symbol, base))[0][0]
            for fn in ("MIN", "MAX")
        )  # fmt: skip
        have = [
            db.query(f"SELECT {fn}(time) FROM candle_rollups"
                     " WHERE symbol=? AND base=? AND timeframe=?", (symbol, base, coarsest))[0][0]
            for fn in ("MIN", "MAX")
        ]  # fmt: skip
        frame = timeframe_ms(coarsest)
        if have[0] is not None and have[0] <= first and have[1] == bucket_start(last, frame):
            continue
        # One time per finest rollup bucket: refresh recomputes every bucket holding one.
        step = timeframe_ms(targets[0])
        times = np.arange(bucket_start(first, frame), last + 1, step, dtype=np.int64)
        with db.transaction() as conn:
            written += refresh(conn, symbol, base, times)
        log.info("rolled up %s %s: %s", symbol, base, ", ".join(targets))
    return written


def read_range(db, symbol: str, base: str, timeframe: str, start: int, end: int) -> list[Candle]:
    """Closed candles of ``timeframe`` (the base itself or one of its rollups, or the 1 s
    ladder's stored 1 m) with open times in [start, end), oldest first."""
    if timeframe == base or (base == "1s" and timeframe == "1m"):
        rows = db.query(
            "SELECT time, open, high, low, close, volume FROM candles"
            " WHERE symbol=? AND timeframe=? AND time>=? AND time<? ORDER BY time",
            (symbol, timeframe, start, end),
        )
    else:
        rows = db.query(
            "SELECT time, open, high, low, close, volume FROM candle_rollups"
            " WHERE symbol=? AND base=? AND timeframe=? AND time>=? AND time<? ORDER BY time",
            (symbol, base, timeframe, start, end),
        )
    return [Candle(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def clamp(value: float) -> int:
    """A time bound SQLite's integers hold (a caller's huge time is no error here)."""
    if not math.isfinite(value):
        return 2**62 if value > 0 else -(2**62)
    return int(max(-(2**62), min(2**62, value)))
