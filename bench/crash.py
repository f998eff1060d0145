"""R2: a process writes candles, predictions and annotations and is killed with ``kill -9`` at
random moments. After each kill every write it acknowledged must be in the database, and its
integrity check must say ok (SQLite's ``integrity_check``, PostgreSQL's amcheck). The same
database goes through every round; ``--storage-url postgresql://...`` runs it on PostgreSQL.

The writer prints one line per acknowledged write (after the call that wrote it returned):
``C time...`` for closed 1 s candles, ``P id`` for a prediction, ``A id`` for an annotation.

    python bench/crash.py [--rounds 20] [--seed 1] [--quick] [--storage-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SYMBOL = "CRASH/USDT"
START = 1_700_000_000_000


def writer(data_dir: str, storage_url: str = "") -> None:
    """The child: write until killed, acknowledging each write on stdout."""
    from core.candles import Candle
    from core.spans import Span
    from runtime.config import config_from_dict
    from runtime.orchestrator import Orchestrator

    config = {"data_dir": data_dir, "symbols": [SYMBOL], "storage": {"url": storage_url}}
    orch = Orchestrator(config_from_dict(config))
    last = orch.store.latest(SYMBOL, "1s")
    t = START if last is None else last.time + 1000
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    step = 0
    while True:
        step += 1
        price = 100 + (t // 1000) % 37
        batch = [
            Candle(t + i * 1000, price, price + 1, price - 1, price + 0.5, 1.0 + i)
            for i in range(5)
        ]
        orch.store.ingest(SYMBOL, batch)
        out.write("C " + " ".join(str(c.time) for c in batch) + "\n")
        t += 5000
        if step % 3 == 0:
            saved = orch.store_cnn_prediction(
                SYMBOL,
                {"timestamp": t, "confidence": 0.7, "direction": "UP", "current_price": price,
                 "target_price": price + 1, "horizon_minutes": 1},
            )  # fmt: skip
            out.write(f"P {saved['id']}\n")
        if step % 4 == 0:
            span = Span(None, SYMBOL, "1s", t - 5000, t - 1000, "flag", "human", "accepted",
                        note=f"step {step}")  # fmt: skip
            out.write(f"A {orch.annotations.create(span).id}\n")
        out.flush()


def one_round(data_dir: Path, rng: random.Random, storage_url: str = "") -> dict:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--writer", str(data_dir), "--storage-url", storage_url],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "LOG_LEVEL": "ERROR"},
    )  # fmt: skip
    acks: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            if not line.endswith("\n"):
                break  # cut off by the kill: not acknowledged
            if line == "ready\n":
                ready.set()
            else:
                acks.append(line.split())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(120):
        proc.kill()
        raise RuntimeError("the writer did not start")
    time.sleep(rng.uniform(0.05, 1.5))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join(10)
    return verify(storage_url or data_dir / "tradedash.db", acks)


def verify(database: Path | str, acks: list[list[str]]) -> dict:
    from core.db import Database

    db = Database(database)
    try:
        integrity = db.integrity()
        stored = {r[0] for r in db.query(
            "SELECT time FROM candles WHERE symbol=? AND timeframe='1s'", (SYMBOL,))}  # fmt: skip
        predictions = {r[0] for r in db.query("SELECT id FROM predictions")}
        spans = {r[0] for r in db.query("SELECT id FROM annotations")}
    finally:
        db.close()
    acked = {"C": 0, "P": 0, "A": 0}
    lost = []
    for kind, *values in acks:
        for value in values:
            acked[kind] += 1
            where = {"C": stored, "P": predictions, "A": spans}[kind]
            if (int(value) if kind == "C" else value) not in where:
                lost.append(f"{kind} {value}")
    return {"integrity": integrity, "acknowledged": acked, "lost": lost}


def run(rounds: int, seed: int, data_dir: Path, storage_url: str = "") -> dict:
    """``storage_url``: a PostgreSQL database instead of SQLite in ``data_dir``."""
    rng = random.Random(seed)
    results = [one_round(data_dir, rng, storage_url) for _ in range(rounds)]
    return {
        "rounds": rounds,
        "integrity_ok": sum(r["integrity"] == "ok" for r in results),
        "acknowledged": {k: sum(r["acknowledged"][k] for r in results) for k in "CPA"},
        "lost": [x for r in results for x in r["lost"]][:20],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    parser.add_argument("--storage-url", default="", help="a PostgreSQL URL instead of SQLite")
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.writer:
        writer(args.writer, args.storage_url)
        return 0
    from bench.harness import load_average

    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        rounds = 5 if args.quick else args.rounds
        result = run(rounds, args.seed, Path(tmp), args.storage_url)
    print(json.dumps(result, indent=1))
    return 0 if not result["lost"] and result["integrity_ok"] == result["rounds"] else 1


if __name__ == "__main__":
    sys.exit(main())
