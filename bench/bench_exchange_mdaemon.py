#!/usr/bin/env python3
"""Throughput of the Exchange and MDaemon parsers, with peers timed in the same run.

    python3 bench/bench_exchange_mdaemon.py --lines 200000 --runs 5

For each format, a log from ``gen_exchange_mdaemon.py`` is read three ways, each ``--runs`` times
(median of CPU seconds reported: the machine's cores are shared, so wall time mostly measures
the neighbours): a bare line loop (the floor), ``csv.reader`` on every line (what a naive
CSV-based parser pays), and the logscan parser (``feed`` per line, then ``flush``). It also prints
what the parser made of the lines, as a check that the fast paths still count.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_exchange_mdaemon

from logscan.parsing.api import Parser
from parsers.exchange import ExchangeParser
from parsers.mdaemon import MDaemonParser

FORMATS: dict[str, tuple[str, type[Parser]]] = {
    "tracking": ("MSGTRK20240312-1.LOG", ExchangeParser),
    "send": ("SEND20240312-1.LOG", ExchangeParser),
    "receive": ("RECV20240312-1.LOG", ExchangeParser),
    "mdaemon": ("MDaemon-all.log", MDaemonParser),
}


def bare_loop(path: Path) -> int:
    n = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            line.rstrip("\r\n")
            n += 1
    return n


def csv_every_line(path: Path) -> int:
    n = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            next(csv.reader((line.rstrip("\r\n"),)))
            n += 1
    return n


def run_parser(cls: type[Parser], path: Path) -> dict[str, int]:
    parser = cls(path=path.name)
    counts = {"lines": 0, "events": 0, "ignored": 0, "unrecognized": 0}
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            got = parser.feed(line.rstrip("\r\n"), lineno)
            counts["lines"] += 1
            if got is None:
                counts["unrecognized"] += 1
            elif not got:
                counts["ignored"] += 1
            else:
                counts["events"] += len(got)
    counts["events"] += len(parser.flush())
    return counts


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    print("| format | MB | bare loop s | csv.reader s | parser s | lines/s | x bare | events |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, (name, cls) in FORMATS.items():
            path = Path(tmp) / name
            with path.open("w", encoding="utf-8") as out, redirect_stdout(out):
                gen_exchange_mdaemon.main(
                    ["--format", fmt, "--lines", str(args.lines), "--seed", str(args.seed)]
                )
            bare = median_seconds(partial(bare_loop, path), args.runs)
            naive = median_seconds(partial(csv_every_line, path), args.runs)
            parse = median_seconds(partial(run_parser, cls, path), args.runs)
            counts = run_parser(cls, path)
            mb = path.stat().st_size / 1e6
            print(
                f"| {fmt} | {mb:.0f} | {bare:.3f} | {naive:.3f} | {parse:.3f} "
                f"| {counts['lines'] / parse:,.0f} | {parse / bare:.1f} "
                f"| {counts['events']} ev, {counts['ignored']} ign, "
                f"{counts['unrecognized']} unrec |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
