"""A configured journald source at run time: its ``journalctl`` reader, its feed, its cursor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from logscan.app.config import SourceConfig, Start
from logscan.app.source_feed import SourceFeed, Wiring
from logscan.sources.journald import JournalReader

# Entries taken from the reader per step (one step of every source per loop turn).
JOURNAL_BATCH = 2000


class JournalRuntime:
    """A configured journald source at run time."""

    def __init__(
        self,
        wiring: Wiring,
        cfg: SourceConfig,
        saved: dict[str, Any] | None,
        wake: Callable[[], None],
    ) -> None:
        self.cfg = cfg
        self.wiring = wiring
        saved = saved or {}
        cursor = saved.get("cursor") if isinstance(saved.get("cursor"), str) else None
        parser = cfg.parser
        if parser == "auto" and saved.get("parser") in wiring.registry.names():
            parser = saved["parser"]
        self.feed = SourceFeed(wiring, cfg.name, f"journald:{cfg.name}", parser)
        self.cursor = cursor
        self.lineno = int(saved.get("lineno", 0)) if str(saved.get("lineno", "0")).isdigit() else 0
        # Until the first entry gives a cursor, a restart resumes at the time we started at the
        # end (a checkpoint without a cursor must not mean "the whole journal").
        since = saved.get("since")
        self.since = float(since) if isinstance(since, int | float) else None
        if cursor is None and self.since is None and cfg.start == "end":
            self.since = time.time()
        start: Start = "beginning" if saved else cfg.start
        self.reader = JournalReader(cfg, cursor, start, on_entry=wake, since=self.since)

    def step(self) -> bool:
        entries = self.reader.drain(JOURNAL_BATCH)
        restarts = self.reader.take_restarts()
        if restarts:
            self.wiring.ops.journal_reader_restarts.inc(self.cfg.name, by=restarts)
        if not entries:
            return False
        lines = [line for line, _ in entries]
        self.feed(lines, self.lineno + 1)
        self.lineno += len(lines)
        self.cursor = entries[-1][1]
        return len(entries) == JOURNAL_BATCH

    def state(self) -> dict[str, Any]:
        return {
            "kind": "journald",
            "cursor": self.cursor,
            "since": self.since,
            "lineno": self.lineno,
            "parser": self.feed.parser_name,
        }

    def gauges(self) -> None:
        up = 1 if self.reader.up else 0
        self.wiring.ops.journal_reader_up.set(self.cfg.name, value=up)
        self.wiring.ops.source_up.set(self.cfg.name, value=up)

    def rewire(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self.feed.rewire(wiring)

    def close(self) -> None:
        self.reader.stop()
