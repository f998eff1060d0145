"""What a new SQLite MLflow store costs the tests: MLflow migrating it (what each new app's store
did) against a copy of one MLflow migrated (tests/helpers/mlflow_template.py), each store
opened as the app opens it (a client, its first search). Rounds alternate the two ways, so a
busy machine weighs on both alike; the ratio is the figure.

    python bench/mlflow_stores.py [--stores 6]
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import mlflow_template  # noqa: E402

log = logging.getLogger("bench.mlflow_stores")


def cpu_s() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def open_store(folder: Path) -> tuple[float, float]:
    """(wall s, CPU s) to open a new store in ``folder`` as the app does."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    wall, cpu = time.perf_counter(), cpu_s()
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments(max_results=1)
    return time.perf_counter() - wall, cpu_s() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=6, help="new stores each way")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="tdbench-mlflow-"))
    open_store(root / "warm")  # imports and SQLAlchemy's first use, in neither figure
    totals = {"migrated": [0.0, 0.0], "copied": [0.0, 0.0]}
    with mlflow_template.installed(root / "template"):
        open_store(root / "first")  # makes the template: once per test process
    for n in range(args.stores):
        for way in ("migrated", "copied") if n % 2 == 0 else ("copied", "migrated"):
            folder = root / f"{way}-{n}"
            if way == "copied":
                with mlflow_template.installed(root / "template"):
                    wall, cpu = open_store(folder)
            else:
                wall, cpu = open_store(folder)
            totals[way][0] += wall
            totals[way][1] += cpu
    for way, (wall, cpu) in totals.items():
        log.info(
            "%-8s %.3f s wall, %.3f CPU-s per new store (%d stores)",
            way, wall / args.stores, cpu / args.stores, args.stores,
        )  # fmt: skip
    (mw, mc), (cw, cc) = totals["migrated"], totals["copied"]
    log.info("copied / migrated: %.3fx wall, %.3fx CPU", cw / mw, cc / mc)


if __name__ == "__main__":
    main()
