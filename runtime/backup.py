"""``python app.py db copy|backup|restore``: move the app's data between backends, and make and
restore a consistent copy of it while the app runs.

A backup is one ``.tar.gz`` holding ``database.sqlite`` (the database as one consistent state:
SQLite's online backup API from a SQLite file; a snapshot read of every table from
PostgreSQL), ``manifest.json`` (rows and checksum per table, the schema version, where it came
from), the datasets folder and, when tracking is local, the MLflow store (its SQLite file by the
same backup API, and its artifacts). Restore checks the manifest against the database it
carries, then copies it into the configured (empty) database, all or nothing, and puts the
files back.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path

from core.db import Database, StorageError, display_url, storage_url
from core.db_copy import TableCopy, copy_database, table_summary
from core.schema import VERSION_TABLE, head
from runtime.config import Config

log = logging.getLogger(__name__)

DATABASE = "database.sqlite"
MANIFEST = "manifest.json"


def copy_between(source_url: str, target_url: str) -> list[TableCopy]:
    """Every table from one database to another, empty one (``db copy``)."""
    if storage_url(source_url) == storage_url(target_url):
        raise StorageError("the source and the target are the same database")
    source, target = Database(source_url), Database(target_url)
    try:
        return copy_database(source, target)
    finally:
        source.close()
        target.close()


def _sqlite_backup(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy while others write."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _local_tracking(config: Config) -> bool:
    return not config.training.tracking_uri


def _summaries(path: Path) -> dict[str, dict]:
    db = Database(path, migrate=False)
    try:
        with db.snapshot() as conn:
            tables = [t for t in db.dialect.tables(conn) if t != VERSION_TABLE]
            out = {}
            for table in tables:
                rows, checksum = table_summary(conn, table, db.dialect.columns(conn, table))
                out[table] = {"rows": rows, "checksum": checksum}
            return out
    finally:
        db.close()


def backup(config: Config, file: Path) -> dict:
    """Write a backup of the running (or stopped) app's data to ``file``; returns the manifest."""
    file = Path(file)
    with tempfile.TemporaryDirectory(dir=file.parent if file.parent.exists() else None) as tmp:
        folder = Path(tmp) / "backup"
        folder.mkdir()
        source = Database(config.storage_url)
        try:
            if source.path is not None:
                _sqlite_backup(source.path, folder / DATABASE)
            else:
                # A migrated SQLite file, then every table read from one snapshot into it.
                copy = Database(folder / DATABASE)
                try:
                    copy_database(source, copy)
                finally:
                    copy.close()
            where = source.where
        finally:
            source.close()
        manifest = {
            "made_at": int(time.time() * 1000),
            "source": where,
            "schema": head(),
            "tables": _summaries(folder / DATABASE),
            "datasets": config.datasets_path.is_dir(),
            "mlflow": _local_tracking(config) and (config.data_path / "mlflow.db").exists(),
        }
        if manifest["datasets"]:
            shutil.copytree(config.datasets_path, folder / "datasets")
        if manifest["mlflow"]:
            (folder / "mlflow").mkdir()
            _sqlite_backup(config.data_path / "mlflow.db", folder / "mlflow" / "mlflow.db")
            artifacts = config.data_path / "mlartifacts"
            if artifacts.is_dir():
                shutil.copytree(artifacts, folder / "mlflow" / "mlartifacts")
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1))
        partial = file.with_name(file.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder, arcname="backup")
        partial.replace(file)  # a backup file is whole or absent
    log.info("backup of %s written to %s", where, file)
    return manifest


def restore(config: Config, file: Path) -> dict:
    """Put a backup back into the configured database (which must be empty) and data folder."""
    file = Path(file)
    if not file.is_file():
        raise StorageError(f"backup file {file} does not exist")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with tarfile.open(file, "r:gz") as archive:
                archive.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise StorageError(f"{file} is not a backup made by `db backup`: {exc}") from None
        folder = Path(tmp) / "backup"
        if not (folder / MANIFEST).is_file() or not (folder / DATABASE).is_file():
            raise StorageError(f"{file} is not a backup made by `db backup` (no {MANIFEST})")
        manifest = json.loads((folder / MANIFEST).read_text())
        found = _summaries(folder / DATABASE)
        if found != manifest["tables"]:
            bad = sorted(t for t in set(found) | set(manifest["tables"])
                         if found.get(t) != manifest["tables"].get(t))  # fmt: skip
            raise StorageError(f"{file}: the database in it does not match its manifest ({bad})")
        datasets = config.datasets_path
        if manifest["datasets"] and datasets.is_dir() and any(datasets.iterdir()):
            raise StorageError(f"{datasets} is not empty: restore into a fresh data folder")
        mlflow_db = config.data_path / "mlflow.db"
        if manifest["mlflow"] and mlflow_db.exists():
            raise StorageError(f"{mlflow_db} exists: restore into a fresh data folder")
        # Opening it upgrades a backup made by an older version to this one's schema.
        source, target = Database(folder / DATABASE), Database(config.storage_url)
        try:
            target.claim("db restore")  # not while the app runs on this SQLite file
            copied = copy_database(source, target)
        finally:
            source.close()
            target.close()
        if manifest["datasets"]:
            shutil.copytree(folder / "datasets", datasets, dirs_exist_ok=True)
        if manifest["mlflow"]:
            config.data_path.mkdir(parents=True, exist_ok=True)
            _sqlite_backup(folder / "mlflow" / "mlflow.db", mlflow_db)
            if (folder / "mlflow" / "mlartifacts").is_dir():
                shutil.copytree(folder / "mlflow" / "mlartifacts",
                                config.data_path / "mlartifacts", dirs_exist_ok=True)  # fmt: skip
    log.info("restored %s into %s", file, display_url(config.storage_url))
    return {"manifest": manifest, "copied": copied}
