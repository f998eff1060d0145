"""``python app.py db copy|backup|restore``: every table, both ways between SQLite and
PostgreSQL, all or nothing, counts and checksums checked; backups taken while writes go on."""

import json
import tarfile
import threading

import yaml

from app import main
from core.db import Database
from runtime.config import load_config
from tests.helpers.storage import ROWS, contents, empty_tables, fill_every_table
from tests.helpers.waiting import wait_for


def config_file(folder, url=""):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": "data", "storage": {"url": url}}))
    return path


def test_db_copy_moves_every_table_to_postgresql_and_back(
    tmp_path, postgres_server, capsys, caplog
):
    first = config_file(tmp_path / "a")
    db = Database(load_config(first).storage_url)
    fill_every_table(db)
    assert empty_tables(db) == [], "a table without a row here would escape this test"
    before = contents(db)
    db.close()
    assert set(ROWS) | {"scratch_notes"} == set(before)

    pg = postgres_server.create_schema()
    assert main(["--config", str(first), "db", "copy", "--to", pg]) == 0
    printed = capsys.readouterr().out
    assert all(f"{table} " in printed for table in before) and "checksums match" in printed
    copied = Database(pg)
    try:
        assert contents(copied) == before
        with copied.transaction() as conn:  # new ids continue after the copied ones
            insert = "INSERT INTO audit (at, person, action, detail) VALUES (1, 'x', 'y', 'z')"
            seq = conn.execute(insert + " RETURNING seq").fetchone()[0]
        assert seq > max(r[0] for r in ROWS["audit"])
    finally:
        copied.close()

    # Into a database that holds data: refused, nothing written.
    assert main(["--config", str(first), "db", "copy", "--to", pg]) == 2
    assert "already holds data (" in caplog.text

    back = config_file(tmp_path / "b")
    before["audit"] = None  # one row more now, compared below
    assert main(["--config", str(back), "db", "copy", "--from", pg]) == 0
    returned = Database(load_config(back).storage_url)
    try:
        got = contents(returned)
        assert got["audit"][0] == len(ROWS["audit"]) + 1
        assert {t: v for t, v in got.items() if t != "audit"} == {
            t: v for t, v in before.items() if t != "audit"
        }
    finally:
        returned.close()


def test_a_backup_taken_while_writing_restores_whole_into_the_other_backend(
    tmp_path, postgres_server, caplog
):
    source = load_config(config_file(tmp_path / "live"))
    db = Database(source.storage_url)
    fill_every_table(db)
    (source.datasets_path / "v1").mkdir(parents=True)
    (source.datasets_path / "v1" / "data.parquet").write_bytes(b"PAR1 dataset bytes")
    mlflow = Database(source.data_path / "mlflow.db", migrate=False)
    mlflow.ensure("CREATE TABLE runs (run_uuid TEXT PRIMARY KEY)")
    with mlflow.transaction() as conn:
        conn.execute("INSERT INTO runs VALUES ('abc')")
    mlflow.close()
    (source.data_path / "mlartifacts" / "1").mkdir(parents=True)
    (source.data_path / "mlartifacts" / "1" / "model.json").write_text("{}")

    stop = threading.Event()

    def keep_writing():  # the app keeps storing candles while the backup runs
        t = 1_800_000_000_000
        while not stop.is_set():
            with db.transaction() as conn:
                conn.execute("INSERT INTO candles VALUES ('W/USDT','1s',?,1,1,1,1,1)", (t,))
            t += 1000

    writer = threading.Thread(target=keep_writing)
    writer.start()
    # The writer's first rows are in before the backup starts (a loaded machine may not have
    # run it yet): they must be in the snapshot.
    first = len(ROWS["candles"])
    wait_for(lambda: db.query("SELECT COUNT(*) AS n FROM candles")[0]["n"] > first)
    try:
        file = tmp_path / "backup.tar.gz"
        manifest = main(["--config", str(tmp_path / "live" / "config.yaml"), "db", "backup",
                         str(file)])  # fmt: skip
        assert manifest == 0 and file.is_file()
    finally:
        stop.set()
        writer.join()
    db.close()

    # Restore into PostgreSQL and a fresh data folder: the manifest's counts and checksums hold.
    pg = postgres_server.create_schema()
    restored_cfg = config_file(tmp_path / "restored", pg)
    assert main(["--config", str(restored_cfg), "db", "restore", str(file)]) == 0
    restored = load_config(restored_cfg)
    target = Database(pg)
    try:
        got = contents(target)
    finally:
        target.close()
    with tarfile.open(file) as archive:
        saved = json.load(archive.extractfile("backup/manifest.json"))
    assert {t: (v["rows"], v["checksum"]) for t, v in saved["tables"].items()} == got
    assert got["candles"][0] > len(ROWS["candles"])  # writes made before the snapshot are in
    assert (restored.datasets_path / "v1" / "data.parquet").read_bytes() == b"PAR1 dataset bytes"
    assert (restored.data_path / "mlartifacts" / "1" / "model.json").read_text() == "{}"
    copied_runs = Database(restored.data_path / "mlflow.db", migrate=False)
    assert [r[0] for r in copied_runs.query("SELECT run_uuid FROM runs")] == ["abc"]
    copied_runs.close()

    # A backup of PostgreSQL (a snapshot read) restores into SQLite just as whole.
    again = tmp_path / "from-pg.tar.gz"
    assert main(["--config", str(restored_cfg), "db", "backup", str(again)]) == 0
    (tmp_path / "restored" / "data" / "mlflow.db").unlink()
    last_cfg = config_file(tmp_path / "last")
    assert main(["--config", str(last_cfg), "db", "restore", str(again)]) == 0
    final = Database(load_config(last_cfg).storage_url)
    try:
        assert contents(final) == got
    finally:
        final.close()
    # Restoring over data is refused, and says why.
    assert main(["--config", str(last_cfg), "db", "restore", str(again)]) == 2
    assert "is not empty: restore into a fresh data folder" in caplog.text
