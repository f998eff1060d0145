"""Stored alerts and the times they fired (tables ``alerts`` and ``alert_fired``, migration
0006). An alert's fire/re-arm state is kept with it, so a restart neither fires again what has
fired nor forgets which side of its level the price was on."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from alerts.rules import Trigger, describe
from core.db import Database

MAX_ALERTS = 500
FIRED_LISTED = 10  # fired times listed per alert in GET /api/alerts


def now_ms() -> int:
    return int(time.time() * 1000)


class AlertStore:
    def __init__(self, db: Database):
        self._db = db
        self._lock = threading.Lock()
        self.version = 0  # changes with every add, delete or fire: lists redraw when it moves

    # ---- alerts ----------------------------------------------------------------------------
    def add(self, alert: dict[str, Any], created_by: str = "") -> dict[str, Any]:
        alert_id = uuid.uuid4().hex[:12]
        spec = {k: v for k, v in alert.items() if k not in ("kind", "symbol", "webhook")}
        created = now_ms()
        with self._lock, self._db.transaction() as conn:
            count = conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
            if count >= MAX_ALERTS:
                raise ValueError(f"{count} alerts are stored, the most kept: delete some first")
            conn.execute(
                "INSERT INTO alerts (id, kind, symbol, spec, webhook, created_by, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (alert_id, alert["kind"], alert.get("symbol"), json.dumps(spec),
                 alert.get("webhook"), created_by, created),
            )  # fmt: skip
            self.version += 1
        return self.get(alert_id)

    def delete(self, alert_id: str) -> bool:
        with self._lock, self._db.transaction() as conn:
            found = conn.execute("DELETE FROM alerts WHERE id=? RETURNING id", (alert_id,))
            gone = found.fetchone() is not None
            if gone:
                conn.execute("DELETE FROM alert_fired WHERE alert_id=?", (alert_id,))
                self.version += 1
        return gone

    @staticmethod
    def _from_row(row) -> dict[str, Any]:
        alert = {"id": row["id"], "kind": row["kind"], "symbol": row["symbol"],
                 **json.loads(row["spec"]), "webhook": row["webhook"],
                 "created_by": row["created_by"], "created_at": row["created_at"],
                 "armed": bool(row["armed"]), "last_fired": row["last_fired"],
                 "memo": json.loads(row["memo"]) if row["memo"] else {}}  # fmt: skip
        alert["description"] = describe(alert)
        return alert

    def get(self, alert_id: str) -> dict[str, Any] | None:
        rows = self._db.query("SELECT * FROM alerts WHERE id=?", (alert_id,))
        return self._from_row(rows[0]) if rows else None

    def list(self, with_fired: bool = False) -> list[dict[str, Any]]:
        rows = self._db.query("SELECT * FROM alerts ORDER BY created_at, id")
        alerts = [self._from_row(r) for r in rows]
        if with_fired:
            fired: dict[str, list[int]] = {}
            for row in self._db.query(
                "SELECT alert_id, fired_at FROM alert_fired ORDER BY id DESC LIMIT ?",
                (MAX_ALERTS * FIRED_LISTED,),
            ):
                times = fired.setdefault(row["alert_id"], [])
                if len(times) < FIRED_LISTED:
                    times.append(row["fired_at"])
            for alert in alerts:
                alert["fired"] = fired.get(alert["id"], [])
        return alerts

    def save_state(self, alert_id: str, trigger: Trigger, memo: dict) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE alerts SET armed=?, last_fired=?, memo=? WHERE id=?",
                (int(trigger.armed), trigger.last_fired, json.dumps(memo), alert_id),
            )

    # ---- fired -----------------------------------------------------------------------------
    def record_fired(self, alert_id: str, trigger: Trigger, memo: dict, message: str) -> int:
        """Store a firing with the alert's new state, in one transaction; returns its id."""
        with self._lock, self._db.transaction() as conn:
            conn.execute(
                "UPDATE alerts SET armed=?, last_fired=?, memo=? WHERE id=?",
                (int(trigger.armed), trigger.last_fired, json.dumps(memo), alert_id),
            )
            fired_id = conn.execute(
                "INSERT INTO alert_fired (alert_id, fired_at, message) VALUES (?,?,?) RETURNING id",
                (alert_id, trigger.last_fired, message),
            ).fetchone()[0]
            self.version += 1
        return int(fired_id)

    def set_delivery(self, fired_id: int, delivery: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE alert_fired SET delivery=? WHERE id=?", (delivery, fired_id))
        self.version += 1

    def fired_after(self, after_id: int, limit: int = 20) -> list[dict[str, Any]]:
        """Firings newer than ``after_id``, oldest first (what a page has not shown yet)."""
        rows = self._db.query(
            "SELECT * FROM alert_fired WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
        return [dict(r) for r in rows]

    def recent_fired(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._db.query(
            "SELECT f.*, a.kind, a.symbol FROM alert_fired f LEFT JOIN alerts a"
            " ON a.id = f.alert_id ORDER BY f.id DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    def last_fired_id(self) -> int:
        rows = self._db.query("SELECT MAX(id) AS n FROM alert_fired")
        return int(rows[0]["n"] or 0)
