#!/usr/bin/env python3
"""Where ``logscan scan`` spends its CPU time, stage by stage, in one process.

    python3 bench/scan_profile.py bench/out/postfix-1000000-s1.log [--parser postfix]

Stages, each timed with ``time.process_time`` (CPU, less disturbed than wall time by other work
on a shared machine), best of ``--runs``:

- read:      the batch source alone (chunks -> decoded lines)
- overhead:  Pipeline.feed per line vs Pipeline.feed_lines per block, with a parser that
             returns [] (the cost of the pipeline itself)
- parse:     the parser's feed() over every line
- classify:  Classifier.classify_event over the parser's events (fresh memo), and the memo's
             hit rate
- report:    the Report sink over the classified events
- events:    ClassifiedEvent.to_dict() (the --format events serializer)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Event
from logscan.parsing.api import Parser
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline
from logscan.sinks.report.summary import Report
from logscan.sources.batch import Block, read_blocks


class NullParser(Parser):
    name = "null"

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        return 0.0

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        return []


def best(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("--parser", default="postfix")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    n_runs = args.runs

    def read() -> None:
        for _ in read_blocks(args.log):
            pass

    blocks: list[Block] = list(read_blocks(args.log))
    n_lines = sum(len(b.lines) for b in blocks)
    cls = Registry.load().get(args.parser)

    def per_line() -> None:
        pipe = Pipeline("x", NullParser(), Classifier.load(), [])
        feed = pipe.feed
        for b in blocks:
            for lineno, text in enumerate(b.lines, b.start):
                feed(text, lineno)

    def per_block() -> None:
        pipe = Pipeline("x", NullParser(), Classifier.load(), [])
        for b in blocks:
            pipe.feed_lines(b.lines, b.start)

    events: list[Event] = []

    def parse() -> None:
        events.clear()
        parser = cls(path=args.log)
        for b in blocks:
            feed = parser.feed
            for lineno, text in enumerate(b.lines, b.start):
                found = feed(text, lineno)
                if found:
                    events.extend(found)

    classified: list[ClassifiedEvent] = []
    misses = 0

    def classify() -> None:
        nonlocal misses
        clf = Classifier.load()
        decide = clf._decide
        counted = [0]

        def counting(*a: Any) -> Any:
            counted[0] += 1
            return decide(*a)

        # Count the memo's misses: every miss calls _decide (frozen dataclass, so setattr).
        object.__setattr__(clf, "_decide", counting)
        classified[:] = [clf.classify_event(e) for e in events]
        misses = counted[0]

    def report() -> None:
        sink = Report()
        for item in classified:
            sink(item)
        sink.summary()

    print(f"{args.log}: {n_lines:,} lines, parser {args.parser}, best of {n_runs} (CPU s)")
    print(f"  read (batch source)         {best(n_runs, read):7.2f}")
    print(f"  pipeline overhead, feed     {best(n_runs, per_line):7.2f}")
    print(f"  pipeline overhead, feed_lines {best(n_runs, per_block):5.2f}")
    print(f"  parse                       {best(n_runs, parse):7.2f}   {len(events):,} events")
    t_classify = best(n_runs, classify)
    hit = 1 - misses / max(len(events), 1)
    print(f"  classify (fresh memo)       {t_classify:7.2f}   memo hit rate {hit:.0%}")
    print(f"  report sink + summary       {best(n_runs, report):7.2f}")
    t_flat = best(n_runs, lambda: [e.to_dict() for e in classified])
    print(f"  events: to_dict             {t_flat:7.2f}")


if __name__ == "__main__":
    main()
