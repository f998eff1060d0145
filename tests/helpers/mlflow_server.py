"""A real ``mlflow server`` for the tests: a PostgreSQL backend store (a database on the test
server), proxied artifacts in a temporary folder, 127.0.0.1 and a free port."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.helpers.postgres import PostgresServer, free_port
from tests.helpers.waiting import wait_for


class MlflowServer:
    def __init__(self, postgres: PostgresServer):
        self.postgres = postgres
        self.folder = Path(tempfile.mkdtemp(prefix="tdmlflow-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            log = (self.folder / "server.log").read_text()[-3000:]
            raise RuntimeError(f"mlflow server exited with {self.proc.returncode}:\n{log}")
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def start(self) -> MlflowServer:
        store = self.postgres.create_database("mlflow").replace(
            "postgresql://", "postgresql+psycopg://"
        )
        command = [
            str(Path(sys.executable).parent / "mlflow"), "server",
            "--backend-store-uri", store,
            "--serve-artifacts", "--artifacts-destination", (self.folder / "artifacts").as_uri(),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]  # fmt: skip
        # No job execution: it is for MLflow's own server-side jobs (GenAI judges, trace rollups),
        # which the app never submits, and it starts a job runner and seven huey consumers (about
        # 7 s of CPU to start, half a core while idle) and leaves their store in /dev/shm.
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true",
               "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # fmt: skip
        with open(self.folder / "server.log", "w") as log:
            # Its own process group: stop() ends the server and the workers it forked.
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=self.folder, start_new_session=True)  # fmt: skip
        try:
            wait_for(self._healthy, timeout=120, interval=0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(3)
        if self.proc is not None:
            # What is left of its group (uvicorn workers): a test server, its store discarded.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
