"""What the hardening benches share: the app served as ``make run`` serves it (``python app.py``
through waitress, in its own process), a tiny trained model, the page open in chromium with its
chart ticks timed, and the process's CPU and memory."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil
import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic",
]  # fmt: skip
TINY_TRAINING = {"window": 4, "params": {"xgboost": {"n_estimators": 10, "max_depth": 3}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": None, "p99": None}
    array = np.asarray(values)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(array, 50)), 2),
        "p99": round(float(np.percentile(array, 99)), 2),
    }


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


class Server:
    """``python app.py --config FILE`` in a child process, as ``make run`` starts it."""

    def __init__(self, folder: Path, config: dict):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = {"data_dir": str(self.folder / "data"), **config}
        config.setdefault("server", {})["port"] = self.port
        self.config_path = self.folder / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{self.port}"
        token = config["server"].get("auth_token")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.log = open(self.folder / "server.log", "ab")  # noqa: SIM115 (lives with the server)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> Server:
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--config", str(self.config_path)],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {self.tail()}")
            try:
                health = requests.get(f"{self.url}/api/health", headers=self.headers, timeout=2)
                if health.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer within {timeout} s: {self.tail()}")

    def tail(self, lines: int = 15) -> str:
        if not self.log.closed:
            self.log.flush()
        text = (self.folder / "server.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @property
    def process(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    def health(self) -> dict:
        return requests.get(f"{self.url}/api/health", headers=self.headers, timeout=10).json()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> tuple[int | None, float]:
        """Send ``signum``; (exit status, seconds it took), status None if it had to be killed."""
        if self.proc is None or self.proc.poll() is not None:
            return (None if self.proc is None else self.proc.returncode), 0.0
        began = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self.log.close()
        return code, time.monotonic() - began


@contextmanager
def served(folder: Path, config: dict):
    server = Server(folder, config).start()
    try:
        yield server
    finally:
        server.stop()


def train_tiny_model(data_dir: Path) -> str:
    """One small XGBoost champion on planted patterns (seconds); returns its run id."""
    from runtime.config import config_from_dict
    from tests.helpers.pattern_data import build_pattern_dataset
    from training.pipeline import train

    config = config_from_dict({"data_dir": str(data_dir), "training": TINY_TRAINING})
    version = build_pattern_dataset(config.datasets_path, window=4)
    result = train("xgboost", config.datasets_path, config.data_path, config.training, version)
    return result.run_id


def predict_body(n: int = 200, seed: int = 99) -> bytes:
    from tests.helpers.pattern_data import pattern_series

    frame, _ = pattern_series(n, seed=seed)
    fields = ("open", "high", "low", "close", "volume")
    candles = [
        {"time": int(t), **{k: float(v) for k, v in zip(fields, row, strict=True)}}
        for t, row in zip(frame.index, frame[list(fields)].to_numpy(), strict=True)
    ]
    return json.dumps({"candles": candles}).encode()


class PageTicks:
    """The dashboard open in chromium; the time of each chart tick (the callback that patches a
    chart's figure), as the browser sees it: request sent to response read."""

    def __init__(self, url: str):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        self.page = self.browser.new_page(viewport={"width": 1500, "height": 1000})
        self.ticks: list[float] = []
        self.server_ms: list[float] = []
        self.errors: list[str] = []
        self.page.on("requestfinished", self._finished)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.goto(url)
        self.page.wait_for_selector("#chart-1m .js-plotly-plot .main-svg", timeout=60_000)

    def _finished(self, request) -> None:
        if "/_dash-update-component" not in request.url:
            return
        body = (request.post_data or "").replace(" ", "")
        if '"type":"chart"' not in body or ".figure" not in body:
            return
        timing = request.timing
        if timing["responseEnd"] > 0:
            self.ticks.append(timing["responseEnd"] - timing["requestStart"])
        response = request.response()
        header = (response.headers.get("server-timing") or "") if response else ""
        if "dur=" in header:
            self.server_ms.append(float(header.split("dur=")[1].split(",")[0]))

    def run_for(self, seconds: float) -> None:
        """Let the page tick (Playwright delivers events while it waits)."""
        self.page.wait_for_timeout(seconds * 1000)

    def take(self) -> list[float]:
        ticks, self.ticks = self.ticks, []
        return ticks

    def take_server(self) -> list[float]:
        """The server's own time for the same ticks (its Server-Timing header)."""
        spent, self.server_ms = self.server_ms, []
        return spent

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()


def sample_process(proc: psutil.Process, seconds: float, page: PageTicks | None = None) -> dict:
    """CPU % (of one core) and RSS of ``proc`` over ``seconds``."""
    proc.cpu_percent(None)
    if page is not None:
        page.run_for(seconds)
    else:
        time.sleep(seconds)
    cpu = proc.cpu_percent(None)
    rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
    return {"cpu_percent": round(cpu, 1), "rss_mb": round(rss / 2**20, 1)}
