"""The running sources by name: opened from the config, changed in place by a reload.

A reload keeps what it can: a source whose settings did not change goes on untouched; one
whose settings changed but that reads the same files (or the same journal entries) goes on
from its position; one that reads other files starts per its ``start`` setting.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import structlog

from logscan.app.config import SourceConfig
from logscan.app.file_runtime import FileRuntime
from logscan.app.journal_runtime import JournalRuntime
from logscan.app.source_feed import Wiring

log = structlog.get_logger("logscan.app.daemon")

Runtime = FileRuntime | JournalRuntime


class SourceSet:
    """The sources at run time; mutate only under the daemon's state lock."""

    def __init__(self, wiring: Wiring, wake: Callable[[], None]) -> None:
        self.wiring = wiring
        self.wake = wake  # what a journal reader calls when entries arrive
        self.runtimes: dict[str, Runtime] = {}

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.runtimes))

    def get(self, name: str) -> Runtime | None:
        return self.runtimes.get(name)

    def values(self) -> list[Runtime]:
        return list(self.runtimes.values())

    def states(self) -> dict[str, dict[str, Any]]:
        return {name: rt.state() for name, rt in self.runtimes.items()}

    def add(self, src: SourceConfig, saved: Any) -> None:
        """Open ``src``, from its checkpointed state ``saved`` when that is of its kind."""
        saved = saved if isinstance(saved, dict) else None
        if src.path is not None and src.journald_if_missing and not os.path.exists(src.path):
            log.info("file missing: following the journal instead", source=src.name, path=src.path)
            src = replace(src, path=None, journald=True, watch="auto", journald_if_missing=False)
        if saved is not None and saved.get("kind") != src.kind:
            saved = None
        problem = missing_source(src)
        if problem is not None:
            log.warning("source has nothing to read", source=src.name, detail=problem)
        rt: Runtime
        if src.journald:
            rt = JournalRuntime(self.wiring, src, saved, self.wake)
        else:
            rt = FileRuntime(self.wiring, src, saved)
        self.runtimes[src.name] = rt

    def update(
        self, before: Sequence[SourceConfig], after: Sequence[SourceConfig], wiring: Wiring
    ) -> None:
        """A reload: sources removed, changed, added; every source on the new ``wiring``."""
        self.wiring = wiring
        old = {s.name: s for s in before}
        new = {s.name: s for s in after}
        for name in list(self.runtimes):
            if name not in new:
                self.runtimes.pop(name).close()
                log.info("source removed", source=name)
            elif new[name] != old.get(name):
                self._replace(old[name], new[name])
        for name, src in new.items():
            if name not in self.runtimes:
                self.add(src, None)
                log.info("source added", source=name)
        for rt in self.runtimes.values():
            rt.rewire(wiring)

    def close(self) -> None:
        for rt in self.runtimes.values():
            rt.close()

    def _replace(self, before: SourceConfig, after: SourceConfig) -> None:
        """New settings for a source: same files (or journal) -> carry on from its position."""
        rt = self.runtimes.pop(after.name)
        state = rt.state()
        rt.close()
        if not _same_origin(before, after):
            self.add(after, None)
            log.warning(
                "source now reads other files: they start per its 'start' setting",
                source=after.name,
                start=after.start,
            )
            return
        if before.parser != after.parser:
            state.pop("parsers", None)  # a detected parser belongs to the old setting
            state.pop("parser", None)
        self.add(after, state)
        log.info("source settings changed: it keeps its position", source=after.name)


def missing_source(src: SourceConfig) -> str | None:
    """Why ``src`` has nothing to read right now, or None; a warning, not an error.

    A file may appear later (the daemon waits for it), but an operator who mistyped a path
    must hear of it at start, not find an empty dashboard a week later.

    >>> missing_source(SourceConfig("m", path="/nonexistent/mail.log"))
    '/nonexistent/mail.log does not exist (yet); it will be read once it appears'
    >>> missing_source(SourceConfig("m", path="/nonexistent/*.log"))
    'no file matches /nonexistent/*.log (yet); new matches will be read'
    """
    if src.journald:
        where = src.journal_file or src.journal_directory
        if where is not None and not os.path.exists(where):
            return f"journal {where} does not exist"
        return None
    if src.path is None or src.journald_if_missing:
        return None
    if glob.has_magic(src.path):
        if not glob.glob(src.path):
            return f"no file matches {src.path} (yet); new matches will be read"
        return None
    if not os.path.exists(src.path):
        return f"{src.path} does not exist (yet); it will be read once it appears"
    return None


def _same_origin(a: SourceConfig, b: SourceConfig) -> bool:
    """The same files (path or glob) or the same journal entries: positions carry over."""
    if a.journald != b.journald:
        return False
    if not a.journald:
        return a.path == b.path
    keys = ("units", "identifiers", "journal_directory", "journal_file")
    return all(getattr(a, k) == getattr(b, k) for k in keys)
