"""A private PostgreSQL server for the tests: Debian's binaries (``make install-dev`` installs
them), ``initdb`` and ``pg_ctl`` in a temporary folder, on 127.0.0.1 and a free port.

initdb refuses to run as root, so as root the server runs as the ``postgres`` user that Debian's
package creates (or a ``tradedash-pg`` user made here when that is missing). Durability settings
are off: the tests kill app processes, never the server, and a test server need not survive a
power cut.

It asks for a password (scram-sha-256, a random one per server) on TCP and on its socket: any
local user could otherwise connect to 127.0.0.1 while the tests run. ``url()`` carries it.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


def pg_bin() -> Path:
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(
            f"PostgreSQL is not installed (no {PG_ROOT}/*/bin/initdb): run `make install-dev`, "
            "which installs Debian's postgresql package"
        )
    return versions[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> str | None:
    """Who runs the server: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "tradedash-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         "tradedash-pg"],
        check=True, capture_output=True,
    )  # fmt: skip
    return "tradedash-pg"


class PostgresServer:
    """Start with ``start()``, stop with ``stop()``; ``url(db)`` for a database on it."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="tdpg-"))
        self.port = free_port()
        self.user = _server_user()
        self.bin = pg_bin()
        self.password = secrets.token_urlsafe(18)
        self.running = False

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> PostgresServer:
        if self.user:
            uid = pwd.getpwnam(self.user)
            os.chown(self.folder, uid.pw_uid, uid.pw_gid)
        data = self.folder / "data"
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self.user:
            os.chown(pwfile, uid.pw_uid, uid.pw_gid)
        done = self._run(
            "initdb", "-D", str(data), "-A", "scram-sha-256", "-U", "postgres",
            f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        pwfile.unlink()
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        options = (
            f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        done = self._run("pg_ctl", "-D", str(data), "-o", options, "-l",
                         str(self.folder / "log"), "-w", "-t", "60", "start")  # fmt: skip
        if done.returncode:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr or done.stdout}\n{log}")
        self.running = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database (about 0.5 s); returns its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_schema(self, prefix: str = "s") -> str:
        """A new empty schema in the ``postgres`` database (milliseconds), and a URL whose
        connections find their tables there: a fresh database as far as the app can tell."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url()}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)
