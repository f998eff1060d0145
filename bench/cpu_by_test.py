"""Where a test run's CPU goes, by test: a pytest plugin that adds up each test's CPU (its
process and every process under it, chromium's included, which ``time`` never sees), and a
summary by module.

The processes are read from ``/proc`` every 0.2 s and at each test's start and end; what a
process used since it was last read goes to the test running then ("(between)" outside any
test's setup, call and teardown; a module's or session's fixtures count in the test that
builds or ends them, so a worker's chromium starts in its first browser test). The figures are
a floor: a process that ends loses what it used since it was last read (a closed page's
renderer, a CLI subprocess), and one that leaves the tree (a daemon such as PostgreSQL's
postmaster, started by ``pg_ctl``) is never seen. The sampling itself costs a little CPU.

    PYTHONPATH=. .venv/bin/python -m pytest -n 3 --dist loadfile -p bench.cpu_by_test
    .venv/bin/python bench/cpu_by_test.py [FOLDER]     # the summary

Each pytest process writes its figures to ``$CPU_BY_TEST_DIR`` (default
``data/bench/cpu_by_test``) as it ends; clear the folder between runs.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

TICKS = os.sysconf("SC_CLK_TCK")
FOLDER = Path(os.environ.get("CPU_BY_TEST_DIR", "data/bench/cpu_by_test"))
BETWEEN = "(between)"


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.current = BETWEEN
        self.seen: dict[tuple[int, str], float] = {}  # (pid, start time): CPU seconds read
        self.cpu: Counter = Counter()
        self.wall: dict[str, float] = {}

    def sample(self) -> None:
        used = processes_under(os.getpid())
        with self.lock:
            for key, seconds in used.items():
                # A process first seen now counts from 0, but for this one's imports and startup.
                before = self.seen.get(key, seconds if key[0] == os.getpid() else 0.0)
                self.cpu[self.current] += max(0.0, seconds - before)
                self.seen[key] = max(seconds, before)


def processes_under(root: int) -> dict[tuple[int, str], float]:
    """CPU seconds so far of ``root`` and every process under it, by (pid, start time)."""
    children: dict[int, list] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # ended while being read
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / TICKS
        children.setdefault(int(fields[1]), []).append(((int(pid), fields[19]), used))
    stat = Path(f"/proc/{root}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    found = {(root, fields[19]): (int(fields[11]) + int(fields[12])) / TICKS}
    stack = [root]
    while stack:
        for key, used in children.get(stack.pop(), []):
            found[key] = used
            stack.append(key[0])
    return found


TALLY = Tally()


def _sample_forever() -> None:
    while True:
        TALLY.sample()
        time.sleep(0.2)


def pytest_configure(config) -> None:
    if getattr(config.option, "numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        return  # xdist's controller runs no test: only its workers sample
    threading.Thread(target=_sample_forever, daemon=True, name="cpu_by_test").start()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    TALLY.sample()
    with TALLY.lock:
        TALLY.current = item.nodeid
    began = time.monotonic()
    try:
        return (yield)
    finally:
        TALLY.sample()
        with TALLY.lock:
            TALLY.current = BETWEEN
            TALLY.wall[item.nodeid] = time.monotonic() - began


def pytest_unconfigure(config) -> None:
    if getattr(config.option, "numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        return
    TALLY.sample()
    FOLDER.mkdir(parents=True, exist_ok=True)
    name = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (FOLDER / f"{name}.json").write_text(json.dumps({"cpu": TALLY.cpu, "wall": TALLY.wall}))


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER
    cpu, wall = Counter(), Counter()
    for path in folder.glob("*.json"):
        figures = json.loads(path.read_text())
        cpu.update(figures["cpu"])
        wall.update(figures["wall"])
    by_module, module_wall = Counter(), Counter()
    for test, seconds in cpu.items():
        by_module[test.split("::")[0]] += seconds
    for test, seconds in wall.items():
        module_wall[test.split("::")[0]] += seconds
    browser = sum(s for m, s in by_module.items() if "/browser/" in m)
    print(f"{sum(cpu.values()):.1f} core-s in all, {browser:.1f} of them in browser modules; "
          f"{sum(wall.values()):.1f} test-seconds")  # fmt: skip
    for module, seconds in by_module.most_common(30):
        print(f"  {seconds:7.1f} core-s {module_wall[module]:7.1f} s  {module}")


if __name__ == "__main__":
    main()
