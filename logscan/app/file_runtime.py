"""A configured file or glob source at run time: its follower, its feeds, its notices.

The follower (:class:`logscan.sources.discovery.FileSource`) reports rare events as notices
(``open``, ``rotation``, ...); :data:`NOTICES` says for each what it counts and how it is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from logscan.app.config import SourceConfig
from logscan.app.source_feed import SourceFeed, Wiring
from logscan.sinks.metric_handles import OpsMetrics
from logscan.sources.discovery import FileSource
from logscan.sources.loss import Loss
from logscan.sources.loss import record as record_loss

log = structlog.get_logger("logscan.app.daemon")

# What a file follower reports (the ``kind`` of its notify callback).
Notice = Literal[
    "open",
    "rotation",
    "truncation",
    "read_error",
    "offset_beyond_end",
    "recovered",
    "cr_line_endings",
]
Level = Literal["info", "warning", "error"]


# Counts one notice: (the metrics, the source, the notice's detail).
Count = Callable[[OpsMetrics, str, str], None]


@dataclass(frozen=True)
class NoticeRule:
    """How a notice shows: the log line, what it counts (None: nothing), and under which key
    the notice's detail is logged (None: not logged)."""

    level: Level
    message: str
    count: Count | None = None
    detail_key: str | None = "detail"


# Keyed by str: the follower's callback says str (tests hold the keys to Notice).
NOTICES: dict[str, NoticeRule] = {
    "open": NoticeRule("info", "file opened", lambda o, src, _: o.opens.inc(src)),
    "rotation": NoticeRule("info", "file rotated", lambda o, src, _: o.rotations.inc(src)),
    "truncation": NoticeRule("warning", "file truncated", lambda o, src, _: o.truncations.inc(src)),
    "read_error": NoticeRule(
        "warning",
        "cannot read file; will retry",
        lambda o, src, error: o.read_errors.inc(src, error),
        detail_key="error",
    ),
    "offset_beyond_end": NoticeRule(
        "warning", "checkpoint offset beyond the end of the same file: resuming at its end"
    ),
    "recovered": NoticeRule("info", "file readable again", detail_key=None),
    "cr_line_endings": NoticeRule(
        "error",
        "lines end in CR alone (old Mac style), not LF: they are not counted (at most one "
        "line, when the file is rotated); convert the file or read it with `logscan scan`, "
        "which splits at CR",
        lambda o, src, _: o.read_errors.inc(src, "cr_line_endings"),
        detail_key=None,
    ),
}


def file_notice(ops: OpsMetrics, source: str, kind: str, path: str, detail: str) -> None:
    """What a file follower reports: count it and log it (these are rare events)."""
    rule = NOTICES.get(kind)
    if rule is None:  # a follower newer than this table: still say it
        log.warning("file notice", kind=kind, source=source, path=path, detail=detail)
        return
    if rule.count is not None:
        rule.count(ops, source, detail)
    fields = {"source": source, "path": path}
    if rule.detail_key is not None:
        fields[rule.detail_key] = detail
    getattr(log, rule.level)(rule.message, **fields)


class FileRuntime:
    """A configured file or glob source at run time."""

    def __init__(self, wiring: Wiring, cfg: SourceConfig, saved: dict[str, Any] | None) -> None:
        self.cfg = cfg
        self.wiring = wiring
        self.feeds: dict[str, SourceFeed] = {}
        parsers = (saved or {}).get("parsers", {})
        assert cfg.path is not None

        def make_feed(path: str) -> SourceFeed:
            name = cfg.parser
            if name == "auto" and isinstance(parsers.get(path), str):
                known = parsers[path] in self.wiring.registry.names()
                name = parsers[path] if known else "auto"
            feed = self.feeds[path] = SourceFeed(self.wiring, cfg.name, path, name)
            return feed

        def notify(kind: str, path: str, detail: str) -> None:
            file_notice(self.wiring.ops, cfg.name, kind, path, detail)

        def lose(loss: Loss) -> None:
            record_loss(self.wiring.ops.lines.metrics, cfg.name, loss)

        files = (saved or {}).get("files") if saved is not None else None
        self.files = FileSource(
            cfg.path,
            make_feed,
            notify,
            cfg.start,
            files if isinstance(files, dict) else None,
            lose,
        )

    def step(self) -> bool:
        return self.files.step()

    def state(self) -> dict[str, Any]:
        return {
            "kind": "file",
            "files": self.files.positions(),
            "parsers": {p: f.parser_name for p, f in self.feeds.items()},
        }

    def gauges(self) -> None:
        ops, name = self.wiring.ops, self.cfg.name
        ops.lag_bytes.set(name, value=self.files.lag_bytes())
        ops.source_files.set(name, value=self.files.open_files())
        ops.source_up.set(name, value=1 if self.files.open_files() else 0)

    def rewire(self, wiring: Wiring) -> None:
        self.wiring = wiring
        for feed in self.feeds.values():
            feed.rewire(wiring)

    def close(self) -> None:
        self.files.close()
