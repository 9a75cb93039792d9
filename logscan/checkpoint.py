"""The checkpoint: source positions and metric counters in ONE file, replaced atomically.

Positions and counters travel together so they can never disagree: after ``kill -9`` the daemon
restores both, re-reads what follows each position, and so counts every line exactly once.
A write is: a temporary file in the same directory, ``fsync``, ``rename`` over the old one, then
``fsync`` of the directory::

    >>> import tempfile
    >>> store = CheckpointStore(Path(tempfile.mkdtemp()))
    >>> store.write({"sources": {}, "counters": {}})
    True
    >>> store.read()["sources"]
    {}
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

VERSION = 1
FILENAME = "checkpoint.json"


class CheckpointError(Exception):
    """The checkpoint exists but cannot be used (corrupt, wrong version, unreadable)."""


class CheckpointStore:
    """Reads and atomically writes ``<state_dir>/checkpoint.json``; safe to call from any thread."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILENAME
        self._lock = threading.Lock()
        self._written_seq = -1

    def read(self) -> dict[str, Any] | None:
        """The last checkpoint, or None when there is none; raise CheckpointError when corrupt."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"{self.path}: cannot read: {exc.strerror}") from exc
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"{self.path}: corrupt: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            raise CheckpointError(f"{self.path}: not a version {VERSION} checkpoint")
        if not isinstance(doc.get("sources"), dict) or not isinstance(doc.get("counters"), dict):
            raise CheckpointError(f"{self.path}: corrupt: missing 'sources' or 'counters'")
        return doc

    def write(self, state: dict[str, Any], seq: int | None = None) -> bool:
        """Write ``state`` atomically; with ``seq``, skip it if a newer one is already on disk.

        Returns True when written. Raises OSError when the state directory is not writable.
        """
        with self._lock:
            if seq is not None and seq <= self._written_seq:
                return False
            doc = {"version": VERSION, **state}
            data = json.dumps(doc, separators=(",", ":")).encode()
            tmp = self.path.with_name(f".{FILENAME}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, self.path)
            dfd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
            if seq is not None:
                self._written_seq = seq
            return True
