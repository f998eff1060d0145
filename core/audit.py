"""Who did what, when: one row per action a person takes (a span saved, edited, deleted,
accepted or rejected, a bulk review, an undo, an uncertainty verdict, an import, a champion moved
by hand, a training, auto-label or backtest started or cancelled), kept in SQLite. The Review tab
lists it (filtered by person) and exports it as CSV; ``GET /api/audit`` serves it."""

from __future__ import annotations

import csv
import io
import time

from core.csv_cells import escape_cell
from core.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL, person TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
"""
COLUMNS = ("at", "person", "action", "detail")


class AuditLog:
    def __init__(self, db: Database):
        self._db = db
        db.ensure(SCHEMA)

    def record(self, person: str, action: str, detail: str = "", at: int | None = None) -> dict:
        row = {"at": int(at if at is not None else time.time() * 1000),
               "person": (person or "").strip(), "action": action, "detail": detail}  # fmt: skip
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO audit (at, person, action, detail) VALUES (?,?,?,?)",
                tuple(row[c] for c in COLUMNS),
            )
        return row

    def list(self, person: str | None = None, limit: int = 500) -> list[dict]:
        """Newest first; ``person`` keeps one person's actions."""
        where, params = ("WHERE person=?", [person]) if person else ("", [])
        rows = self._db.query(
            f"SELECT at, person, action, detail FROM audit {where} ORDER BY seq DESC LIMIT ?",
            (*params, int(limit)),
        )
        return [{c: row[c] for c in COLUMNS} for row in rows]

    def people(self) -> list[str]:
        """Everyone who has an action in the list, by name."""
        rows = self._db.query("SELECT DISTINCT person FROM audit WHERE person != '' ORDER BY 1")
        return [row["person"] for row in rows]

    def csv_text(self, person: str | None = None, limit: int = 1_000_000) -> str:
        """As CSV; a text cell a spreadsheet would run as a formula (a label ``=SUM(A1)`` in a
        detail) is written after a ``'``, as in every CSV the app writes."""
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in self.list(person, limit=limit):
            writer.writerow([row["at"], *(escape_cell(row[c]) for c in COLUMNS[1:])])
        return buffer.getvalue()
