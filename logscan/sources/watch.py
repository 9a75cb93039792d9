"""Wake the daemon's loop when a watched directory changes (inotify through watchdog).

The loop also polls on a timer, so events only cut latency: a directory on a network filesystem
(NFS, CIFS: no events), an inotify watch limit reached, or a directory that does not exist yet
simply falls back to polling. :meth:`Waker.sync` is cheap and idempotent; call it every cycle::

    >>> import tempfile, threading
    >>> wake = threading.Event()
    >>> w = Waker(wake.set)
    >>> w.sync({tempfile.mkdtemp()})
    {}
    >>> w.stop()
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

import structlog
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.inotify import InotifyObserver

log = structlog.get_logger("logscan.sources.watch")

# Changes only: opening or closing a file (the daemon's own scans do) must not wake the loop.
_CHANGES = (
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
)
NETWORK_FS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre"}
)


class _Handler(FileSystemEventHandler):
    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.wake()


class Waker:
    """Keeps one inotify watch per directory in use; unwatchable directories are reported."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._handler = _Handler(wake)
        self._observer: Any = None
        self._watches: dict[str, Any] = {}
        self._failed: dict[str, str] = {}

    def sync(self, dirs: set[str]) -> dict[str, str]:
        """Watch exactly ``dirs`` (those that can be watched); return {dir: why polled}."""
        for d in list(self._watches):
            if d not in dirs:
                self._unschedule(d)
        for d in dirs - set(self._watches):
            reason = self._schedule(d)
            if reason is None:
                self._failed.pop(d, None)
            elif self._failed.get(d) != reason:
                self._failed[d] = reason
                log.warning("polling directory", directory=d, reason=reason)
        return {d: r for d, r in self._failed.items() if d in dirs}

    def watching(self, directory: str) -> bool:
        return directory in self._watches

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        self._watches.clear()

    def _schedule(self, directory: str) -> str | None:
        if not os.path.isdir(directory):
            return "does not exist yet"
        fs = filesystem_type(directory)
        if fs in NETWORK_FS or fs.startswith("fuse"):
            return f"network filesystem {fs}: no inotify events"
        try:
            if self._observer is None:
                self._observer = InotifyObserver()
                self._observer.daemon = True
                self._observer.start()
            self._watches[directory] = self._observer.schedule(
                self._handler, directory, recursive=False, event_filter=list(_CHANGES)
            )
        except OSError as exc:  # ENOSPC: the inotify watch limit; EMFILE: instances
            return f"inotify unavailable: {exc.strerror or exc}"
        return None

    def _unschedule(self, directory: str) -> None:
        watch = self._watches.pop(directory)
        # The directory may have gone away, and its watch with it.
        with contextlib.suppress(KeyError, OSError):
            self._observer.unschedule(watch)


def filesystem_type(path: str) -> str:
    """The type of the filesystem holding ``path`` (longest mount point in mountinfo)."""
    real = os.path.realpath(path)
    best, fstype = "", ""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                fields = left.split()
                if len(fields) < 5 or not right:
                    continue
                mount = fields[4].replace("\\040", " ")
                inside = real == mount or real.startswith(mount.rstrip("/") + "/")
                if inside and len(mount) >= len(best):
                    best, fstype = mount, right.split()[0]
    except OSError:
        return ""
    return fstype
