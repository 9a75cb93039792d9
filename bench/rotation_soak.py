#!/usr/bin/env python3
"""Soak run of the crash/rotation model (tests/helpers/rotation_model.py) over many seeds (not a
test).

    .venv/bin/python bench/rotation_soak.py --seeds 5000 --first 1000

Runs seeds ``first .. first+seeds-1`` (CI runs 0..299), prints one line per failing seed and a
summary: seeds, failures, seeds that lost lines, of which the daemon reported a loss for, and
of which were silent because a checkpoint knew fewer than 32 first bytes of a file (the limit
the README states), seeds that counted lines twice (all such "blind" restarts, or they fail),
and the time taken. Exit status 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.rotation_model import run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5000)
    ap.add_argument("--first", type=int, default=1000, help="first seed (CI covers 0..299)")
    args = ap.parse_args()
    start = time.monotonic()
    failed = lossy = loud = silent = missing = doubled = 0
    for seed in range(args.first, args.first + args.seeds):
        with tempfile.TemporaryDirectory(prefix="logscan-soak-") as d:
            o = run(Path(d), seed)
        if o.problems():
            failed += 1
            print(f"FAILED seed={seed}: {o.problems()} {o}", flush=True)
        doubled += 1 if o.duplicates else 0
        if o.missing_lines:
            lossy += 1
            missing += o.missing_lines
            loud += 1 if o.lost_files else 0
            silent += 0 if o.lost_files else 1
    print(
        f"seeds={args.seeds} (from {args.first}) failed={failed} lossy={lossy} "
        f"reported={loud} silent_blind={silent} lines_missing={missing} "
        f"seeds_with_lines_counted_twice_blind={doubled} "
        f"time={time.monotonic() - start:.0f}s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
