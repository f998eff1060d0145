"""Reading stored predictions with their outcomes, and the filters the charts and the export
share (kind, source, model version, minimum confidence per kind, outcome)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.db import Database

OUTCOMES = ("hit", "miss", "pending")
OUTCOME_FIELDS = ("resolved_at", "realised_price", "hit", "error_pct", "naive_error_pct")
SELECT = (
    "SELECT p.seq, p.data, o.* FROM predictions p LEFT JOIN prediction_outcomes o ON o.id = p.id"
)


def outcome_of(prediction: dict) -> str:
    """``hit``, ``miss`` or ``pending``."""
    if prediction.get("resolved_at") is None:
        return "pending"
    return "hit" if prediction.get("hit") else "miss"


def outcome_fields(row) -> dict[str, Any]:
    """The outcome columns of a joined row as prediction fields (empty while pending)."""
    if row["resolved_at"] is None:
        return {}
    fields = {name: row[name] for name in OUTCOME_FIELDS}
    fields["hit"] = None if row["hit"] is None else bool(row["hit"])
    detail = row["detail"]
    if detail and detail != "{}":  # mostly empty: a loaded chart range reads thousands of rows
        fields.update(json.loads(detail))
    return fields


def from_row(row) -> dict[str, Any]:
    return {**json.loads(row["data"]), **outcome_fields(row), "seq": row["seq"]}


def stored(
    db: Database,
    symbol: str | None = None,
    kinds: tuple[str, ...] | None = None,
    start: int | None = None,
    end: int | None = None,
    after_seq: int | None = None,
    include_cleared: bool = True,
    resolved_only: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored predictions with their outcomes, in store order (``seq``). ``start``/``end``
    bound the prediction timestamp (end exclusive)."""
    where, args = [], []
    for clause, value in (("p.symbol = ?", symbol), ("p.timestamp >= ?", start),
                          ("p.timestamp < ?", end), ("p.seq > ?", after_seq)):  # fmt: skip
        if value is not None:
            where.append(clause)
            args.append(value)
    if kinds:
        where.append(f"p.kind IN ({','.join('?' * len(kinds))})")
        args.extend(kinds)
    if not include_cleared:
        where.append("p.cleared = 0")
    if resolved_only:
        where.append("o.id IS NOT NULL")
    sql = SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY p.seq"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [from_row(r) for r in db.query(sql, tuple(args))]


def newest_in_range(
    db: Database,
    symbol: str,
    kinds: tuple[str, ...],
    start: int,
    end: int | None,
    limit: int,
    bucket_ms: int | None = None,
    per_bucket: int = 1,
) -> list[dict[str, Any]]:
    """The newest ``limit`` uncleared predictions of ``kinds`` stamped in ``[start, end)``
    (``end`` None: up to now), with their outcomes, in store order. What a chart of a loaded
    range draws beyond the deques: the limit keeps a redraw bounded however dense the range.
    With ``bucket_ms`` (the chart's candle size) at most ``per_bucket`` per kind and candle are
    kept, the newest, so a dense range is thinned over all of its time instead of cut to its
    newest part."""
    if not kinds or limit <= 0:
        return []
    where = ["symbol = ?", f"kind IN ({','.join('?' * len(kinds))})", "cleared = 0",
             "timestamp >= ?"]  # fmt: skip
    args: list[Any] = [symbol, *kinds, int(start)]
    if end is not None:
        where.append("timestamp < ?")
        args.append(int(end))
    # The newest are picked over narrow rows (seq only) and only those kept joined back for
    # their payload and outcome: sorting the whole range's JSON took a second a read.
    newest = f"SELECT seq, timestamp FROM predictions WHERE {' AND '.join(where)}"
    if bucket_ms:
        rank = ("ROW_NUMBER() OVER (PARTITION BY kind, timestamp / ?"
                " ORDER BY timestamp DESC, seq DESC)")  # fmt: skip
        newest = (f"SELECT seq, timestamp FROM (SELECT seq, timestamp, {rank} AS rn FROM"
                  f" predictions WHERE {' AND '.join(where)}) ranked WHERE rn <= ?")  # fmt: skip
        args = [int(bucket_ms), *args, int(per_bucket)]
    newest = f"SELECT seq FROM ({newest}) picked ORDER BY timestamp DESC, seq DESC LIMIT ?"
    rows = db.query(
        "SELECT p.seq, p.data, o.* FROM predictions p"
        " LEFT JOIN prediction_outcomes o ON o.id = p.id"
        f" WHERE p.seq IN ({newest})",
        (*args, int(limit)),
    )
    return sorted((from_row(r) for r in rows), key=lambda p: p["seq"])


def with_held(
    stored_rows: list[dict[str, Any]], held: dict[str, list[dict]]
) -> dict[str, list[dict]]:
    """Stored predictions merged into the held ones (the book's deques), per kind, in store
    order. A prediction in both is the held one: it carries the freshest outcome."""
    out: dict[str, list[dict]] = {}
    for kind, items in held.items():
        seen = {p["id"] for p in items}
        older = [p for p in stored_rows if p["kind"] == kind and p["id"] not in seen]
        out[kind] = sorted([*older, *items], key=lambda p: p.get("seq", 0)) if older else items
    return out


GroupKey = tuple[str, Any, str]  # (kind, model version, symbol), as predictions/accuracy.py groups


def recent_resolved(
    db: Database,
    symbol: str | None,
    kinds: tuple[str, ...] | None,
    sources: tuple[str, ...],
    per_group: int,
) -> tuple[list[dict[str, Any]], dict[GroupKey, int]]:
    """The newest ``per_group`` scored predictions (by ``resolved_at``) of each (kind, model
    version, symbol) from ``sources``, in store order, and each group's count of all of them.

    The accuracy figures read this instead of every resolved prediction: SQLite picks the rows
    (a window function) and counts the rest, so a year of outcomes costs a bounded read."""
    where, args = ["o.hit IS NOT NULL"], []
    if symbol is not None:
        where.append("p.symbol = ?")
        args.append(symbol)
    if kinds:
        where.append(f"p.kind IN ({','.join('?' * len(kinds))})")
        args.extend(kinds)
    # The JSON of each prediction is parsed once (source and version together); the ranking
    # sorts narrow rows (seq only) and the few kept are joined back for their payload.
    json = db.dialect
    narrow = (
        "SELECT p.seq AS seq, p.kind AS kind, p.symbol AS symbol, o.resolved_at AS resolved_at,"
        f" {json.json_values('p.data', ('source', 'model_version'))} AS sv FROM predictions p"
        f" JOIN prediction_outcomes o ON o.id = p.id WHERE {' AND '.join(where)}"
    )
    ranked = (
        "SELECT seq, COUNT(*) OVER w AS total,"
        " ROW_NUMBER() OVER (w ORDER BY resolved_at DESC, seq DESC) AS newest"
        f" FROM ({narrow}) narrow"
        f" WHERE {json.json_item('sv', 0)} IN ({','.join('?' * len(sources))})"
        f" WINDOW w AS (PARTITION BY kind, symbol, {json.json_item('sv', 1)})"
    )
    rows = db.query(
        f"SELECT r.total AS total, p.seq, p.data, o.* FROM ({ranked}) r"
        " JOIN predictions p ON p.seq = r.seq JOIN prediction_outcomes o ON o.id = p.id"
        " WHERE r.newest <= ? ORDER BY p.seq",
        (*args, *sources, int(per_group)),
    )
    out = [from_row(r) for r in rows]
    totals = {(p["kind"], p.get("model_version"), p["symbol"]): r["total"]
              for p, r in zip(out, rows, strict=True)}  # fmt: skip
    return out, totals


def _optional(values) -> tuple[str, ...] | None:
    return None if values is None else tuple(str(v) for v in values)


@dataclass(frozen=True)
class PredictionFilter:
    """What the user chose to see. ``None`` means "all"; an empty tuple lets nothing through
    (every box unticked)."""

    kinds: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    versions: tuple[str, ...] | None = None
    outcomes: tuple[str, ...] | None = None
    min_confidence: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> PredictionFilter:
        data = data or {}
        floors = data.get("min_confidence") or {}
        return cls(
            _optional(data.get("kinds")),
            _optional(data.get("sources")),
            # No version picked means every version (a version list starts empty).
            _optional(data.get("versions") or None),
            _optional(data.get("outcomes")),
            {k: float(v) for k, v in floors.items() if v is not None},
        )

    def to_dict(self) -> dict:
        return {"kinds": self.kinds, "sources": self.sources, "versions": self.versions,
                "outcomes": self.outcomes, "min_confidence": self.min_confidence}  # fmt: skip

    def key(self) -> str:
        """Changes whenever what passes the filter may change (for chart redraws)."""
        floors = ",".join(f"{k}={v:g}" for k, v in sorted(self.min_confidence.items()))
        parts = (self.kinds, self.sources, self.versions, self.outcomes)
        text = ["*" if p is None else ",".join(sorted(p)) for p in parts]
        return "|".join(text) + "|" + floors

    def matches(self, prediction: dict) -> bool:
        version = prediction.get("model_version")
        kind = prediction["kind"]
        return (
            (self.kinds is None or kind in self.kinds)
            and (self.sources is None or prediction.get("source") in self.sources)
            and (self.versions is None or str(version) in self.versions)
            and (self.outcomes is None or outcome_of(prediction) in self.outcomes)
            and prediction["confidence"] >= self.min_confidence.get(kind, 0.0)
        )

    def apply(self, predictions: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """The same {kind: [prediction, ...]} mapping with only what passes."""
        if self == PredictionFilter():
            return predictions  # nothing filtered out (the default)
        return {kind: [p for p in items if self.matches(p)] for kind, items in predictions.items()}
