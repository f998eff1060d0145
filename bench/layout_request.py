"""What the page's layout costs the server: CPU of a new app's first request (Dash builds and
checks the layout then) and of one ``/_dash-layout`` request (every page that opens asks for it),
with the layout's fixed figures built once (``dashboard.figures.frozen``) against built as
``go.Figure`` for every layout, the path before (``frozen`` swapped for a plain call of the
builder). Rounds alternate the two ways, so a busy machine weighs on both alike; the ratio is
the figure. The layout's bytes are checked equal both ways.

    python bench/layout_request.py [--apps 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from dashboard.figures import backtest_figures  # noqa: E402
from dashboard.panels import neural_panel  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402

log = logging.getLogger("bench.layout_request")
FROZEN = (backtest_figures, neural_panel)  # the modules that call ``frozen`` for the layout


def new_app(folder: Path):
    config = config_from_dict({"data_dir": str(folder / "data"), "neural": {"bootstrap": False}},
                              base_dir=folder)  # fmt: skip
    return create_app(config=config)


@contextlib.contextmanager
def built_each_time():
    """The path before: each fixed figure built as a ``go.Figure`` wherever it is used."""
    kept = [module.frozen for module in FROZEN]
    for module in FROZEN:
        module.frozen = lambda build, *args: build(*args)
    try:
        yield
    finally:
        for module, frozen in zip(FROZEN, kept, strict=True):
            module.frozen = frozen


def timed(client, path: str, way: str) -> tuple[float, bytes]:
    """(CPU-seconds, body) of a GET of ``path``, the fixed figures built ``way``."""
    with built_each_time() if way == "rebuilt" else contextlib.nullcontext():
        began = time.process_time()
        body = client.get(path).data
        return time.process_time() - began, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=5, help="new apps each way per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)  # the apps' own start-up lines are not the figures
    root = Path(tempfile.mkdtemp(prefix="tdbench-layout-"))
    apps = []

    def new_client():
        apps.append(new_app(root / str(len(apps))))
        return apps[-1].server.test_client()

    first = {"frozen": [], "rebuilt": []}
    layout = {"frozen": [], "rebuilt": []}
    bodies = {}
    try:
        new_client().get("/_dash-layout")  # imports and first uses, in neither figure
        for n in range(args.rounds):
            for way in ("frozen", "rebuilt") if n % 2 == 0 else ("rebuilt", "frozen"):
                clients = [new_client() for _ in range(args.apps)]
                first[way] += [timed(c, "/api/health", way)[0] for c in clients]
                for c in clients:
                    cpu, bodies[way] = timed(c, "/_dash-layout", way)
                    layout[way].append(cpu)
    finally:
        for app in apps:
            app.server.extensions["orchestrator"].db.close()
        shutil.rmtree(root, ignore_errors=True)
    for way in ("rebuilt", "frozen"):
        log.info("%-8s first request %5.0f ms CPU, /_dash-layout %5.0f ms CPU (medians of %d)",
                 way, 1000 * statistics.median(first[way]),
                 1000 * statistics.median(layout[way]), len(layout[way]))  # fmt: skip
    ratio = {name: statistics.median(way["frozen"]) / statistics.median(way["rebuilt"])
             for name, way in (("first", first), ("layout", layout))}  # fmt: skip
    log.info("frozen / rebuilt: first request %.2fx, /_dash-layout %.2fx",
             ratio["first"], ratio["layout"])  # fmt: skip
    same = len({hashlib.sha256(b).hexdigest() for b in bodies.values()}) == 1
    log.info("layout: %d bytes, the same both ways: %s", len(bodies["frozen"]), same)


if __name__ == "__main__":
    main()
