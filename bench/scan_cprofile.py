#!/usr/bin/env python3
"""``logscan scan`` under cProfile, with a flame-style summary (an indented call tree).

    python3 bench/scan_cprofile.py bench/out/postfix-1000000-s1.log --lines 300000
    python3 bench/scan_cprofile.py mainlog --parser exim --min-share 1

Writes ``bench/out/scan.prof`` (open it with ``python -m pstats`` or snakeviz), then prints the
call tree from ``logscan.cli.main.main`` down: each function with its share of the total time
(cumulative, so a parent includes its children), children sorted largest first, branches under
``--min-share`` percent left out; then the functions by own time. cProfile's overhead inflates
small functions, so read the shares, not the seconds (bench/scan_profile.py times stages
without it).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

from logscan.cli.main import main as logscan_main

OUT = Path(__file__).resolve().parent / "out"
Func = tuple[str, int, str]


def label(func: Func) -> str:
    path, line, name = func
    return f"{Path(path).name}:{line}({name})" if line else name


def tree(
    stats: Any, func: Func, total: float, min_share: float, depth: int, seen: set[Func]
) -> None:
    _, _, _, cumulative, _ = stats.stats[func]
    print(f"{'  ' * depth}{100 * cumulative / total:5.1f}%  {label(func)}")
    if func in seen or depth > 25:
        return
    seen = seen | {func}
    children = []
    for callee, (_, _, _, _, callers) in stats.stats.items():
        if func in callers:
            children.append((callers[func][3], callee))  # cumulative time via this caller
    for share, callee in sorted(children, reverse=True):
        if 100 * share / total >= min_share:
            tree(stats, callee, total, min_share, depth + 1, seen)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("--parser", default="postfix")
    ap.add_argument("--lines", type=int, default=0, help="profile only the first N lines")
    ap.add_argument("--min-share", type=float, default=2.0, help="percent; smaller branches hidden")
    args = ap.parse_args()
    log = Path(args.log)
    with tempfile.NamedTemporaryFile("w", suffix=".log") as cut:
        if args.lines:
            with open(log, encoding="utf-8", errors="replace") as f:
                cut.writelines(itertools.islice(f, args.lines))
            cut.flush()
            log = Path(cut.name)
        sys.argv = ["logscan", "scan", "-q", "--parser", args.parser, str(log)]
        profiler = cProfile.Profile()
        with contextlib.redirect_stdout(io.StringIO()):  # the report is not what is looked at
            profiler.runcall(logscan_main)
    OUT.mkdir(exist_ok=True)
    profiler.dump_stats(OUT / "scan.prof")
    stats = pstats.Stats(profiler)
    root = next(f for f in stats.stats if f[2] == "main" and f[0].endswith("cli/main.py"))  # type: ignore[attr-defined]
    total = stats.stats[root][3]  # type: ignore[attr-defined]
    print(f"\n# call tree (share of {total:.2f} s under cProfile)", file=sys.stderr)
    sys.stdout = sys.stderr
    tree(stats, root, total, args.min_share, 0, set())
    print("\n# by own time")
    stats.sort_stats("tottime").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
