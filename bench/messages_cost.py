"""What message correlation and the traffic tables cost on the `scan` table path.

Runs the scan's pipeline over one file (parser, classifier, the Report sink) three ways,
interleaved run by run (the order reversed every other run), and prints the median CPU time
of each:

* ``report``: the sinks `scan` had before (the reply report);
* ``+messages``: plus the MessageTracker and the parsers' message notes;
* ``+traffic``: plus the pflogsumm tables (what `scan` runs now).

    .venv/bin/python bench/messages_cost.py /tmp/b300.log --runs 5
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from logscan.classify.classifier import Classifier
from logscan.cli.scan import FileScanner
from logscan.core.event import MessageNote
from logscan.parsing.registry import Registry
from logscan.sinks.messages import MessageTracker
from logscan.sinks.report.summary import Report
from logscan.sinks.report.traffic import Traffic


def once(path: str, mode: str) -> float:
    registry = Registry.load()
    classifier = Classifier.load()
    report = Report()
    sinks: list = [report]
    notes: Callable[[MessageNote], None] | None = None
    settle: Callable[[], None] | None = None
    if mode != "report":
        traffic = Traffic()
        tracker = MessageTracker(traffic.finished if mode == "+traffic" else None)
        # Wired as `scan` wires it: each block's events and notes queued, then settled.
        sinks.append(tracker.pending.append)
        notes = tracker.pending.append
        settle = tracker.settle
        if mode == "+traffic":
            sinks.append(traffic)

    start = time.process_time()
    scanner = FileScanner(
        registry, None, classifier, sinks, report, False, notes, after_block=settle
    )
    report.add_file(scanner.scan(path))
    if mode != "report":
        tracker.finish_all()
        traffic.summary()
    report.summary()
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    modes = ("report", "+messages", "+traffic")
    times: dict[str, list[float]] = {m: [] for m in modes}
    for run in range(args.runs):
        # Alternating order, and a collection before each: no mode always runs on the heap
        # another one left behind.
        for m in modes if run % 2 == 0 else modes[::-1]:
            gc.collect()
            times[m].append(once(args.file, m))
    base = statistics.median(times["report"])
    for m in modes:
        med = statistics.median(times[m])
        print(f"{m:<10} {med:6.2f} s  {100 * (med / base - 1):+5.1f} %")


if __name__ == "__main__":
    main()
