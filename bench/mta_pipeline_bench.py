#!/usr/bin/env python3
"""Full pipeline throughput per MTA format: parse, classify and count, on one core.

    python3 bench/mta_pipeline_bench.py --lines 1000000 --runs 3
    python3 bench/mta_pipeline_bench.py --formats exim mdaemon --lines 200000

Logs come from ``/work/shared/bench/genlog.py`` (exim, sendmail) and
``bench/gen_exchange_mdaemon.py`` (Exchange tracking, Send and Receive protocol, MDaemon), cached
in bench/out. In one process, alternating run by run, each format's lines (read once into memory
as ``logscan scan`` reads them, in blocks) go through:

- bare: a loop touching every line (the floor for Python);
- one regex: one compiled search per line for a reply code, the classic exporter's approach;
- pipeline: ``Pipeline.feed_lines`` with the real parser, classifier and the ``Report`` sink,
  what ``logscan scan`` does per file.

Times are CPU seconds of this process (``time.process_time``), medians of ``--runs``: the machine
is shared, and CPU time is what another engineer's job disturbs least.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from logscan.classify.classifier import Classifier
from logscan.parsing.api import Parser
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline
from logscan.sinks.report.summary import Report
from logscan.sources.batch import Block, read_blocks

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GENLOG = Path("/work/shared/bench/genlog.py")
# format -> (generator command, parser name)
FORMATS: dict[str, tuple[list[str], str]] = {
    "exim": ([str(GENLOG), "--mta", "exim"], "exim"),
    "sendmail": ([str(GENLOG), "--mta", "sendmail"], "sendmail"),
    "exchange-tracking": ([str(HERE / "gen_exchange_mdaemon.py"), "--format", "tracking"], ""),
    "exchange-send": ([str(HERE / "gen_exchange_mdaemon.py"), "--format", "send"], ""),
    "exchange-receive": ([str(HERE / "gen_exchange_mdaemon.py"), "--format", "receive"], ""),
    "mdaemon": ([str(HERE / "gen_exchange_mdaemon.py"), "--format", "mdaemon"], "mdaemon"),
}
# A reply code where the formats put one (stat=, reject=, Exim's C=", CSV fields, MDaemon's "<-- ").
PEER = re.compile(r"(?:stat=|reject=|C=\"|: |,|<-- )([2-5]\d\d)[ -]")


def generate(fmt: str, lines: int, seed: int) -> Path:
    OUT.mkdir(exist_ok=True)
    log = OUT / f"{fmt}-{lines}-s{seed}.log"
    if not log.exists():
        cmd, _ = FORMATS[fmt]
        print(f"generating {log} ...", file=sys.stderr)
        with open(log, "wb") as f:
            subprocess.run(
                [sys.executable, *cmd, "--lines", str(lines), "--seed", str(seed)],
                stdout=f,
                check=True,
            )
    return log


def cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def measure(
    log: Path, blocks: list[Block], cls: type[Parser], rules: Classifier, runs: int
) -> tuple[dict[str, float], dict[str, int]]:
    """Median CPU seconds of the three loops over ``blocks``, and the pipeline's counts."""
    counts: dict[str, int] = {}

    def bare() -> None:
        k = 0
        for b in blocks:
            for _line in b.lines:
                k += 1

    def one_regex() -> None:
        search = PEER.search
        for b in blocks:
            for line in b.lines:
                search(line)

    def pipeline() -> None:
        # A fresh memo each run: the classifier's caches must not carry over between runs.
        clf = Classifier(rules.catalogue, rules.signatures)
        report = Report()
        pipe = Pipeline(str(log), cls(str(log), year=2024), clf, [report])
        for b in blocks:
            pipe.feed_lines(b.lines, b.start)
        pipe.flush()
        counts.update(pipe.counts.as_dict(), events=report.summary()["events"])

    times: dict[str, list[float]] = {"bare": [], "regex": [], "pipeline": []}
    for _ in range(runs):
        times["bare"].append(cpu(bare))
        times["regex"].append(cpu(one_regex))
        times["pipeline"].append(cpu(pipeline))
    return {k: statistics.median(v) for k, v in times.items()}, counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", nargs="*", default=list(FORMATS))
    args = ap.parse_args()
    if not GENLOG.exists() and {"exim", "sendmail"} & set(args.formats):
        print(f"skipped exim and sendmail: {GENLOG} is not available", file=sys.stderr)
        args.formats = [f for f in args.formats if f not in ("exim", "sendmail")]
    registry = Registry.load()
    rules = Classifier.load()
    rows = []
    for fmt in args.formats:
        log = generate(fmt, args.lines, args.seed)
        blocks: list[Block] = list(read_blocks(str(log)))
        head = [line for b in blocks[:1] for line in b.lines][:50]
        name = FORMATS[fmt][1]
        cls = registry.get(name) if name else registry.detect(head, str(log))
        assert cls is not None, fmt
        med, counts = measure(log, blocks, cls, rules, args.runs)
        n = sum(len(b.lines) for b in blocks)
        rows.append((fmt, cls.name, n, log.stat().st_size, med, counts))
        print(f"{fmt}: {med} {counts}", file=sys.stderr)
    print(
        "| format | parser | lines | MB | bare s | one regex s | pipeline s | pipeline lines/s "
        "| pipeline / one regex | outcomes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for fmt, parser, n, size, med, counts in rows:
        print(
            f"| {fmt} | {parser} | {n:,} | {size / 1e6:.0f} | {med['bare']:.2f} "
            f"| {med['regex']:.2f} "
            f"| {med['pipeline']:.2f} | {n / med['pipeline']:,.0f} "
            f"| {med['pipeline'] / med['regex']:.1f} | {counts} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
