"""Follow log files by path through rotation, truncation and restarts, by byte offsets.

A :class:`Follower` keeps a queue of open files for one path: old files still to finish (a file
rotated away, a copy made by ``copytruncate``, rotations missed while the daemon was down) and,
last, the file the path names now. It reads binary, in bounded steps, hands complete lines only
(decoded UTF-8 with replacement, ``\\r\\n`` stripped) to its handler, and records the offset of
the end of the last complete line, so a checkpoint can resume exactly there::

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "mail.log")
    >>> _ = open(p, "w").write("one\\r\\ntwo\\npart")
    >>> got = []
    >>> f = Follower(p, lambda lines, first: got.extend(lines), lambda *a: None, start="beginning")
    >>> while f.step(): pass
    >>> got, f.positions()[0]["offset"]
    (['one', 'two'], 9)

Guarantee: every complete line of every file the path named is handed over once, provided the
file is still there to be read (rotated names ``.N`` and ``-YYYYMMDD[HH]``, not compressed ones)
when the follower gets to it, and the file is rotated one way (rename+create, or copytruncate).
``copytruncate`` loses, by its nature, what the writer appends between logrotate's copy and its
truncation; everything else is found: a renamed file by its inode, a copy by the fingerprint of
the first bytes read, successors by not being there when the file was opened (timestamps of
different files are not ordered within milliseconds, so they only break ties).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import re
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from logscan.pipeline import MAX_LINE_CHARS
from logscan.sources.loss import Loss

# Bytes read per step: bounds the time the daemon holds its lock and the memory a backlog takes.
STEP_BYTES = 256 * 1024
# A line longer than this is cut (the rest is skipped, its bytes still accounted for).
KEEP_LINE_BYTES = MAX_LINE_CHARS * 4
# Identity: the first bytes of a file (up to FP_MAX) hashed; below FP_MIN the inode must match.
FP_MAX = 1024
FP_MIN = 32
SCAN_TRIES = 50  # a rotation takes milliseconds; a scan that never settles is reported
_T = TypeVar("_T")
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z")

# handler(lines, lineno of the first line); notify(kind, path, detail); lose(what was lost)
LineHandler = Callable[[list[str], int], None]
Notify = Callable[[str, str, str], None]
Lose = Callable[[Loss], None]


def _ignore_loss(loss: Loss) -> None:
    pass


@dataclass(frozen=True)
class Identity:
    """Which file: device and inode, and a hash of its first ``fp_len`` bytes."""

    dev: int
    ino: int
    fp_len: int
    fp: str


def fingerprint(fd: int, length: int) -> str:
    return hashlib.sha1(os.pread(fd, length, 0), usedforsecurity=False).hexdigest()


def rotation_pattern(path: str) -> re.Pattern[str]:
    """Names logrotate gives ``path``'s old files (``mail.log.1``, ``mail.log-20240101``)."""
    return re.compile(re.escape(os.path.basename(path)) + r"(?:\.\d+|-\d{8}(?:\d{2})?)$")


def is_rotated_name(name: str) -> bool:
    """A name that looks like a rotated or compressed log: never a glob's live file."""
    return name.endswith(_COMPRESSED) or re.search(r"(?:\.\d+|-\d{8}(?:\d{2})?)$", name) is not None


class _Reader:
    """One open file and how far its complete lines have been handed over."""

    def __init__(self, fd: int, path: str, offset: int = 0, lineno: int = 0) -> None:
        self.fd = fd
        self.path = path  # the name it was opened under (for logs and the checkpoint)
        st = os.fstat(fd)
        self.dev, self.ino = st.st_dev, st.st_ino
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
        self.known: dict[tuple[int, int], int] = {}
        # Siblings found not to be copies of this file (another file's first bytes).
        self.not_copies: dict[tuple[int, int], int] = {}

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
            self.fp = hashlib.sha1(self.head, usedforsecurity=False).hexdigest()

    def identity(self) -> Identity:
        return Identity(self.dev, self.ino, self.fp_len, self.fp)

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

    def read(self, handler: LineHandler, budget: int) -> bool:
        """Hand over the complete lines of up to ``budget`` bytes; True when at end of file."""
        self.size = os.fstat(self.fd).st_size
        pos = self.read_pos
        chunk = os.pread(self.fd, budget, pos)
        if chunk:
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

    def position(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "dev": self.dev,
            "ino": self.ino,
            "fp_len": self.fp_len,
            "fp": self.fp,
            "offset": self.offset,
            "lineno": self.lineno,
            "siblings": [[dev, ino, size] for (dev, ino), size in self.known.items()],
            # What a restart needs if the file is gone by then: how much was unread, and when
            # it was last written (its successors, if any, were written later).
            "size": self.size,
            "mtime_ns": os.fstat(self.fd).st_mtime_ns,
        }

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


class Follower:
    """Follows one path; see the module docstring. Not thread-safe: one caller drives it."""

    def __init__(
        self,
        path: str,
        handler: LineHandler,
        notify: Notify,
        start: str = "end",
        saved: list[dict[str, Any]] | None = None,
        lose: Lose = _ignore_loss,
    ) -> None:
        self.path = path
        self.handler = handler
        self.notify = notify
        self.lose = lose
        self.readers: deque[_Reader] = deque()
        # Files the path named that could not be opened (permission denied, EMFILE), with the
        # size last seen: read once they can be, wherever rotation put them, or counted lost.
        self._unopened: dict[tuple[int, int], tuple[str, int]] = {}
        # Where the first file we open starts when no checkpoint says; later files start at 0.
        self._initial_start = start
        self._denied = False
        if saved:
            self._resume(saved)
        if not self.readers:
            self._open_current()  # now, so that "ready" means "positioned"

    # -- driving ---------------------------------------------------------------------------

    def step(self, budget: int = STEP_BYTES) -> bool:
        """Read one bounded batch; True when there is more to read right away."""
        if self._unopened:
            self._retry_unopened()
        if not self.readers and not self._open_current():
            return False
        r = self.readers[0]
        cr_only = r.cr_only
        try:
            if len(self.readers) == 1 and (r.rewritten() or self._copied_away(r)):
                self._truncated(r)
                return True
            at_eof = r.read(self.handler, budget)
        except OSError as exc:
            self.notify("read_error", r.path, _error_kind(exc))
            return False
        if r.cr_only and not cr_only:
            self.notify("cr_line_endings", r.path, "")
        if not at_eof:
            return True
        if len(self.readers) > 1:  # an old file, now finished: on to the next
            self._retire(self.readers.popleft())
            return True
        return self._check_path(r)

    def lag_bytes(self) -> int:
        return sum(max(r.size - r.offset, 0) for r in self.readers)

    def positions(self) -> list[dict[str, Any]]:
        """What a checkpoint saves: every file still to read, in order, and its offset."""
        return [r.position() for r in self.readers]

    def known_inodes(self) -> set[tuple[int, int]]:
        return {(r.dev, r.ino) for r in self.readers}

    def idle_and_gone(self) -> bool:
        """Nothing open and the path no longer exists (a glob may forget this follower)."""
        return not self.readers and not os.path.lexists(self.path)

    def watch_dirs(self) -> set[str]:
        dirs = {os.path.dirname(self.path)}
        real = os.path.realpath(self.path)
        dirs.add(os.path.dirname(real))
        return {d for d in dirs if d}

    def close(self) -> None:
        while self.readers:
            self.readers.popleft().close()

    # -- opening ---------------------------------------------------------------------------

    def _open(self, path: str, quiet: bool = False) -> int | None:
        """Open ``path`` for reading; report a failure once per episode (``quiet``: never)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if not quiet and not self._denied:
                self.notify("read_error", path, _error_kind(exc))
                self._denied = True
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            if not quiet and not self._denied:
                self.notify("read_error", path, "not_regular")
                self._denied = True
            return None
        if not quiet and self._denied:
            self.notify("recovered", path, "")
            self._denied = False
        return fd

    def _open_current(self) -> bool:
        exists = os.path.exists(self.path)
        fd = self._open(self.path)
        if fd is None:
            if not exists:
                self._initial_start = "beginning"  # it will be a new file when it appears
            elif self._initial_start == "beginning":
                self._remember_unopened()
            return False
        self._unopened.pop(_key(fd), None)
        r = _Reader(fd, self.path)
        if self._initial_start == "end":
            r.offset = _last_line_end(fd, r.size)
        self._initial_start = "beginning"
        self.readers.append(r)
        self._snapshot_siblings(r)
        self.notify("open", self.path, f"offset={r.offset}")
        return True

    # -- files that could not be opened ------------------------------------------------------

    def _remember_unopened(self) -> None:
        """The path names a file we cannot open: remember which, to read it (or count it) later."""
        try:
            st = os.stat(self.path)
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if stat.S_ISREG(st.st_mode) and key not in self.known_inodes():
            self._unopened[key] = (self.path, st.st_size)

    def _retry_unopened(self) -> None:
        """Open what has become readable, in the order the files came; count what is gone."""
        try:
            where = self._consistently(self._locate_unopened, None)
        except OSError:
            return  # the directory cannot be listed now (EMFILE too): nothing is known gone
        if where is None:
            return
        for key, (name, size) in list(self._unopened.items()):
            found = where.get(key)
            if found is None:
                del self._unopened[key]
                self.lose(Loss(name, "unreadable_file_gone", size))
                continue
            path, st = found
            fd = self._open(path, quiet=True)
            if fd is None or _key(fd) != key:
                if fd is not None:
                    os.close(fd)
                self._unopened[key] = (path, st.st_size)
                continue
            del self._unopened[key]
            r = _Reader(fd, path)
            self._snapshot_siblings(r)
            if path == self.path or not self.readers:
                self.readers.append(r)  # the current file, or the oldest one left to read
            else:
                # Older than the file the path names now (the last reader): read it first.
                self.readers.insert(len(self.readers) - 1, r)
            self.notify("open", path, "offset=0 (readable at last)")

    def _locate_unopened(self) -> dict[tuple[int, int], tuple[str, os.stat_result]]:
        os.listdir(os.path.dirname(self.path) or ".")  # raise if it cannot be listed at all
        where = {(st.st_dev, st.st_ino): (p, st) for p, st in self._sibling_stats()}
        with contextlib.suppress(OSError):
            st = os.stat(self.path)
            where[(st.st_dev, st.st_ino)] = (self.path, st)
        return where

    # -- rotation, truncation --------------------------------------------------------------

    def _check_path(self, r: _Reader) -> bool:
        """``r`` is at its end and is the only file: does the path still name it?"""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            self.notify("read_error", self.path, _error_kind(exc))
            return False
        if st is not None and (st.st_dev, st.st_ino) != (r.dev, r.ino):
            self.notify("rotation", self.path, f"old={r.path}")
            while not r.read(self.handler, STEP_BYTES):
                pass  # what the writer added before it moved to the new file
            self._queue_successors(r)
            self._retire(self.readers.popleft())
            self._initial_start = "beginning"
            self._append_current()
            return True
        if st is None and os.fstat(r.fd).st_nlink == 0:
            # Deleted and not (yet) re-created: finish it; the next file starts at 0. In the
            # middle of a rotation (``rotate K`` deleted it, the path is not re-created yet), the
            # file that came after it is under a rotation name now: read it too.
            self._queue_successors(r)
            self._retire(self.readers.popleft())
            self._initial_start = "beginning"
            return bool(self.readers)
        return False

    def _truncated(self, r: _Reader) -> None:
        """Shrunk or rewritten in place: finish logrotate's copy, if any, then read from 0."""
        self.notify("truncation", self.path, f"offset={r.offset} size={r.size}")
        copies = self._copies(r, r.offset)
        for c in copies:
            self.notify("open", c.path, f"offset={c.offset} (copy of {self.path})")
        r.reset()
        for rr in reversed(copies):
            self.readers.appendleft(rr)
        # The copies are read now; other siblings keep their standing (a successor of ``r``, if
        # it was renamed away meanwhile, must stay one). Its first bytes are new: re-judge.
        r.known.update({(c.dev, c.ino): c.size for c in copies})
        r.not_copies.clear()

    def _copied_away(self, r: _Reader) -> bool:
        """Truncated before we read enough to tell by its first bytes, but a copy shows it."""
        if r.read_pos >= FP_MIN:
            return False  # ``rewritten`` tells by the fingerprint
        copies = self._copies(r, r.read_pos)
        for c in copies:
            c.close()
        return bool(copies)

    def _snapshot_siblings(self, r: _Reader) -> None:
        """The rotated files there now are not copies of ``r``'s lines: never read them as such.

        A sibling ``r`` still contains (a copytruncate under way) stays unknown: once ``r`` is
        truncated, it is the copy to finish.
        """
        r.known = self._consistently(lambda: self._snapshot_once(r), {})

    def _snapshot_once(self, r: _Reader) -> dict[tuple[int, int], int]:
        known: dict[tuple[int, int], int] = {}
        r_size = os.fstat(r.fd).st_size
        for p, st in self._sibling_stats():
            key = (st.st_dev, st.st_ino)
            if 0 < st.st_size <= r_size:
                fd = self._open_as(p, st)
                contained = _contains(r.fd, fd, st.st_size)
                os.close(fd)
                if contained:
                    continue
            known[key] = st.st_size
        return known

    def _copies(self, r: _Reader, offset: int) -> list[_Reader]:
        """Copies of ``r`` holding lines past ``offset`` (copytruncate), then later copies."""
        return self._consistently(lambda: self._copies_once(r, offset), [])

    def _copies_once(self, r: _Reader, offset: int) -> list[_Reader]:
        reading = self.known_inodes()
        # While ``r`` is the current file, only its own copies can appear. Once renamed away, a
        # new sibling may be a copy of its successor: a copy of ``r`` was made before ``r``'s
        # truncation, which set its mtime, so a sibling modified later is not one. (Only then:
        # timestamps of different files are not reliably ordered within milliseconds.)
        mtime = os.fstat(r.fd).st_mtime_ns
        try:
            current = _key_of(self.path) == (r.dev, r.ino)
        except OSError:
            current = False
        limit = None if current else mtime
        found: list[tuple[int, str, int]] = []
        try:
            for p, st in self._sibling_stats():
                key = (st.st_dev, st.st_ino)
                if (
                    key in reading
                    or r.known.get(key) == st.st_size
                    or r.not_copies.get(key) == st.st_size
                    or (limit is not None and st.st_mtime_ns > limit)
                ):
                    continue
                # Even a copy holding nothing unread counts: later copies are chained after it.
                fd = self._open_as(p, st)
                if r.fp_len and (st.st_size < r.fp_len or fingerprint(fd, r.fp_len) != r.fp):
                    r.not_copies[key] = st.st_size  # another file's lines
                    os.close(fd)
                elif _contains(r.fd, fd, st.st_size):
                    os.close(fd)  # a copy of lines ``r`` still has: ours once ``r`` is truncated
                else:
                    found.append((st.st_mtime_ns, p, fd))
            if not found:
                return []
            found.sort()
            chain = self._newer_than_once(
                os.fstat(found[0][2]).st_mtime_ns,
                exclude={(r.dev, r.ino), _key(found[0][2])},
                until=limit,
                current_fd=None,
                old_fd=r.fd,
                old_known=r.known,
            )
        except BaseException:
            for _, _, fd in found:
                os.close(fd)
            raise
        for _, _, fd in found[1:]:
            os.close(fd)
        first = _Reader(found[0][2], found[0][1], offset, r.lineno)
        first.known = {**r.known, **{(c.dev, c.ino): c.size for c in chain}}
        return [first, *chain]

    def _append_current(self) -> None:
        fd = self._open(self.path)
        if fd is None:
            self._remember_unopened()
        else:
            r = _Reader(fd, self.path)
            self.readers.append(r)
            self._snapshot_siblings(r)
            self.notify("open", self.path, "offset=0")

    def _queue_successors(self, r: _Reader) -> None:
        """Rotations between ``r`` and the current file (missed while busy or down)."""
        exclude = {(r.dev, r.ino)}
        cur_fd = self._open(self.path, quiet=True)
        try:
            if cur_fd is not None:
                cur = os.fstat(cur_fd)
                exclude.add((cur.st_dev, cur.st_ino))
            for rr in self._newer_than(r, exclude, current_fd=cur_fd):
                self.notify("open", rr.path, "offset=0 (rotated while behind)")
                self.readers.append(rr)
        finally:
            if cur_fd is not None:
                os.close(cur_fd)

    def _siblings(self) -> list[str]:
        directory = os.path.dirname(self.path) or "."
        pat = rotation_pattern(self.path)
        try:
            names = os.listdir(directory)
        except OSError:
            return []
        return sorted(os.path.join(directory, n) for n in names if pat.fullmatch(n))

    def _sibling_stats(self) -> list[tuple[str, os.stat_result]]:
        """Every rotated file and its stat, as one consistent view (raise _DirChanged if not)."""
        names = self._siblings()
        out = []
        for p in names:
            try:
                out.append((p, os.stat(p)))
            except FileNotFoundError:
                raise _DirChanged from None
            except OSError:
                continue
        if self._siblings() != names:
            raise _DirChanged
        return out

    def _open_as(self, path: str, st: os.stat_result) -> int:
        """Open ``path``, which must still be the file ``st`` describes (else _DirChanged)."""
        fd = self._open(path, quiet=True)
        if fd is None:
            raise _DirChanged
        if _key(fd) != (st.st_dev, st.st_ino):
            os.close(fd)
            raise _DirChanged
        return fd

    def _consistently(self, scan: Callable[[], _T], default: _T) -> _T:
        """Run a directory scan again while logrotate renames files under it."""
        for _ in range(SCAN_TRIES):
            try:
                return scan()
            except _DirChanged:
                time.sleep(0.002)
        self.notify("read_error", self.path, "rotation_scan_unstable")
        return default

    def _newer_than(
        self,
        r: _Reader,
        exclude: set[tuple[int, int]],
        current_fd: int | None = None,
    ) -> list[_Reader]:
        """Rotated files that came after ``r`` (its successors), oldest first, opened at 0."""
        mtime = os.fstat(r.fd).st_mtime_ns
        return self._consistently(
            lambda: self._newer_than_once(mtime, exclude, None, current_fd, r.fd, r.known, True),
            [],
        )

    def _newer_than_once(
        self,
        mtime: int,
        exclude: set[tuple[int, int]],
        until: int | None,
        current_fd: int | None,
        old_fd: int | None,
        old_known: dict[tuple[int, int], int],
        reused_after: bool = False,
    ) -> list[_Reader]:
        """Siblings that appeared after the old file was opened (not in ``old_known``), modified
        at or after ``mtime`` (and not after ``until``). A copy the current file or the old one
        (``old_fd``, if still open) contains is not one: its lines are read from that file (or
        from the copy once its truncation shows)."""
        found: list[tuple[int, int, _Reader]] = []
        seen = set(exclude) | self.known_inodes()
        siblings = self._sibling_stats()
        try:
            for p, st in siblings:
                key = (st.st_dev, st.st_ino)
                late = until is not None and st.st_mtime_ns > until
                # A known file, unless its inode was freed and reused by another file: written
                # after ``mtime`` and smaller (a rotated file, or a copy being made, only grows).
                # logrotate deletes the oldest file, then creates one: the file system may hand
                # out the same inode number.
                reused = (
                    reused_after and st.st_mtime_ns > mtime and st.st_size < old_known.get(key, 0)
                )
                older = key in old_known and not reused
                if key in seen or older or st.st_mtime_ns < mtime or late:
                    continue
                fd = self._open_as(p, st)
                if (current_fd is not None and _contains(current_fd, fd, st.st_size)) or (
                    old_fd is not None and st.st_size and _contains(old_fd, fd, st.st_size)
                ):
                    os.close(fd)
                    continue
                seen.add((st.st_dev, st.st_ino))
                found.append((st.st_mtime_ns, st.st_ino, _Reader(fd, p)))
        except BaseException:
            for _, _, rr in found:
                rr.close()
            raise
        found.sort(key=lambda t: (t[0], t[1]))  # same mtime: inode order, usually creation
        # Renamed away before we opened them: what sits beside them now is not their copy.
        snapshot = {(st.st_dev, st.st_ino): st.st_size for _, st in siblings}
        for _, _, rr in found:
            rr.known = dict(snapshot)
        return [rr for _, _, rr in found]

    def _find(self, ident: Identity, offset: int, exclude: set[tuple[int, int]]) -> _Reader | None:
        """The file with identity ``ident`` (same inode, or a copy) among the rotation names."""
        best = self._consistently(lambda: self._find_once(ident, offset, exclude), None)
        if best is not None:
            self.notify("open", best.path, f"offset={offset} (found by identity)")
        return best

    def _find_once(
        self, ident: Identity, offset: int, exclude: set[tuple[int, int]]
    ) -> _Reader | None:
        best: _Reader | None = None
        try:
            candidates = self._sibling_stats()
            with contextlib.suppress(OSError):  # mid-rotation the path may not exist
                candidates.insert(0, (self.path, os.stat(self.path)))
            for p, st in candidates:
                key = (st.st_dev, st.st_ino)
                same_inode = key == (ident.dev, ident.ino)
                # A copy must hold our offset; our own file (same inode, same first bytes) may
                # be shorter than the offset says only if the checkpoint is wrong: see below.
                if (
                    key in exclude
                    or st.st_size < ident.fp_len
                    or (st.st_size < offset and not same_inode)
                    or not (same_inode or ident.fp_len >= FP_MIN)
                    or (best is not None and not same_inode)
                ):
                    continue
                fd = self._open_as(p, st)
                if ident.fp_len and fingerprint(fd, ident.fp_len) != ident.fp:
                    os.close(fd)
                    continue
                if best is not None:
                    best.close()
                start = offset
                if st.st_size < offset:
                    # The identity says it is the file we read; re-reading it from 0 would count
                    # its lines twice. Resume at its end and say so.
                    start = _last_line_end(fd, st.st_size)
                    self.notify("offset_beyond_end", p, f"offset={offset} size={st.st_size}")
                best = _Reader(fd, p, start)
                if same_inode:
                    break
        except BaseException:
            if best is not None:
                best.close()
            raise
        return best

    def _retire(self, r: _Reader) -> None:
        r.finish(self.handler)
        r.close()

    # -- restart ---------------------------------------------------------------------------

    def _resume(self, saved: list[dict[str, Any]]) -> None:
        """Re-open the files a checkpoint lists, at their offsets, wherever rotation put them."""
        self._initial_start = "beginning"
        gone: dict[str, Any] | None = None
        for pos in saved:
            try:
                ident = Identity(int(pos["dev"]), int(pos["ino"]), int(pos["fp_len"]), pos["fp"])
                offset, lineno = int(pos["offset"]), int(pos["lineno"])
            except (KeyError, TypeError, ValueError, OverflowError):
                self.notify("read_error", self.path, "malformed_checkpoint_entry")
                continue
            r = self._find(ident, offset, exclude=self.known_inodes())
            if r is None:
                size = pos.get("size")
                unread = max(size - offset, 0) if isinstance(size, int) else 0
                self.lose(Loss(str(pos.get("path")), "rotated_file_gone", unread))
                gone = pos
                continue
            gone = None
            r.lineno = lineno
            r.fp_len, r.fp = ident.fp_len, ident.fp
            r.refresh_fp()
            r.known = _known(pos.get("siblings"))
            self.readers.append(r)
        if gone is not None:
            self._queue_successors_of_gone(gone)

    def _queue_successors_of_gone(self, pos: dict[str, Any]) -> None:
        """The newest file the checkpoint lists is gone: still read the rotated files that came
        after it (else only the current file would be read, from 0, and they would be lost)."""
        mtime = pos.get("mtime_ns")
        if not isinstance(mtime, int):
            return  # a checkpoint from before mtimes were saved
        known = _known(pos.get("siblings"))
        cur_fd = self._open(self.path, quiet=True)
        try:
            exclude = {_key(cur_fd)} if cur_fd is not None else set()
            none: list[_Reader] = []
            found = self._consistently(
                lambda: self._newer_than_once(mtime, exclude, None, cur_fd, None, known, True),
                none,
            )
        finally:
            if cur_fd is not None:
                os.close(cur_fd)
        for rr in found:
            self.notify("open", rr.path, "offset=0 (came after a file that is gone)")
            self.readers.append(rr)


class _DirChanged(Exception):
    """The rotation names changed under a scan (logrotate at work): scan again."""


def _key_of(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _key(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _contains(fd: int, copy_fd: int, copy_size: int) -> bool:
    """The file ``fd`` starts like the copy and is at least as long: a copy, not a truncation."""
    if os.fstat(fd).st_size < copy_size:
        return False
    length = min(copy_size, FP_MAX)
    return fingerprint(fd, length) == fingerprint(copy_fd, length)


def _known(raw: Any) -> dict[tuple[int, int], int]:
    if not isinstance(raw, list):
        return {}
    return {
        (int(t[0]), int(t[1])): int(t[2])
        for t in raw
        if isinstance(t, list) and len(t) == 3 and all(isinstance(v, int) for v in t)
    }


def _last_line_end(fd: int, size: int) -> int:
    """Offset just after the last newline (start at the end, but on a line boundary)."""
    if size == 0:
        return 0
    tail = os.pread(fd, min(size, 65536), max(size - 65536, 0))
    nl = tail.rfind(b"\n")
    return size if nl < 0 else size - len(tail) + nl + 1


def _error_kind(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    return "io"


class FileSource:
    """All files of one configured ``path`` (a glob may name several, appearing over time)."""

    def __init__(
        self,
        pattern: str,
        make_handler: Callable[[str], LineHandler],
        notify: Notify,
        start: str,
        saved: dict[str, list[dict[str, Any]]] | None,
        lose: Lose = _ignore_loss,
    ) -> None:
        self.pattern = pattern
        self.lose = lose
        self.is_glob = glob.has_magic(pattern)
        self.make_handler = make_handler
        self.notify = notify
        self.followers: dict[str, Follower] = {}
        # With a checkpoint, files it does not know appeared while we were down: from 0.
        self._start = "beginning" if saved is not None else start
        for path, positions in (saved or {}).items():
            if self.is_glob or path == pattern:
                self._add(path, positions)
        self.rescan()
        self._start = "beginning"  # files found from now on are new

    def rescan(self) -> None:
        """Pick up new files matching the glob; forget followers whose file is gone."""
        if not self.is_glob:
            if self.pattern not in self.followers:
                self._add(self.pattern, None)
            return
        known = set().union(*(f.known_inodes() for f in self.followers.values()))
        for path in sorted(glob.glob(self.pattern)):
            if path in self.followers or is_rotated_name(path) or not os.path.isfile(path):
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in known:
                self._add(path, None)
        for path in [p for p, f in self.followers.items() if f.idle_and_gone()]:
            del self.followers[path]

    def step(self, budget: int = STEP_BYTES) -> bool:
        more = False
        for f in list(self.followers.values()):
            more = f.step(budget) or more
        return more

    def lag_bytes(self) -> int:
        return sum(f.lag_bytes() for f in self.followers.values())

    def open_files(self) -> int:
        return sum(len(f.readers) for f in self.followers.values())

    def positions(self) -> dict[str, list[dict[str, Any]]]:
        return {p: f.positions() for p, f in self.followers.items()}

    def watch_dirs(self) -> set[str]:
        dirs: set[str] = set()
        if self.is_glob:
            dirs.update(_glob_dirs(self.pattern))
        for f in self.followers.values():
            dirs.update(f.watch_dirs())
        return dirs

    def close(self) -> None:
        for f in self.followers.values():
            f.close()
        self.followers.clear()

    def _add(self, path: str, saved: list[dict[str, Any]] | None) -> None:
        self.followers[path] = Follower(
            path, self.make_handler(path), self.notify, self._start, saved, self.lose
        )


def _glob_dirs(pattern: str) -> Iterable[str]:
    """The directories whose entries can change what the glob matches."""
    parent = os.path.dirname(pattern)
    if glob.has_magic(parent):
        return [d for d in glob.glob(parent) if os.path.isdir(d)]
    return [parent]


def existing_ancestor(path: str) -> Path:
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    return p
