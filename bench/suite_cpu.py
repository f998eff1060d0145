"""Where a command's CPU goes, by kind of process: run it (the test suite, say) and print the
core-seconds used by chromium, the pytest workers (test code and the apps they serve), the
PostgreSQL, MLflow and Ray servers, and the rest, beside the machine's busy and idle
core-seconds over the run.

Processes are read from ``/proc`` every quarter second, each by its pid and start time, so one
that lives less than a quarter second, or the last quarter second of one, goes uncounted: the
figures are a floor. A process is grouped by its command line when first seen (one that
execs into something else keeps its first group), and this script's own sampling is left out
of the groups. Run it on a quiet machine: everything else that runs meanwhile counts in the
machine's figures and lands in one of the groups ("other" at worst).

    python bench/suite_cpu.py -- make test
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def group(name: str, command: str) -> str:
    """The kind of process a command line is."""
    if "chrom" in name or "chromium" in command:
        return "chromium (renderers)" if "--type=renderer" in command else "chromium (other)"
    if "playwright" in command or name == "node":
        return "playwright driver"
    if "postgres" in name or "postgres" in command:
        return "postgresql"
    if "mlflow" in command or "gunicorn" in command or "uvicorn" in command:
        return "mlflow server"
    # (a path segment, not a substring: a test file named test_ray_*.py is pytest's)
    if "/ray/" in command or name.startswith("ray::") or name in ("raylet", "gcs_server"):
        return "ray"
    if "pytest" in command or "exec(eval(" in command:  # an xdist worker: execnet's bootstrap
        return "pytest workers (tests and the apps they serve)"
    if "python" in name or "python" in command:
        return "other python"
    return "other"


def busy_and_idle() -> tuple[float, float]:
    """The machine's (busy, idle) core-seconds since boot: user, nice, system, irq and softirq
    are busy; idle and iowait idle; steal (time another guest had) and guest time (already
    inside user) count in neither."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / TICKS, (idle + iowait) / TICKS


def sample(seen: dict, started: bool = True) -> None:
    """Each live process's CPU so far, by (pid, start time), into ``seen``: [CPU when first
    seen, or 0 for one ``started`` since the run began; CPU when last seen; its group]."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            used = (int(fields[11]) + int(fields[12])) / TICKS
            key = (pid, fields[19])
            if key not in seen:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                kind = group(name, command.decode(errors="replace"))
                seen[key] = [0.0 if started else used, used, kind]
            seen[key][1] = max(seen[key][1], used)
        except (OSError, ValueError, IndexError):
            continue  # ended while being read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="+", help="the command to run, after --")
    args = parser.parse_args()
    seen: dict = {}
    sample(seen, started=False)  # what runs already counts from now
    busy0, idle0 = busy_and_idle()
    began = time.monotonic()
    child = subprocess.Popen(args.command)
    while child.poll() is None:
        sample(seen)
        time.sleep(0.25)
    wall = time.monotonic() - began
    busy1, idle1 = busy_and_idle()
    by_group = Counter()
    for first, last, kind in seen.values():
        by_group[kind] += last - first
    print(f"exit status {child.returncode}, {wall:.1f} s wall on {os.cpu_count()} cores: "
          f"{busy1 - busy0:.1f} core-s busy, {idle1 - idle0:.1f} idle")  # fmt: skip
    for kind, used in by_group.most_common():
        if used >= 0.5:
            print(f"  {used:8.1f} core-s  {kind}")
    raise SystemExit(child.returncode)


if __name__ == "__main__":
    main()
