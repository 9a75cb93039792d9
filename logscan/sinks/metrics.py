"""The daemon's metrics: our own counters (checkpointed, restored), rendered by prometheus_client.

Counters live in plain dicts keyed by label tuples, so that a checkpoint can save them with the
source positions and a restart can restore them exactly; a custom collector renders a consistent
snapshot at each scrape. Metric names and labels of the contract are in docs/design.md; their
specs (most of this module's 440 lines) stay in one table here, beside the store that enforces
them, so that the contract reads in one place (typed handles: :mod:`logscan.sinks.metric_handles`).

Label values are canonical and bounded (see :mod:`logscan.sinks.labels`), and so is the number of
series of each metric (``MetricSpec.max_series``): past it, a counter's new label combinations
are all counted in one overflow series whose labels are all ``other`` (no event is lost from a
sum), a gauge's are dropped, and ``logscan_series_overflow_total{metric}`` counts both. A hostile
host can therefore add at most :func:`series_budget` series to ``/metrics``::

    >>> m = Metrics()
    >>> m.inc("logscan_lines", ("mail", "postfix", "event"))
    >>> m.snapshot()["logscan_lines"]
    {('mail', 'postfix', 'event'): 1.0}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

import logscan
from logscan.classify.classifier import Classifier
from logscan.core.event import STATUSES, ClassifiedEvent
from logscan.sinks.labels import NONE, OTHER, LabelSets

# Series per metric unless its spec says otherwise: room for 100 sources (one series each).
DEFAULT_MAX_SERIES = 100
OVERFLOW_METRIC = "logscan_series_overflow"

# A histogram is kept as counters by (labels..., le): le is each bucket's bound, "+Inf" and
# "sum" (the sum of the observed values); it is rendered as a Prometheus histogram.
Kind = Literal["counter", "gauge", "histogram"]
LabelValues = tuple[str, ...]
Snapshot = dict[str, dict[LabelValues, float]]


@dataclass(frozen=True)
class MetricSpec:
    """A metric: ``name`` without ``_total``; ``persist``: kept in checkpoints and restored;
    ``max_series``: its series budget, the overflow series included.

    ``former_labels``: label lists of earlier releases, so that a checkpoint written before a
    label was added still restores (the added labels take the value ``none``).
    """

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...]
    persist: bool = True
    former_labels: tuple[tuple[str, ...], ...] = ()
    max_series: int = DEFAULT_MAX_SERIES
    buckets: tuple[float, ...] = ()

    @property
    def overflow(self) -> LabelValues:
        return (OTHER,) * len(self.labels)

    @cached_property
    def bucket_labels(self) -> tuple[tuple[float, str], ...]:
        """Each bucket's bound with its ``le`` label, made once (observed on the line path)."""
        return tuple((bound, _le(bound)) for bound in self.buckets)


SPECS: tuple[MetricSpec, ...] = (
    # The contract (docs/design.md).
    MetricSpec(
        "logscan_replies",
        "counter",
        "SMTP replies and delivery outcomes found in the logs",
        ("mta", "direction", "code", "enhanced", "class", "category"),
        max_series=1000,
    ),
    # direction: the deferral ratio is a share of outbound deliveries, not of inbound rejections.
    MetricSpec(
        "logscan_deliveries",
        "counter",
        "Delivery outcomes",
        ("mta", "direction", "status"),
        former_labels=(("mta", "status"),),
    ),
    MetricSpec(
        "logscan_blocklist_hits",
        "counter",
        "Replies naming a blocklist",
        ("mta", "direction", "blocklist"),
        max_series=200,
    ),
    MetricSpec(
        "logscan_provider_replies",
        "counter",
        "Replies from or to a known mailbox provider",
        # mta for the dashboard's filter; direction and code so that the per-provider rules count
        # only refusals of our own mail, and 421/554 replies exactly.
        ("mta", "direction", "provider", "code", "class", "category"),
        former_labels=(("provider", "class", "category"),),
        max_series=500,
    ),
    MetricSpec(
        "logscan_lines",
        "counter",
        "Log lines read, by outcome (event, ignored, unrecognized)",
        ("source", "parser", "outcome"),
        max_series=300,
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
        "logscan_parser_state_evictions",
        "counter",
        "State entries (queued messages, open sessions) a parser dropped to stay within its "
        "count and byte bounds before the log said they were done",
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
        max_series=200,
    ),
    MetricSpec(
        "logscan_source_up",
        "gauge",
        "1 while the source has something to read (a file open, or its journal reader running)",
        ("source",),
        persist=False,
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
        max_series=3,
    ),
    MetricSpec(
        "logscan_config_reloads",
        "counter",
        "Configuration reloads (SIGHUP), by result (ok, error)",
        ("result",),
        max_series=3,
    ),
    MetricSpec(
        OVERFLOW_METRIC,
        "counter",
        "Increments past the metric's series budget: counted in its overflow series (every "
        "label 'other'), or dropped for a gauge",
        ("metric",),
        max_series=50,
    ),
    MetricSpec(
        "logscan_build_info",
        "gauge",
        "logscan version",
        ("version",),
        persist=False,
        max_series=2,
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
        value = series.get(labels)
        if value is None:
            labels = self._admit(name, labels, by)
            value = series.get(labels, 0.0)
        series[labels] = value + by

    def observe(self, name: str, labels: LabelValues, value: float) -> None:
        """One observation of a histogram (``labels`` without ``le``)."""
        inc = self.inc
        for bound, le in self.specs[name].bucket_labels:
            if value <= bound:
                inc(name, (*labels, le))
        inc(name, (*labels, "+Inf"))
        inc(name, (*labels, "sum"), value)

    def set(self, name: str, labels: LabelValues, value: float) -> None:
        series = self.values[name]
        if labels in series or self._admit(name, labels, 1) == labels:
            series[labels] = float(value)

    def _admit(self, name: str, labels: LabelValues, by: float) -> LabelValues:
        """The labels a new series is counted under: its own while the metric is within its
        budget (one slot stays for the overflow series), else the overflow series."""
        spec = self.specs[name]
        series = self.values[name]
        overflow = spec.overflow
        free = spec.max_series - len(series) - (overflow not in series)
        if labels == overflow or free > 0:
            return labels
        if name != OVERFLOW_METRIC:
            self.inc(OVERFLOW_METRIC, (name,), by)
        return overflow

    def snapshot(self) -> Snapshot:
        return {name: dict(series) for name, series in self.values.items()}

    def persisted(self) -> dict[str, list[list[Any]]]:
        """The checkpointed part: ``{name: [[label, ..., value], ...]}``."""
        return {
            name: [[*labels, value] for labels, value in series.items()]
            for name, series in self.values.items()
            if self.specs[name].persist
        }

    def restore(self, saved: Mapping[str, Any], labels: LabelSets | None = None) -> None:
        """Load counters from a checkpoint (unknown names and malformed rows are skipped).

        With ``labels``, label values are folded as the sinks fold them now, so a checkpoint
        written by an older version or under other rules cannot bring back a non-canonical or
        unbounded value; rows that fold together are summed, and rows past a metric's budget go
        to its overflow series, like new series at run time.
        """
        for name, rows in saved.items():
            spec = self.specs.get(name)
            if spec is None or not spec.persist or not isinstance(rows, list):
                continue
            for row in rows:
                key = _restored_labels(spec, row)
                if key is None:
                    continue
                if labels is not None:
                    key = tuple(labels.fold(n, v) for n, v in zip(spec.labels, key, strict=True))
                if spec.kind != "gauge":
                    self.inc(name, key, float(row[-1]))
                else:
                    self.set(name, key, float(row[-1]))


def _restored_labels(spec: MetricSpec, row: object) -> LabelValues | None:
    """The label values of a checkpoint row in today's order, None for a malformed row."""
    if (
        not isinstance(row, list)
        or not row
        or not all(isinstance(v, str) for v in row[:-1])
        or not isinstance(row[-1], int | float)
    ):
        return None
    values = row[:-1]
    if len(values) == len(spec.labels):
        return tuple(values)
    for former in spec.former_labels:
        if len(values) == len(former):
            saved = dict(zip(former, values, strict=True))
            return tuple(saved.get(label, NONE) for label in spec.labels)
    return None


def series_budget(specs: Mapping[str, MetricSpec]) -> int:
    """The most series ``render`` shows for ``specs``, whatever the input (process_* aside)."""
    return sum(_exposed(spec) for spec in specs.values())


def _exposed(spec: MetricSpec) -> int:
    if not spec.labels:
        return 1
    if spec.kind == "histogram":  # plus a _count line per bucket set (its +Inf is stored)
        return spec.max_series + spec.max_series // (len(spec.buckets) + 2)
    return spec.max_series


class MetricsSink:
    """The sink that counts classified events, with bounded label values."""

    def __init__(self, metrics: Metrics, classifier: Classifier) -> None:
        self.metrics = metrics
        self.set_classifier(classifier)

    def set_classifier(self, classifier: Classifier) -> None:
        """Rules reloaded: the bounded sets (codes, enhanced codes, providers, blocklists)
        follow them."""
        self.labels = LabelSets.from_classifier(classifier)

    def __call__(self, ce: ClassifiedEvent) -> None:
        ev, v = ce
        inc = self.metrics.inc
        labels = self.labels
        class_ = v.class_ or NONE
        code = labels.code(ev.code)
        inc(
            "logscan_replies",
            (ev.mta, ev.direction, code, labels.enhanced(ev.enhanced), class_, v.category),
        )
        if ev.status is not None:
            status = ev.status if ev.status in STATUSES else OTHER
            inc("logscan_deliveries", (ev.mta, ev.direction, status))
        if v.blocklist is not None:
            inc("logscan_blocklist_hits", (ev.mta, ev.direction, labels.blocklist(v.blocklist)))
        if v.provider is not None:
            prov = labels.provider(v.provider)
            inc("logscan_provider_replies", (ev.mta, ev.direction, prov, code, class_, v.category))


class SnapshotCollector(Collector):
    """Renders one snapshot, so that what a scrape shows is exactly what was checkpointed."""

    def __init__(self, specs: Mapping[str, MetricSpec], snapshot: Snapshot) -> None:
        self.specs = specs
        self.snap = snapshot

    def collect(self) -> Iterator[Metric]:
        for name, series in self.snap.items():
            spec = self.specs[name]
            if spec.kind == "histogram":
                yield _histogram(spec, series)
                continue
            family: CounterMetricFamily | GaugeMetricFamily
            if spec.kind == "counter":
                family = CounterMetricFamily(name, spec.help, labels=spec.labels)
            else:
                family = GaugeMetricFamily(name, spec.help, labels=spec.labels)
            for labels, value in sorted(series.items()):
                family.add_metric(list(labels), value)
            yield family


def _le(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else str(bound)


def _histogram(spec: MetricSpec, series: Mapping[LabelValues, float]) -> Metric:
    """A histogram family from its (labels..., le) counters; the overflow series is left out
    (its ``le`` is "other")."""
    family = HistogramMetricFamily(spec.name, spec.help, labels=spec.labels[:-1])
    groups: dict[LabelValues, dict[str, float]] = {}
    for labels, value in series.items():
        groups.setdefault(labels[:-1], {})[labels[-1]] = value
    bounds = [le for _, le in spec.bucket_labels]
    for labels, by_le in sorted(groups.items()):
        if "+Inf" not in by_le:
            continue
        buckets = [(le, by_le.get(le, 0.0)) for le in bounds] + [("+Inf", by_le["+Inf"])]
        family.add_metric(list(labels), buckets, sum_value=by_le.get("sum", 0.0))
    return family


def render(specs: Mapping[str, MetricSpec], snapshot: Snapshot) -> bytes:
    """The Prometheus text exposition of ``snapshot`` plus the process metrics (RSS, CPU)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(specs, snapshot))
    ProcessCollector(registry=registry)
    return generate_latest(registry)
