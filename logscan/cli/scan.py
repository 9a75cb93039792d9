"""``logscan scan``: read logs once (plain, gzip or stdin) and print a report or the events.

Each file gets its own parser instance, picked from its first lines and its name by the
registry unless ``--parser`` forces one. Lines flow through the same :class:`Pipeline` as in the
daemon; the sinks are the :class:`Report` and, with ``--format events``, a JSON-lines writer::

    logscan scan /var/log/mail.log*                 # rotated files are read oldest first
    zcat old.log.gz | logscan scan --format json -
    logscan scan --parser exim --format events mainlog | jq .category

Several files are parsed in ``-j`` worker processes and summed here in order
(:mod:`logscan.cli.parallel`): the output is the one ``-j 1`` prints.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TextIO

import orjson

from logscan.app.config import ConfigError
from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import RuleError
from logscan.cli import parallel, progress
from logscan.cli.rules_options import add_rules_arguments, load_classifier
from logscan.core.event import ClassifiedEvent, MessageNote
from logscan.parsing.api import Parser
from logscan.parsing.registry import Registry
from logscan.pipeline import MAX_LINE_CHARS, LineCounts, ParserFault, Pipeline, Sink
from logscan.sinks.messages import MessageTracker
from logscan.sinks.report.gaps import Gaps
from logscan.sinks.report.summary import FileResult, Report
from logscan.sinks.report.table import render
from logscan.sinks.report.time_window import TimeWindow, parse_when
from logscan.sinks.report.traffic import Traffic
from logscan.sinks.report.traffic_table import render_traffic
from logscan.sources.batch import STDIN, Block, SourceError, display_name, order_files, read_blocks

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_NOTHING_SCANNED = 2
# Lines of a file shown to the parsers' detect() (fewer if the file is shorter).
HEAD_LINES = 50

EPILOG = """\
Files are read in the order given, except that rotated files of one log are read oldest
first (mail.log.2.gz, mail.log.1, mail.log); a file named twice (or through a link) is read
once. gzip is recognised by its magic bytes, so a compressed file need not end in .gz. Invalid
UTF-8 is replaced, never fatal; lines longer than 64 KiB are cut. An empty file is not an
error. Of a truncated gzip, the lines before the cut are counted, the cut line is not.

-j N reads up to N files at once, one worker process per file (default: the cores this
process may use); the output is the one -j 1 prints, whatever N. One file is never split:
every built-in parser keeps state from line to line, so a large file takes one core. With
stdin among the files, or one file, files are read one after another.

--format events prints one JSON object per event as it is found (see docs/design.md "Event");
--format json prints the summary as one JSON document; errors go to stderr.

exit status:
  0  every file was read to its end by a parser
  1  some files failed (missing, permission denied, a directory, gzip truncated or corrupt,
     or no parser recognised the log); the report covers everything that was read,
     including the lines of a truncated file before the cut
  2  nothing could be scanned (every file failed), a usage or rules error, or a -j worker
     failed (e.g. no space for its temporary file): no report rather than one missing lines
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "--parser", metavar="NAME", help="use this parser for every file (see `logscan parsers`)"
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "html", "events"),
        default="table",
        help="table: a readable report (default); json: the report as JSON; html: the report "
        "as one self-contained HTML page with charts (fit to be mailed); "
        "events: one JSON object per event, streamed",
    )
    parser.add_argument(
        "--show-unrecognized",
        action="store_true",
        help="list the lines no parser understood (the first 200, with path:line)",
    )
    add_rules_arguments(parser)
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="report only what was logged at or after WHEN: an ISO date or time "
        "(2024-03-01, 2024-03-01T10:00), today, yesterday, or -1h, -30m, -2d (as pflogsumm -d)",
    )
    parser.add_argument(
        "--until", metavar="WHEN", help="report only what was logged before WHEN (as --since)"
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=parallel.jobs_argument,
        default=None,
        metavar="N",
        help="files read at once, one worker process per file "
        f"(default: the usable cores, {parallel.default_jobs()} here)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress on stderr (shown on a terminal)"
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="log file, plain or gzip; - for stdin"
    )


def run(args: argparse.Namespace) -> int:
    if args.files.count(STDIN) > 1:
        return _fail("stdin (-) can be given only once")
    try:
        classifier = load_classifier(args)
    except (RuleError, ConfigError) as exc:
        return _fail(f"rules: {exc}")
    registry = Registry.load()
    forced: type[Parser] | None = None
    if args.parser:
        try:
            forced = registry.get(args.parser)
        except KeyError as exc:
            return _fail(str(exc.args[0]))

    try:
        window = TimeWindow(
            parse_when(args.since) if args.since else None,
            parse_when(args.until) if args.until else None,
        )
    except ValueError as exc:
        return _fail(f"--since/--until: {exc}")
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):
        # Log text may hold anything; printing it must not fail on a narrow terminal encoding.
        out.reconfigure(errors="backslashreplace")
    report = Report()
    gaps = Gaps()
    traffic = Traffic()
    messages = MessageTracker(traffic.finished)
    # The tracker takes each block's events and notes in one go (MessageTracker.pending).
    sinks: list[Sink] = [report, gaps, messages.pending.append, traffic]
    if args.format == "events":
        sinks.append(EventWriter(out))
    notes: Callable[[MessageNote], None] = messages.pending.append
    if window.since is not None or window.until is not None:
        sinks = [window.wrap(sink, _event_ts) for sink in sinks]
        notes = window.wrap(notes, _note_ts)
    scanner = FileScanner(
        registry, forced, classifier, sinks, report, args.show_unrecognized, notes,
        sys.stderr if progress.wanted(sys.stderr, args.quiet) else None, print_parser_fault,
        after_block=messages.settle,
    )  # fmt: skip
    results = []
    paths = unique_files(order_files(args.files))
    jobs = args.jobs or parallel.default_jobs()
    try:
        with contextlib.closing(parallel.scan_files(scanner, paths, jobs)) as scanned:
            for result in scanned:
                report.add_file(result)
                results.append(result)
                if result.error:
                    print(f"logscan scan: {result.error}", file=sys.stderr)
    except parallel.WorkerFailed as exc:
        return _fail(str(exc))

    messages.finish_all()  # what is still queued when the logs end is "in_flight"
    summary = report.summary()
    summary["window"] = {"since": window.since, "until": window.until}
    summary["traffic"] = traffic.summary()
    summary.update(gaps.summary())
    if args.format == "json":
        json.dump(summary, out, indent=1)
        out.write("\n")
    elif args.format == "html":
        from logscan.sinks.report.html import render_html  # 5 ms of imports only this needs

        out.write(render_html(summary))
    elif args.format == "table":
        out.write(render(summary, args.show_unrecognized))
        out.write(gaps.table())
        out.write("\n" + render_traffic(summary["traffic"]))
    out.flush()
    return exit_status(results)


def print_parser_fault(fault: ParserFault) -> None:
    """A parser bug: the line is counted as unrecognized, the scan goes on; say where."""
    print(
        f"logscan scan: {fault.source}: the {fault.parser} parser raised on {fault.lines()}; "
        "counted as unrecognized (a parser bug: please report it with the line)",
        file=sys.stderr,
    )


def _event_ts(item: ClassifiedEvent) -> str | None:
    return item.event.ts


def _note_ts(note: MessageNote) -> str | None:
    return note.ts


def unique_files(paths: Sequence[str]) -> list[str]:
    """``paths`` without second mentions of one file (same device and inode): every line once."""
    seen: set[tuple[int, int]] = set()
    out = []
    for path in paths:
        try:
            st = os.stat(path) if path != STDIN else None
        except OSError:
            st = None  # the reader reports it, with the reason
        if st is not None:
            if (st.st_dev, st.st_ino) in seen:
                print(f"logscan scan: {path}: given more than once; read once", file=sys.stderr)
                continue
            seen.add((st.st_dev, st.st_ino))
        out.append(path)
    return out


def exit_status(results: Sequence[FileResult]) -> int:
    """0 if all went well, 2 if every file failed before a line was counted, else 1."""
    failed = [r for r in results if r.error]
    if not failed:
        return EXIT_OK
    if len(failed) == len(results) and not any(r.lines for r in results):
        return EXIT_NOTHING_SCANNED
    return EXIT_SOME_FAILED


def _fail(message: str) -> int:
    print(f"logscan scan: {message}", file=sys.stderr)
    return EXIT_NOTHING_SCANNED


@dataclass(frozen=True)
class EventWriter:
    """Sink printing each event as one JSON line (``--format events``).

    orjson encodes a line 10 times faster than ``json.dumps``, compactly (no blanks after ``:``
    and ``,``). Output stays ASCII, as ``json.dumps`` makes it: a line with other characters
    (rare) is encoded by ``json.dumps``, so that an ASCII-only stdout can still carry it."""

    out: TextIO

    def __call__(self, item: ClassifiedEvent) -> None:
        d = item.to_dict()
        line = orjson.dumps(d, option=orjson.OPT_APPEND_NEWLINE)
        self.out.write(line.decode() if line.isascii() else json.dumps(d) + "\n")


@dataclass(frozen=True)
class FileScanner:
    """Scans one file after another through a fresh parser and pipeline each."""

    registry: Registry
    forced: type[Parser] | None
    classifier: Classifier
    sinks: Sequence[Sink]
    report: Report
    keep_unrecognized: bool
    notes: Callable[[MessageNote], None] | None = None
    progress_to: TextIO | None = None  # stderr on a terminal: progress is drawn there
    on_parser_error: Callable[[ParserFault], None] | None = None
    # After each block (and each chunk a -j worker sends): a sink that queues settles it.
    after_block: Callable[[], None] | None = None

    def scan(self, path: str) -> FileResult:
        name = display_name(path)
        blocks = read_blocks(path)
        head, error = _read_head(blocks)
        head_lines = [line[:MAX_LINE_CHARS] for b in head for line in b.lines][:HEAD_LINES]
        if not head_lines:
            parser_name = self.forced.name if self.forced and error is None else None
            return FileResult(name, parser_name, LineCounts(), str(error) if error else None)
        cls = self.forced or self.registry.detect(head_lines, None if path == STDIN else path)
        if cls is None:
            blocks.close()
            return FileResult(name, None, LineCounts(), self._unrecognised(name, error, head_lines))
        try:
            parser = cls(path=name, year=_year_of(path))
        except Exception as exc:  # a plug-in's constructor must not stop the scan
            blocks.close()
            return FileResult(
                name, None, LineCounts(), f"{name}: parser {cls.name!r} failed: {exc}"
            )
        pipe = Pipeline(
            name,
            parser,
            self.classifier,
            self.sinks,
            on_unrecognized=self.report.unrecognized_line(name) if self.keep_unrecognized else None,
            notes=self.notes,
            on_parser_error=self.on_parser_error,
            after_block=self.after_block,
        )
        if error is None:
            rest: Iterator[Block] = chain(head, blocks)
            if self.progress_to is not None:
                rest = progress.tracked(rest, path, self.progress_to)
            error = _feed(pipe, rest)
        else:
            _feed(pipe, iter(head))
        pipe.flush()
        problem = (
            str(error) if error else mostly_unrecognized(name, cls.name, pipe.counts, head_lines)
        )
        return FileResult(
            name, cls.name, pipe.counts, problem, pipe.invalid_timestamps, pipe.parser_errors
        )

    def _unrecognised(self, name: str, error: SourceError | None, head_lines: Sequence[str]) -> str:
        known = ", ".join(self.registry.names()) or "none installed"
        hint = (
            f"{name}: no parser recognised this log; name one with --parser NAME (known: {known})"
        )
        hint += _likely_reason(head_lines)
        return f"{hint}; also: {error}" if error else hint


# A file is "mostly unrecognized" when at least this share of at least MIN_LINES lines is.
MOSTLY_UNRECOGNIZED = 0.9
MIN_LINES = 5
# How log lines begin when their writer stamped them: BSD syslog, ISO 8601, W3C/CSV headers,
# MDaemon's "Thu 2019-02-07", Exim's "2024-01-01 12:00:00".
_STAMPED = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d|[A-Z][a-z]{2} \d{4}-|#|\S+,)"
)


def mostly_unrecognized(
    name: str, parser: str, counts: LineCounts, head_lines: Sequence[str]
) -> str | None:
    """An error when (nearly) every line was lost on ``parser``: a report of zeros misleads."""
    total = counts.event + counts.ignored + counts.unrecognized
    if total < MIN_LINES or counts.unrecognized < MOSTLY_UNRECOGNIZED * total:
        return None
    share = counts.unrecognized / total
    return (
        f"{name}: {share:.0%} of its {total:,} lines were not recognised by the {parser} "
        f"parser{_likely_reason(head_lines)}"
    )


def _likely_reason(head_lines: Sequence[str]) -> str:
    stamped = sum(1 for line in head_lines if _STAMPED.match(line))
    if head_lines and stamped < len(head_lines) / 2:
        return (
            "; the lines carry no timestamp or program name, as `journalctl -o cat` prints "
            "them: use `journalctl -o short-iso` or `-o json` (or the daemon's journald source)"
        )
    return "; is this log written by another MTA? (omit --parser to detect it; `logscan parsers`)"


def _read_head(blocks: Iterator[Block]) -> tuple[list[Block], SourceError | None]:
    head: list[Block] = []
    seen = 0
    try:
        while seen < HEAD_LINES:
            block = next(blocks, None)
            if block is None:
                break
            head.append(block)
            seen += len(block.lines)
    except SourceError as exc:
        return head, exc
    return head, None


def _feed(pipe: Pipeline, blocks: Iterator[Block]) -> SourceError | None:
    """Every line of ``blocks`` through ``pipe``; a read error ends the file, counted lines stay."""
    feed_lines = pipe.feed_lines
    try:
        for block in blocks:
            feed_lines(block.lines, block.start)
    except SourceError as exc:
        return exc
    return None


def _year_of(path: str) -> int | None:
    """The year BSD syslog timestamps of ``path`` most likely belong to: that of its mtime."""
    if path == STDIN:
        return None
    try:
        return datetime.datetime.fromtimestamp(os.stat(path).st_mtime).year
    except (OSError, OverflowError, ValueError):
        return None
