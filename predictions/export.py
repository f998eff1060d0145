"""Export of stored predictions with their outcomes, as CSV or Parquet, in the documented
column order. Times are UTC epoch ms; ``hit`` (and every outcome column) is empty while a
prediction is pending.

In the CSV, a text cell (model, run id, symbol ...) that begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is written after a ``'``, so a spreadsheet shows it instead of running
it as a formula; ``read_export`` removes the ``'`` again (``core.csv_cells``). Parquet is exact.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from core.csv_cells import escape_cell, unescape_cell
from core.db import Database
from predictions.queries import PredictionFilter, stored

COLUMNS = (
    "id", "kind", "symbol", "timeframe", "timestamp", "source", "model", "model_version",
    "run_id", "confidence", "direction", "action", "current_price", "target_price",
    "horizon_minutes", "resolved_at", "realised_price", "hit", "error_pct", "naive_error_pct",
)  # fmt: skip
DTYPES = {
    "timestamp": "int64", "confidence": "float64", "current_price": "float64",
    "target_price": "float64", "horizon_minutes": "float64", "resolved_at": "Int64",
    "realised_price": "float64", "hit": "boolean", "error_pct": "float64",
    "naive_error_pct": "float64",
}  # fmt: skip
FORMATS = (".csv", ".parquet")
TEXT_COLUMNS = tuple(name for name in COLUMNS if name not in DTYPES)


def export_row(p: dict) -> dict:
    """One prediction as an export row (the DQN's fill price is its current price; the
    transformer's predicted price is its target)."""
    target = p.get("target_price", p.get("predicted_price"))
    return {
        **{name: p.get(name) for name in COLUMNS},
        "current_price": p.get("current_price", p.get("price")),
        "target_price": target,
    }


def export_frame(predictions: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([export_row(p) for p in predictions], columns=list(COLUMNS))
    for name in ("id", "kind", "symbol", "timeframe", "source", "model", "model_version",
                 "run_id", "direction", "action"):  # fmt: skip
        frame[name] = frame[name].astype("string")
    return frame.astype(DTYPES)


def select(
    db: Database,
    symbol: str | None = None,
    kinds: tuple[str, ...] | None = None,
    start: int | None = None,
    end: int | None = None,
    flt: PredictionFilter | None = None,
) -> list[dict]:
    """Every stored prediction (cleared ones too: they were said) passing the filters."""
    rows = stored(db, symbol, kinds, start, end)
    return [p for p in rows if flt is None or flt.matches(p)]


def check_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: the export is written as .csv or .parquet, got {suffix!r}")
    return suffix


def csv_text(frame: pd.DataFrame) -> str:
    """The export as CSV text (one record a line, ``\\n`` after each), its text cells safe to
    open in a spreadsheet. A cell holding a line break or a lone carriage return is quoted, so
    it reads back as it was (pandas' own writer leaves a lone ``\\r`` bare, which ends the
    record for every reader)."""
    safe = frame.copy()
    for name in TEXT_COLUMNS:
        if name in safe:
            safe[name] = safe[name].map(escape_cell, na_action="ignore").astype("string")
    buffer = io.StringIO()
    # "\r\n" makes the writer quote any cell holding \r or \n; each record then ends in "\n".
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = []
    for row in (safe.columns, *safe.astype(object).itertuples(index=False)):
        writer.writerow(["" if value is None or value is pd.NA or value != value else value
                         for value in row])  # fmt: skip
        lines.append(buffer.getvalue()[:-2] + "\n")
        buffer.seek(0)
        buffer.truncate()
    return "".join(lines)


def write_export(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    suffix = check_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(frame))
    else:
        frame.to_parquet(path, index=False)
    return path


def read_export(path: str | Path) -> pd.DataFrame:
    """An export read back with its column types (the round trip gives the same frame)."""
    path = Path(path)
    if check_format(path) == ".parquet":
        return pd.read_parquet(path)
    text = {name: "string" for name in TEXT_COLUMNS}
    frame = pd.read_csv(path, dtype={**text, **DTYPES}, keep_default_na=False,
                        na_values=[""])  # fmt: skip
    for name in TEXT_COLUMNS:
        if name in frame:
            frame[name] = frame[name].map(unescape_cell, na_action="ignore").astype("string")
    return frame
