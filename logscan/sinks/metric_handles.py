"""Typed handles on the daemon's own metrics, so that each name is written once, here.

The daemon counts through attributes (``ops.config_reloads.inc("ok")``), not through metric
names repeated as strings at every call; the names are those of
:data:`logscan.sinks.metrics.SPECS` (the contract)::

    >>> m = Metrics()
    >>> OpsMetrics.of(m).config_reloads.inc("ok")
    >>> m.values["logscan_config_reloads"]
    {('ok',): 1.0}
"""

from __future__ import annotations

from dataclasses import dataclass

from logscan.sinks.metrics import Metrics


@dataclass(frozen=True)
class Counter:
    """A handle on one counter of a store, so that callers name it once, as a typed attribute
    (``ops.config_reloads.inc("ok")``), not as a string at every call."""

    metrics: Metrics
    name: str

    def inc(self, *labels: str, by: float = 1) -> None:
        self.metrics.inc(self.name, labels, by)


@dataclass(frozen=True)
class Gauge:
    """A handle on one gauge of a store (see :class:`Counter`)."""

    metrics: Metrics
    name: str

    def set(self, *labels: str, value: float) -> None:
        self.metrics.set(self.name, labels, value)


@dataclass(frozen=True)
class OpsMetrics:
    """The daemon's own metrics (lines, sources, checkpoints, reloads) as typed handles; the
    names are those of :data:`SPECS` (the contract), each written once, here."""

    lines: Counter
    parser_errors: Counter
    parser_state_evictions: Counter
    invalid_timestamps: Counter
    last_line: Gauge
    last_event: Gauge
    lag_bytes: Gauge
    rotations: Counter
    truncations: Counter
    opens: Counter
    read_errors: Counter
    source_up: Gauge
    source_files: Gauge
    watch_inotify: Gauge
    journal_reader_up: Gauge
    journal_reader_restarts: Counter
    checkpoint_writes: Counter
    config_reloads: Counter

    @classmethod
    def of(cls, m: Metrics) -> OpsMetrics:
        return cls(
            lines=Counter(m, "logscan_lines"),
            parser_errors=Counter(m, "logscan_parser_errors"),
            parser_state_evictions=Counter(m, "logscan_parser_state_evictions"),
            invalid_timestamps=Counter(m, "logscan_invalid_timestamps"),
            last_line=Gauge(m, "logscan_source_last_line_timestamp_seconds"),
            last_event=Gauge(m, "logscan_source_last_event_timestamp_seconds"),
            lag_bytes=Gauge(m, "logscan_source_lag_bytes"),
            rotations=Counter(m, "logscan_source_rotations"),
            truncations=Counter(m, "logscan_source_truncations"),
            opens=Counter(m, "logscan_source_opens"),
            read_errors=Counter(m, "logscan_source_read_errors"),
            source_up=Gauge(m, "logscan_source_up"),
            source_files=Gauge(m, "logscan_source_files"),
            watch_inotify=Gauge(m, "logscan_source_watch_inotify"),
            journal_reader_up=Gauge(m, "logscan_journal_reader_up"),
            journal_reader_restarts=Counter(m, "logscan_journal_reader_restarts"),
            checkpoint_writes=Counter(m, "logscan_checkpoint_writes"),
            config_reloads=Counter(m, "logscan_config_reloads"),
        )
