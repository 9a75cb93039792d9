#!/usr/bin/env python3
"""Start-up time, measured side by side in one invocation.

    python3 bench/startup_bench.py --runs 5

- startup: wall time of ``logscan explain 550`` and of ``logscan scan`` on an empty file, next to
  ``python -c pass`` (the interpreter's own floor), alternating, medians of ``--runs``; then the
  import time of ``explain`` from ``python -X importtime`` (the rules-cache is warm: the first
  run after installing or changing rules writes it).

The modules run from bytecode, as they do once installed (pip compiles them): the bytecode is
written first, and ``PYTHONDONTWRITEBYTECODE`` is dropped from the commands' environment. Set in
a shell (this project's development machines set it), it makes every start of an editable
install compile some 45 modules from source: about 40 ms more (bench/RESULTS.md, "start-up").
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def logscan_exe() -> str:
    here = str(Path(sys.executable).parent)
    exe = shutil.which("logscan", path=os.pathsep.join([here, os.environ.get("PATH", "")]))
    if exe is None:
        sys.exit("logscan is not installed")
    return exe


ENV = dict(os.environ)


def with_bytecode() -> None:
    """Write the bytecode of logscan's packages and run the commands with bytecode on."""
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    dirs = []
    for name in ("logscan", "parsers"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(spec.submodule_search_locations)
    cmd = [sys.executable, "-m", "compileall", "-q", *dirs]
    subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL, check=True)


def wall(cmd: list[str]) -> tuple[float, bytes, float]:
    """Wall seconds, stdout, and CPU seconds of ``cmd`` and all its children (workers too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, done.stdout, cpu


def median_walls(cmds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each command, the commands alternating run by run."""
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            elapsed, _, cpu = wall(cmd)
            times[name].append((elapsed, cpu))
    return {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in times.items()
    }


def import_ms(args: list[str]) -> float:
    """Cumulative import time (ms) of the top-level imports ``python -X importtime`` reports."""
    cmd = [sys.executable, "-X", "importtime", "-m", "logscan", *args]
    err = subprocess.run(cmd, capture_output=True, text=True, env=ENV).stderr
    total = 0
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("  ") and cumulative.strip().isdigit():
                total += int(cumulative)
    return total / 1000


def startup(runs: int) -> None:
    exe = logscan_exe()
    with tempfile.NamedTemporaryFile(suffix=".log") as empty:
        wall([exe, "explain", "550"])  # warm the rules cache and the page cache
        cmds = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "logscan explain 550": [exe, "explain", "550"],
            "logscan scan EMPTY": [exe, "scan", "--parser", "postfix", empty.name],
        }
        med = median_walls(cmds, runs)
    print("| command | median wall (ms) |\n|---|---|")
    for name, (t, _) in med.items():
        print(f"| {name} | {t * 1000:.0f} |")
    ms = import_ms(["explain", "550"])
    print(f"\nimports of `logscan explain 550` (python -X importtime): {ms:.0f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with_bytecode()
    startup(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
