"""The daemon's metrics: our own counters (checkpointed, restored), rendered by prometheus_client.

Counters live in plain dicts keyed by label tuples, so that a checkpoint can save them with the
source positions and a restart can restore them exactly; a custom collector renders a consistent
snapshot at each scrape. Metric names and labels of the contract are in DESIGN.md.

Label values are bounded (``fold_*``): a code outside ``[1-5][0-5]x`` is ``other``; an enhanced
code without its own catalogue entry is ``other``; a provider or blocklist the rules do not name
is ``other``; a missing value (no code, no enhanced code, no class) is ``none``::

    >>> m = Metrics()
    >>> m.inc("logscan_lines", ("mail", "postfix", "event"))
    >>> m.snapshot()["logscan_lines"]
    {('mail', 'postfix', 'event'): 1.0}
    >>> fold_code("550"), fold_code("999"), fold_code(None)
    ('550', 'other', 'none')
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

import logscan
from logscan.classifier import Classifier
from logscan.event import STATUSES, ClassifiedEvent

NONE = "none"
OTHER = "other"
_CODE = re.compile(r"^[1-5][0-5]\d$")

Kind = Literal["counter", "gauge"]
LabelValues = tuple[str, ...]
Snapshot = dict[str, dict[LabelValues, float]]


@dataclass(frozen=True)
class MetricSpec:
    """A metric: ``name`` without ``_total``; ``persist``: kept in checkpoints and restored."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...]
    persist: bool = True


SPECS: tuple[MetricSpec, ...] = (
    # The contract (DESIGN.md).
    MetricSpec(
        "logscan_replies",
        "counter",
        "SMTP replies and delivery outcomes found in the logs",
        ("mta", "direction", "code", "enhanced", "class", "category"),
    ),
    MetricSpec("logscan_deliveries", "counter", "Delivery outcomes", ("mta", "status")),
    MetricSpec(
        "logscan_blocklist_hits",
        "counter",
        "Replies naming a blocklist",
        ("mta", "direction", "blocklist"),
    ),
    MetricSpec(
        "logscan_provider_replies",
        "counter",
        "Replies from or to a known mailbox provider",
        ("provider", "class", "category"),
    ),
    MetricSpec(
        "logscan_lines",
        "counter",
        "Log lines read, by outcome (event, ignored, unrecognized)",
        ("source", "parser", "outcome"),
    ),
    MetricSpec(
        "logscan_source_lag_bytes",
        "gauge",
        "Bytes written to the source's files but not yet read",
        ("source",),
        persist=False,
    ),
    # Operations.
    MetricSpec(
        "logscan_parser_errors",
        "counter",
        "Lines on which the parser raised (counted as unrecognized too)",
        ("source", "parser"),
    ),
    MetricSpec(
        "logscan_invalid_timestamps",
        "counter",
        "Impossible timestamps (Feb 30, 25:61) that the parser set to null",
        ("source", "parser"),
    ),
    MetricSpec(
        "logscan_source_last_line_timestamp_seconds",
        "gauge",
        "When the daemon last read a line from the source (Unix time)",
        ("source",),
    ),
    MetricSpec(
        "logscan_source_last_event_timestamp_seconds",
        "gauge",
        "When the daemon last read a line holding an event from the source (Unix time)",
        ("source",),
    ),
    MetricSpec(
        "logscan_source_rotations",
        "counter",
        "Times the source's path came to name another file (rename+create, delete+create, "
        "symlink re-pointed)",
        ("source",),
    ),
    MetricSpec(
        "logscan_source_truncations",
        "counter",
        "Times a followed file shrank or was rewritten in place (copytruncate, truncate)",
        ("source",),
    ),
    MetricSpec(
        "logscan_source_opens",
        "counter",
        "Files opened for reading (first open, reopen after rotation, rotated file resumed)",
        ("source",),
    ),
    MetricSpec(
        "logscan_source_read_errors",
        "counter",
        "Failed opens or reads, by error (permission_denied, io)",
        ("source", "error"),
    ),
    MetricSpec(
        "logscan_source_files",
        "gauge",
        "Files the source follows now",
        ("source",),
        persist=False,
    ),
    MetricSpec(
        "logscan_source_watch_inotify",
        "gauge",
        "1 when inotify events wake the source, 0 when it is polled only",
        ("source",),
        persist=False,
    ),
    MetricSpec(
        "logscan_journal_reader_up",
        "gauge",
        "1 while the journalctl reader of a journald source runs",
        ("source",),
        persist=False,
    ),
    MetricSpec(
        "logscan_journal_reader_restarts",
        "counter",
        "Times the journalctl reader was restarted after it died",
        ("source",),
    ),
    MetricSpec(
        "logscan_checkpoint_writes",
        "counter",
        "Checkpoint writes, by result (ok, error)",
        ("result",),
    ),
    MetricSpec(
        "logscan_config_reloads",
        "counter",
        "Configuration reloads (SIGHUP), by result (ok, error)",
        ("result",),
    ),
    MetricSpec(
        "logscan_build_info",
        "gauge",
        "logscan version",
        ("version",),
        persist=False,
    ),
)


class Metrics:
    """Every metric value; mutate only under the daemon's state lock."""

    def __init__(self, specs: tuple[MetricSpec, ...] = SPECS) -> None:
        self.specs: dict[str, MetricSpec] = {}
        self.values: Snapshot = {}
        for spec in specs:
            self.declare(spec)
        self.set("logscan_build_info", (logscan.__version__,), 1)

    def declare(self, spec: MetricSpec) -> None:
        """Add a metric (e.g. the alert engine's); it is checkpointed like ours."""
        self.specs[spec.name] = spec
        self.values.setdefault(spec.name, {})

    def inc(self, name: str, labels: LabelValues, by: float = 1) -> None:
        series = self.values[name]
        series[labels] = series.get(labels, 0.0) + by

    def set(self, name: str, labels: LabelValues, value: float) -> None:
        self.values[name][labels] = float(value)

    def snapshot(self) -> Snapshot:
        return {name: dict(series) for name, series in self.values.items()}

    def persisted(self) -> dict[str, list[list[Any]]]:
        """The checkpointed part: ``{name: [[label, ..., value], ...]}``."""
        return {
            name: [[*labels, value] for labels, value in series.items()]
            for name, series in self.values.items()
            if self.specs[name].persist
        }

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Load counters from a checkpoint (unknown names and malformed rows are skipped)."""
        for name, rows in saved.items():
            spec = self.specs.get(name)
            if spec is None or not spec.persist or not isinstance(rows, list):
                continue
            for row in rows:
                if (
                    isinstance(row, list)
                    and len(row) == len(spec.labels) + 1
                    and all(isinstance(v, str) for v in row[:-1])
                    and isinstance(row[-1], int | float)
                ):
                    self.values[name][tuple(row[:-1])] = float(row[-1])


class MetricsSink:
    """The sink that counts classified events, with bounded label values."""

    def __init__(self, metrics: Metrics, classifier: Classifier) -> None:
        self.metrics = metrics
        self.set_classifier(classifier)

    def set_classifier(self, classifier: Classifier) -> None:
        """Rules reloaded: the bounded sets (providers, blocklists, enhanced codes) follow them."""
        self._catalogue = classifier.catalogue
        self._providers = classifier.signatures.providers()
        self._blocklists = classifier.signatures.blocklists()

    def __call__(self, ce: ClassifiedEvent) -> None:
        ev, v = ce
        inc = self.metrics.inc
        class_ = v.class_ or NONE
        enhanced = NONE
        if ev.enhanced is not None:
            enhanced = ev.enhanced if self._catalogue.is_registered_enhanced(ev.enhanced) else OTHER
        inc(
            "logscan_replies",
            (ev.mta, ev.direction, fold_code(ev.code), enhanced, class_, v.category),
        )
        if ev.status is not None:
            inc("logscan_deliveries", (ev.mta, ev.status if ev.status in STATUSES else OTHER))
        if v.blocklist is not None:
            bl = v.blocklist if v.blocklist in self._blocklists else OTHER
            inc("logscan_blocklist_hits", (ev.mta, ev.direction, bl))
        if v.provider is not None:
            prov = v.provider if v.provider in self._providers else OTHER
            inc("logscan_provider_replies", (prov, class_, v.category))


def fold_code(code: str | None) -> str:
    if code is None:
        return NONE
    return code if _CODE.match(code) else OTHER


class SnapshotCollector(Collector):
    """Renders one snapshot, so that what a scrape shows is exactly what was checkpointed."""

    def __init__(self, specs: Mapping[str, MetricSpec], snapshot: Snapshot) -> None:
        self.specs = specs
        self.snap = snapshot

    def collect(self) -> Iterator[Metric]:
        for name, series in self.snap.items():
            spec = self.specs[name]
            family: CounterMetricFamily | GaugeMetricFamily
            if spec.kind == "counter":
                family = CounterMetricFamily(name, spec.help, labels=spec.labels)
            else:
                family = GaugeMetricFamily(name, spec.help, labels=spec.labels)
            for labels, value in sorted(series.items()):
                family.add_metric(list(labels), value)
            yield family


def render(specs: Mapping[str, MetricSpec], snapshot: Snapshot) -> bytes:
    """The Prometheus text exposition of ``snapshot`` plus the process metrics (RSS, CPU)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(specs, snapshot))
    ProcessCollector(registry=registry)
    return generate_latest(registry)
