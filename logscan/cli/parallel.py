"""``logscan scan -j N``: files parsed and classified in N worker processes, summed here in order.

Workers do what costs most and depends on nothing outside one file: reading it, parsing it
(each file has its own parser in ``-j 1`` too) and classifying its events. Each writes, to a
temporary file, the stream the sinks would have seen: every classified event and every message
note, in the order the pipeline produced them. This process replays the streams file after
file, in the order the files were given, into the one set of sinks ``-j 1`` uses (report,
message tracker, traffic tables, unclassified texts, ``--since/--until``, the events writer).

So the output is ``-j 1``'s by construction, not by merging partial results. Merging was the
other way, and it is not exact: the message tracker is one across all files (a message queued
at the end of ``mail.log.1`` is delivered in ``mail.log``; its bounds and the order in which
``finish_all`` reports what is left are global), the tables' caps decide what folds into
"other" by what came first, and the traffic's float sums (delays) depend on the order of
their additions. Replaying costs this process about 30% of the CPU of a ``-j 1`` scan (the
sinks, and decoding the streams): that is what ``-j`` does not spread over the cores.

One file is never split between workers: every built-in parser keeps state from line to line
(Postfix the sender and size of each queue id and the year of BSD timestamps across New Year,
Exim and Sendmail the messages' senders, Exchange the ``#Fields`` header, MDaemon its sessions),
so the part of a file after a cut would lose what the lines before it said.

Workers are forked (they inherit the loaded rules and parsers, and start at once), one per
file, at most N at a time and at most N files ahead of the replay, which bounds the temporary
files on disk. Where ``fork`` is not available, with one file or stdin among the files, the
files are read one after another in this process. A stop (stdout closed, Ctrl-C: workers
ignore SIGINT, this process decides; SIGTERM) kills the workers and removes their files.
"""

from __future__ import annotations

import argparse
import marshal
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from operator import attrgetter
from typing import IO, TYPE_CHECKING, Any

from logscan.cli import progress
from logscan.core.event import ClassifiedEvent, Event, MessageNote, Verdict
from logscan.pipeline import LineCounts, ParserFault
from logscan.sinks.report.summary import Example, FileResult, Report
from logscan.sources.batch import STDIN

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from logscan.cli.scan import FileScanner

# Items a worker writes at once: one frame per chunk keeps its cost per item low; reply
# texts of up to 64 KiB (a hostile log's) end a chunk sooner, which bounds its memory.
CHUNK = 4096
CHUNK_TEXT_BYTES = 1 << 20
# How much of a stream is read at once, and how long to wait for its worker to write more.
READ_SIZE = 1 << 20
POLL_SECONDS = 0.01
# A frame: its kind (a chunk of items; the last record), its length, its marshalled data.
_CHUNK, _LAST = b"m", b"d"
_HEAD = 9
_event_values = attrgetter(*(f.name for f in fields(Event)))


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def jobs_argument(text: str) -> int:
    """``-j``'s value: a number of processes."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"a number of processes (1 or more), not {text!r}")
    return n


def scan_files(
    scanner: FileScanner, paths: Sequence[str], jobs: int
) -> Generator[FileResult, None, None]:
    """Each file's result, in the order of ``paths``, once its events and notes have reached
    ``scanner``'s sinks as ``scanner.scan`` would have handed them over."""
    if jobs <= 1 or len(paths) < 2 or STDIN in paths or not hasattr(os, "fork"):
        for path in paths:
            yield scanner.scan(path)
        return
    workers = _Workers(scanner, paths, jobs, tempfile.mkdtemp(prefix="logscan-scan-"))
    shown = scanner.progress_to
    # SIGTERM would end this process at once, leaving the workers and their files behind.
    on_term = signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        for index, path in enumerate(paths):
            if shown is not None:
                progress.files_done(shown, index, len(paths))
            result = _replay(scanner, workers.records(index), path)
            workers.finish(index)
            if shown is not None:
                progress.clear(shown)  # the caller may print the file's error now
            yield result
    finally:
        workers.stop()
        signal.signal(signal.SIGTERM, on_term)


def _exit_on_term(signum: int, _frame: object) -> None:
    sys.exit(128 + signum)


class WorkerFailed(Exception):
    """A worker ended before its file was read (killed, out of disk space for its stream)."""

    def __init__(self, path: str, how: str) -> None:
        super().__init__(
            f"{path}: the worker reading it failed ({how}); the report would miss its lines "
            "(-j 1 reads the files in this process)"
        )


@dataclass(frozen=True)
class _Done:
    """The last record of a worker's stream: what ``FileScanner.scan`` returned, and what went
    to its callbacks other than the sinks.

    Written as built-in values, not pickled: the report's classes may be compiled (mypyc, the
    optional build), and mypyc's native classes do not pickle unless marked serializable."""

    result: FileResult
    faults: list[ParserFault]
    unrecognized: list[Example]
    unrecognized_dropped: int

    def values(self) -> tuple[Any, ...]:
        r, c = self.result, self.result.counts
        return (
            (r.path, r.parser, c.event, c.ignored, c.unrecognized, r.error),
            r.invalid_timestamps,
            r.parser_errors,
            [(f.source, f.parser, f.first, f.last, f.count) for f in self.faults],
            [(e.path, e.line, e.text) for e in self.unrecognized],
            self.unrecognized_dropped,
        )

    @classmethod
    def of_values(cls, values: tuple[Any, ...]) -> _Done:
        file, invalid, errors, faults, kept, dropped = values
        path, parser, event, ignored, unrecognized, error = file
        counts = LineCounts(event, ignored, unrecognized)
        return cls(
            FileResult(path, parser, counts, error, invalid, errors),
            [ParserFault(*f) for f in faults],
            [Example(*e) for e in kept],
            dropped,
        )


@dataclass
class _Workers:
    """The worker processes, one per file, started in file order, and their streams.

    A stream is a sequence of frames (a kind in one byte, a length in eight, the data), read
    here while the worker still writes it: the replay of a file keeps pace with its reading."""

    scanner: FileScanner
    paths: Sequence[str]
    jobs: int
    directory: str
    # By file index, until the file is replayed: a process holds descriptors until closed.
    started: dict[int, BaseProcess] = field(default_factory=dict)
    next_index: int = 0

    def stream(self, index: int) -> str:
        return os.path.join(self.directory, f"{index}.stream")

    def records(self, index: int) -> Iterator[Any]:
        """The records of file ``index``'s stream as its worker writes them, starting the next
        workers as others end; :class:`WorkerFailed` if the worker failed."""
        from multiprocessing.connection import wait  # imported when used: 10 ms of start-up

        self._start_more(index)
        process = self.started[index]
        pending = bytearray()
        with open(self.stream(index), "rb") as f:
            while True:
                self._start_more(index)  # a worker that ended leaves its place to the next
                ended = process.exitcode is not None  # then what it wrote is all there
                data = f.read(READ_SIZE)
                if data:
                    pending += data
                    yield from _frames(pending)
                elif ended:
                    break
                else:
                    wait([process.sentinel], POLL_SECONDS)
        if process.exitcode != 0 or pending:
            code = process.exitcode or 0
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
            raise WorkerFailed(self.paths[index], how)

    def _start_more(self, replaying: int) -> None:
        """Start workers while fewer than ``jobs`` run and the next file is at most ``jobs``
        files ahead of the one being replayed."""
        import multiprocessing

        context = multiprocessing.get_context("fork")
        limit = min(len(self.paths), replaying + 1 + self.jobs)
        while self.next_index < limit and self._running() < self.jobs:
            index = self.next_index
            self.next_index += 1
            open(self.stream(index), "wb").close()  # there to be read from the start
            # A forked child must not inherit unwritten output, which it would write again.
            sys.stdout.flush()
            sys.stderr.flush()
            process = context.Process(
                target=_work, args=(self.scanner, self.paths[index], self.stream(index))
            )
            process.start()
            self.started[index] = process

    def _running(self) -> int:
        return sum(1 for p in self.started.values() if p.exitcode is None)

    def finish(self, index: int) -> None:
        """File ``index`` is replayed: its worker and its stream go."""
        process = self.started.pop(index)
        process.join()
        process.close()
        os.unlink(self.stream(index))

    def stop(self) -> None:
        """Kill the workers still running; remove every stream."""
        for process in self.started.values():
            if process.exitcode is None:
                process.kill()
            process.join()
            process.close()
        self.started.clear()
        shutil.rmtree(self.directory, ignore_errors=True)


def _frames(pending: bytearray) -> Iterator[Any]:
    """The records of the whole frames at the start of ``pending``, which loses them."""
    while len(pending) >= _HEAD:
        end = _HEAD + int.from_bytes(pending[1:_HEAD], "little")
        if len(pending) < end:
            return
        body = pending[_HEAD:end]
        record = marshal.loads(body)
        if pending[:1] == _LAST:
            record = _Done.of_values(record)
        del pending[:end]
        yield record


def _write_frame(out: IO[bytes], kind: bytes, data: bytes) -> None:
    out.write(kind + len(data).to_bytes(_HEAD - 1, "little"))
    out.write(data)
    out.flush()  # whole frames reach the reader soon


class _Recorder:
    """In a worker: the one sink, and the notes callback; writes what it gets to ``out``.

    Items are marshalled: two to three times faster than pickled, both ways (pickle cost 6%
    more of a scan's CPU). marshal knows built-in types only, so each kind of item has its
    own: an event is a tuple of its field values and the number of its verdict,
    a note a list of its fields, a verdict a dict of its fields (a log has few distinct
    verdicts: each is written once, before its first event)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.items: list[Any] = []
        self.text_bytes = 0  # of the events' texts in ``items``
        self.verdicts: dict[Verdict, int] = {}
        self.faults: list[ParserFault] = []

    def __call__(self, item: ClassifiedEvent) -> None:
        ev, verdict = item
        number = self.verdicts.get(verdict)
        if number is None:
            number = self.verdicts[verdict] = len(self.verdicts)
            self.items.append(asdict(verdict))
        self.items.append((_event_values(ev), number))
        if ev.text is not None:
            self.text_bytes += len(ev.text)
        if len(self.items) >= CHUNK or self.text_bytes >= CHUNK_TEXT_BYTES:
            self.flush()

    def note(self, note: MessageNote) -> None:
        self.items.append(list(note))
        if len(self.items) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.items:
            _write_frame(self.out, _CHUNK, marshal.dumps(self.items))
            self.items = []
            self.text_bytes = 0


def _work(scanner: FileScanner, path: str, stream: str) -> None:
    """In a worker: scan ``path`` as ``scanner`` would, writing what its sinks and callbacks
    get to ``stream``; the :class:`_Done` record last."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (nothing a worker prints is output)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with open(stream, "wb") as out:
            recorder = _Recorder(out)
            kept = Report(max_unrecognized=scanner.report.max_unrecognized)
            worker = replace(
                scanner,
                sinks=[recorder],
                report=kept,
                notes=recorder.note if scanner.notes is not None else None,
                progress_to=None,
                on_parser_error=recorder.faults.append,
                after_block=None,  # the parent's sinks settle, when it replays the records
            )
            result = worker.scan(path)
            recorder.flush()
            done = _Done(result, recorder.faults, kept.unrecognized, kept.unrecognized_dropped)
            _write_frame(out, _LAST, marshal.dumps(done.values()))
    except OSError as exc:  # the stream (a read error of the log is the result's error)
        print(f"logscan scan: {stream}: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(1)


def _replay(scanner: FileScanner, records: Iterator[Any], path: str) -> FileResult:
    """Hand a worker's records to ``scanner``'s sinks and callbacks; the file's result."""
    sinks, notes = scanner.sinks, scanner.notes
    verdicts: list[Verdict] = []
    for record in records:
        if isinstance(record, _Done):
            break
        for item in record:
            kind = type(item)
            if kind is tuple:
                classified = ClassifiedEvent(Event(*item[0]), verdicts[item[1]])
                for sink in sinks:
                    sink(classified)
            elif kind is list:
                assert notes is not None  # a worker records notes only when they are wanted
                notes(MessageNote(*item))
            else:
                verdicts.append(Verdict(**item))
        if scanner.after_block is not None:
            scanner.after_block()
    else:
        raise WorkerFailed(path, "its stream ended early")
    if scanner.on_parser_error is not None:
        for fault in record.faults:
            scanner.on_parser_error(fault)
    scanner.report.add_unrecognized(record.unrecognized, record.unrecognized_dropped)
    return record.result
