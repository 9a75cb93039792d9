"""``scan`` progress on a terminal: bytes and lines read, rate and ETA, per file, on stderr.

With ``scan -j`` the files are read by workers, which draw nothing: the line says how many of
the files are done (:func:`files_done`).

Shown only when stderr is a TTY and ``--quiet`` is not given; redrawn at most every
``INTERVAL`` seconds on one line (carriage return), cleared when the file is done. A gzip file's
size on disk is not its text's, so for it only lines, bytes read and the rate are shown.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TextIO

from logscan.sources.batch import STDIN, Block

INTERVAL = 0.5


def wanted(stream: TextIO | None, quiet: bool) -> bool:
    try:
        return not quiet and stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed stream
        return False


def _total(path: str) -> int | None:
    if path == STDIN:
        return None
    try:
        with open(path, "rb") as f:
            if f.read(2) == b"\x1f\x8b":  # gzip: its size on disk says nothing of its text
                return None
        return os.stat(path).st_size
    except OSError:
        return None


def tracked(blocks: Iterator[Block], path: str, out: TextIO) -> Iterator[Block]:
    """``blocks``, drawing progress on ``out`` as they pass."""
    total = _total(path)
    start = last = time.monotonic()
    lines = done = 0
    try:
        for block in blocks:
            yield block
            lines += len(block.lines)
            done += sum(map(len, block.lines)) + len(block.lines)
            now = time.monotonic()
            if now - last >= INTERVAL:
                last = now
                out.write("\r" + _line(path, done, total, lines, now - start) + "\x1b[K")
                out.flush()
    finally:
        if last != start:
            out.write("\r\x1b[K")
            out.flush()


def _line(path: str, done: int, total: int | None, lines: int, elapsed: float) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    text = f"{os.path.basename(path)}: {done / 1e6:,.1f} MB"
    if total:
        share = min(done / total, 1.0)
        eta = (total - done) / rate if rate > 0 else 0.0
        text += f" of {total / 1e6:,.1f} MB ({share:.0%}), ETA {eta:,.0f} s"
    return f"{text}, {lines:,} lines, {rate / 1e6:,.1f} MB/s"


def files_done(out: TextIO, done: int, total: int) -> None:
    """``scan -j``: ``done`` of ``total`` files read (redrawn as each one is)."""
    out.write(f"\r{done} of {total} files read\x1b[K")
    out.flush()


def clear(out: TextIO) -> None:
    """Remove the progress line (before other messages, and at the end)."""
    out.write("\r\x1b[K")
    out.flush()
