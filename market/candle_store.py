"""Per (symbol, timeframe) bounded candle buffers, persisted to SQLite.

Live data arrives as 1 s candles (the last one may still be forming and is updated in place);
1 m candles are aggregated from them exactly. Closed candles are written to SQLite, so a restart
brings the history back, and listeners hear about every candle that closes once it is written.

Writes are queued and committed by ``flush``: at once, or once per poll loop inside ``batch()``
(the feed runner). A write that fails keeps its rows queued, and the next flush retries them, so
a locked or full disk delays candles but never drops them; after a crash the restart resumes
from what SQLite holds (the last written candle), and the feed's gap fill fetches the rest.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from core.candles import (
    Candle,
    aggregate,
    bucket_start,
    candles_to_frame,
    frame_to_candles,
    resample,
    timeframe_ms,
)
from core.db import Database
from market import rollups

log = logging.getLogger(__name__)

BASE_TIMEFRAME = "1s"
DERIVED_TIMEFRAMES = ("1m",)

SCHEMA = """
CREATE TABLE IF NOT EXISTS candles (
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL, time INTEGER NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, time)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class ClosedCandle:
    symbol: str
    timeframe: str
    candle: Candle


class _Series:
    """Time-ordered candles of one (symbol, timeframe), at most ``maxlen`` of them."""

    def __init__(self, maxlen: int):
        self.maxlen = maxlen
        self.candles: list[Candle] = []
        self.times: list[int] = []

    def last(self) -> Candle | None:
        return self.candles[-1] if self.candles else None

    def upsert_last(self, candle: Candle) -> Candle | None:
        """Add or replace the newest candle; returns the previous newest if this closed it."""
        if self.candles and self.times[-1] == candle.time:
            self.candles[-1] = candle
            return None
        closed_prev = None
        if self.candles and not self.candles[-1].closed:
            closed_prev = self.candles[-1].with_closed()
            self.candles[-1] = closed_prev
        self.candles.append(candle)
        self.times.append(candle.time)
        self._trim()
        return closed_prev

    def merge(self, candles: Iterable[Candle]) -> None:
        """Insert or replace candles at any time (history, imports)."""
        by_time = dict(zip(self.times, self.candles, strict=True))
        for candle in candles:
            by_time[candle.time] = candle
        self.times = sorted(by_time)
        self.candles = [by_time[t] for t in self.times]
        self._trim()

    def since(self, since: int | None, limit: int | None) -> list[Candle]:
        start = 0 if since is None else bisect.bisect_left(self.times, since)
        end = len(self.candles) if limit is None else min(len(self.candles), start + limit)
        return self.candles[start:end]

    def bucket(self, start: int, end: int) -> list[Candle]:
        lo = bisect.bisect_left(self.times, start)
        hi = bisect.bisect_left(self.times, end)
        return self.candles[lo:hi]

    def _trim(self) -> None:
        extra = len(self.candles) - self.maxlen
        if extra > 0:
            del self.candles[:extra]
            del self.times[:extra]


class CandleStore:
    """Thread-safe candle buffers. ``ingest`` takes live 1 s candles; ``merge_history`` takes
    closed candles of any timeframe (backfill, gap fill, imports)."""

    def __init__(self, db: Database | None, buffer_sizes: dict[str, int] | None = None):
        self._db = db
        self._sizes = dict(buffer_sizes or {})
        self._series: dict[tuple[str, str], _Series] = {}
        self._lock = threading.RLock()
        self._listeners: list[Callable[[ClosedCandle], None]] = []
        self._versions: dict[tuple[str, str], int] = {}
        self._seen_version = None
        # Rows not yet in SQLite (symbol, timeframe, candle) and the events waiting for them.
        self._pending: list[tuple[str, str, Candle]] = []
        self._pending_events: list[ClosedCandle] = []
        self._write_lock = threading.Lock()
        self._local = threading.local()
        # Several processes (PostgreSQL): the leader publishes its forming candles for the
        # followers' charts, and each of its writes first checks it still leads (``fence``).
        self.publish_forming = False
        self.fence: Callable | None = None
        self._published: dict[tuple[str, str], Candle] = {}
        if db is not None:
            db.ensure(SCHEMA)
            db.ensure(rollups.SCHEMA)

    # ---- setup -------------------------------------------------------------------------
    def add_listener(self, listener: Callable[[ClosedCandle], None]) -> None:
        self._listeners.append(listener)

    def load(self) -> int:
        """Fill the buffers from SQLite (newest ``maxlen`` candles of each stored series)."""
        if self._db is None:
            return 0
        self._seen_version = self._db.data_version()
        keys = [tuple(r) for r in self._db.query("SELECT DISTINCT symbol, timeframe FROM candles")]
        loaded = sum(self._load_series(*key) for key in keys)
        rollups.rebuild_missing(self._db)
        log.info("loaded %d candles from %s", loaded, self._db.where)
        return loaded

    def _load_series(self, symbol: str, timeframe: str) -> int:
        with self._lock:
            series = self._get(symbol, timeframe)
            rows = self._db.query(
                "SELECT time, open, high, low, close, volume FROM candles"
                " WHERE symbol=? AND timeframe=? ORDER BY time DESC LIMIT ?",
                (symbol, timeframe, series.maxlen),
            )
            series.merge(Candle(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows)
            self._bump(symbol, timeframe)
            return len(rows)

    def sync(self) -> None:
        """Pick up series another process (the CLI's ``candles import``) wrote meanwhile: cheap
        unless SQLite's data_version moved, which only another connection's commit does."""
        if self._db is None:
            return
        version = self._db.data_version()
        if version == self._seen_version:
            return
        self._seen_version = version
        stored = {
            tuple(r) for r in self._db.query("SELECT DISTINCT symbol, timeframe FROM candles")
        }
        for key in sorted(stored - set(self._series)):
            self._load_series(*key)

    def _get(self, symbol: str, timeframe: str) -> _Series:
        key = (symbol, timeframe)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(self._sizes.get(timeframe, 2880))
        return series

    def _bump(self, symbol: str, timeframe: str) -> None:
        key = (symbol, timeframe)
        self._versions[key] = self._versions.get(key, 0) + 1

    # ---- writing -----------------------------------------------------------------------
    def ingest(self, symbol: str, candles: Sequence[Candle]) -> list[ClosedCandle]:
        """Apply live 1 s candles in time order. A candle older than the newest one held is
        ignored (a feed re-sending what we have); the newest may be replaced while forming."""
        closed: list[ClosedCandle] = []
        with self._lock:
            base = self._get(symbol, BASE_TIMEFRAME)
            for candle in candles:
                last = base.last()
                if last is not None and candle.time < last.time:
                    continue
                prev = base.upsert_last(candle)
                if prev is not None:
                    closed.append(ClosedCandle(symbol, BASE_TIMEFRAME, prev))
                if candle.closed:
                    closed.append(ClosedCandle(symbol, BASE_TIMEFRAME, candle))
                for timeframe in DERIVED_TIMEFRAMES:
                    closed.extend(self._derive(symbol, timeframe, candle))
            for event in closed:
                self._bump(symbol, event.timeframe)
            self._bump(symbol, BASE_TIMEFRAME)
            for timeframe in DERIVED_TIMEFRAMES:
                self._bump(symbol, timeframe)
            self._queue([(symbol, e.timeframe, e.candle) for e in closed], closed)
        self._maybe_flush()
        return closed

    def _derive(self, symbol: str, timeframe: str, candle: Candle) -> list[ClosedCandle]:
        frame = timeframe_ms(timeframe)
        start = bucket_start(candle.time, frame)
        parts = self._get(symbol, BASE_TIMEFRAME).bucket(start, start + frame)
        derived = self._get(symbol, timeframe)
        last = derived.last()
        if last is not None and start < last.time:
            return []
        if last is not None and last.time == start and parts[0].time > start and last.closed:
            # The bucket began before the 1 s buffer (e.g. history): keep what history said.
            return []
        bar_closed = candle.closed and candle.time + timeframe_ms(BASE_TIMEFRAME) >= start + frame
        events = []
        prev = derived.upsert_last(aggregate(parts, start, closed=bar_closed))
        if prev is not None:
            events.append(ClosedCandle(symbol, timeframe, prev))
        if bar_closed:
            events.append(ClosedCandle(symbol, timeframe, derived.last()))
        return events

    def merge_history(self, symbol: str, timeframe: str, candles: Sequence[Candle]) -> int:
        """Insert closed candles (backfill, gap fill, import). For 1 s candles the derived
        timeframes are rebuilt for the buckets they touch. Returns how many were merged."""
        if not candles:
            return 0
        candles = [c.with_closed() for c in sorted(candles, key=lambda c: c.time)]
        with self._lock:
            series = self._get(symbol, timeframe)
            series.merge(candles)
            self._bump(symbol, timeframe)
            derived_rows: list[tuple[str, Candle]] = []
            if timeframe == BASE_TIMEFRAME:
                for derived_tf in DERIVED_TIMEFRAMES:
                    rebuilt = self._rebuild(symbol, derived_tf, candles)
                    derived_rows.extend((derived_tf, c) for c in rebuilt)
                    self._bump(symbol, derived_tf)
            rows = [(timeframe, c) for c in candles] + [r for r in derived_rows if r[1].closed]
            self._queue([(symbol, tf, c) for tf, c in rows], [])
        self._maybe_flush()
        return len(candles)

    def _rebuild(self, symbol: str, timeframe: str, candles: Sequence[Candle]) -> list[Candle]:
        frame = timeframe_ms(timeframe)
        base = self._get(symbol, BASE_TIMEFRAME)
        newest = base.last()
        starts = sorted({bucket_start(c.time, frame) for c in candles})
        series = self._get(symbol, timeframe)
        held = set(series.times)
        rebuilt = []
        for start in starts:
            parts = base.bucket(start, start + frame)
            # A bucket whose 1 s candles begin after its start is partial: keep history's.
            if not parts or (parts[0].time > start and start in held):
                continue
            closed = newest is not None and (
                newest.time >= start + frame
                or (newest.closed and newest.time + timeframe_ms(BASE_TIMEFRAME) >= start + frame)
            )
            rebuilt.append(aggregate(parts, start, closed=closed))
        series.merge(rebuilt)
        return rebuilt

    def _queue(self, rows: list[tuple[str, str, Candle]], events: list[ClosedCandle]) -> None:
        with self._lock:
            if self._db is not None:
                self._pending.extend(rows)
            self._pending_events.extend(events)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes of this thread inside are committed together by one ``flush`` at the end."""
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
        if depth == 0:
            self.flush()

    def hold_writes(self) -> None:
        """Queue the calling thread's writes until someone calls ``flush`` (the feed runner's
        pollers: its writer commits every symbol's candles at once)."""
        self._local.depth = 1

    def _maybe_flush(self) -> None:
        if not getattr(self._local, "depth", 0):
            self.flush()

    def pending_writes(self) -> int:
        """Closed candles waiting for SQLite (more than a loop's worth: writes are failing)."""
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write every queued row in one commit, then tell the listeners about the candles that
        closed. On failure the rows stay queued (the next flush retries) and the error is raised.
        Returns how many rows were written."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
                events, self._pending_events = self._pending_events, []
                forming = self._forming_changed() if self.publish_forming else []
            try:
                self._persist(rows, forming)
            except BaseException:
                with self._lock:
                    self._pending[:0] = rows
                    self._pending_events[:0] = events
                raise
            for symbol, timeframe, candle in forming:
                self._published[(symbol, timeframe)] = candle
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("candle listener failed on %s", event)
        return len(rows)

    def _forming_changed(self) -> list[tuple[str, str, Candle]]:
        out = []
        for key, series in self._series.items():
            last = series.last()
            if last is not None and not last.closed and self._published.get(key) != last:
                out.append((*key, last))
        return out

    def _persist(
        self, rows: list[tuple[str, str, Candle]], forming: list[tuple[str, str, Candle]] = ()
    ) -> None:
        if self._db is None or not (rows or forming):
            return
        touched: dict[tuple[str, str], list[int]] = {}
        for symbol, timeframe, candle in rows:
            touched.setdefault((symbol, timeframe), []).append(candle.time)
        with self._db.transaction() as conn:
            if self.fence is not None:
                self.fence(conn.raw)
            conn.executemany(
                "INSERT OR REPLACE INTO candles VALUES (?,?,?,?,?,?,?,?)",
                [(s, tf, c.time, c.open, c.high, c.low, c.close, c.volume) for s, tf, c in rows],
            )
            # In the same commit: a rollup never disagrees with the candles it covers.
            for (symbol, timeframe), times in touched.items():
                rollups.refresh(conn, symbol, timeframe, times)
            conn.executemany(
                "INSERT OR REPLACE INTO forming_candles VALUES (?,?,?,?,?,?,?,?)",
                [(s, tf, c.time, c.open, c.high, c.low, c.close, c.volume)
                 for s, tf, c in forming],
            )  # fmt: skip

    def follow(
        self, symbol: str, timeframe: str, candles: Sequence[Candle], forming: Candle | None = None
    ) -> None:
        """A follower process: apply candles the leader stored (closed) and its forming candle
        to the buffers, writing nothing and telling no listener (the leader's workers ran)."""
        with self._lock:
            series = self._get(symbol, timeframe)
            if candles:
                series.merge(c.with_closed() for c in candles)
            if forming is not None:
                last = series.last()
                if (
                    last is None
                    or forming.time > last.time
                    or (forming.time == last.time and not last.closed)
                ):
                    series.upsert_last(forming)
            self._bump(symbol, timeframe)

    def drop_forming(self) -> None:
        """Forget the forming candles a follower showed: the process taking over rebuilds them
        from the stored 1 s candles and its feed (a forming 1 m candle held here would read as
        a whole minute and make the feed resume after it)."""
        with self._lock:
            for key, series in self._series.items():
                if series.candles and not series.candles[-1].closed:
                    series.candles.pop()
                    series.times.pop()
                    self._bump(*key)

    def latest_closed(self, symbol: str, timeframe: str) -> Candle | None:
        with self._lock:
            series = self._series.get((symbol, timeframe))
            if series is None:
                return None
            return next((c for c in reversed(series.candles) if c.closed), None)

    # ---- reading -----------------------------------------------------------------------
    def series(self) -> list[tuple[str, str]]:
        self.sync()
        with self._lock:
            return sorted(self._series)

    def has(self, symbol: str, timeframe: str | None = None) -> bool:
        self.sync()
        with self._lock:
            if timeframe is None:
                return any(s == symbol for s, _ in self._series)
            return (symbol, timeframe) in self._series

    def candles(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[Candle]:
        """Buffered candles with open time >= since, oldest first, at most ``limit``."""
        with self._lock:
            series = self._series.get((symbol, timeframe))
            return [] if series is None else series.since(since, limit)

    def since(self, symbol: str, timeframe: str, since: int, limit: int) -> list[Candle]:
        """Candles with open time >= since, oldest first, at most ``limit``; the part older
        than the buffer comes from SQLite, so a client catching up after a gap misses nothing."""
        buffered = self.candles(symbol, timeframe, since=since, limit=limit)
        oldest = self.candles(symbol, timeframe, limit=1)
        if self._db is None or not oldest or since >= oldest[0].time:
            return buffered
        older = frame_to_candles(self.history(symbol, timeframe, since, oldest[0].time, limit))
        return (older + buffered)[:limit]

    def tail(self, symbol: str, timeframe: str, count: int) -> list[Candle]:
        with self._lock:
            series = self._series.get((symbol, timeframe))
            return [] if series is None else series.candles[-count:]

    def latest(self, symbol: str, timeframe: str) -> Candle | None:
        with self._lock:
            series = self._series.get((symbol, timeframe))
            return None if series is None else series.last()

    def version(self, symbol: str, timeframe: str) -> int:
        with self._lock:
            return self._versions.get((symbol, timeframe), 0)

    def newest_start(self, symbol: str, timeframe: str, count: int) -> int | None:
        """A start time that keeps only the newest ``count`` stored candles, or None when no
        more than that are stored."""
        if self._db is None:
            held = self.candles(symbol, timeframe)
            return held[-count].time if len(held) > count else None
        rows = self._db.query(
            "SELECT time FROM candles WHERE symbol=? AND timeframe=? ORDER BY time DESC"
            " LIMIT 1 OFFSET ?",
            (symbol, timeframe, count),
        )
        return rows[0][0] + 1 if rows else None

    def view(self, symbol: str, base: str, timeframe: str, start: int, end: int) -> list[Candle]:
        """Candles of ``timeframe`` from stored series ``base`` (itself or a rollup of it) with
        open times in [start, end), oldest first. The newest bucket is recomputed from the buffer,
        so it includes the forming candle (``closed`` False until its bucket is over)."""
        frame = timeframe_ms(timeframe)
        start, end = bucket_start(rollups.clamp(start), frame), rollups.clamp(end)
        # The buffer a bucket's newest part is in: the 1 s chart's 1 m is a series of its own.
        with self._lock:
            stored_as_is = timeframe == base or (symbol, timeframe) in self._series
            source = timeframe if stored_as_is and timeframe in (base, "1m") else base
            series = self._series.get((symbol, source))
            newest = series.last() if series else None
        if self._db is None:
            held = [c for c in self.candles(symbol, source, since=start) if c.time < end]
            return resample(held, frame)
        stored = rollups.read_range(self._db, symbol, base, timeframe, start, end)
        if newest is None:
            return stored
        cut = bucket_start(newest.time, frame)
        if not start <= cut < end:
            return stored
        parts = {c.time: c for c in self.history_candles(symbol, source, cut, end)}
        parts.update((c.time, c) for c in self.candles(symbol, source, since=cut))
        ordered = [parts[t] for t in sorted(parts)]
        closed = newest.closed and newest.time + timeframe_ms(source) >= cut + frame
        last = aggregate(ordered, cut, closed=closed)
        return [c for c in stored if c.time < cut] + [last]

    def history_candles(self, symbol: str, timeframe: str, start: int, end: int) -> list[Candle]:
        """Stored candles in [start, end) as Candles (no DataFrame: the chart's hot path)."""
        if self._db is None:
            return [c for c in self.candles(symbol, timeframe, since=start) if c.time < end]
        rows = self._db.query(
            "SELECT time, open, high, low, close, volume FROM candles"
            " WHERE symbol=? AND timeframe=? AND time>=? AND time<? ORDER BY time",
            (symbol, timeframe, start, end),
        )
        return [Candle(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def bounds(self, symbol: str, timeframe: str) -> tuple[int, int] | None:
        """(oldest, newest) open time held for a series, stored or buffered."""
        held = self.latest(symbol, timeframe)
        first = last = None
        if self._db is not None:
            # Two queries: SQLite answers a lone MIN or MAX from the index, both at once by a scan.
            first, last = (
                self._db.query(
                    f"SELECT {fn}(time) FROM candles WHERE symbol=? AND timeframe=?",
                    (symbol, timeframe),
                )[0][0]
                for fn in ("MIN", "MAX")
            )
        if held is not None:
            oldest = self.candles(symbol, timeframe, limit=1)[0].time
            first = oldest if first is None else min(first, oldest)
            last = held.time if last is None else max(last, held.time)
        return None if first is None else (int(first), int(last))

    def history(
        self,
        symbol: str,
        timeframe: str,
        start: int | None = None,
        end: int | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Stored closed candles in [start, end) as a DataFrame indexed by time, the oldest
        ``limit`` of them. Reads SQLite, which holds more than the buffers."""
        if self._db is None:
            candles = [c for c in self.candles(symbol, timeframe, since=start) if c.closed]
            if end is not None:
                candles = [c for c in candles if c.time < end]
            return candles_to_frame(candles[:limit])
        # Bounds clamped to SQLite's integers: a caller's huge time must not be an error here.
        rows = self._db.query(
            "SELECT time, open, high, low, close, volume FROM candles"
            " WHERE symbol=? AND timeframe=? AND time>=? AND time<? ORDER BY time LIMIT ?",
            (
                symbol,
                timeframe,
                max(start, -(2**62)) if start is not None else -(2**62),
                min(end, 2**62) if end is not None else 2**62,
                2**62 if limit is None else int(limit),
            ),
        )
        frame = pd.DataFrame(
            [tuple(r) for r in rows], columns=["time", "open", "high", "low", "close", "volume"]
        )
        return frame.set_index("time")
