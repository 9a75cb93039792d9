"""A configured file source: the files one ``path`` names, a glob naming more over time.

:class:`FileSource` keeps a :class:`~logscan.sources.follower.Follower` per live file the
pattern matches (a rotated or compressed name is never a live file: the follower of the file it
came from reads it, if uncompressed), picks up files that appear, and forgets those gone. It is
the boundary with the checkpoint: positions come in and go out as JSON (see
:mod:`logscan.sources.resume_position`), keyed by path.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from logscan.sources.file_reader import STEP_BYTES, LineHandler
from logscan.sources.follower import Follower
from logscan.sources.notices import Lose, Notify, ignore_loss
from logscan.sources.resume_position import JsonObject, MalformedPosition, ResumePosition
from logscan.sources.rotated_names import is_rotated_name


class FileSource:
    """All files of one configured ``path`` (a glob may name several, appearing over time)."""

    def __init__(
        self,
        pattern: str,
        make_handler: Callable[[str], LineHandler],
        notify: Notify,
        start: str,
        saved: Mapping[str, list[Any]] | None,
        lose: Lose = ignore_loss,
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
                self._add(path, self._resume_positions(path, positions))
        self.rescan()
        self._start = "beginning"  # files found from now on are new

    def rescan(self) -> None:
        """Pick up new files matching the glob; forget followers whose file is gone."""
        if not self.is_glob:
            if self.pattern not in self.followers:
                self._add(self.pattern, ())
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
                self._add(path, ())
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

    def positions(self) -> dict[str, list[JsonObject]]:
        """The checkpoint's ``files``: each path's files still to read, oldest first."""
        return {p: [pos.to_json() for pos in f.positions()] for p, f in self.followers.items()}

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

    def _add(self, path: str, saved: Sequence[ResumePosition]) -> None:
        self.followers[path] = Follower(
            path, self.make_handler(path), self.notify, self._start, saved, self.lose
        )

    def _resume_positions(self, path: str, raw: list[Any]) -> list[ResumePosition]:
        """The checkpoint's entries for ``path``; one that is not a position is reported."""
        positions = []
        for entry in raw:
            try:
                positions.append(ResumePosition.from_json(entry))
            except MalformedPosition:
                self.notify("read_error", path, "malformed_checkpoint_entry")
        return positions


def _glob_dirs(pattern: str) -> Iterable[str]:
    """The directories whose entries can change what the glob matches."""
    parent = os.path.dirname(pattern)
    if glob.has_magic(parent):
        return [d for d in glob.glob(parent) if os.path.isdir(d)]
    return [parent]
