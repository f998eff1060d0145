"""Downloaded model versions on local disk: one folder per MLflow run, written whole or not at
all, and at most ``max_entries`` of them (the least recently used go first).

Keys are run ids, never names a client sent, and every path is checked to stay inside the cache,
so a request can't make the server read a folder elsewhere.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

KEY = re.compile(r"^[\w.-]{1,128}$")
MARKER = "MLmodel"
_LOCK = threading.Lock()


class ModelCache:
    def __init__(self, root: str | Path, max_entries: int = 8):
        self.root = Path(root)
        self.max_entries = max_entries

    def folder(self, key: str) -> Path:
        if not KEY.fullmatch(key) or key.startswith("."):
            raise ValueError(f"not a model cache key: {key!r}")
        folder = (self.root / key).resolve()
        if folder.parent != self.root.resolve():
            raise ValueError(f"model cache key {key!r} leaves the cache")
        return folder

    def get(self, key: str, fetch: Callable[[Path], Path]) -> Path:
        """The cached folder for ``key``; on a miss ``fetch(tmp)`` downloads into the temporary
        folder ``tmp`` and returns the model folder inside it, which is renamed into place."""
        target = self.folder(key)
        if (target / MARKER).is_file():
            os.utime(target)  # LRU: a use makes it the newest
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{key}.tmp-{os.getpid()}-"))
        try:
            local = Path(fetch(tmp))
            with _LOCK:
                if not (target / MARKER).is_file():
                    if target.exists():  # a half-written folder of an older version of this code
                        shutil.rmtree(target)
                    os.replace(local, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.evict(keep=key)
        return target

    def entries(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]

    def evict(self, keep: str | None = None) -> int:
        """Remove the least recently used folders beyond ``max_entries``."""
        entries = sorted(self.entries(), key=lambda p: p.stat().st_mtime, reverse=True)
        removed = 0
        for path in entries[self.max_entries :]:
            if path.name == keep:
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
            log.info("model cache: evicted %s", path.name)
        return removed
