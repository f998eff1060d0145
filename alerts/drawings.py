"""Lines, rectangles and horizontal lines drawn on a symbol's charts, stored in data terms
(UTC epoch ms and prices, never pixels) so they show on every timeframe at the same times and
prices and survive a reload and a restart. Table ``drawings`` (migration 0006)."""

from __future__ import annotations

import math
import threading
import time
import uuid
from dataclasses import asdict, dataclass

from core.candles import MAX_TIME_MS
from core.db import Database

KINDS = ("hline", "line", "rect")
MAX_PER_SYMBOL = 200  # a chart stays readable, and a runaway client can't fill the table


class DrawingError(ValueError):
    """A drawing that can't be stored; the message names the field."""


@dataclass(frozen=True)
class Drawing:
    id: str
    symbol: str
    kind: str
    x0: int | None  # hline: the time it was drawn at (it spans the whole chart)
    x1: int | None
    y0: float
    y1: float
    created_by: str = ""
    created_at: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def make_drawing(symbol: str, kind: str, x0, x1, y0, y1, created_by: str = "") -> Drawing:
    """A checked drawing with a new id; a horizontal line is flat at ``y0``."""
    if kind not in KINDS:
        raise DrawingError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    prices = []
    for name, value in (("y0", y0), ("y1", y0 if kind == "hline" else y1)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DrawingError(f"{name} must be a price, got {value!r}")
        if not math.isfinite(value):
            raise DrawingError(f"{name} must be a finite price, got {value!r}")
        prices.append(float(value))
    times = []
    for name, value in (("x0", x0), ("x1", x0 if kind == "hline" else x1)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (0 <= value <= MAX_TIME_MS)
        ):
            raise DrawingError(f"{name} must be a time in epoch ms, got {value!r}")
        times.append(int(value))
    if kind == "rect":  # stored with x0 <= x1 and y0 <= y1, however it was dragged
        times.sort()
        prices.sort()
    return Drawing(uuid.uuid4().hex[:12], symbol, kind, times[0], times[1], prices[0],
                   prices[1], created_by, int(time.time() * 1000))  # fmt: skip


class DrawingStore:
    def __init__(self, db: Database):
        self._db = db
        self._lock = threading.Lock()
        # Changes with every add or delete: the charts redraw their shapes when it moves.
        self.version = 0

    def add(self, drawing: Drawing) -> Drawing:
        with self._lock, self._db.transaction() as conn:
            count = conn.execute(
                "SELECT COUNT(*) FROM drawings WHERE symbol=?", (drawing.symbol,)
            ).fetchone()[0]
            if count >= MAX_PER_SYMBOL:
                raise DrawingError(
                    f"{drawing.symbol} has {count} drawings, the most kept: delete some first"
                )
            conn.execute(
                "INSERT INTO drawings (id, symbol, kind, x0, x1, y0, y1, created_by, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (drawing.id, drawing.symbol, drawing.kind, drawing.x0, drawing.x1, drawing.y0,
                 drawing.y1, drawing.created_by, drawing.created_at),
            )  # fmt: skip
            self.version += 1
        return drawing

    def delete(self, drawing_id: str) -> bool:
        with self._lock, self._db.transaction() as conn:
            gone = conn.execute("DELETE FROM drawings WHERE id=? RETURNING id", (drawing_id,))
            found = gone.fetchone() is not None
            self.version += found
        return found

    def list(self, symbol: str | None = None) -> list[Drawing]:
        if symbol is None:
            rows = self._db.query("SELECT * FROM drawings ORDER BY created_at, id")
        else:
            rows = self._db.query(
                "SELECT * FROM drawings WHERE symbol=? ORDER BY created_at, id", (symbol,)
            )
        return [Drawing(**dict(r)) for r in rows]

    def get(self, drawing_id: str) -> Drawing | None:
        rows = self._db.query("SELECT * FROM drawings WHERE id=?", (drawing_id,))
        return Drawing(**dict(rows[0])) if rows else None
