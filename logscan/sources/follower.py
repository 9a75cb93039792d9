"""Follow one log file by path through rotation, truncation and restarts, by byte offsets.

A :class:`Follower` keeps a queue of open files for one path: old files still to finish (a file
rotated away, a copy made by ``copytruncate``, rotations missed while the daemon was down) and,
last, the file the path names now. Each is a :class:`~logscan.sources.file_reader.FileReader`,
which hands complete lines only to the handler and records the offset of the end of the last
complete line, so a checkpoint can resume exactly there::

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "mail.log")
    >>> _ = open(p, "w").write("one\\r\\ntwo\\npart")
    >>> got = []
    >>> f = Follower(p, lambda lines, first: got.extend(lines), lambda *a: None, start="beginning")
    >>> while f.step(): pass
    >>> got, f.positions()[0].offset
    (['one', 'two'], 9)

Guarantee: every complete line of every file the path named is handed over once, provided the
file is still there to be read (rotated names ``.N`` and ``-YYYYMMDD[HH]``, not compressed ones)
when the follower gets to it; rename+create and copytruncate may be mixed on one file.
``copytruncate`` loses, by its nature, what the writer appends between logrotate's copy and its
truncation; everything else is found (:mod:`logscan.sources.rotation`): a renamed file by its
inode (and the inode's generation), a copy by the fingerprint of the first bytes read, successors
by not being there when the file was opened (timestamps of different files are not ordered
within milliseconds, so they only break ties). A file is checked for a truncation before it is
finished, also when it was renamed away since it was read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections import deque
from collections.abc import Sequence

from logscan.sources.file_identity import FP_MIN, FileKey, key_of_fd
from logscan.sources.file_reader import (
    STEP_BYTES,
    FileReader,
    LineHandler,
    NotRegularFile,
    RewrittenWhileReading,
    last_line_end,
    open_regular,
    try_open,
)
from logscan.sources.loss import Loss
from logscan.sources.notices import Lose, Notify, error_kind, ignore_loss
from logscan.sources.resume_position import ResumePosition
from logscan.sources.rotation import RotatedFiles


class Follower:
    """Follows one path; see the module docstring. Not thread-safe: one caller drives it."""

    def __init__(
        self,
        path: str,
        handler: LineHandler,
        notify: Notify,
        start: str = "end",
        saved: Sequence[ResumePosition] = (),
        lose: Lose = ignore_loss,
    ) -> None:
        self.path = path
        self.handler = handler
        self.notify = notify
        self.lose = lose
        self.readers: deque[FileReader] = deque()
        self._rotated = RotatedFiles(path, notify, self.known_inodes)
        # Files the path named that could not be opened (permission denied, EMFILE), with the
        # size last seen: read once they can be, wherever rotation put them, or counted lost.
        self._unopened: dict[FileKey, tuple[str, int]] = {}
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
        alone = len(self.readers) == 1  # the current file: the one copytruncate rewrites
        try:
            if alone and (r.rewritten() or self._copied_away(r)):
                self._truncated(r)
                return True
            at_eof = r.read(self.handler, budget, verify=alone)
        except RewrittenWhileReading:  # truncated and rewritten since the check just above
            self._truncated(r)
            return True
        except OSError as exc:
            self.notify("read_error", r.path, error_kind(exc))
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

    def positions(self) -> list[ResumePosition]:
        """What a checkpoint saves: every file still to read, in order, and its offset."""
        return [r.position() for r in self.readers]

    def known_inodes(self) -> set[FileKey]:
        return {r.key for r in self.readers}

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

    def _open(self, path: str) -> int | None:
        """Open ``path`` for reading; report a failure once per episode."""
        try:
            fd = open_regular(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if not self._denied:
                kind = "not_regular" if isinstance(exc, NotRegularFile) else error_kind(exc)
                self.notify("read_error", path, kind)
                self._denied = True
            return None
        if self._denied:
            self.notify("recovered", path, "")
            self._denied = False
        return fd

    def _open_current(self) -> bool:
        exists = os.path.exists(self.path)
        # Listed before the opening (not when there is nothing to open: it runs each poll).
        before = self._rotated.listed() if exists else None
        fd = self._open(self.path)
        if fd is None:
            if not exists:
                self._initial_start = "beginning"  # it will be a new file when it appears
            elif self._initial_start == "beginning":
                self._remember_unopened()
            return False
        self._unopened.pop(key_of_fd(fd), None)
        r = FileReader(fd, self.path)
        if self._initial_start == "end":
            r.offset = last_line_end(fd, r.size)
        self._initial_start = "beginning"
        self.readers.append(r)
        r.known = self._rotated.snapshot(r, before)
        self.notify("open", self.path, f"offset={r.offset}")
        return True

    def _append_current(self, current: FileReader | None = None) -> None:
        """Read the path's file next; ``current``: that file, opened already with its ``known``
        (else the path is opened now)."""
        if current is None:
            before = self._rotated.listed()
            fd = self._open(self.path)
            if fd is None:
                self._remember_unopened()
                return
            current = FileReader(fd, self.path)
            current.known = self._rotated.snapshot(current, before)
        self.readers.append(current)
        self.notify("open", self.path, "offset=0")

    def _retire(self, r: FileReader) -> None:
        r.finish(self.handler)
        r.close()

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
            where = self._rotated.consistently(self._locate_unopened, None)
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
            fd = try_open(path)
            if fd is None or key_of_fd(fd) != key:
                if fd is not None:
                    os.close(fd)
                self._unopened[key] = (path, st.st_size)
                continue
            del self._unopened[key]
            r = FileReader(fd, path)
            r.known = self._rotated.snapshot(r, set(where))  # listed before it was opened
            if path == self.path or not self.readers:
                self.readers.append(r)  # the current file, or the oldest one left to read
            else:
                # Older than the file the path names now (the last reader): read it first.
                self.readers.insert(len(self.readers) - 1, r)
            self.notify("open", path, "offset=0 (readable at last)")

    def _locate_unopened(self) -> dict[FileKey, tuple[str, os.stat_result]]:
        os.listdir(os.path.dirname(self.path) or ".")  # raise if it cannot be listed at all
        where = {(st.st_dev, st.st_ino): (p, st) for p, st in self._rotated.stats()}
        with contextlib.suppress(OSError):
            st = os.stat(self.path)
            where[(st.st_dev, st.st_ino)] = (self.path, st)
        return where

    # -- rotation, truncation --------------------------------------------------------------

    def _check_path(self, r: FileReader) -> bool:
        """``r`` is at its end and is the only file: does the path still name it?"""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            self.notify("read_error", self.path, error_kind(exc))
            return False
        if st is not None and (st.st_dev, st.st_ino) != r.key:
            if r.rewritten() or self._copied_away(r):
                # Copied and truncated, then renamed, since it was read (both methods on one
                # file): the copy holds what followed our offset, the file new lines from 0.
                # Read them first; the rename is seen again once they are done.
                self._truncated(r)
                return True
            self.notify("rotation", self.path, f"old={r.path}")
            while not r.read(self.handler, STEP_BYTES):
                pass  # what the writer added before it moved to the new file
            current = self._queue_successors(r)
            self._retire(self.readers.popleft())
            self._initial_start = "beginning"
            self._append_current(current)
            return True
        if st is None and os.fstat(r.fd).st_nlink == 0:
            # Deleted and not (yet) re-created: finish it; the next file starts at 0. In the
            # middle of a rotation (``rotate K`` deleted it, the path is not re-created yet), the
            # file that came after it is under a rotation name now: read it too.
            current = self._queue_successors(r)
            if current is not None:
                current.close()  # re-created meanwhile: opened as the path's file when due
            self._retire(self.readers.popleft())
            self._initial_start = "beginning"
            return bool(self.readers)
        return False

    def _truncated(self, r: FileReader) -> None:
        """Shrunk or rewritten in place: finish logrotate's copy, if any, then read from 0."""
        self.notify("truncation", self.path, f"offset={r.offset} size={r.size}")
        copies = self._rotated.copies(r, r.offset)
        for c in copies:
            self.notify("open", c.path, f"offset={c.offset} (copy of {self.path})")
        r.reset()
        for rr in reversed(copies):
            self.readers.appendleft(rr)
        # The copies are read now; other siblings keep their standing (a successor of ``r``, if
        # it was renamed away meanwhile, must stay one). Its first bytes are new: re-judge.
        r.known.update({c.key: c.as_sibling() for c in copies})
        r.not_copies.clear()

    def _copied_away(self, r: FileReader) -> bool:
        """Truncated before we read enough to tell by its first bytes, but a copy shows it."""
        if r.read_pos >= FP_MIN:
            return False  # ``rewritten`` tells by the fingerprint
        copies = self._rotated.copies(r, r.read_pos)
        for c in copies:
            c.close()
        return bool(copies)

    def _queue_successors(self, r: FileReader) -> FileReader | None:
        """Rotations between ``r`` and the current file (missed while busy or down). Returns the
        current file, open, with its ``known`` from the same listing (None if there is none):
        the one the path named when they were listed. Opening the path again later could find
        a newer file, and whatever rotated in between would be neither a successor found here
        nor newer than that file: lost."""
        exclude = {r.key}
        cur_fd = try_open(self.path)
        current = None
        try:
            if cur_fd is not None:
                current = FileReader(cur_fd, self.path)
                exclude.add(current.key)
            for rr in self._rotated.successors(r, exclude, current):
                self.notify("open", rr.path, "offset=0 (rotated while behind)")
                self.readers.append(rr)
        except BaseException:
            if cur_fd is not None:
                os.close(cur_fd)
            raise
        return current

    # -- restart ---------------------------------------------------------------------------

    def _resume(self, saved: Sequence[ResumePosition]) -> None:
        """Re-open the files a checkpoint lists, at their offsets, wherever rotation put them."""
        self._initial_start = "beginning"
        gone: ResumePosition | None = None
        for pos in saved:
            r = self._rotated.find(pos.identity, pos.offset, exclude=self.known_inodes())
            if r is None:
                unread = max(pos.size - pos.offset, 0) if pos.size is not None else 0
                self.lose(Loss(pos.path, "rotated_file_gone", unread))
                gone = pos
                continue
            gone = None
            r.lineno = pos.lineno
            r.fp_len, r.fp = pos.identity.fp_len, pos.identity.fp
            r.refresh_fp()
            r.known = dict(pos.siblings)
            self.readers.append(r)
        if gone is not None:
            self._queue_successors_of_gone(gone)

    def _queue_successors_of_gone(self, pos: ResumePosition) -> None:
        """The newest file the checkpoint lists is gone: still read the rotated files that came
        after it (else only the current file would be read, from 0, and they would be lost)."""
        if pos.mtime_ns is None:
            return  # a checkpoint from before mtimes were saved
        cur_fd = try_open(self.path)
        try:
            exclude = {key_of_fd(cur_fd)} if cur_fd is not None else set()
            found = self._rotated.successors_of_gone(
                pos.mtime_ns, dict(pos.siblings), exclude, cur_fd
            )
        finally:
            if cur_fd is not None:
                os.close(cur_fd)
        for rr in found:
            self.notify("open", rr.path, "offset=0 (came after a file that is gone)")
            self.readers.append(rr)
