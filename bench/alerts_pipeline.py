"""What the alert engine adds to the whole line path: Postfix lines -> parser -> classifier ->
sinks, with and without ``Alerting.sink`` (the default rules), on the same genlog file.

    python bench/alerts_pipeline.py --genlog PATH/genlog.py [--lines 300000] [--runs 5]

Both variants run in the same invocation, interleaved; the figure to quote is the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from logscan.classify.classifier import Classifier
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline, Sink
from logscan.sinks.alerting.assembly import Alerting, AlertingConfig


def run(lines: list[str], sinks: Sequence[Sink]) -> tuple[float, int]:
    parser = Registry.load().get("postfix")(path="mail.log")
    pipe = Pipeline("mail.log", parser, Classifier.load(), sinks)
    start = time.perf_counter()
    for i, line in enumerate(lines, 1):
        pipe.feed(line, i)
    return time.perf_counter() - start, pipe.counts.event


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--genlog", required=True, type=Path)
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "mail.log"
        with log.open("w") as out:
            subprocess.run(
                [sys.executable, str(args.genlog), "--mta", "postfix", "--lines",
                 str(args.lines), "--seed", "1"],
                stdout=out, stderr=subprocess.DEVNULL, check=True,
            )  # fmt: skip
        lines = log.read_text().splitlines()
    alerting = Alerting.build(AlertingConfig(log=False))
    times: dict[str, list[float]] = {"without": [], "with": []}
    events = 0
    for _ in range(args.runs):
        t, events = run(lines, [])
        times["without"].append(t)
        t, _ = run(lines, [alerting.sink])
        times["with"].append(t)
        alerting.tick()
    alerting.close(timeout=1.0)
    base = statistics.median(times["without"])
    print(f"{len(lines)} lines, {events} with events, median of {args.runs} runs")
    for name, ts in times.items():
        med = statistics.median(ts)
        rate = len(lines) / med
        print(f"{name:8s} alerting: {med:6.2f} s  {rate:10,.0f} lines/s  x{med / base:.3f}")


if __name__ == "__main__":
    main()
