"""One champion decision at a time, across threads and processes (the dashboard's Train button
and a CLI ``train`` share the data folder): read the champion, compare, move the alias, all
under one file lock, so two runs can't both see the old champion and both take the alias."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

LOCK_FILE = "champion.lock"
_THREADS = threading.Lock()


@contextmanager
def champion_lock(data_dir: str | Path, timeout_s: float = 600) -> Iterator[None]:
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with _THREADS, FileLock(str(Path(data_dir) / LOCK_FILE), timeout=timeout_s):
        yield
