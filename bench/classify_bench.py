"""Microseconds per classification on the Sisimai reply texts (418 real bounce replies).

    python bench/classify_bench.py [--runs 7]

Measures, per reply, in one process (medians over ``--runs`` passes over all texts):
- cold: ``Classifier._decide`` (no memo: the full signature and catalogue decision),
- warm: ``Classifier.classify`` with the memo already filled (a repeated reply),
- scan: the cold path with the needle prefilter switched off (every regex tried), to show what
  the prefilter buys,
- peer: ``parse_reply`` on the same texts (the cheapest per-reply work a parser does), as the
  machine-speed yardstick that the ratios are relative to.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from logscan.classify.classifier import Classifier
from logscan.classify.needles import Part
from logscan.classify.signatures import Signatures
from logscan.parsing.reply import enhanced_in_text, parse_reply

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "sisimai" / "replies.tsv"

Reply = tuple[str, str | None, str]


def load() -> list[Reply]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [
        (r["replycode"], enhanced_in_text(r["text"]), r["text"]) for r in rows if r["replycode"]
    ]


def without_prefilter(sigs: Signatures) -> Signatures:
    """The same signatures with no needles: every regex is tried on every text."""
    plain = {
        s.id: dataclasses.replace(
            s,
            needles=(),
            parts=(Part((), s.pattern_source, False),) if s.pattern_source is not None else (),
        )
        for s in sigs.ordered
    }
    ident = tuple(plain[s.id] for s in sigs.identifiers)
    decide = tuple(plain[s.id] for s in sigs.deciders)
    ordered = tuple(plain[s.id] for s in sigs.ordered)
    return Signatures(ordered, sigs.hosts, ident, decide)


def per_call_us(fn: Callable[[Reply], object], replies: list[Reply], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        for r in replies:
            fn(r)
        times.append((time.process_time() - start) / len(replies) * 1e6)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    replies = load()
    clf = Classifier.load()
    scan = Classifier(clf.catalogue, without_prefilter(clf.signatures))
    for r in replies:  # fill the memo for the warm figure
        clf.classify(r[0], r[1], r[2])

    peer = per_call_us(lambda r: parse_reply(r[2]), replies, args.runs)
    cold = per_call_us(lambda r: clf._decide(r[0], r[1], r[2], None, None), replies, args.runs)
    warm = per_call_us(lambda r: clf.classify(r[0], r[1], r[2]), replies, args.runs)
    naive = per_call_us(lambda r: scan._decide(r[0], r[1], r[2], None, None), replies, args.runs)

    print(f"python {platform.python_version()} on {platform.machine()}, {len(replies)} replies,")
    print(f"{len(clf.signatures.ordered)} signatures, median of {args.runs} passes")
    for name, us in (
        ("peer parse_reply", peer),
        ("cold _decide", cold),
        ("warm classify", warm),
        ("cold, no prefilter", naive),
    ):
        print(f"  {name:20} {us:8.2f} us/reply   {us / peer:6.1f} x peer")
    print(f"  prefilter speed-up   {naive / cold:8.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
