"""``logscan scan -j N``: several files scanned at once, one worker process per file.

Each worker reads one whole file through its own parser, classifier memo and :class:`Report`
(and, for ``--format events``, writes its events to a temporary file). The parent takes the
results in the order the files were given, merges each report into its own and copies the
events out, so the output is the one ``-j 1`` prints.

One file is never split between workers: every built-in parser keeps state from line to line
(Postfix the sender and size of each queue id and the year of BSD timestamps across New Year,
Exim and Sendmail the messages' senders, Exchange the ``#Fields`` header, MDaemon its sessions),
so the part of a file after a cut would lose what the lines before it said.

Workers are forked: they inherit the loaded rules and parsers, so they start at once. Where
``fork`` is not available, or with stdin among the files or a single file, files are read one
after another in this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

from logscan.batch import STDIN
from logscan.pipeline import Sink
from logscan.report import FileResult, Report

if TYPE_CHECKING:
    from concurrent.futures import Future

    from logscan.scan import FileScanner

# The scanner of the parent process, which forked workers inherit (set just before forking).
_scanner: FileScanner | None = None


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def scan_files(
    scanner: FileScanner, paths: Sequence[str], jobs: int, events_out: TextIO | None
) -> Iterator[FileResult]:
    """Each file's result, in the order of ``paths``; the events reach ``scanner``'s sinks (its
    report, and ``events_out`` for ``--format events``) as if read one after another."""
    if jobs <= 1 or len(paths) < 2 or STDIN in paths or not _can_fork():
        for path in paths:
            yield scanner.scan(path)
        return
    # Imported here: they cost a start-up that a scan of one file need not pay.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _scanner
    _scanner = scanner
    if events_out is not None:
        events_out.flush()  # a forked worker must not inherit unwritten output
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(jobs, len(paths)), mp_context=context) as pool:
        futures = [pool.submit(_scan_one, path, events_out is not None) for path in paths]
        done = 0
        try:
            for future in futures:
                yield _collect(future, scanner.report, events_out)
                done += 1
        finally:  # stopped early (stdout closed, a failure): start no more files, leave no files
            pool.shutdown(cancel_futures=True)
            for future in futures[done:]:
                _discard(future)


def _can_fork() -> bool:
    return hasattr(os, "fork")  # multiprocessing's "fork" start method needs it


def _collect(
    future: Future[tuple[FileResult, Report, str | None]], report: Report, out: TextIO | None
) -> FileResult:
    result, part, events_file = future.result()
    report.merge(part)
    if events_file is not None:
        try:
            if out is not None:
                with open(events_file, encoding="utf-8") as f:
                    shutil.copyfileobj(f, out)
        finally:
            os.unlink(events_file)
    return result


def _discard(future: Future[tuple[FileResult, Report, str | None]]) -> None:
    """Remove the events file of a result that will not be printed."""
    if future.cancelled():
        return
    try:
        events_file = future.result()[2]
    except Exception:  # the worker failed: nothing to remove
        return
    if events_file is not None:
        with contextlib.suppress(OSError):
            os.unlink(events_file)


def _scan_one(path: str, with_events: bool) -> tuple[FileResult, Report, str | None]:
    """In a worker: scan ``path`` into a fresh report (and a temporary events file)."""
    from logscan.scan import EventWriter  # the parent imported it: no cost

    assert _scanner is not None, "workers are forked after _scanner is set"
    report = Report()
    if not with_events:
        scanner = dataclasses.replace(_scanner, sinks=[report], report=report)
        return scanner.scan(path), report, None
    fd, name = tempfile.mkstemp(prefix="logscan-events-", suffix=".jsonl")
    with open(fd, "w", encoding="utf-8") as out:
        sinks: list[Sink] = [report, EventWriter(out)]
        scanner = dataclasses.replace(_scanner, sinks=sinks, report=report)
        result = scanner.scan(path)
    return result, report, name
