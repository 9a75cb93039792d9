"""Message correlation's cost in two trees, side by side: one child process per run and tree,
alternating, each timing the reply report alone and with the message tracker
(``bench/messages_cost.py``'s first two columns), CPU time, after an untimed warm-up run and
in an order that alternates run by run.

    git worktree add /tmp/base <commit>
    .venv/bin/python bench/messages_ab.py /tmp/b300.log --a /tmp/base --b . --runs 11

Prints each tree's median report time, median tracker time, their ratio, and the median of the
per-run ratios (a run's two timings share its moment's noise).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# A first, untimed run pays what is paid once per process (lazily compiled patterns, caches
# filled on first use); then the two timed runs, in the order given.
CHILD = """
import gc, json, sys
sys.path.insert(0, {bench!r})
import messages_cost
messages_cost.once({log!r}, "report")
took = {{}}
for mode in {order!r}:
    gc.collect()
    took[mode] = messages_cost.once({log!r}, mode)
print(json.dumps([took["report"], took["+messages"]]))
"""


def one(tree: Path, log: str, order: tuple[str, str]) -> tuple[float, float]:
    code = CHILD.format(bench=str(tree / "bench"), log=log, order=order)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, check=True, capture_output=True, text=True
    ).stdout
    report, messages = json.loads(out)
    return report, messages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--a", type=Path, required=True)
    ap.add_argument("--b", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()
    trees = {"a": args.a.resolve(), "b": args.b.resolve()}
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in trees}
    for run in range(args.runs):
        # Trees and modes both alternate: neither tree nor mode always goes first.
        order = ("report", "+messages") if run % 2 == 0 else ("+messages", "report")
        for k in ("a", "b") if run % 2 == 0 else ("b", "a"):
            got[k].append(one(trees[k], args.log, order))
    for k, runs in got.items():
        report = statistics.median(r for r, _ in runs)
        messages = statistics.median(m for _, m in runs)
        per_run = statistics.median(100 * (m / r - 1) for r, m in runs)
        print(
            f"{k} {trees[k]}: report {report:.3f} s, +messages {messages:.3f} s, "
            f"{100 * (messages / report - 1):+.1f} % (per-run median {per_run:+.1f} %)"
        )


if __name__ == "__main__":
    main()
