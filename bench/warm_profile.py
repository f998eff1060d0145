"""What an opening of the dashboard costs chromium in a browser context of Playwright's own
(``browser.new_context()``, off the record: no code cache) and in a profile on disk
(``launch_persistent_context``), where V8 keeps the compiled code of a script it has loaded
twice. The browser tests open their pages in such a profile (``tests.helpers.browser.
WarmProfile``).

The two take turns on one app (as ``make run`` serves it, with the simulator, at the tests' 2 s
refresh), an opening each per round, each first in every other round; the first two rounds warm
up and are not counted. An opening is navigation to 3 s after both charts are drawn
(``bench/page_cost.py``).

    python bench/warm_profile.py [--rounds 4] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM_ARGS, load_average, served  # noqa: E402
from bench.page_cost import open_page  # noqa: E402

VIEWPORT = {"width": 1500, "height": 1000}
WARM_UP = 2  # V8 keeps a script's code on its second load and uses it from the third


def measure(rounds: int, chromium: str, folder: Path) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    config = {"dashboard": {"refresh_interval_ms": 2000},
              "feed": {"backfill_1m_hours": 3, "backfill_1s_minutes": 5}}  # fmt: skip
    cpu = {"context": [], "profile": []}
    with served(folder / "app", config) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        profile = pw.chromium.launch_persistent_context(
            str(folder / "profile"), executable_path=chromium, args=CHROMIUM_ARGS, viewport=VIEWPORT
        )
        for n in range(WARM_UP + rounds):
            context = browser.new_context(viewport=VIEWPORT)
            kinds = [("context", context), ("profile", profile)]
            for name, where in kinds if n % 2 else kinds[::-1]:  # each goes first in turn
                page, took, requests, used = open_page(where, server.url)
                page.close()
                print(f"round {n} {name}: {took:.2f} s to both charts, {requests} callback "
                      f"requests, {used:.2f} chromium CPU-s", flush=True)  # fmt: skip
                if n >= WARM_UP:
                    cpu[name].append(used)
            context.close()
        profile.close()
        browser.close()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--chromium", default="/usr/bin/chromium-headless-shell")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        parser.error(f"--chromium {args.chromium}: no such browser")
    if args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: at least one round is measured")
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        cpu = measure(args.rounds, args.chromium, Path(tmp))
    for name, values in cpu.items():
        print(f"{name}: median {median(values):.2f} chromium CPU-s an opening "
              f"({', '.join(f'{v:.2f}' for v in values)})")  # fmt: skip
    print(f"profile / context = {median(cpu['profile']) / median(cpu['context']):.2f}x")
    print(load_average())


if __name__ == "__main__":
    main()
