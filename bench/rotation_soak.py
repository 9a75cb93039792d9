#!/usr/bin/env python3
"""Soak run of the crash/rotation model (tests/helpers/rotation_model.py) over many seeds (not a
test).

    .venv/bin/python bench/rotation_soak.py --seeds 5000 --first 1000

Runs seeds ``first .. first+seeds-1`` (CI runs 0..299), prints one line per failing seed and a
summary: seeds, failures, seeds that lost lines, of which the daemon reported a loss for, and
of which were silent; the silent ones by the exception that excuses them (the two limits the
README states: ``blind``, a restart from a checkpoint that knew fewer than 32 first bytes of a
file after deletions; ``reuse``, a file created under an inode number logrotate had just freed;
``both``); seeds where either exception occurred at all; seeds that counted lines twice (all
within the exceptions, or they fail); and the time taken. Exit status 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.rotation_model import Outcome, run


def silent_cause(o: Outcome) -> str:
    """Which stated exception a seed that lost lines without a report falls under."""
    if o.blind_restarts and o.inode_reuses:
        return "both"
    return "blind" if o.blind_restarts else "reuse" if o.inode_reuses else "none"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5000)
    ap.add_argument("--first", type=int, default=1000, help="first seed (CI covers 0..299)")
    args = ap.parse_args()
    start = time.monotonic()
    n: Counter[str] = Counter()
    silent: Counter[str] = Counter()
    for seed in range(args.first, args.first + args.seeds):
        with tempfile.TemporaryDirectory(prefix="logscan-soak-") as d:
            o = run(Path(d), seed)
        if o.problems():
            n["failed"] += 1
            print(f"FAILED seed={seed}: {o.problems()} {o}", flush=True)
        n["doubled"] += 1 if o.duplicates else 0
        n["blind"] += 1 if o.blind_restarts else 0
        n["reuse"] += 1 if o.inode_reuses else 0
        if o.missing_lines:
            n["lossy"] += 1
            n["missing"] += o.missing_lines
            n["reported"] += 1 if o.lost_files else 0
            if not o.lost_files:
                silent[silent_cause(o)] += 1
    print(
        f"seeds={args.seeds} (from {args.first}) failed={n['failed']} lossy={n['lossy']} "
        f"reported={n['reported']} silent={silent.total()} "
        f"(blind={silent['blind']} reuse={silent['reuse']} both={silent['both']}) "
        f"lines_missing={n['missing']} seeds_with_blind_restarts={n['blind']} "
        f"seeds_with_inode_reuses={n['reuse']} seeds_with_lines_counted_twice={n['doubled']} "
        f"time={time.monotonic() - start:.0f}s"
    )
    return 1 if n["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
