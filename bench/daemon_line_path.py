"""The daemon's line path in one process, without its threads or the follower: what each sink
costs on the CPU (not a test).

    .venv/bin/python bench/daemon_line_path.py /tmp/b300.log --runs 3

Builds what ``logscan run`` wires for one Postfix source with the embedded default config (the
rules, the metrics sink, the alert engine with the shipped rules, message correlation with its
metrics) and feeds the file's 128 KiB blocks to the pipeline, five ways, interleaved run by
run; prints the median CPU time of each and its lines/s:

* ``metrics``: parser, classifier and the metrics sink (the daemon with nothing else);
* ``+notes``: plus message notes to a listener that drops them (the parsers' side);
* ``+tracker``: plus the MessageTracker (events and notes), no listener;
* ``+alerts``: the metrics sink and the alert engine;
* ``all``: what ``logscan run`` runs (alerts, tracker, message metrics).

``bench/daemon_bench.py`` measures the real process (the follower, the endpoint, scrapes).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from logscan.app import compose
from logscan.app.config import DEFAULT_TOML, parse_config
from logscan.core.event import MessageNote
from logscan.pipeline import Pipeline, Sink
from logscan.sinks.alerting.assembly import ALERT_METRICS, Alerting
from logscan.sinks.message_metrics import MESSAGE_METRICS, MessageMetrics
from logscan.sinks.messages import MessageTracker
from logscan.sinks.metrics import Metrics, MetricsSink
from logscan.sources.batch import read_blocks

VARIANTS = ("metrics", "+notes", "+tracker", "+alerts", "all")


def once(app: Any, path: str, variant: str) -> float:
    metrics = Metrics()
    for spec in (*ALERT_METRICS, *MESSAGE_METRICS):
        metrics.declare(spec)
    sinks: list[Sink] = [MetricsSink(metrics, app.classifier)]
    notes: Callable[[MessageNote], None] | None = None
    alerting = None
    if variant in ("+alerts", "all"):
        alerting = Alerting.assemble(
            app.config.alerting, app.rule_files, app.alert_rules,
            listen="127.0.0.1:9842", health=lambda: (),
        )  # fmt: skip
        sinks.append(alerting.sink)
    if variant == "+notes":
        notes = lambda note: None  # noqa: E731
    elif variant in ("+tracker", "all"):
        tracker = MessageTracker(MessageMetrics(metrics) if variant == "all" else None)
        sinks.append(tracker)
        notes = tracker.note
    pipe = Pipeline("bench", app.registry.get("postfix")(path=path), app.classifier, sinks,
                    notes=notes)  # fmt: skip
    start = time.process_time()
    for block in read_blocks(path):
        pipe.feed_lines(block.lines, block.start)
    spent = time.process_time() - start
    if alerting is not None:
        alerting.close(timeout=1.0)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    app = compose.load(parse_config(DEFAULT_TOML, "<embedded default>"))
    with open(args.file, "rb") as fh:
        lines = sum(1 for _ in fh)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(args.runs):
        for v in VARIANTS:
            times[v].append(once(app, args.file, v))
    base = statistics.median(times["metrics"])
    for v in VARIANTS:
        med = statistics.median(times[v])
        share = 100 * (med / base - 1)
        print(f"{v:<9} {med:6.2f} s  {share:+5.1f} %  {lines / med / 1000:4.0f}k lines/s")


if __name__ == "__main__":
    main()
