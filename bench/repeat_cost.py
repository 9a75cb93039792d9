#!/usr/bin/env python3
"""What reading syslog repeat lines costs the syslog parsers: ``Parser.feed_block`` over a genlog
log, this tree against another checkout, runs alternating, in one invocation.

    git archive <commit> | tar -x -C /tmp/before
    python3 bench/repeat_cost.py --before /tmp/before [--mta postfix] [--lines 1000000] [--runs 7]

Each run is a child process with one tree first on ``PYTHONPATH`` (so it imports that tree's
``logscan`` and ``parsers``); runs alternate before, after, before... so that a noisy neighbour
hits both alike. A child reads the log's blocks into memory as ``logscan scan`` does
(``read_blocks``), then reports the CPU time (``time.process_time``) of one parser's
``feed_block`` over them, and the events and line outcomes, which must be equal. We print the
medians and the ratio after/before. Logs come from ``/work/shared/bench/genlog.py --seed 1``,
cached in bench/out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path("/work/shared/bench")
OUT = Path(__file__).resolve().parent / "out"
HERE = Path(__file__).resolve().parent.parent


def genlog(mta: str, lines: int) -> Path:
    OUT.mkdir(exist_ok=True)
    log = OUT / f"repeat-{mta}-{lines}.log"
    if not log.exists():
        cmd = [sys.executable, str(SHARED / "genlog.py"), "--mta", mta, "--lines", str(lines)]
        with log.open("wb") as f:
            subprocess.run([*cmd, "--seed", "1"], stdout=f, stderr=subprocess.DEVNULL, check=True)
    return log


def child(mta: str, log: str) -> None:
    """One timed pass, in the tree ``PYTHONPATH`` names; prints a JSON line."""
    from logscan.parsing.registry import Registry
    from logscan.sources.batch import read_blocks

    blocks = list(read_blocks(log))
    parser = Registry.load().get(mta)(log, year=2024)
    events = ignored = unrecognized = 0
    t0 = time.process_time()
    for block in blocks:
        result = parser.feed_block(block.lines, block.start)
        ignored += result.ignored
        for _, _, evs in result.rest:
            if evs:
                events += len(evs)
            else:
                unrecognized += 1
    cpu = time.process_time() - t0
    print(json.dumps({"cpu": cpu, "events": events, "ignored": ignored, "unrec": unrecognized}))


def timed(tree: Path, mta: str, log: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, __file__, "--child", "--mta", mta, "--log", str(log)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd="/")
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path)
    ap.add_argument("--mta", default="postfix", choices=("postfix", "exim", "sendmail"))
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--log", type=Path)
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if args.child:
        child(args.mta, str(args.log))
        return
    if args.before is None:
        ap.error("--before DIR: a checkout to compare with")
    log = args.log or genlog(args.mta, args.lines)
    trees = {"before": args.before.resolve(), "after": HERE}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            runs[name].append(timed(tree, args.mta, log))
    cpu = {name: statistics.median(r["cpu"] for r in rs) for name, rs in runs.items()}
    for name, rs in runs.items():
        counts = {k: int(v) for k, v in rs[0].items() if k != "cpu"}
        each = [round(r["cpu"], 3) for r in rs]
        print(f"{name:6s} cpu median {cpu[name]:.3f} s  runs {each}  {counts}")
    print(f"{args.mta}, {log.name}: after/before cpu {cpu['after'] / cpu['before']:.3f}")


if __name__ == "__main__":
    main()
