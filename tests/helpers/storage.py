"""Databases with a row in every table, and what each table holds, for the copy and backup tests.

``fill_every_table`` knows each table of the schema; ``empty_tables`` lets a test fail when a
table is added without a row here, so no table escapes the copy tests (freqtrade's convert-db
skipped one for two years).
"""

from __future__ import annotations

from core.db import Database
from core.db_copy import table_summary
from core.schema import VERSION_TABLE

T = 1_700_000_000_000
ROWS = {
    "candles": [
        ("BTC/USDT", "1s", T, 1.5, 2.25, 1.0, 2.0, 0.125),
        ("BTC/USDT", "1m", T, 1.5, 2.5, 0.75, 2.0, 10.0),
        ("ETH/USDT", "1s", T + 1000, 3000.1, 3000.2, 2999.9, 3000.0, 1e-8),
    ],
    "predictions": [
        (1, "p1", "cnn", "BTC/USDT", T, 0, '{"id": "p1", "confidence": 0.7}'),
        (7, "p2", "dqn", "BTC/USDT", T + 60_000, 1, '{"id": "p2", "note": "ünïcode %"}'),
    ],
    "prediction_outcomes": [("p1", T + 300_000, 2.1, 1, 0.5, 0.75, "{}")],
    "annotations": [
        (
            "a1",
            "BTC/USDT",
            "1m",
            T,
            T + 60_000,
            "bull_flag",
            "human",
            "accepted",
            "a 'note'",
            "ann",
            T,
            T,
            None,
            "rev",
            T + 5,
        ),
    ],  # fmt: skip
    "annotation_journal": [(3, "create", "a1", None, '{"id": "a1"}', T, 0)],
    "pattern_labels": [("BTC/USDT", "1m", T, "none", 0.9, "3")],
    "candle_rollups": [("BTC/USDT", "1m", "5m", T, 1.5, 2.5, 0.75, 2.0, 10.0)],
    "forming_candles": [("BTC/USDT", "1s", T + 2000, 2.0, 2.5, 1.75, 2.25, 0.5)],
    "revoked_sessions": [("sess", T + 86_400_000)],
    "audit": [(5, T, "olga", "train", "pattern model rf")],
    "backtest_runs": [
        (
            "r1",
            T,
            None,
            "BTC/USDT",
            "1m",
            "sma_cross",
            "done",
            1.0,
            None,
            "{}",
            None,
            None,
            '{"Return [%]": 1.5}',
            "[]",
            "[]",
            None,
            None,
            "olga",
            '{"symbols": ["BTC/USDT", "ETH/USDT"], "weights": [0.5, 0.5]}',
        ),
    ],  # fmt: skip
    "research_runs": [
        (
            "s1",
            "search",
            T,
            T + 9,
            "BTC/USDT",
            "1m",
            "sma_cross",
            "done",
            1.0,
            None,
            '{"method": "grid"}',
            '{"best": {"fast": 5}}',
            None,
            "olga",
            '{"fast": 5, "value": 1.25}',
        ),
    ],  # fmt: skip
    "research_trials": [("s1", 0, 0, '{"fast": 5}', 1.25, 3, '{"SQN": 1.25}', None, T + 5)],
    "research_folds": [("s1", 0, '{"fold": 0, "oos": {"Return [%]": 0.5}}', T + 9)],
    "shared_jobs": [
        (
            "j1",
            "train:xgboost",
            "train xgboost on latest dataset",
            "train",
            '{"model_type": "xgboost", "dataset_version": null}',
            "vic",
            "done",
            1.0,
            "done",
            "",
            '{"rows": 7}',
            "{}",
            1,
            0,
            T,
            T + 9,
        ),
    ],  # fmt: skip
    "drawings": [
        ("d1", "BTC/USDT", "hline", T, T, 2.25, 2.25, "ann", T),
        ("d2", "BTC/USDT", "rect", T, T + 60_000, 1.5, 2.5, "ann", T + 1),
    ],
    "alerts": [
        ("al1", "price_cross", "BTC/USDT", '{"level": 2.0}', None, "ann", T, 0, T + 5, "{}"),
        (
            "al2",
            "job",
            None,
            '{"when": "ended", "note": "é"}',
            "http://h/x",
            "ann",
            T,
            1,
            None,
            None,
        ),
    ],
    "alert_fired": [(4, "al1", T + 5, "BTC/USDT crossed up through 2", "sent (200) after 1 try")],
}
# A table a store made with ``ensure`` (no migration): copies and backups must carry it too.
STORE_OWN = "CREATE TABLE IF NOT EXISTS scratch_notes (id INTEGER PRIMARY KEY, body TEXT)"


def fill_every_table(db: Database) -> None:
    db.ensure(STORE_OWN)
    with db.transaction() as conn:
        for table, rows in ROWS.items():
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
        conn.execute("INSERT INTO scratch_notes VALUES (?, ?)", (1, "kept"))


def empty_tables(db: Database) -> list[str]:
    return [
        t
        for t in db.tables()
        if t != VERSION_TABLE and not db.query(f'SELECT COUNT(*) FROM "{t}"')[0][0]
    ]


def contents(db: Database) -> dict[str, tuple[int, str]]:
    """Rows and checksum of every table but the version table."""
    with db.snapshot() as conn:
        return {
            t: table_summary(conn, t, db.dialect.columns(conn, t))
            for t in db.dialect.tables(conn)
            if t != VERSION_TABLE
        }
