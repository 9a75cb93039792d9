"""Throughput and ground-truth check of the Exim and Sendmail parsers on genlog.py output.

    python bench/exim_sendmail_parsers.py --genlog /work/shared/bench/genlog.py \
        --lines 200000 --runs 3

For each MTA: generate the log and its per-line truth (seed 1), then time, in the same
process and interleaved run by run, a bare line loop, one compiled regex per line (the
classic peer) and the parser; print medians and ratios, and compare the parser's events with
the truth line by line (codes it read from the line, and delivery outcomes). Times are CPU
time of this process (one core), so other jobs on a shared machine weigh less.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from logscan.parsing.api import Parser
from parsers.exim import EximParser
from parsers.sendmail import SendmailParser

PARSERS: dict[str, type[Parser]] = {"exim": EximParser, "sendmail": SendmailParser}
PEER = re.compile(r"(?:stat=|reject=|C=\"|: )([2-5]\d\d)[ -]")
# genlog's status names -> the contract's
STATUS = {"sent": "sent", "deferred": "deferred", "bounced": "bounced", "reject": "rejected"}


def bare(lines: list[str]) -> int:
    n = 0
    for line in lines:
        n += len(line)
    return n


def one_regex(lines: list[str]) -> int:
    search = PEER.search
    return sum(1 for line in lines if search(line))


def parse_only(cls: type[Parser], lines: list[str]) -> int:
    """What the daemon pays: feed every line, count the events."""
    feed = cls("bench", 2024).feed
    n_events = 0
    for n, line in enumerate(lines, 1):
        evs = feed(line, n)
        if evs:
            n_events += len(evs)
    return n_events


def parse_all(cls: type[Parser], lines: list[str]) -> dict[int, list[object]]:
    p = cls("bench", 2024)
    out: dict[int, list[object]] = {}
    feed = p.feed
    for n, line in enumerate(lines, 1):
        evs = feed(line, n)
        if evs:
            out[n] = list(evs)
    return out


def timed(fn: Callable[[], object]) -> float:
    """CPU seconds of ``fn``: on a shared machine, wall time also counts other jobs' turns."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def check_truth(mta: str, lines: list[str], truth_tsv: Path) -> dict[str, object]:
    events = parse_all(PARSERS[mta], lines)
    truth: dict[int, list[str]] = {}
    for row in truth_tsv.read_text().splitlines()[1:]:
        cols = row.split("\t")
        truth[int(cols[0])] = cols[1:]
    code_lines = code_hits = status_hits = status_lines = enhanced_hits = codes_not_in_truth = 0
    extra_status: Counter[str] = Counter()
    for n, (status, code, enhanced, _dsn) in truth.items():
        evs = events.get(n, [])
        if code != "-":
            code_lines += 1
            same = [e for e in evs if e.code == code and not e.code_inferred]  # type: ignore[attr-defined]
            code_hits += bool(same)
            enhanced_hits += any(
                e.enhanced == (None if enhanced == "-" else enhanced) for e in same
            )  # type: ignore[attr-defined]
        if status != "-":
            status_lines += 1
            if any(e.status == STATUS.get(status) for e in evs):  # type: ignore[attr-defined]
                status_hits += 1
    for n, evs in events.items():
        t = truth.get(n)
        for e in evs:
            if e.code and not e.code_inferred and (t is None or t[1] == "-"):  # type: ignore[attr-defined]
                codes_not_in_truth += 1
            st = e.status  # type: ignore[attr-defined]
            if st and (t is None or STATUS.get(t[0]) != st):
                extra_status[st] += 1
    return {
        "code_lines": code_lines,
        "code_hits": code_hits,
        "same_enhanced": enhanced_hits,
        "codes_not_in_truth": codes_not_in_truth,
        "status_lines": status_lines,
        "status_hits": status_hits,
        "events": sum(len(v) for v in events.values()),
        "outcomes_not_in_truth": dict(extra_status),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--genlog", required=True)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for mta, cls in PARSERS.items():
            log, tsv = Path(tmp, f"{mta}.log"), Path(tmp, f"{mta}.tsv")
            with log.open("w") as out:
                subprocess.run(
                    [
                        sys.executable,
                        args.genlog,
                        "--mta",
                        mta,
                        "--lines",
                        str(args.lines),
                        "--seed",
                        "1",
                        "--truth-lines",
                        str(tsv),
                        "--truth",
                        str(Path(tmp, f"{mta}.json")),
                    ],
                    stdout=out,
                    check=True,
                )
            lines = log.read_text(encoding="utf-8").splitlines()
            times: dict[str, list[float]] = {"bare loop": [], "one regex": [], "parser": []}
            for _ in range(args.runs):
                times["bare loop"].append(timed(partial(bare, lines)))
                times["one regex"].append(timed(partial(one_regex, lines)))
                times["parser"].append(timed(partial(parse_only, cls, lines)))
            med = {k: statistics.median(v) for k, v in times.items()}
            print(f"== {mta}: {len(lines)} lines, CPU time, medians of {args.runs} runs")
            for k, v in med.items():
                print(
                    f"  {k:10s} {v:7.3f} s  {len(lines) / v:12,.0f} lines/s"
                    f"  ({v / med['one regex']:.2f}x one regex)"
                )
            print("  truth:", check_truth(mta, lines, tsv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
