"""Several app processes on one PostgreSQL database: exactly one leads.

The leader holds a PostgreSQL advisory lock on a connection of its own (outside any pool, with
TCP keepalives, so a dead host's lock is released within about 30 s; a killed process's at
once). It runs the feed, the live workers, the outcome resolver, the jobs and the schedules.
Every candle write it makes checks, inside the same transaction, that its lock connection still
holds the lock (``fence``): a leader that lost it stops before its next write.

The others follow: they read new candles, the forming candles the leader publishes, and new
predictions from the database twice a second (``FollowerSync``) and serve the charts, the API
and the UI from them; they stand for leader every second. The one that gets the lock starts
like a restarted app: it loads the stored candles, rebuilds the forming 1 m candle from the
stored 1 s candles, and the feed's gap fill fetches what is missing, so no candle is missing or
stored twice across a handover.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from core.candles import Candle
from core.db import Database, StorageError
from core.dialect import LEADER_LOCK

log = logging.getLogger(__name__)

CHECK_EVERY_S = 1.0
FOLLOW_EVERY_S = 0.5
LEADER, FOLLOWER = "leader", "follower"


class LeadershipLost(StorageError):
    """A leader-only write found the leader lock gone: this process no longer leads."""


class Leadership:
    """The leader lock of one process. ``start`` tries at once, then keeps standing (follower)
    or checking the lock (leader) every second in a thread."""

    def __init__(
        self,
        db: Database,
        on_gained: Callable[[], None],
        on_lost: Callable[[], None],
        every_s: float = CHECK_EVERY_S,
    ):
        self.db = db
        self.on_gained = on_gained
        self.on_lost = on_lost
        self.every_s = every_s
        self.role = FOLLOWER
        self._conn = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Set by ``fence`` (on a writing thread) when the lock is gone: the leadership thread
        # wakes at once and runs ``_lose``, so the feed and the jobs stop now, not at the
        # next check.
        self._fenced = threading.Event()
        self._wake = threading.Event()

    def start(self) -> None:
        self._stop.clear()
        self._step()
        self._thread = threading.Thread(target=self._run, name="leadership", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop standing for leader, then give the lock up (``stand_down`` + ``release``)."""
        self.stand_down()
        self.release()

    def stand_down(self) -> None:
        """Stop trying for the lock (and checking it), but keep it if held: a shutting-down
        leader stops its feed and writes its last candles before ``release``."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)
        self._thread = None

    def release(self) -> None:
        """Give the lock up (after the last write: the next leader takes over from there)."""
        self._release()
        self.role = FOLLOWER

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.every_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._step()
            except Exception:
                log.exception("leadership check failed")

    def _step(self) -> None:
        try:
            if self.role == LEADER:
                if self._fenced.is_set():
                    self._lose("a write found the leader lock gone")
                elif not self._alive():
                    self._lose("the connection holding the leader lock broke")
                return
            if self._try_lock():
                self._fenced.clear()
                self.role = LEADER
                log.info("this process leads (PostgreSQL advisory lock %s)", LEADER_LOCK)
                self.on_gained()
        except Exception:
            # Whatever broke, the next try starts on a fresh connection (a dropped one would
            # refuse every later statement).
            self._release()
            raise

    def _try_lock(self) -> bool:
        if self._conn is None:
            self._conn = self.db.lock_connection()  # its own, outside any pool
            self._pid = self.db.dialect.session_id(self._conn)
        try:
            return self.db.dialect.try_advisory_lock(self._conn, LEADER_LOCK)
        except Exception:
            self._release()
            raise

    def _alive(self) -> bool:
        try:
            self._conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def _lose(self, why: str) -> None:
        log.error("lost the leader lock (%s): stopping the feed and the jobs; this process "
                  "follows and stands for leader again", why)  # fmt: skip
        self.role = FOLLOWER
        self._release()
        try:
            self.on_lost()
        finally:
            self._fenced.clear()

    def _release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # a closed session's advisory locks are released
            except Exception:
                log.debug("closing the lock connection failed", exc_info=True)
            self._conn = None

    def fence(self, conn) -> None:
        """Inside a leader-only write transaction (``conn``): refuse it unless our lock
        connection still holds the lock, so a leader that lost it writes nothing more."""
        if not self.db.dialect.holds_advisory_lock(conn, LEADER_LOCK, self._pid):
            # Not ``role = FOLLOWER`` here: the leadership thread sees the flag at once and
            # runs ``_lose`` (stops the feed, the workers, the resolver and the schedules).
            self._fenced.set()
            self._wake.set()
            raise LeadershipLost("this process no longer holds the leader lock")


class FollowerSync:
    """A follower's view of the leader's data: new closed candles, the forming candles and new
    predictions, read from the database every ``every_s`` and applied to the in-memory store
    and prediction deques (nothing is written)."""

    def __init__(self, db: Database, store, predictions, symbols, stale_after_s: float,
                 every_s: float = FOLLOW_EVERY_S):  # fmt: skip
        self.db = db
        self.store = store
        self.predictions = predictions
        self.symbols = tuple(symbols)
        self.stale_after_s = stale_after_s
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: tuple | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="follower-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sync()
            except Exception:
                log.exception("following the leader's data failed (retried)")

    def sync(self) -> None:
        for symbol in self.symbols:
            for timeframe in ("1s", "1m"):
                held = self.store.latest_closed(symbol, timeframe)
                rows = self.db.query(
                    "SELECT time, open, high, low, close, volume FROM candles WHERE symbol=?"
                    " AND timeframe=? AND time>? ORDER BY time",
                    (symbol, timeframe, held.time if held else -1),
                )
                if rows:
                    self.store.follow(symbol, timeframe, [Candle(*r) for r in rows])
        for row in self.db.query("SELECT * FROM forming_candles"):
            if row["symbol"] in self.symbols:
                self.store.follow(row["symbol"], row["timeframe"], [], forming=Candle(
                    row["time"], row["open"], row["high"], row["low"], row["close"],
                    row["volume"], closed=False))  # fmt: skip
        seen = tuple(self.db.query(
            "SELECT (SELECT MAX(seq) FROM predictions),"
            " (SELECT COUNT(*) FROM prediction_outcomes),"
            " (SELECT COUNT(*) FROM predictions WHERE cleared=1)"
        )[0])  # fmt: skip
        if seen != self._seen:
            self._seen = seen
            self.predictions.load()

    def status(self) -> dict[str, dict]:
        """The feed as a follower sees it: ok while the leader's candles keep coming."""
        now = time.time() * 1000
        out = {}
        for symbol in self.symbols:
            latest = self.store.latest(symbol, "1s")
            fresh = latest is not None and now - latest.time < (self.stale_after_s + 2) * 1000
            out[symbol] = {"status": "ok" if fresh else "stale",
                           "last_update": latest.time if latest else None}  # fmt: skip
        return out
