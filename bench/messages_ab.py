"""Message correlation's cost in two trees, side by side: one child process per run and tree,
alternating, each timing the reply report alone and then with the message tracker
(``bench/messages_cost.py``'s first two columns), CPU time.

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

CHILD = """
import json, sys
sys.path.insert(0, {bench!r})
import messages_cost
print(json.dumps([messages_cost.once({log!r}, m) for m in ("report", "+messages")]))
"""


def one(tree: Path, log: str) -> tuple[float, float]:
    code = CHILD.format(bench=str(tree / "bench"), log=log)
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
    for _ in range(args.runs):
        for k, tree in trees.items():
            got[k].append(one(tree, args.log))
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
