"""Lines of one source (a file, or a journal) -> its pipeline, with the outcomes counted.

The parser is named by the config, remembered from the checkpoint, or detected from the first
lines read (``auto``); until one is known, lines count as ``unrecognized`` under parser ``none``.
A parser that raises on a line costs that line only: the pipeline counts it, and it is logged
here with the source, the path and the line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from logscan.classify.classifier import Classifier
from logscan.core.event import MessageNote
from logscan.parsing.registry import Registry
from logscan.pipeline import ParserFault, Pipeline, Sink
from logscan.sinks.metric_handles import OpsMetrics

log = structlog.get_logger("logscan.app.daemon")

# Lines shown to the parsers' detect() (fewer if the first read is shorter).
DETECT_LINES = 50


@dataclass(frozen=True)
class Wiring:
    """What every source's pipelines are built from; a reload makes a new one."""

    registry: Registry
    classifier: Classifier
    sinks: Sequence[Sink]
    ops: OpsMetrics
    # Where parsers report message milestones (message correlation); None: they don't.
    notes: Callable[[MessageNote], None] | None = None


class SourceFeed:
    """The line handler (``sources.file_reader.LineHandler``) of one file or journal of a source."""

    def __init__(self, wiring: Wiring, source: str, path: str, parser: str) -> None:
        self.wiring = wiring
        self.source = source
        self.path = path
        self.parser_name = parser  # "auto" until detected
        self.pipeline: Pipeline | None = None
        if parser != "auto":
            self._make(parser)

    def __call__(self, lines: list[str], first: int) -> None:
        if self.pipeline is None:
            cls = self.wiring.registry.detect(lines[:DETECT_LINES], self.path)
            if cls is not None:
                self._make(cls.name)
                log.info("parser detected", source=self.source, path=self.path, parser=cls.name)
        now = time.time()
        ops = self.wiring.ops
        ops.last_line.set(self.source, value=now)
        p = self.pipeline
        if p is None:
            ops.lines.inc(self.source, "none", "unrecognized", by=len(lines))
            return
        c = p.counts
        ev, ig, un, errs = c.event, c.ignored, c.unrecognized, p.parser_errors
        evicted = p.state_evictions()
        bad_ts = p.invalid_timestamps
        p.feed_lines(lines, first)
        labels = (self.source, self.parser_name)
        if c.event != ev:
            ops.lines.inc(*labels, "event", by=c.event - ev)
            ops.last_event.set(self.source, value=now)
        if c.ignored != ig:
            ops.lines.inc(*labels, "ignored", by=c.ignored - ig)
        if c.unrecognized != un:
            ops.lines.inc(*labels, "unrecognized", by=c.unrecognized - un)
        if p.parser_errors != errs:
            ops.parser_errors.inc(*labels, by=p.parser_errors - errs)
        evicted = p.state_evictions() - evicted
        if evicted > 0:
            ops.parser_state_evictions.inc(*labels, by=evicted)
        if p.invalid_timestamps != bad_ts:
            ops.invalid_timestamps.inc(*labels, by=p.invalid_timestamps - bad_ts)

    def rewire(self, wiring: Wiring) -> None:
        """New rules (a reload): the parser and its state stay, the classifier changes."""
        self.wiring = wiring
        if self.pipeline is not None:
            self.pipeline.classifier = wiring.classifier

    def _make(self, name: str) -> None:
        w = self.wiring
        self.parser_name = name
        self.pipeline = Pipeline(
            self.source,
            w.registry.get(name)(path=self.path),
            w.classifier,
            w.sinks,
            notes=w.notes,
            on_parser_error=self._log_fault,
        )

    def _log_fault(self, fault: ParserFault) -> None:
        # No traceback: the fault is the parser's, and a flood of them must stay readable.
        log.error(
            "parser raised on a line: counted as unrecognized (a parser bug)",
            source=self.source,
            path=self.path,
            parser=fault.parser,
            lines=fault.lines(),
        )
