"""The pipeline of docs/design.md, for one source: lines -> parser -> classifier -> sinks.

Sources (batch files, tailed files, the journal) hand blocks of lines to
:meth:`Pipeline.feed_lines`; the pipeline counts each line's outcome (``event``, ``ignored``,
``unrecognized``), classifies the events the parser returns and passes them to every sink::

    seen = []
    parser = Registry.load().get("postfix")(path="mail.log")
    pipe = Pipeline("mail.log", parser, Classifier.load(), [seen.append])
    pipe.feed_lines(["Jan  1 00:00:00 mx postfix/smtp[1]: 3F2A1: to=<a@b.c>, ... sent ..."], 1)
    # pipe.counts.event == 1; seen[0] is the ClassifiedEvent
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Event, MessageNote
from logscan.core.timestamp import TimestampCheck
from logscan.parsing.api import Parser

# A sink consumes classified events (metrics, alert engine, report). It never parses.
Sink = Callable[[ClassifiedEvent], None]

# Longer lines are cut before parsing: no MTA writes a meaningful reply past this, and a
# pathological 10 MB line must not cost 10 MB of regex work. The line is still counted once.
MAX_LINE_CHARS = 64 * 1024

LineOutcome = Literal["event", "ignored", "unrecognized"]
OUTCOMES: tuple[LineOutcome, ...] = get_args(LineOutcome)


@dataclass(frozen=True)
class ParserFault:
    """Lines on which the parser raised (a bug): ``count`` of the lines ``first`` to ``last`` of
    ``source`` (one line when ``first == last``). They are counted as unrecognized too."""

    source: str
    parser: str
    first: int
    last: int
    count: int

    def lines(self) -> str:
        """``"line 7"``, ``"3 of lines 10-2009"``: where to look."""
        if self.first == self.last:
            return f"line {self.first}"
        return f"{self.count} of lines {self.first}-{self.last}"


@dataclass
class LineCounts:
    event: int = 0
    ignored: int = 0
    unrecognized: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"event": self.event, "ignored": self.ignored, "unrecognized": self.unrecognized}


_NO_LINE = 1 << 62  # a line number past any file's: no note to hand over


@dataclass
class Pipeline:
    source: str
    parser: Parser
    classifier: Classifier
    sinks: Sequence[Sink]
    counts: LineCounts = field(default_factory=LineCounts)
    # Lines on which the parser raised (they are counted as unrecognized too).
    parser_errors: int = 0
    # Told of each block with such lines (the daemon logs them, scan prints them).
    on_parser_error: Callable[[ParserFault], None] | None = None
    # Called with (lineno, text) for each unrecognized line (e.g. `scan --show-unrecognized`).
    on_unrecognized: Callable[[int, str], None] | None = None
    # Message milestones (arrival, queue, removal) for message correlation: handed to the
    # parser, which reports them there (see :class:`logscan.core.event.MessageNote`).
    notes: Callable[[MessageNote], None] | None = None
    # Called after each block and after the flush, once its events and notes are handed over
    # (a sink that queues what it gets settles it there: MessageTracker.settle).
    after_block: Callable[[], None] | None = None

    # The notes the parser gave while reading the block (or flushing), in its order: they go
    # out by their line between the block's events, which come only after the block.
    _held: list[MessageNote] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.notes is not None:
            # One callback for the parser's whole life (parsers may hand it on to readers of
            # their own, as Exchange's tracking log does): the held list's own append, which
            # costs no Python call per note.
            self.parser.notes = self._held.append

    @property
    def invalid_timestamps(self) -> int:
        """Impossible timestamps the parser set to null so far (see
        :mod:`logscan.core.timestamp`)."""
        # getattr: a plug-in whose __init__ skips the base class's has no check.
        check = getattr(self.parser, "timestamps", None)
        return check.invalid if isinstance(check, TimestampCheck) else 0

    def feed(self, text: str, lineno: int) -> LineOutcome:
        """Process one line (without its line ending); return its outcome (:meth:`feed_lines`
        for a block of one)."""
        c = self.counts
        event, ignored = c.event, c.ignored
        self.feed_lines((text,), lineno)
        return (
            "event" if c.event != event else "ignored" if c.ignored != ignored else "unrecognized"
        )

    def feed_lines(self, lines: Sequence[str], start: int) -> None:
        """Process consecutive lines numbered from ``start``: the one way lines enter a pipeline
        (the daemon's reads, ``logscan scan``'s blocks, :meth:`feed`).

        Lines longer than :data:`MAX_LINE_CHARS` are cut. A line on which the parser raises is
        counted in :attr:`parser_errors` and as unrecognized, and reported to
        ``on_parser_error``; the lines around it go on as usual. The parser takes the whole
        block (``Parser.feed_block``, which skips ignorable lines without a call each) and hands
        back only the lines that matter; message notes are merged in by line.
        """
        if lines and max(map(len, lines)) > MAX_LINE_CHARS:
            lines = [text[:MAX_LINE_CHARS] for text in lines]
        notes = self.notes
        if notes is None:
            self._feed_block(lines, start, ())
        else:
            self._feed_noted_block(lines, start, notes)
        if self.after_block is not None:
            self.after_block()

    def _feed_noted_block(
        self, lines: Sequence[str], start: int, notes: Callable[[MessageNote], None]
    ) -> None:
        # Message notes reach us while the parser reads, events only after the block: held,
        # the notes go out by their line between the events, as they came in the log (a
        # message removed within the block must end after its deliveries are seen).
        held = self._held
        try:
            rest = self._feed_block(lines, start, held)
            for note in rest:
                notes(note)  # the notes after the block's last event
        finally:
            held.clear()

    def _feed_block(
        self, lines: Sequence[str], start: int, held: Sequence[MessageNote]
    ) -> Sequence[MessageNote]:
        """Feed the block, pass its events to the sinks, the ``held`` notes (filled while the
        parser reads) before the events of their line and after those of the lines before;
        return the notes not handed over yet."""
        ignored, errors, rest, failed = self.parser.feed_block(lines, start)
        if errors:
            first, last = (failed[0], failed[-1]) if failed else (start, start + len(lines) - 1)
            self._faulted(first, last, errors)
        classify = self.classifier.classify_event
        sinks = self.sinks
        on_unrecognized = self.on_unrecognized
        notes = self.notes
        n_held = len(held)
        # The line of the next note to hand over; past the last line when there is none.
        next_note = held[0].line if held else _NO_LINE
        i = event = unrecognized = 0
        try:
            for lineno, text, events in rest:
                if next_note <= lineno:
                    assert notes is not None
                    while next_note <= lineno:
                        notes(held[i])
                        i += 1
                        next_note = held[i].line if i < n_held else _NO_LINE
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
        return held[i:]

    def _faulted(self, first: int, last: int, count: int) -> None:
        self.parser_errors += count
        if self.on_parser_error is not None:
            name = getattr(self.parser, "name", type(self.parser).__name__)
            self.on_parser_error(ParserFault(self.source, name, first, last, count))

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
        if self.notes is not None:  # what the parser still held ends before its events
            for note in self._held:
                self.notes(note)
            self._held.clear()
        self._emit(events)
        if self.after_block is not None:
            self.after_block()

    def _emit(self, events: Sequence[Event]) -> None:
        classify = self.classifier.classify_event
        for ev in events:
            classified = classify(ev)
            for sink in self.sinks:
                sink(classified)
