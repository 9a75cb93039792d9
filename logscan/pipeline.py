"""The pipeline of docs/design.md, for one source: lines -> parser -> classifier -> sinks.

Sources (batch files, tailed files, the journal) hand each line to :meth:`Pipeline.feed`; the
pipeline counts the line's outcome (``event``, ``ignored``, ``unrecognized``), classifies the events
the parser returns and passes them to every sink::

    seen = []
    parser = Registry.load().get("postfix")(path="mail.log")
    pipe = Pipeline("mail.log", parser, Classifier.load(), [seen.append])
    pipe.feed("Jan  1 00:00:00 mx postfix/smtp[1]: 3F2A1: to=<a@b.c>, ... status=sent ...", 1)
    # -> "event"; seen[0] is the ClassifiedEvent
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Event, MessageNote
from logscan.core.timestamp import TimestampCheck
from logscan.parsing.api import Parser

# A sink consumes classified events (metrics, alert engine, report). It never parses.
Sink = Callable[[ClassifiedEvent], None]

# Longer lines are cut before parsing: no MTA writes a meaningful reply past this, and a
# pathological 10 MB line must not cost 10 MB of regex work. The line is still counted once.
MAX_LINE_CHARS = 64 * 1024

OUTCOMES = ("event", "ignored", "unrecognized")


@dataclass
class LineCounts:
    event: int = 0
    ignored: int = 0
    unrecognized: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"event": self.event, "ignored": self.ignored, "unrecognized": self.unrecognized}


@dataclass
class Pipeline:
    source: str
    parser: Parser
    classifier: Classifier
    sinks: Sequence[Sink]
    counts: LineCounts = field(default_factory=LineCounts)
    # Lines on which the parser raised (they are counted as unrecognized too).
    parser_errors: int = 0
    # Called with (lineno, text) for each unrecognized line (e.g. `scan --show-unrecognized`).
    on_unrecognized: Callable[[int, str], None] | None = None
    # Message milestones (arrival, queue, removal) for message correlation: handed to the
    # parser, which reports them there (see :class:`logscan.core.event.MessageNote`).
    notes: Callable[[MessageNote], None] | None = None

    def __post_init__(self) -> None:
        if self.notes is not None:
            self.parser.notes = self.notes

    @property
    def invalid_timestamps(self) -> int:
        """Impossible timestamps the parser set to null so far (see
        :mod:`logscan.core.timestamp`)."""
        # getattr: a plug-in whose __init__ skips the base class's has no check.
        check = getattr(self.parser, "timestamps", None)
        return check.invalid if isinstance(check, TimestampCheck) else 0

    def feed(self, text: str, lineno: int) -> str:
        """Process one line (without its line ending); return its outcome."""
        if len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS]
        try:
            events = self.parser.feed(text, lineno)
        except Exception:
            # A parser bug must not stop the daemon or lose the lines around it; the line is
            # counted as unrecognized so the fault shows in the metrics.
            self.parser_errors += 1
            events = None
        if events is None:
            self.counts.unrecognized += 1
            if self.on_unrecognized is not None:
                self.on_unrecognized(lineno, text)
            return "unrecognized"
        if not events:
            self.counts.ignored += 1
            return "ignored"
        self.counts.event += 1
        self._emit(events)
        return "event"

    def feed_lines(self, lines: Sequence[str], start: int) -> None:
        """Process consecutive lines numbered from ``start``: :meth:`feed` for a whole block.

        The batch fast path: the parser takes the whole block (``Parser.feed_block``, which
        skips ignorable lines without a call each) and hands back only the lines that matter.
        Outcomes, truncation and error handling are those of :meth:`feed`. Not taken while
        message notes are wanted (their order with the events must be the log's).
        """
        if self.notes is not None:
            # Message notes reach the tracker as the parser reads, events only after the block:
            # a message removed within the block would end before its deliveries were seen.
            # Line by line keeps the log's order.
            for lineno, text in enumerate(lines, start):
                self.feed(text, lineno)
            return
        if lines and max(map(len, lines)) > MAX_LINE_CHARS:
            lines = [text[:MAX_LINE_CHARS] for text in lines]
        ignored, errors, rest = self.parser.feed_block(lines, start)
        self.parser_errors += errors
        classify = self.classifier.classify_event
        sinks = self.sinks
        on_unrecognized = self.on_unrecognized
        event = unrecognized = 0
        try:
            for lineno, text, events in rest:
                if events:
                    event += 1
                    for ev in events:
                        classified = classify(ev)
                        for sink in sinks:
                            sink(classified)
                else:
                    unrecognized += 1
                    if on_unrecognized is not None:
                        on_unrecognized(lineno, text)
        finally:  # even if a sink fails, the lines handled so far stay counted
            counts = self.counts
            counts.event += event
            counts.ignored += ignored
            counts.unrecognized += unrecognized

    def state_evictions(self) -> int:
        """The parser's state evictions so far (see ``Parser.state_evictions``); 0 when a
        plug-in cannot say (it must not stop the line path)."""
        try:
            n = self.parser.state_evictions()
        except Exception:
            return 0
        return n if isinstance(n, int) and n >= 0 else 0

    def flush(self) -> None:
        """End of input: emit what the parser still holds (e.g. an unfinished multi-line reply)."""
        try:
            events = self.parser.flush()
        except Exception:
            events = []
        self._emit(events)

    def _emit(self, events: Sequence[Event]) -> None:
        classify = self.classifier.classify_event
        for ev in events:
            classified = classify(ev)
            for sink in self.sinks:
                sink(classified)
