"""One open log file read by byte offsets: bounded binary reads, complete lines only.

A :class:`FileReader` reads in steps of at most ``budget`` bytes, hands complete lines (decoded
UTF-8 with replacement, ``\\r\\n`` stripped) to its handler, and keeps the offset of the end of
the last complete line: what a checkpoint saves. Bytes after it wait for their newline; a line
longer than ``KEEP_LINE_BYTES`` is cut, the rest skipped but counted in the offset::

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "mail.log")
    >>> _ = open(p, "wb").write(b"one\\r\\ntwo\\npart")
    >>> r, got = FileReader(open_regular(p), p), []
    >>> r.read(lambda lines, first: got.extend(lines), STEP_BYTES), got, r.offset, r.partial
    (True, ['one', 'two'], 9, b'part')
    >>> r.finish(lambda lines, first: got.extend(lines)); got[-1], r.offset
    ('part', 13)
    >>> r.close()

It also keeps what tells the file apart from others (its inode, the hash of its first bytes:
:mod:`logscan.sources.file_identity`) and the rotated files that were there when it was
opened: the rotation scans (:mod:`logscan.sources.rotation`) read and extend them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

from logscan.pipeline import MAX_LINE_CHARS
from logscan.sources.file_identity import (
    FP_MAX,
    FP_MIN,
    FileKey,
    Identity,
    Sibling,
    fingerprint,
    generation,
    hash_head,
)
from logscan.sources.resume_position import ResumePosition

# Bytes read per step: bounds the time the daemon holds its lock and the memory a backlog takes.
STEP_BYTES = 256 * 1024
# A line longer than this is cut (the rest is skipped, its bytes still accounted for).
KEEP_LINE_BYTES = MAX_LINE_CHARS * 4

# handler(lines, lineno of the first line)
LineHandler = Callable[[list[str], int], None]


class NotRegularFile(OSError):
    """The path names a directory, a FIFO, a device: nothing to follow."""


def open_regular(path: str) -> int:
    """A descriptor to read the regular file ``path``; OSError (FileNotFoundError,
    NotRegularFile) if there is none."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def try_open(path: str) -> int | None:
    """``open_regular``, None for any failure (for scans, which report none)."""
    try:
        return open_regular(path)
    except OSError:
        return None


def last_line_end(fd: int, size: int) -> int:
    """Offset just after the last newline (start at the end, but on a line boundary)."""
    if size == 0:
        return 0
    tail = os.pread(fd, min(size, 65536), max(size - 65536, 0))
    nl = tail.rfind(b"\n")
    return size if nl < 0 else size - len(tail) + nl + 1


class RewrittenWhileReading(Exception):
    """The file was truncated or rewritten in place while a chunk of it was being read."""


class FileReader:
    """One open file and how far its complete lines have been handed over."""

    def __init__(self, fd: int, path: str, offset: int = 0, lineno: int = 0) -> None:
        self.fd = fd
        self.path = path  # the name it was opened under (for logs and the checkpoint)
        st = os.fstat(fd)
        self.dev, self.ino = st.st_dev, st.st_ino
        self.gen = generation(fd)
        self.size = st.st_size
        self.offset = offset  # end of the last complete line handed over
        self.lineno = lineno
        self.partial = b""  # bytes after ``offset`` read but not yet ended by a newline
        self.dropped = 0  # bytes of an overlong partial line skipped
        # Its lines seem to end in CR alone (old Mac style). They are not split at CR here (a CR
        # at the end of what was read may be half of a CRLF, and offsets are LF-based): only
        # reported, once.
        self.cr_only = False
        self.fp_len = 0
        self.fp = ""
        self.head = b""  # the first bytes (up to FP_MAX) as read
        self.refresh_fp()
        # Rotation siblings there when this file was opened (or reset): older files, neither its
        # successors nor its copies; (dev, ino) -> size. Timestamps are too coarse to order
        # files written within a few milliseconds; this snapshot is not.
        self.known: dict[FileKey, Sibling] = {}
        # Siblings found not to be copies of this file (another file's first bytes).
        self.not_copies: dict[FileKey, int] = {}

    @property
    def key(self) -> FileKey:
        return self.dev, self.ino

    @property
    def read_pos(self) -> int:
        return self.offset + len(self.partial) + self.dropped

    def refresh_fp(self) -> None:
        """The fingerprint of the first bytes as they were read (never re-read: by then the
        file may be truncated). A reader that starts past them takes them as they are now."""
        if not self.head and self.read_pos:
            self.head = os.pread(self.fd, min(self.read_pos, FP_MAX), 0)
        if len(self.head) > self.fp_len:
            self.fp_len = len(self.head)
            self.fp = hash_head(self.head)

    def identity(self) -> Identity:
        return Identity(self.dev, self.ino, self.fp_len, self.fp, self.gen)

    def as_sibling(self) -> Sibling:
        """This file as another file's ``known`` snapshot lists it."""
        return Sibling(self.size, self.gen)

    def rewritten(self) -> bool:
        """Truncated (shorter than what we read) or rewritten in place (first bytes changed)."""
        self.size = os.fstat(self.fd).st_size
        if self.size < self.read_pos:
            return True
        return self.fp_len >= FP_MIN and fingerprint(self.fd, self.fp_len) != self.fp

    def reset(self) -> None:
        self.offset = self.lineno = self.dropped = self.fp_len = 0
        self.partial = self.head = b""
        self.fp = ""

    def read(self, handler: LineHandler, budget: int, verify: bool = False) -> bool:
        """Hand over the complete lines of up to ``budget`` bytes; True when at end of file.

        ``verify``: the file may be truncated and rewritten under us (copytruncate) between the
        caller's check and this read, and bytes read past our offset would then be the new
        file's, not the rest of the old one. They are handed over only if the file still starts
        as it did (read after them); otherwise :class:`RewrittenWhileReading` is raised and
        nothing is consumed: the copy holds what followed our offset.
        """
        self.size = os.fstat(self.fd).st_size
        pos = self.read_pos
        chunk = os.pread(self.fd, budget, pos)
        if chunk:
            if verify and pos and self.head and os.pread(self.fd, len(self.head), 0) != self.head:
                raise RewrittenWhileReading(self.path)
            if pos < FP_MAX and len(self.head) == pos:
                self.head += chunk[: FP_MAX - pos]
            self._consume(chunk, handler)
            self.refresh_fp()
        return len(chunk) < budget

    def finish(self, handler: LineHandler) -> None:
        """The file will get no more lines: hand over an unterminated last line too."""
        if self.partial or self.dropped:
            self._emit(self.partial, len(self.partial) + self.dropped, handler)
            self.partial, self.dropped = b"", 0

    def close(self) -> None:
        os.close(self.fd)

    def position(self) -> ResumePosition:
        return ResumePosition(
            self.path,
            self.identity(),
            self.offset,
            self.lineno,
            dict(self.known),
            self.size,
            os.fstat(self.fd).st_mtime_ns,
        )

    def _consume(self, chunk: bytes, handler: LineHandler) -> None:
        if self.dropped:  # inside an overlong line: skip to its newline
            nl = chunk.find(b"\n")
            if nl < 0:
                self.dropped += len(chunk)
                return
            self._emit(self.partial, len(self.partial) + self.dropped + nl + 1, handler)
            self.partial, self.dropped = b"", 0
            chunk = chunk[nl + 1 :]
        data = self.partial + chunk if self.partial else chunk
        nl = data.rfind(b"\n")
        if nl < 0:
            self.partial = data
            # Two CRs inside text with no LF: CR-only line endings, not a stray CR.
            if not self.cr_only and data.count(b"\r", 0, len(data) - 1) >= 2:
                self.cr_only = True
        else:
            self.partial = data[nl + 1 :]
            lines = data[:nl].decode("utf-8", "replace").split("\n")
            first = self.lineno + 1
            self.lineno += len(lines)
            self.offset += nl + 1
            handler([ln[:-1] if ln.endswith("\r") else ln for ln in lines], first)
        if len(self.partial) > KEEP_LINE_BYTES:
            self.dropped = len(self.partial) - KEEP_LINE_BYTES
            self.partial = self.partial[:KEEP_LINE_BYTES]

    def _emit(self, raw: bytes, length: int, handler: LineHandler) -> None:
        text = raw.decode("utf-8", "replace")
        self.lineno += 1
        self.offset += length
        handler([text[:-1] if text.endswith("\r") else text], self.lineno)
