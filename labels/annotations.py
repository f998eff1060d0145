"""Annotated spans in SQLite: create, edit, delete, undo, bulk review and idempotent bulk add.

Every change is one transaction that also writes a journal row (the span before and after), so a
failed write loses nothing already saved and ``undo`` can restore the previous state.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import replace

from core.db import Database, IntegrityError
from core.spans import Span, SpanError, validate_span

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS annotations (
    id TEXT PRIMARY KEY,
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    label TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, confidence REAL,
    reviewed_by TEXT NOT NULL DEFAULT '', reviewed_at INTEGER,
    UNIQUE (symbol, timeframe, start, "end", label, source)
);
CREATE INDEX IF NOT EXISTS annotations_series ON annotations (symbol, timeframe, start);
CREATE TABLE IF NOT EXISTS annotation_journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL, span_id TEXT NOT NULL,
    before TEXT, after TEXT, at INTEGER NOT NULL, undone INTEGER NOT NULL DEFAULT 0
);
"""

COLUMNS = (
    "id", "symbol", "timeframe", "start", "end", "label", "source", "status", "note", "author",
    "created_at", "updated_at", "confidence", "reviewed_by", "reviewed_at",
)  # fmt: skip
_QUOTED = ", ".join(f'"{c}"' for c in COLUMNS)  # "end" is an SQL keyword
_INSERT = f"INSERT INTO annotations ({_QUOTED}) VALUES ({', '.join('?' * len(COLUMNS))})"
EDITABLE = ("start", "end", "label", "status", "note")


@contextmanager
def _refuse_duplicates(span: Span):
    """A write that would make two identical spans (same series, range, label and source)."""
    try:
        yield
    except IntegrityError as exc:
        raise SpanError(
            f"a {span.source} span {span.label!r} with this range already exists on "
            f"{span.symbol} {span.timeframe}"
        ) from exc


# (symbol, timeframe) -> ascending candle open times, or None when the series is unknown.
CandleTimes = Callable[[str, str, int, int], Sequence[int] | None]


def _now() -> int:
    return int(time.time() * 1000)


def _row(span: Span) -> tuple:
    return tuple(getattr(span, c) for c in COLUMNS)


def _span(row) -> Span:
    return Span(**{c: row[c] for c in COLUMNS})


class AnnotationStore:
    def __init__(self, db: Database, candle_times: CandleTimes):
        self._db = db
        self._candle_times = candle_times
        self._lock = threading.Lock()
        self._version = 0
        db.ensure(SCHEMA)

    @property
    def version(self) -> str:
        """Changes on every write, ours or another process's (the CLI while the dashboard runs:
        SQLite's data_version moves when another connection commits), so views know to redraw."""
        external = self._db.data_version()
        return f"{self._version}.{external}"

    def _check(self, span: Span) -> Span:
        times = self._candle_times(span.symbol, span.timeframe, span.start, span.end)
        if times is None:
            raise SpanError(f"unknown symbol or timeframe: {span.symbol} {span.timeframe}")
        return validate_span(replace(span, label=span.label.strip()), times)

    def _journal(self, conn, action: str, span_id: str, before, after) -> None:
        conn.execute(
            "INSERT INTO annotation_journal (action, span_id, before, after, at)"
            " VALUES (?,?,?,?,?)",
            (
                action,
                span_id,
                None if before is None else json.dumps(before.to_dict()),
                None if after is None else json.dumps(after.to_dict()),
                _now(),
            ),
        )
        self._version += 1

    # ---- single changes ------------------------------------------------------------------
    def create(self, span: Span) -> Span:
        """Validate and store a new span; returns it with id and times set."""
        now = _now()
        span = self._check(
            replace(span, id=span.id or uuid.uuid4().hex, created_at=now, updated_at=now)
        )
        with self._lock, self._db.transaction() as conn:
            if self._find_same(conn, span):
                raise SpanError(f"this span already exists: {span.label} {span.start}..{span.end}")
            conn.execute(_INSERT, _row(span))
            self._journal(conn, "create", span.id, None, span)
        return span

    def update(
        self,
        span_id: str,
        reviewed_by: str | None = None,
        author: str | None = None,
        **changes,
    ) -> Span:
        """Edit a span. A change of ``status`` (accept, reject) records who gave the verdict
        (``reviewed_by``) and when (``reviewed_at``); an ``author`` given records who edited it
        last (``updated_at`` says when)."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise SpanError(f"cannot change {sorted(unknown)}; editable: {', '.join(EDITABLE)}")
        with self._lock:
            before = self.get(span_id)
            now = _now()
            if "status" in changes:
                changes.update(reviewed_by=(reviewed_by or "").strip(), reviewed_at=now)
            if author is not None:
                changes["author"] = author.strip()
            after = self._check(replace(before, **changes, updated_at=now))
            with _refuse_duplicates(after), self._db.transaction() as conn:
                conn.execute(
                    'UPDATE annotations SET start=?, "end"=?, label=?, status=?, note=?,'
                    " author=?, updated_at=?, reviewed_by=?, reviewed_at=? WHERE id=?",
                    (
                        after.start,
                        after.end,
                        after.label,
                        after.status,
                        after.note,
                        after.author,
                        after.updated_at,
                        after.reviewed_by,
                        after.reviewed_at,
                        span_id,
                    ),
                )
                self._journal(conn, "update", span_id, before, after)
        return after

    def delete(self, span_id: str) -> Span:
        with self._lock:
            before = self.get(span_id)
            with self._db.transaction() as conn:
                conn.execute("DELETE FROM annotations WHERE id=?", (span_id,))
                self._journal(conn, "delete", span_id, before, None)
        return before

    def undo(self) -> str | None:
        """Revert the newest change not yet undone; returns what was undone, or None. A change
        that can't be reverted any more (an identical span was saved since) is skipped with a
        message, so the next Undo goes on to the change before it."""
        with self._lock:
            try:
                with self._db.transaction() as conn:
                    return self._undo_newest(conn)
            except IntegrityError:
                with self._db.transaction() as conn:
                    row = self._newest_journal(conn)
                    conn.execute(
                        "UPDATE annotation_journal SET undone=1 WHERE seq=?", (row["seq"],)
                    )
                self._version += 1
                return (f"could not undo the last {row['action']}: an identical span exists now;"
                        " skipped it")  # fmt: skip

    @staticmethod
    def _newest_journal(conn):
        return conn.execute(
            "SELECT * FROM annotation_journal WHERE undone=0 ORDER BY seq DESC LIMIT 1"
        ).fetchone()

    def _undo_newest(self, conn) -> str | None:
        row = self._newest_journal(conn)
        if row is None:
            return None
        if row["action"] == "bulk":
            return self._undo_bulk(conn, row)
        if row["action"] == "bulk_add":
            ids = json.loads(row["after"])
            conn.executemany("DELETE FROM annotations WHERE id=?", [(i,) for i in ids])
            conn.execute("UPDATE annotation_journal SET undone=1 WHERE seq=?", (row["seq"],))
            self._version += 1
            return f"undid the addition of {len(ids)} spans"
        before = None if row["before"] is None else Span.from_dict(json.loads(row["before"]))
        after = None if row["after"] is None else Span.from_dict(json.loads(row["after"]))
        conn.execute("DELETE FROM annotations WHERE id=?", (row["span_id"],))
        if before is not None:
            conn.execute(_INSERT, _row(before))
        conn.execute("UPDATE annotation_journal SET undone=1 WHERE seq=?", (row["seq"],))
        self._version += 1
        label = (before or after).label
        return f"undid {row['action']} of {label}"

    def _undo_bulk(self, conn, row) -> str:
        spans = [Span.from_dict(d) for d in json.loads(row["before"])]
        for span in spans:
            conn.execute("DELETE FROM annotations WHERE id=?", (span.id,))
            conn.execute(_INSERT, _row(span))
        conn.execute("UPDATE annotation_journal SET undone=1 WHERE seq=?", (row["seq"],))
        self._version += 1
        return f"undid review of {len(spans)} spans"

    def _find_same(self, conn, span: Span):
        return conn.execute(
            'SELECT id FROM annotations WHERE symbol=? AND timeframe=? AND start=? AND "end"=?'
            " AND label=? AND source=?",
            (span.symbol, span.timeframe, span.start, span.end, span.label, span.source),
        ).fetchone()

    # ---- many at once --------------------------------------------------------------------
    def add_many(self, spans: Iterable[Span], validate: bool = True) -> int:
        """Insert spans, skipping ones already stored (same series, range, label and source).
        All or nothing: one invalid span and nothing is written. Returns how many were new."""
        now = _now()
        ready = []
        for i, span in enumerate(spans):
            span = replace(
                span,
                id=span.id or uuid.uuid4().hex,
                created_at=span.created_at or now,
                updated_at=span.updated_at or now,
            )
            try:
                ready.append(self._check(span) if validate else span)
            except SpanError as exc:
                raise SpanError(f"span #{i + 1}: {exc}") from exc
        insert = _INSERT.replace("INSERT", "INSERT OR IGNORE", 1)
        with self._lock, self._db.transaction() as conn:
            added = [s for s in ready if conn.execute(insert, _row(s)).rowcount]
            if added:
                # One journal row for the whole add: Undo removes exactly the spans it added.
                conn.execute(
                    "INSERT INTO annotation_journal (action, span_id, before, after, at)"
                    " VALUES ('bulk_add', '', NULL, ?, ?)",
                    (json.dumps([s.id for s in added]), _now()),
                )
                self._version += 1
        return len(added)

    def set_status(
        self,
        span_ids: Sequence[str],
        status: str,
        label: str | None = None,
        reviewed_by: str | None = None,
    ) -> int:
        """Accept, reject (or relabel) many spans in one undoable step; each records who
        reviewed it (``reviewed_by``) and when."""
        if not span_ids:
            return 0
        who = (reviewed_by or "").strip()
        with self._lock:
            befores = [self.get(i) for i in span_ids]
            now = _now()
            afters = [
                validate_span(replace(s, status=status, label=label or s.label, updated_at=now,
                                      reviewed_by=who, reviewed_at=now))
                for s in befores
            ]  # fmt: skip
            with _refuse_duplicates(afters[0]), self._db.transaction() as conn:
                conn.executemany(
                    "UPDATE annotations SET status=?, label=?, updated_at=?, reviewed_by=?,"
                    " reviewed_at=? WHERE id=?",
                    [(s.status, s.label, s.updated_at, s.reviewed_by, s.reviewed_at, s.id)
                     for s in afters],
                )  # fmt: skip
                conn.execute(
                    "INSERT INTO annotation_journal (action, span_id, before, after, at)"
                    " VALUES ('bulk', '', ?, NULL, ?)",
                    (json.dumps([s.to_dict() for s in befores]), _now()),
                )
                self._version += 1
        return len(afters)

    # ---- reading -------------------------------------------------------------------------
    def get(self, span_id: str) -> Span:
        rows = self._db.query("SELECT * FROM annotations WHERE id=?", (span_id,))
        if not rows:
            raise SpanError(f"no span with id {span_id!r}")
        return _span(rows[0])

    def list(
        self,
        symbol: str | None = None,
        timeframe: str | None = None,
        label: str | None = None,
        source: str | None = None,
        status: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> list[Span]:
        """Spans matching every given filter, by start time. ``start``/``end`` keep spans that
        overlap that range."""
        where, params = [], []
        for column, value in (
            ("symbol", symbol),
            ("timeframe", timeframe),
            ("label", label),
            ("source", source),
            ("status", status),
        ):
            if value is not None:
                where.append(f"{column}=?")
                params.append(value)
        if start is not None:
            where.append('"end">=?')
            params.append(start)
        if end is not None:
            where.append("start<=?")
            params.append(end)
        sql = "SELECT * FROM annotations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_span(r) for r in self._db.query(sql + " ORDER BY start, label", tuple(params))]

    def labels(self) -> list[str]:
        return [r[0] for r in self._db.query("SELECT DISTINCT label FROM annotations ORDER BY 1")]
