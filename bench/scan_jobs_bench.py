#!/usr/bin/env python3
"""``logscan scan -j N`` against ``-j 1`` over several files (issue 14: >= 1.7x on 2 cores).

    python3 bench/scan_jobs_bench.py                       # 4 files of 250k lines, 3 runs
    python3 bench/scan_jobs_bench.py --files 2 --lines 100000 --runs 1 --jobs 1 2 3

The files are Postfix logs from ``/work/shared/bench/genlog.py`` (seeds 1..N, cached in
bench/out; skips cleanly if genlog is absent). Each ``-j`` runs ``scan --format json`` over all
of them, the settings alternating run by run so that the machine's noise hits all alike; the
outputs must be byte-identical. Printed: median wall and CPU seconds (the process and its
workers: ``RUSAGE_CHILDREN``) and the speed-up of each ``-j`` over ``-j 1``, as a Markdown table
for ``bench/RESULTS.md``.

The control row, in the same rotation, is what the machine gives two processes at that moment:
two ``-j 1`` scans at once, each of half the files (no replay, no streams). On a shared machine
``-j 2`` can be no faster than it; the gap between the two is what ``-j`` itself costs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_bench import logscan_exe  # a sibling script, found through the line above

GENLOG = Path("/work/shared/bench/genlog.py")
OUT = Path(__file__).resolve().parent / "out"
PAIR = 0  # the control's key among the -j values


def generate(lines: int, seed: int) -> Path:
    """A Postfix log of ``lines`` lines (cached in bench/out)."""
    OUT.mkdir(exist_ok=True)
    log = OUT / f"postfix-{lines}-s{seed}.log"
    if not log.exists():
        print(f"generating {log} ...", file=sys.stderr)
        cmd = [sys.executable, str(GENLOG), "--mta", "postfix", "--lines", str(lines)]
        with open(log, "wb") as f:
            subprocess.run(
                [*cmd, "--seed", str(seed)], stdout=f, stderr=subprocess.DEVNULL, check=True
            )
    return log


def timed(cmd: list[str]) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of ``cmd`` (its children too), and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def timed_pair(cmds: list[list[str]]) -> tuple[float, float]:
    """Wall and CPU seconds of ``cmds`` run at once."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in cmds
    ]
    if any(p.wait() for p in procs):
        sys.exit(f"failed: {cmds}")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--lines", type=int, default=250_000, help="lines per file")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    if not GENLOG.exists():
        print(f"skipped: {GENLOG} is absent", file=sys.stderr)
        return
    logs = [str(generate(args.lines, seed)) for seed in range(1, args.files + 1)]
    exe = logscan_exe()
    jobs = sorted(set(args.jobs) | {1})
    cmds = {j: [exe, "scan", "-q", "--format", "json", "-j", str(j), *logs] for j in jobs}
    timed(cmds[1])  # warm the page cache and the rules cache
    half = len(logs) // 2
    pair = [cmds[1][: -len(logs)] + logs[:half], cmds[1][: -len(logs)] + logs[half:]]
    walls: dict[int, list[float]] = {j: [] for j in [*jobs, PAIR]}
    cpus: dict[int, list[float]] = {j: [] for j in [*jobs, PAIR]}
    loads: list[float] = []
    outputs: dict[int, bytes] = {}
    for _ in range(args.runs):
        loads.append(os.getloadavg()[0])
        for j in jobs:
            wall, cpu, out = timed(cmds[j])
            walls[j].append(wall)
            cpus[j].append(cpu)
            if outputs.setdefault(j, out) != out:
                sys.exit(f"-j {j}: the output changed from one run to the next")
        if half:
            wall, cpu = timed_pair(pair)
            walls[PAIR].append(wall)
            cpus[PAIR].append(cpu)
    differ = [j for j in jobs if outputs[j] != outputs[1]]
    if differ:
        sys.exit(f"-j {differ}: output differs from -j 1's")
    base = statistics.median(walls[1])
    print(
        f"{platform.node()}: {os.cpu_count()} cores, 1-minute load average before each round "
        f"{', '.join(f'{x:.2f}' for x in loads)}; "
        f"{args.files} files x {args.lines:,} lines, median of {args.runs}; outputs identical"
    )
    print("\n| run | wall s (each round) | median wall s | median CPU s | speed-up (wall) |")
    print("|---|---|---|---|---|")
    for j in [*jobs, PAIR] if half else jobs:
        wall, cpu = statistics.median(walls[j]), statistics.median(cpus[j])
        name = "2 x `-j 1` at once, half the files each (control)" if j == PAIR else f"`-j {j}`"
        rounds = ", ".join(f"{w:.2f}" for w in walls[j])
        print(f"| {name} | {rounds} | {wall:.2f} | {cpu:.2f} | {base / wall:.2f}x |")


if __name__ == "__main__":
    main()
