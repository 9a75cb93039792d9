"""Batch source: log files read once (plain or gzip, told apart by magic bytes) or stdin.

Lines come out numbered from 1 per file, decoded as UTF-8 with invalid bytes replaced (never an
exception; a file that starts with a UTF-16 byte order mark as UTF-16), without their line ending
(``\\n``, ``\\r\\n``, or ``\\r`` when the first line ends in a CR alone: old Mac style).
A ``journalctl -o json`` export is read as the syslog-style lines the daemon's journald source
makes of its entries, a Docker ``json-file`` log as the lines the container wrote. Files are
read in large binary chunks and handed on as blocks of lines, so memory stays flat in the file's
size::

    >>> import gzip, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> with gzip.open(os.path.join(d, "mail.log.1"), "wb") as f:   # gzip without a .gz name
    ...     _ = f.write(b"first\\r\\nbad \\xff byte\\n")
    >>> list(read_lines(os.path.join(d, "mail.log.1")))
    [(1, 'first'), (2, 'bad \\ufffd byte')]
    >>> import shutil; shutil.rmtree(d)

Errors (missing file, permission denied, a directory, a truncated or corrupt gzip) raise
:class:`SourceError`, whose message names the file and, once reading has started, the last line
read; the lines before the error have already been yielded.

Several files are put in time order by :func:`order_files`: rotated siblings of one log
(``mail.log.2.gz``, ``mail.log.1``, ``mail.log``; or logrotate's ``mail.log-20241128.gz``) go
oldest first; otherwise the order given is kept.
"""

from __future__ import annotations

import codecs
import gzip
import itertools
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from logscan.pipeline import MAX_LINE_CHARS
from logscan.sources.docker_log import docker_line, looks_like_docker_log
from logscan.sources.journal_entry import export_line, looks_like_export

STDIN = "-"
STDIN_NAME = "<stdin>"
# Read 128 KiB at a time: a block's lines, events and their garbage are what a scan holds
# beyond its tables; 1 MiB blocks cost 9 MiB more peak RSS on 1M Postfix lines, and no speed
# (bench/RESULTS.md, "peak RSS").
CHUNK_BYTES = 1 << 17
# A line longer than this is cut here while reading (the pipeline cuts it to MAX_LINE_CHARS
# anyway); the rest of it is skipped up to its newline, so a 10 MB line costs no 10 MB buffer.
MAX_LINE_BYTES = MAX_LINE_CHARS * 4
GZIP_MAGIC = b"\x1f\x8b"
# Windows PowerShell 5.1 writes UTF-16LE when output is redirected (``Get-MessageTrackingLog |
# Format-List > out.txt``), and Exchange Online's message trace exports are UTF-16LE.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class SourceError(Exception):
    """A file that cannot be read (or read to its end); ``str()`` names the file and line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.message = message
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive lines of one file; ``start`` is the 1-based number of the first."""

    start: int
    lines: list[str]


def display_name(path: str) -> str:
    """How a source is named in events and messages (``-`` is ``<stdin>``)."""
    return STDIN_NAME if path == STDIN else path


def read_lines(path: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, str]]:
    """``(lineno, text)`` for every line of ``path`` (``-`` for stdin); see :func:`read_blocks`."""
    for block in read_blocks(path, chunk_bytes):
        yield from enumerate(block.lines, block.start)


def read_blocks(path: str, chunk_bytes: int = CHUNK_BYTES) -> Generator[Block, None, None]:
    """Blocks of decoded lines of ``path``; raise :class:`SourceError` on any read fault."""
    raw = _open(path)
    try:
        stream = _decompressed(raw, display_name(path))
        try:
            yield from _unwrapped(_blocks(stream, display_name(path), chunk_bytes))
        finally:
            if stream is not raw:
                stream.close()  # a GzipFile does not close the file it was given
    finally:
        if path != STDIN:
            raw.close()


def _open(path: str) -> BinaryIO:
    name = display_name(path)
    if path == STDIN and sys.stdin is None:
        raise SourceError(name, "standard input is closed (<&-)")
    try:
        raw: BinaryIO = sys.stdin.buffer if path == STDIN else open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise SourceError(name, "no such file") from None
    except PermissionError:
        raise SourceError(name, "permission denied") from None
    except IsADirectoryError:
        raise SourceError(name, "is a directory, not a log file") from None
    except OSError as exc:
        raise SourceError(name, f"cannot open: {exc.strerror or exc}") from None
    return raw


def _decompressed(raw: BinaryIO, name: str) -> BinaryIO:
    """``raw`` itself, or a gzip reader over it when it starts with gzip's magic bytes."""
    try:
        magic = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    except OSError as exc:  # e.g. EIO
        raise SourceError(name, f"cannot read: {exc.strerror or exc}") from None
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


class _Reader:
    """The bytes of a stream as UTF-8: as they are, or transcoded from UTF-16 when the stream
    starts with a UTF-16 byte order mark, so that line splitting and the limits on line length
    work alike on both. Read errors of the stream pass through."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self._head: bytes | None = b""  # None once the BOM question is settled
        self._utf16: codecs.IncrementalDecoder | None = None

    def read(self, size: int) -> bytes:
        if self._head is not None:
            return self._sniff(size)
        if self._utf16 is None:
            return self._read(size)
        return self._transcoded(self._read(size))

    def _sniff(self, size: int) -> bytes:
        head = self._head or b""
        while len(head) < 2:
            more = self._read(size)
            if not more:
                break
            head += more
        self._head = None
        if head[:2] in UTF16_BOMS:
            self._utf16 = codecs.getincrementaldecoder("utf-16")("replace")
            return self._transcoded(head)
        return head

    def _transcoded(self, raw: bytes) -> bytes:
        assert self._utf16 is not None
        while True:
            text = self._utf16.decode(raw, final=not raw)
            if text or not raw:  # a lone byte decodes to nothing yet: read on
                return text.encode("utf-8", "replace")
            raw = self._read(len(raw) or 1)


def _blocks(stream: BinaryIO, name: str, chunk_bytes: int) -> Iterator[Block]:
    # read1() returns what one underlying read gave: on a truncated gzip the data before the cut
    # arrives in earlier calls, and only the call that finds nothing more raises.
    read = _Reader(stream.read1 if hasattr(stream, "read1") else stream.read).read
    lineno = 0
    pending = b""  # the start of a line whose newline has not been read yet
    skipping = False  # inside an over-long line, after its first MAX_LINE_BYTES
    nl: bytes | None = None  # what ends a line: b"\n" (LF, CRLF) or b"\r" (CR-only); None: unknown
    while True:
        try:
            chunk = read(chunk_bytes)
        except EOFError:
            raise _read_error(name, lineno, "gzip data ends early (file truncated?)") from None
        except (OSError, zlib.error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise _read_error(name, lineno, f"read error: {reason}") from None
        if not chunk:
            break
        if nl is None:
            nl = _line_end(pending + chunk)
        if skipping:
            at = chunk.find(nl or b"\n")
            if at < 0:
                continue
            chunk, skipping = chunk[at:], False
        data = pending + chunk if pending else chunk
        last_nl = data.rfind(nl or b"\n")
        if last_nl < 0:
            pending = data
            if len(pending) > MAX_LINE_BYTES:
                pending, skipping = pending[:MAX_LINE_BYTES], True
            continue
        pending = data[last_nl + 1 :]
        if len(pending) > MAX_LINE_BYTES:
            pending, skipping = pending[:MAX_LINE_BYTES], True
        lines = _decode(data[: last_nl + 1], nl or b"\n")
        lines.pop()  # the empty string after the final newline
        yield Block(lineno + 1, lines)
        lineno += len(lines)
    if pending:
        yield Block(lineno + 1, _decode(pending, nl or b"\n"))


def _unwrapped(blocks: Iterator[Block]) -> Iterator[Block]:
    """``blocks`` as they are, or, when the file is a ``journalctl -o json`` export, each entry
    as the syslog-style line the daemon's journald source makes of it, or, when it is a Docker
    ``json-file`` log, each entry as the line the container wrote (one entry a line, so the
    line numbers stay the file's)."""
    first = next(blocks, None)
    if first is None:
        return
    unwrap: Callable[[str], str] | None = None
    if looks_like_export(first.lines):
        unwrap = export_line
    elif looks_like_docker_log(first.lines):
        unwrap = docker_line
    if unwrap is None:
        yield first
        yield from blocks
        return
    for block in itertools.chain([first], blocks):
        yield Block(block.start, [unwrap(text) for text in block.lines])


def _line_end(data: bytes) -> bytes | None:
    """What ends the lines of a file starting with ``data``; None while it cannot be told.

    The first line ending decides: LF or CRLF, or a CR followed by more text, which means CR-only
    line endings (old Mac OS, some Windows tools): split at CR, or the whole file would be one
    line. A CR at the very end of ``data`` may be the first half of a CRLF still on its way.
    """
    cr, lf = data.find(b"\r"), data.find(b"\n")
    if 0 <= cr < len(data) - 1 and (lf < 0 or cr < lf):
        return b"\n" if cr + 1 == lf else b"\r"
    if lf >= 0 or len(data) > MAX_LINE_BYTES:
        return b"\n"
    return None


def _read_error(name: str, lineno: int, what: str) -> SourceError:
    """An error found after line ``lineno`` (the last complete line read, 0 for none)."""
    if lineno == 0:
        return SourceError(name, f"{what}, before the first line")
    return SourceError(name, f"{what}; the lines up to here were read", lineno)


def _decode(data: bytes, nl: bytes) -> list[str]:
    # No byte of a multi-byte UTF-8 sequence is 0x0A or 0x0D, so decoding many lines at once
    # gives the same text as decoding each line alone.
    text = data.decode("utf-8", "replace")
    if nl == b"\r":
        return text.split("\r")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if text.endswith("\r"):
            text = text[:-1]
    return text.split("\n")


_ROTATED = re.compile(r"(?P<base>.+?)(?:\.(?P<num>\d+)|-(?P<date>\d{8}))?(?:\.gz)?")


def order_files(paths: Sequence[str]) -> list[str]:
    """``paths`` with the rotated files of each log oldest first, logs in the order given.

    >>> order_files(["mail.log", "mail.log.1", "mail.log.2.gz", "other.log", "-"])
    ['mail.log.2.gz', 'mail.log.1', 'mail.log', 'other.log', '-']
    >>> order_files(["maillog", "maillog-20241129.gz", "maillog-20241128.gz"])
    ['maillog-20241128.gz', 'maillog-20241129.gz', 'maillog']
    """
    groups: dict[str, list[tuple[tuple[int, int, str], int, str]]] = {}
    for index, path in enumerate(paths):
        m = _ROTATED.fullmatch(path)
        if path == STDIN or m is None:
            groups.setdefault(f"\0{index}", []).append(((0, 0, ""), index, path))
            continue
        if m.group("num") is not None:
            age = (0, -int(m.group("num")), "")  # .2 is older than .1
        elif m.group("date") is not None:
            age = (1, 0, m.group("date"))
        else:
            age = (2, 0, "")  # the live file is the newest
        groups.setdefault(m.group("base"), []).append((age, index, path))
    return [path for members in groups.values() for _, _, path in sorted(members)]
