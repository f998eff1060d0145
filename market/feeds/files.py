"""Read OHLCV candle files (CSV or Parquet), checking every row.

>>> frame = read_ohlcv_file("tests/data/btc_1m.csv")    # doctest: +SKIP
>>> frame.index.name, list(frame.columns)               # doctest: +SKIP
('time', ['open', 'high', 'low', 'close', 'volume'])

Columns are found by name, in any case and order (``timestamp``, ``date`` or ``datetime`` may name
the time column); other columns are ignored. Times may be epoch seconds, milliseconds,
microseconds or nanoseconds (told apart by size) or ISO-8601 text (no offset means UTC).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from core.candles import MAX_TIME_MS, OHLCV, ohlc_broken, ohlc_problem

TIME_NAMES = ("time", "timestamp", "date", "datetime", "open_time")
_NAN_WORDS = {"nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}
_MS_PER_UNIT = ((1e11, 1000.0), (1e14, 1.0), (1e17, 1e-3))  # below the bound: value * factor = ms


class OhlcvFileError(ValueError):
    """A file that cannot be read as candles; names the file, the line (CSV, header = line 1) or
    row (Parquet, first data row = 1) and the rule broken."""

    def __init__(self, path: Path, rule: str, line: int | None = None, row: int | None = None):
        self.path, self.rule, self.line, self.row = path, rule, line, row
        where = f"line {line}: " if line is not None else f"row {row}: " if row is not None else ""
        super().__init__(f"{path}: {where}{rule}")


def read_ohlcv_file(path: str | Path) -> pd.DataFrame:
    """Candles from a CSV or Parquet file, indexed by ``time`` (epoch ms, int64, strictly
    increasing) with float columns open, high, low, close, volume. Any bad row raises
    :class:`OhlcvFileError` and nothing is returned."""
    path = Path(path)
    if not path.is_file():
        raise OhlcvFileError(path, "file not found")
    if path.name.lower().endswith((".parquet", ".pq")):
        raw = _read_parquet(path)

        def where(i: int) -> dict:
            return {"row": i + 1}

    else:
        raw = _read_csv(path)

        def where(i: int) -> dict:
            return {"line": int(raw.index[i]) + 2}

    if raw.empty:
        raise OhlcvFileError(path, "the file has no candles")
    columns = _find_columns(raw, path)
    return _check(path, raw, columns, where)


def _read_csv(path: Path) -> pd.DataFrame:
    """The rows, indexed so that line = index + 2. A clean file is parsed as numbers in one
    pass; anything else is read again as text, so each bad value can be named exactly."""
    fast = _parse_csv(path, skip_blank_lines=False)
    by_name = {str(c).strip().lower(): c for c in fast.columns}
    names = [by_name.get(n) for n in OHLCV]
    time_name = next((by_name[n] for n in TIME_NAMES if n in by_name), None)
    if time_name is not None and None not in names and not fast.empty:
        numeric = all(
            pd.api.types.is_float_dtype(fast[n]) or pd.api.types.is_integer_dtype(fast[n])
            for n in names
        )
        if numeric and not fast[[time_name, *names]].isna().to_numpy().any():
            return fast
    frame = _parse_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    blank = (frame.fillna("").apply(lambda col: col.str.strip()) == "").all(axis=1)
    return frame[~blank]  # keeps the original index, so line = index + 2


def _parse_csv(path: Path, **options) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **options)
    except pd.errors.EmptyDataError as exc:
        raise OhlcvFileError(path, "the file is empty", line=1) from exc
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise OhlcvFileError(path, f"not valid CSV: {str(exc).strip()}", line=line) from exc
    except UnicodeDecodeError as exc:
        raise OhlcvFileError(path, "not UTF-8 text") from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise OhlcvFileError(path, f"not a readable Parquet file: {exc}") from exc
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    return frame.reset_index(drop=True)


def _find_columns(raw: pd.DataFrame, path: Path) -> dict[str, str]:
    by_name = {str(c).strip().lower(): c for c in raw.columns}
    found = {}
    for name in ("time", *OHLCV):
        options = TIME_NAMES if name == "time" else (name,)
        column = next((by_name[o] for o in options if o in by_name), None)
        if column is None:
            listed = ", ".join(str(c) for c in raw.columns)
            raise OhlcvFileError(path, f"missing column {name!r} (found: {listed})", line=1)
        found[name] = column
    return found


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, missing, not_a_number) for a column of text or numbers."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return values, np.zeros(len(series), bool), np.zeros(len(series), bool)
    text = series.astype(str).str.strip()
    missing = (text == "").to_numpy() | series.isna().to_numpy()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    nan_word = text.str.lower().isin(_NAN_WORDS).to_numpy()
    bad = ~missing & np.isnan(values) & ~nan_word
    return values, missing, bad


def _times(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(epoch ms as float, missing, unreadable, what the column should hold)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(series):
        stamps = pd.to_datetime(series, utc=True)
        missing = stamps.isna().to_numpy()
        ms = np.where(missing, np.nan, stamps.dt.as_unit("ms").astype("int64").astype(float))
        return ms, missing, np.zeros(len(series), bool), "a date"
    values, missing, bad = _numbers(series)
    usable = ~missing & ~np.isnan(values)
    first = np.flatnonzero(~missing)
    if first.size and usable[first[0]]:
        magnitude = abs(values[first[0]])
        factor = next((f for bound, f in _MS_PER_UNIT if magnitude < bound), 1e-6)
        return np.round(values * factor), missing, ~missing & ~usable, "epoch seconds or ms"
    text = series.astype(str).str.strip()
    stamps = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = ~missing & stamps.isna().to_numpy()
    ms = np.full(len(series), np.nan)
    ok = ~stamps.isna().to_numpy()
    ms[ok] = stamps[ok].dt.as_unit("ms").astype("int64").to_numpy(dtype=float)
    return ms, missing, bad, "an ISO-8601 date"


def _text(raw: pd.DataFrame, column: str, i: int) -> str:
    return str(raw[column].iloc[i]).strip()


def _check(
    path: Path, raw: pd.DataFrame, columns: dict[str, str], where: Callable[[int], dict]
) -> pd.DataFrame:
    n = len(raw)
    rules: list[tuple[np.ndarray, Callable[[int], str]]] = []
    time_ms, t_missing, t_bad, t_kind = _times(raw[columns["time"]])
    rules.append((t_missing, lambda i: "time is missing"))
    rules.append((t_bad, lambda i: f"time {_text(raw, columns['time'], i)!r} is not {t_kind}"))
    values: dict[str, np.ndarray] = {}
    for name in OHLCV:
        column = raw[columns[name]]
        number, missing, bad = _numbers(column)
        values[name] = number
        rules.append((missing, lambda i, name=name: f"{name} is missing"))
        rules.append(
            (bad, lambda i, name=name: f"{name} {_text(raw, columns[name], i)!r} is not a number")
        )
        nonfinite = ~missing & ~bad & ~np.isfinite(number)
        rules.append((nonfinite, lambda i, name=name: f"{name} is {_text(raw, columns[name], i)}"))
    o, h, lo, c, v = (values[name] for name in OHLCV)
    with np.errstate(invalid="ignore"):
        rules.append(
            (ohlc_broken(o, h, lo, c, v), lambda i: ohlc_problem(o[i], h[i], lo[i], c[i], v[i]))
        )
        rules.append((time_ms < 0, lambda i: "time is before 1970"))
        rules.append(
            (
                ~np.isfinite(time_ms) & ~t_missing & ~t_bad | (time_ms > MAX_TIME_MS),
                lambda i: f"time {_text(raw, columns['time'], i)} is out of range (2^53 ms)",
            )
        )
        step = np.diff(time_ms, prepend=-np.inf)
        rules.append(
            (step == 0, lambda i: f"time {int(time_ms[i])} repeats the previous row's time")
        )
        rules.append(
            (
                step < 0,
                lambda i: (
                    f"time {int(time_ms[i])} is before the previous row's "
                    f"{int(time_ms[i - 1])}: times must be strictly increasing"
                ),
            )
        )
    first_bad = min((int(np.argmax(mask)) for mask, _ in rules if mask.any()), default=n)
    if first_bad < n:
        message = next(describe(first_bad) for mask, describe in rules if mask[first_bad])
        raise OhlcvFileError(path, message, **where(first_bad))
    frame = pd.DataFrame({name: values[name] for name in OHLCV})
    frame.index = pd.Index(time_ms.astype(np.int64), name="time")
    return frame
