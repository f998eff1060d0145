"""Which chromium the browser tests drive: Debian's ``chromium`` in headless mode against its
``chromium-headless-shell`` (the same build without the desktop browser around it). For each, an
opening's chromium CPU and time (navigation to both charts drawn, then 3 s, as
``bench/page_cost.py`` measures it) and an open page's CPU over ``--seconds`` at the tests' 2 s
refresh, both browsers against one app (``python app.py`` with the simulator), in alternating
rounds, with the ratios shell / chromium.

    python bench/browser_choice.py [--rounds 2] [--opens 4] [--seconds 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import load_average, served  # noqa: E402
from bench.page_cost import chromium_cpu, cpu_since, open_page  # noqa: E402
from tests.helpers.browser import CHROMIUM_ARGS  # noqa: E402

BROWSERS = {
    "chromium": "/usr/bin/chromium",
    "headless-shell": "/usr/bin/chromium-headless-shell",
}
TEST_APP = {"dashboard": {"refresh_interval_ms": 2000},
            "feed": {"backfill_1m_hours": 3, "backfill_1s_minutes": 5}}  # fmt: skip


def measure(pw, url: str, executable: str, opens: int, seconds: float) -> dict:
    """Medians of the warm openings (the first one compiles plotly.js), and the idle page."""
    browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    openings = []
    for _ in range(opens + 1):
        page, took, _requests, cpu = open_page(context, url)
        openings.append((took, cpu))
        page.close()
    page, *_ = open_page(context, url)
    before = chromium_cpu()
    page.wait_for_timeout(seconds * 1000)
    idle = cpu_since(before)
    browser.close()
    warm = openings[1:]
    return {"open_s": median(t for t, _ in warm), "open_cpu_s": median(c for _, c in warm),
            "idle_cpu_percent": idle / seconds * 100}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--opens", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    for name, path in BROWSERS.items():
        if not Path(path).exists():
            parser.error(f"{name} is missing ({path}): apt-get install -y chromium {name}")
    from playwright.sync_api import sync_playwright

    print(load_average())
    rows = {name: [] for name in BROWSERS}
    with (
        tempfile.TemporaryDirectory() as tmp,
        sync_playwright() as pw,
        served(Path(tmp) / "app", TEST_APP) as server,
    ):
        for n in range(args.rounds):
            for name, path in BROWSERS.items():
                row = measure(pw, server.url, path, args.opens, args.seconds)
                rows[name].append(row)
                figures = ", ".join(f"{k} {v:.2f}" for k, v in row.items())
                print(f"round {n + 1} {name}: {figures}", flush=True)
    for key in ("open_s", "open_cpu_s", "idle_cpu_percent"):
        shell = median(r[key] for r in rows["headless-shell"])
        full = median(r[key] for r in rows["chromium"])
        print(f"{key}: headless-shell {shell:.2f} / chromium {full:.2f} = {shell / full:.2f}x")
    print(load_average())


if __name__ == "__main__":
    main()
