"""A real local Ray head for the tests: ``ray start --head --block`` on free ports in its own
session and temporary folder, so stopping it ends exactly the processes it started, its workers
included (never ``ray stop``, which would end every Ray cluster of this user on the machine)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers.postgres import free_port
from tests.helpers.waiting import wait_for


class RayHead:
    def __init__(self, num_cpus: int = 2):
        self.num_cpus = num_cpus
        self.port = free_port()
        # Ray's socket paths must stay short: a folder directly under /tmp.
        self.folder = Path(tempfile.mkdtemp(prefix="tdray-", dir="/tmp"))
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            log = (self.folder / "head.log").read_text()[-3000:]
            raise RuntimeError(f"ray start exited with {self.proc.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def start(self) -> RayHead:
        ports = [str(free_port()) for _ in range(2)]
        command = [
            str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
            "--port", str(self.port), "--num-cpus", str(self.num_cpus), "--num-gpus", "0",
            "--node-ip-address", "127.0.0.1", "--include-dashboard", "false",
            "--disable-usage-stats", "--temp-dir", str(self.folder),
            "--node-manager-port", ports[0], "--object-manager-port", ports[1],
        ]  # fmt: skip
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        with open(self.folder / "head.log", "w") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)  # fmt: skip
        try:
            wait_for(self._listening, timeout=120, interval=0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def _session(self) -> list[int]:
        """The live processes of the head's session (``start_new_session``: its id is the pid of
        ``ray start``): its process group, and the workers, which the raylet puts in process
        groups of their own."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue  # ended meanwhile
            state, _, _, session = stat[stat.rindex(")") + 2 :].split()[:4]
            if int(session) == self.proc.pid and state != "Z":
                pids.append(int(entry))
        return pids

    def _killed(self) -> bool:
        """SIGKILL to every live process of the session; True once there is none."""
        live = self._session()
        for pid in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return not live

    def stop(self) -> None:
        if self.proc is not None:
            # All of it at once (ray start, raylet, GCS, agents, workers): they are ours alone,
            # and nothing of a test head needs keeping. On SIGTERM ``ray start --block`` drains
            # the node for up to 30 s, and a kill of its process group alone leaves the workers
            # to notice the raylet is gone and write their logs into the removed folder. Until
            # none is left: ``ray start`` is reaped only after, so its pid is not reused meanwhile.
            with contextlib.suppress(AssertionError):
                wait_for(self._killed, timeout=30)
            self.proc.wait()
            self.proc = None  # its pid may be another session's from now on: never again
        shutil.rmtree(self.folder, ignore_errors=True)
