"""Where a followed file's lines went: its rotated files, scanned while logrotate works.

The rotated files beside a path (:mod:`logscan.sources.rotated_names`) are searched for:

* a file by its identity (a restart: same inode of the same generation, or a copy with the
  same first bytes);
* the successors of a file: rotated files that came after it (rotations missed while the
  daemon was behind or down), known by not being among the files there when it was opened
  (its ``known`` snapshot); timestamps of different files are not ordered within
  milliseconds, so they only bound the search and break ties;
* copies of a file (``copytruncate``): same first bytes, holding lines past its offset.

A scan lists the names, stats them, and lists again; if logrotate renamed anything meanwhile it
starts over (``SCAN_TRIES`` times, then reports ``rotation_scan_unstable``). Files are opened
only after a stat and checked to be the file stat described.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import TypeVar

from logscan.sources.file_identity import (
    FP_MIN,
    FileKey,
    Identity,
    Sibling,
    contains,
    fingerprint,
    generation,
    key_of_fd,
    key_of_path,
    same_generation,
)
from logscan.sources.file_reader import FileReader, last_line_end, try_open
from logscan.sources.notices import Notify
from logscan.sources.rotated_names import rotated_siblings

SCAN_TRIES = 50  # a rotation takes milliseconds; a scan that never settles is reported
_T = TypeVar("_T")
Stats = list[tuple[str, os.stat_result]]


class DirChanged(Exception):
    """The rotation names changed under a scan (logrotate at work): scan again."""


class RotatedFiles:
    """The rotated files of one followed ``path``. ``reading()``: the files the follower has
    open (never found again)."""

    def __init__(self, path: str, notify: Notify, reading: Callable[[], set[FileKey]]) -> None:
        self.path = path
        self.notify = notify
        self.reading = reading

    # -- consistent views --------------------------------------------------------------------

    def stats(self) -> Stats:
        """Every rotated file and its stat, as one consistent view (raise DirChanged if not)."""
        names = rotated_siblings(self.path)
        out = []
        for p in names:
            try:
                out.append((p, os.stat(p)))
            except FileNotFoundError:
                raise DirChanged from None
            except OSError:
                continue
        if rotated_siblings(self.path) != names:
            raise DirChanged
        return out

    def consistently(self, scan: Callable[[], _T], default: _T) -> _T:
        """Run a directory scan again while logrotate renames files under it."""
        for _ in range(SCAN_TRIES):
            try:
                return scan()
            except DirChanged:
                time.sleep(0.002)
        self.notify("read_error", self.path, "rotation_scan_unstable")
        return default

    # -- the scans ---------------------------------------------------------------------------

    def listed(self) -> set[FileKey]:
        """The rotated files there now (taken before a file is opened: see ``snapshot``)."""
        return self.consistently(lambda: {(st.st_dev, st.st_ino) for _, st in self.stats()}, set())

    def snapshot(
        self, r: FileReader, listed_before: set[FileKey] | None = None
    ) -> dict[FileKey, Sibling]:
        """The rotated files there now, which are not copies of ``r``'s lines: ``r.known``.

        A sibling ``r`` still contains (a copytruncate under way) stays unknown: once ``r`` is
        truncated, it is the copy to finish. So does one not in ``listed_before`` (the listing
        taken before ``r`` was opened): a copytruncate may have finished between the opening and
        this listing, and its copy, no longer contained, would pass for an older file.
        """
        return self.consistently(lambda: self._known_among(r, self.stats(), listed_before), {})

    def successors(
        self, r: FileReader, exclude: set[FileKey], current: FileReader | None = None
    ) -> list[FileReader]:
        """Rotated files that came after ``r`` (its successors), oldest first, opened at 0.

        ``current``: the file the path names, opened just before. Its ``known`` is set from the
        same listing: between two listings logrotate could copy it and truncate it, and the
        copy would be neither a successor of ``r`` (not there yet) nor unknown to ``current``
        (there by the second listing, no longer contained): its lines lost.
        """
        mtime = os.fstat(r.fd).st_mtime_ns
        return self.consistently(
            lambda: self._successors_of_and_known(r, mtime, exclude, current), []
        )

    def successors_of_gone(
        self,
        mtime: int,
        known: dict[FileKey, Sibling],
        exclude: set[FileKey],
        current_fd: int | None,
    ) -> list[FileReader]:
        """``successors`` of a file no longer there, from what its position saved."""
        none: list[FileReader] = []
        return self.consistently(
            lambda: self._successors_once(mtime, exclude, None, current_fd, None, known, True),
            none,
        )

    def find(self, ident: Identity, offset: int, exclude: set[FileKey]) -> FileReader | None:
        """The file with identity ``ident`` (same inode, or a copy) among the rotation names."""
        best = self.consistently(lambda: self._find_once(ident, offset, exclude), None)
        if best is not None:
            self.notify("open", best.path, f"offset={offset} (found by identity)")
        return best

    def copies(self, r: FileReader, offset: int) -> list[FileReader]:
        """Copies of ``r`` holding lines past ``offset`` (copytruncate), then later copies."""
        return self.consistently(lambda: self._copies_once(r, offset), [])

    # -- one try of each -----------------------------------------------------------------------

    def _open_as(self, path: str, st: os.stat_result) -> int:
        """Open ``path``, which must still be the file ``st`` describes (else DirChanged)."""
        fd = try_open(path)
        if fd is None:
            raise DirChanged
        if key_of_fd(fd) != (st.st_dev, st.st_ino):
            os.close(fd)
            raise DirChanged
        return fd

    def _generation_of(self, path: str, st: os.stat_result) -> int | None:
        """The inode generation of the file ``st`` describes (None if it cannot be told)."""
        fd = try_open(path)
        if fd is None:
            return None
        try:
            return generation(fd) if key_of_fd(fd) == (st.st_dev, st.st_ino) else None
        finally:
            os.close(fd)

    def _sibling(self, path: str, st: os.stat_result) -> Sibling:
        return Sibling(st.st_size, self._generation_of(path, st))

    def _came_after(self, r: FileReader, siblings: Stats) -> set[FileKey]:
        """Siblings that came after ``r``, which was the path's file when opened: if it was
        rotated away itself before this listing (logrotate runs when it likes), its successors
        may be listed too. A file written after ``r`` last was is not one that came before it."""
        try:
            moved = key_of_path(self.path) != r.key
        except OSError:
            moved = True
        if not moved:
            return set()
        last_write = os.fstat(r.fd).st_mtime_ns
        return {(st.st_dev, st.st_ino) for _, st in siblings if st.st_mtime_ns > last_write}

    def _successors_of_and_known(
        self, r: FileReader, mtime: int, exclude: set[FileKey], current: FileReader | None
    ) -> list[FileReader]:
        siblings = self.stats()
        if current is None:
            return self._successors_once(mtime, exclude, None, None, r.fd, r.known, True, siblings)
        # Files that came after ``current`` are its successors, read after it: not ``r``'s.
        later = self._came_after(current, siblings)
        found = self._successors_once(
            mtime, exclude | later, None, current.fd, r.fd, r.known, True, siblings
        )
        try:
            current.known = self._known_among(current, siblings)
        except BaseException:
            for rr in found:
                rr.close()
            raise
        return found

    def _known_among(
        self, r: FileReader, siblings: Stats, listed_before: set[FileKey] | None = None
    ) -> dict[FileKey, Sibling]:
        known: dict[FileKey, Sibling] = {}
        r_size = os.fstat(r.fd).st_size
        later = self._came_after(r, siblings)  # left out: found as successors
        for p, st in siblings:
            key = (st.st_dev, st.st_ino)
            if key in later or (listed_before is not None and key not in listed_before):
                continue
            if 0 < st.st_size <= r_size:
                fd = self._open_as(p, st)
                contained = contains(r.fd, fd, st.st_size)
                os.close(fd)
                if contained:
                    continue
            known[key] = self._sibling(p, st)
        return known

    def _reused(self, path: str, st: os.stat_result, then: Sibling) -> bool:
        """The inode number of a file seen before now belongs to another file (a different
        generation: logrotate deleted the old file and the file system gave the number out)."""
        return then.gen is not None and self._generation_of(path, st) not in (None, then.gen)

    def _successors_once(
        self,
        mtime: int,
        exclude: set[FileKey],
        until: int | None,
        current_fd: int | None,
        old_fd: int | None,
        old_known: dict[FileKey, Sibling],
        reused_after: bool = False,
        siblings: Stats | None = None,
    ) -> list[FileReader]:
        """Siblings that appeared after the old file was opened (not in ``old_known``), modified
        at or after ``mtime`` (and not after ``until``). A copy the current file or the old one
        (``old_fd``, if still open) contains is not one: its lines are read from that file (or
        from the copy once its truncation shows)."""
        found: list[tuple[int, int, FileReader]] = []
        seen = set(exclude) | self.reading()
        if siblings is None:
            siblings = self.stats()
        try:
            for p, st in siblings:
                key = (st.st_dev, st.st_ino)
                late = until is not None and st.st_mtime_ns > until
                # A known file, unless its inode was freed and reused by another file: logrotate
                # deletes the oldest file, then creates one, and the file system may hand out the
                # same inode number. Its generation tells, where the file system keeps one; else
                # a file written after ``mtime`` and smaller (a rotated file, or a copy being
                # made, only grows).
                if key in seen or st.st_mtime_ns < mtime or late:
                    continue
                then = old_known.get(key)
                if then is not None and not (
                    (reused_after and st.st_mtime_ns > mtime and st.st_size < then.size)
                    or self._reused(p, st, then)
                ):
                    continue  # older: it was there when the old file was opened
                fd = self._open_as(p, st)
                if (current_fd is not None and contains(current_fd, fd, st.st_size)) or (
                    old_fd is not None and st.st_size and contains(old_fd, fd, st.st_size)
                ):
                    os.close(fd)
                    continue
                seen.add((st.st_dev, st.st_ino))
                found.append((st.st_mtime_ns, st.st_ino, FileReader(fd, p)))
        except BaseException:
            for _, _, rr in found:
                rr.close()
            raise
        found.sort(key=lambda t: (t[0], t[1]))  # same mtime: inode order, usually creation
        # Renamed away before we opened them: what sits beside them now is not their copy.
        snapshot = {(st.st_dev, st.st_ino): self._sibling(p, st) for p, st in siblings}
        for _, _, rr in found:
            rr.known = dict(snapshot)
        return [rr for _, _, rr in found]

    def _find_once(self, ident: Identity, offset: int, exclude: set[FileKey]) -> FileReader | None:
        best: FileReader | None = None
        try:
            candidates = self.stats()
            with contextlib.suppress(OSError):  # mid-rotation the path may not exist
                candidates.insert(0, (self.path, os.stat(self.path)))
            for p, st in candidates:
                key = (st.st_dev, st.st_ino)
                if key in exclude or st.st_size < ident.fp_len:
                    continue
                fd = self._open_as(p, st) if key == (ident.dev, ident.ino) else None
                same_inode = fd is not None and same_generation(fd, ident)
                # A copy must hold our offset; our own file (same inode, same first bytes) may
                # be shorter than the offset says only if the checkpoint is wrong: see below.
                if not same_inode and (
                    st.st_size < offset or ident.fp_len < FP_MIN or best is not None
                ):
                    if fd is not None:
                        os.close(fd)
                    continue
                if fd is None:
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
                    start = last_line_end(fd, st.st_size)
                    self.notify("offset_beyond_end", p, f"offset={offset} size={st.st_size}")
                best = FileReader(fd, p, start)
                if same_inode:
                    break
        except BaseException:
            if best is not None:
                best.close()
            raise
        return best

    def _copies_once(self, r: FileReader, offset: int) -> list[FileReader]:
        reading = self.reading()
        # While ``r`` is the current file, only its own copies can appear. Once renamed away, a
        # new sibling may be a copy of its successor: a copy of ``r`` was made before ``r``'s
        # truncation, which set its mtime, so a sibling modified later is not one. (Only then:
        # timestamps of different files are not reliably ordered within milliseconds.)
        mtime = os.fstat(r.fd).st_mtime_ns
        try:
            current = key_of_path(self.path) == r.key
        except OSError:
            current = False
        limit = None if current else mtime
        found: list[tuple[int, str, int]] = []
        try:
            for p, st in self.stats():
                key = (st.st_dev, st.st_ino)
                if (
                    key in reading
                    or (key in r.known and r.known[key].size == st.st_size)
                    or r.not_copies.get(key) == st.st_size
                    or (limit is not None and st.st_mtime_ns > limit)
                ):
                    continue
                # Even a copy holding nothing unread counts: later copies are chained after it.
                fd = self._open_as(p, st)
                if r.fp_len and (st.st_size < r.fp_len or fingerprint(fd, r.fp_len) != r.fp):
                    r.not_copies[key] = st.st_size  # another file's lines
                    os.close(fd)
                elif contains(r.fd, fd, st.st_size):
                    os.close(fd)  # a copy of lines ``r`` still has: ours once ``r`` is truncated
                else:
                    found.append((st.st_mtime_ns, p, fd))
            if not found:
                return []
            found.sort()
            chain = self._successors_once(
                os.fstat(found[0][2]).st_mtime_ns,
                exclude={r.key, key_of_fd(found[0][2])},
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
        first = FileReader(found[0][2], found[0][1], offset, r.lineno)
        first.known = {**r.known, **{c.key: c.as_sibling() for c in chain}}
        return [first, *chain]
