"""The checkpoint: source positions and metric counters in ONE file, replaced atomically.

Positions and counters travel together so they can never disagree: after ``kill -9`` the daemon
restores both, re-reads what follows each position, and so counts every line exactly once.

A write never replaces a good checkpoint by a bad one: the new state goes to a temporary file in
the same directory, written in full (``os.write`` may write less than asked on a full disk),
``fsync``-ed, read back and compared; only then is it renamed over the old one and the directory
``fsync``-ed. Any failure raises :class:`CheckpointWriteError` and leaves the previous file as it
was. A read validates everything (types, ranges, finite numbers, nesting depth) and raises
:class:`CheckpointError` for anything it would not trust, so the caller can set the file aside::

    >>> import tempfile
    >>> store = CheckpointStore(Path(tempfile.mkdtemp()))
    >>> store.write(Checkpoint(written=1.0, sources={}, counters={}))
    True
    >>> store.read().sources
    {}

Sinks keep state of their own in further top-level sections (``alerts``, ``messages``: see
``Hooks.sections`` in :mod:`logscan.app.daemon`). This module carries them as JSON; each owner
validates its section when it restores it and drops an invalid one with a warning, so a bad
section never costs the positions and counters. An absent section means empty, so older
checkpoints stay readable.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logscan.sources.resume_position import MAX_OFFSET, MalformedPosition, ResumePosition

VERSION = 1
FILENAME = "checkpoint.json"
# Far above any real checkpoint; a bigger file is not ours (and would take memory to parse).
MAX_BYTES = 256 * 1024 * 1024

JsonObject = dict[str, Any]
RESERVED = frozenset({"version", "written", "sources", "counters"})
CounterRow = list[Any]  # [label, ..., value]


class CheckpointError(Exception):
    """The checkpoint exists but cannot be used (corrupt, wrong version, unreadable)."""


class CheckpointWriteError(OSError):
    """A checkpoint could not be written in full; the previous one is still in place."""


@dataclass(frozen=True)
class Checkpoint:
    """Everything a restart restores. ``sources``: each source's own state, validated by kind
    (``file``: positions of the files still to read; ``journald``: cursor); ``counters``: the
    persisted metrics as ``{name: [[label, ..., value], ...]}``."""

    written: float
    sources: Mapping[str, JsonObject] = field(default_factory=dict)
    counters: Mapping[str, list[CounterRow]] = field(default_factory=dict)
    # The sinks' own sections by name, validated by their owners (see the module docstring).
    sections: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        clash = RESERVED.intersection(self.sections)
        if clash:
            raise ValueError(f"checkpoint sections may not be named {sorted(clash)}")
        doc = {
            **self.sections,
            "version": VERSION,
            "written": self.written,
            "sources": self.sources,
            "counters": self.counters,
        }
        # allow_nan=False: a NaN or infinity in our own state is a bug; never write it.
        return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()


class CheckpointStore:
    """Reads and atomically writes ``<state_dir>/checkpoint.json``; safe to call from any thread."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILENAME
        self._tmp = self.path.with_name(f".{FILENAME}.tmp")
        self._lock = threading.Lock()
        self._written_seq = -1

    def read(self) -> Checkpoint | None:
        """The last checkpoint, or None when there is none; raise CheckpointError if unusable."""
        try:
            with self.path.open("rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"{self.path}: cannot read: {exc.strerror}") from exc
        if len(raw) > MAX_BYTES:
            raise CheckpointError(f"{self.path}: corrupt: larger than {MAX_BYTES} bytes")
        try:
            return parse(raw)
        except CheckpointError as exc:
            raise CheckpointError(f"{self.path}: {exc}") from None

    def write(self, state: Checkpoint, seq: int | None = None) -> bool:
        """Write ``state``; with ``seq``, skip it if a newer one is already on disk.

        Returns True when written. Raises OSError (CheckpointWriteError for a short or unverified
        write) when it could not be; the previous checkpoint is then untouched.
        """
        with self._lock:
            if seq is not None and seq <= self._written_seq:
                return False
            data = state.to_json()
            try:
                self._write_verified(data)
            except OSError:
                # Free the space a partial file holds: on a full disk, it is all there is.
                self._tmp.unlink(missing_ok=True)
                raise
            os.rename(self._tmp, self.path)
            _fsync_dir(self.path.parent)
            if seq is not None:
                self._written_seq = seq
            return True

    def set_aside(self) -> Path:
        """Rename an unusable checkpoint to ``checkpoint.json.corrupt-<ns>``; its new path."""
        bad = self.path.with_name(f"{FILENAME}.corrupt-{time.time_ns()}")
        os.rename(self.path, bad)
        _fsync_dir(self.path.parent)
        return bad

    def _write_verified(self, data: bytes) -> None:
        fd = os.open(self._tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                if n <= 0:
                    raise CheckpointWriteError(f"{self._tmp}: write returned {n}")
                view = view[n:]
            os.fsync(fd)
            if os.pread(fd, len(data) + 1, 0) != data:
                raise CheckpointWriteError(f"{self._tmp}: read back differs from what was written")
        finally:
            os.close(fd)


def _fsync_dir(directory: Path) -> None:
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


# -- validation ------------------------------------------------------------------------------


def parse(raw: bytes) -> Checkpoint:
    """A checkpoint from its bytes, fully validated; CheckpointError says what is wrong."""
    try:
        doc = json.loads(raw, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise CheckpointError(f"corrupt: {exc}") from None
    except RecursionError:
        raise CheckpointError("corrupt: nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise CheckpointError(f"not a version {VERSION} checkpoint")
    written = doc.get("written", 0.0)
    _check(_is_number(written), "written", "a finite number")
    sources, counters = doc.get("sources"), doc.get("counters")
    if not isinstance(sources, dict) or not isinstance(counters, dict):
        raise CheckpointError("corrupt: missing 'sources' or 'counters'")
    for name, state in sources.items():
        _source(f"sources.{name}", state)
    for name, rows in counters.items():
        _counter_rows(f"counters.{name}", rows)
    sections = {name: value for name, value in doc.items() if name not in RESERVED}
    return Checkpoint(float(written), sources, counters, sections)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a checkpoint may hold")


def _check(ok: bool, where: str, expected: str) -> None:
    if not ok:
        raise CheckpointError(f"corrupt: {where} must be {expected}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_OFFSET


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _source(where: str, state: Any) -> None:
    _check(isinstance(state, dict), where, "an object")
    kind = state.get("kind")
    if kind == "file":
        _file_source(where, state)
    elif kind == "journald":
        _journal_source(where, state)
    else:
        raise CheckpointError(f"corrupt: {where}.kind must be 'file' or 'journald'")


def _file_source(where: str, state: JsonObject) -> None:
    files, parsers = state.get("files"), state.get("parsers", {})
    if not isinstance(files, dict) or not isinstance(parsers, dict):
        raise CheckpointError(f"corrupt: {where}.files and .parsers must be objects")
    for path, positions in files.items():
        _check(isinstance(positions, list), f"{where}.files[{path!r}]", "a list")
        for i, pos in enumerate(positions):
            _position(f"{where}.files[{path!r}][{i}]", pos)
    for path, name in parsers.items():
        _check(isinstance(name, str), f"{where}.parsers[{path!r}]", "a string")


def _position(where: str, pos: Any) -> None:
    """One file still to read: see :mod:`logscan.sources.resume_position`."""
    try:
        ResumePosition.from_json(pos)
    except MalformedPosition as exc:
        field = f"{where}.{exc.field}" if exc.field else where
        raise CheckpointError(f"corrupt: {field} must be {exc.expected}") from None


def _journal_source(where: str, state: JsonObject) -> None:
    cursor, since = state.get("cursor"), state.get("since")
    _check(cursor is None or isinstance(cursor, str), f"{where}.cursor", "a string or null")
    _check(since is None or _is_number(since), f"{where}.since", "a finite number or null")
    _check(_is_int(state.get("lineno", 0)), f"{where}.lineno", "a non-negative integer")
    parser = state.get("parser", "auto")
    _check(isinstance(parser, str), f"{where}.parser", "a string")


def _counter_rows(where: str, rows: Any) -> None:
    _check(isinstance(rows, list), where, "a list of rows")
    for row in rows:
        ok = (
            isinstance(row, list)
            and len(row) >= 1
            and all(isinstance(v, str) for v in row[:-1])
            and _is_number(row[-1])
            and row[-1] >= 0
        )
        # A NaN or negative counter would be served, and break every rate() over it.
        _check(ok, where, "rows of label strings and a finite, non-negative value")
