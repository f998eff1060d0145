"""What the page's layout costs the server: CPU of a new app's first request (Dash builds and
checks the layout then) and of one ``/_dash-layout`` request (every page that opens asks for it),
with the layout's fixed figures built once (``dashboard.figures.frozen``) against built for
every layout, as before (the cache emptied before each request). Rounds alternate the two ways,
so a busy machine weighs on both alike; the ratio is the figure. The layout's bytes are checked
equal both ways.

    python bench/layout_request.py [--apps 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from dashboard.figures import frozen  # noqa: E402
from runtime.config import config_from_dict  # noqa: E402

log = logging.getLogger("bench.layout_request")


def new_client():
    folder = Path(tempfile.mkdtemp(prefix="tdbench-layout-"))
    config = config_from_dict({"data_dir": str(folder / "data")}, base_dir=folder)
    return create_app(config=config).server.test_client()


def timed(client, path: str, rebuild: bool) -> tuple[float, bytes]:
    """(CPU-seconds, body) of a GET of ``path``; with ``rebuild``, the fixed figures are built
    again."""
    if rebuild:
        frozen._built.cache_clear()
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
    new_client().get("/_dash-layout")  # imports and first uses, in neither figure
    first = {"frozen": [], "rebuilt": []}
    layout = {"frozen": [], "rebuilt": []}
    bodies = {}
    for n in range(args.rounds):
        for way in ("frozen", "rebuilt") if n % 2 == 0 else ("rebuilt", "frozen"):
            rebuild = way == "rebuilt"
            clients = [new_client() for _ in range(args.apps)]
            first[way] += [timed(c, "/api/health", rebuild)[0] for c in clients]
            for c in clients:
                cpu, bodies[way] = timed(c, "/_dash-layout", rebuild)
                layout[way].append(cpu)
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
