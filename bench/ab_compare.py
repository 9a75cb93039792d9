#!/usr/bin/env python3
"""Two checkouts of logscan side by side: the same commands, alternating run by run.

    python3 bench/ab_compare.py --a /work/wt/before --b . --runs 5
    python3 bench/ab_compare.py --a OLD --b NEW --lines 200000 --runs 3 --only scan-postfix

Each checkout must have its own ``.venv`` with logscan installed (the README's test command makes
one). The workloads are what an operator runs, as whole processes:

- ``scan-<mta>``: ``logscan scan --format json`` of a genlog log (Postfix, Exim, Sendmail);
- ``scan-table``: the default table report of the Postfix log (message correlation, traffic);
- ``explain``: ``logscan explain 550`` (start-up cost).

Runs alternate A, B, A, B... so that a noisy neighbour hits both alike. We quote medians of wall
and CPU (user+sys) seconds and peak RSS, and the ratio B/A of the CPU medians (CPU time is what
other people's jobs disturb least on a shared machine). Logs come from
``/work/shared/bench/genlog.py`` and are cached in bench/out; without it the scan workloads skip.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path("/work/shared/bench")
OUT = Path(__file__).resolve().parent / "out"
GNU_TIME = "/usr/bin/time"


def genlog(mta: str, lines: int) -> Path | None:
    if not (SHARED / "genlog.py").exists():
        return None
    OUT.mkdir(exist_ok=True)
    log = OUT / f"ab-{mta}-{lines}.log"
    if not log.exists():
        with open(log, "wb") as f:
            cmd = [sys.executable, str(SHARED / "genlog.py"), "--mta", mta, "--lines", str(lines)]
            subprocess.run([*cmd, "--seed", "1"], stdout=f, stderr=subprocess.DEVNULL, check=True)
    return log


def workloads(lines: int) -> dict[str, list[str]]:
    """Name -> logscan arguments."""
    work: dict[str, list[str]] = {}
    for mta in ("postfix", "exim", "sendmail"):
        log = genlog(mta, lines)
        if log is not None:
            work[f"scan-{mta}"] = ["scan", "--format", "json", "-q", str(log)]
            if mta == "postfix":
                work["scan-table"] = ["scan", "-q", str(log)]
    work["explain"] = ["explain", "550"]
    return work


def measure(checkout: Path, args: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds and peak RSS (KiB) of ``logscan ARGS`` run from ``checkout``."""
    cmd = [str(checkout / ".venv" / "bin" / "logscan"), *args]
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        done = subprocess.run(
            [GNU_TIME, "-f", "%M %U %S", "-o", rss.name, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=checkout,
        )
        wall = time.perf_counter() - t0
        if done.returncode not in (0, 1):  # 1: scan found refusals; that is a result, not a failure
            sys.exit(f"{checkout}: {' '.join(args)} failed: {done.stderr.decode()[-1000:]}")
        kib, user, system = rss.read().split()[-3:]
    return wall, float(user) + float(system), int(kib)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="the reference checkout")
    ap.add_argument("--b", type=Path, required=True, help="the checkout under test")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", nargs="*", help="workload names to run (default: all)")
    opts = ap.parse_args()
    a, b = opts.a.resolve(), opts.b.resolve()
    work = workloads(opts.lines)
    if opts.only:
        work = {k: v for k, v in work.items() if k in opts.only}
    print(f"A = {a}\nB = {b}\nlines = {opts.lines}, runs = {opts.runs} (alternating A, B)\n")
    cols = ["workload", "A wall s", "B wall s", "A CPU s", "B CPU s", "B/A CPU", "A MiB", "B MiB"]
    print("| " + " | ".join(cols) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for name, args in work.items():
        got: dict[Path, list[tuple[float, float, int]]] = {a: [], b: []}
        for _ in range(opts.runs):
            for side in (a, b):
                got[side].append(measure(side, args))
        med = {s: [statistics.median(r[i] for r in got[s]) for i in range(3)] for s in (a, b)}
        ratio = med[b][1] / med[a][1] if med[a][1] else float("nan")
        print(
            f"| {name} | {med[a][0]:.2f} | {med[b][0]:.2f} | {med[a][1]:.2f} | {med[b][1]:.2f} "
            f"| {ratio:.2f} | {med[a][2] / 1024:.0f} | {med[b][2] / 1024:.0f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
