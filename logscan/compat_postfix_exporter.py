"""postfix_exporter's metric names, computed from logscan's events (``--compat postfix_exporter``).

Dashboards and alerts written for the widely used postfix_exporter (Grafana dashboard 10013 and
its kin) keep working when logscan replaces it: this sink counts the same delivery outcomes under
that exporter's names and labels, beside logscan's own metrics. It is a sink: it reads the
fields the Postfix parser already filled in (``status``, ``enhanced``, ``code``, ``stage``) and
never looks at a log line::

    >>> from prometheus_client import CollectorRegistry, generate_latest
    >>> from logscan.event import ClassifiedEvent, Event, Verdict
    >>> registry = CollectorRegistry()
    >>> compat = PostfixExporterCompat.register(registry)
    >>> ev = Event(path="mail.log", line=1, mta="postfix", direction="outbound",
    ...            stage="rcpt", status="bounced", code="550", enhanced="5.1.1")
    >>> compat(ClassifiedEvent(ev, Verdict(class_="permanent", category="mailbox-unknown")))
    >>> registry.get_sample_value("postfix_smtp_bounced_messages_by_dsn_total", {"dsn": "5.1.1"})
    1.0

Names, help texts and labels are postfix_exporter's, as defined in its source:
Hsn723/postfix_exporter ``exporter/postfix_exporter.go`` (commit abe59482c176, the maintained
fork of kumina/postfix_exporter; Debian's prometheus-postfix-exporter 0.3.0 is kumina's and has
a subset of them). Only the counters that follow from reply outcomes are exported; the rest
(queue histograms from showq, delay histograms, TLS cipher counts, smtpd connects) describe
things logscan does not model, and a dashboard panel over them stays empty.

What postfix_exporter counts, and how each maps to logscan's events (all with ``mta="postfix"``):

- ``postfix_smtp_messages_processed_total{status}``: an ``smtp`` delivery line with ``status=``;
  here every outbound event with a delivery status (``sent``, ``deferred``, ``bounced``).
- ``postfix_smtp_status_deferred``: the same lines with ``status=deferred``.
- ``postfix_smtp_deferred_messages_by_dsn_total{dsn}`` / ``..._bounced_...{dsn}``: those lines'
  ``dsn=``; here the event's enhanced code, which the parser takes from the reply text or else
  from ``dsn=`` (Postfix derives ``dsn=`` from the reply, so the two agree).
- ``postfix_smtpd_messages_rejected_total{code}``: ``NOQUEUE: reject: RCPT from ...: <code>``;
  here inbound ``rejected`` events at the ``rcpt`` stage, by reply code.
- ``postfix_qmgr_messages_expired_total``: ``status=expired`` / ``force-expired`` from qmgr.

Known difference: postfix_exporter counts only the ``smtp`` service under ``smtp_*``; logscan's
events do not say which delivery agent wrote the line, so outcomes of ``lmtp``/``local``/
``virtual`` deliveries are counted here too.

Label values stay in bounded sets: a ``dsn`` that is not ``[245].N.N`` (at most three digits
each) and a ``code`` that is not three digits are folded into ``other``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

from logscan.event import ClassifiedEvent, Event

NAME = "postfix_exporter"

_DSN = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
_CODE = re.compile(r"[2-5]\d\d")
OTHER = "other"


@dataclass(frozen=True)
class CompatMetric:
    """A postfix_exporter counter: name (without ``_total``), help, label, when it counts."""

    name: str
    help: str
    label: str | None
    counts: Callable[[Event], bool]
    value: Callable[[Event], str | None] = lambda ev: None


def _outbound(*statuses: str) -> Callable[[Event], bool]:
    return lambda ev: ev.direction == "outbound" and ev.status in statuses


def _bounded(pattern: re.Pattern[str], value: str | None) -> str:
    return value if value is not None and pattern.fullmatch(value) else OTHER


# Names and help texts as in postfix_exporter's source (see the module docstring). The name is
# the counter family's: prometheus_client adds the ``_total`` suffix on exposition where the
# exporter's name has it.
METRICS: tuple[CompatMetric, ...] = (
    CompatMetric(
        "postfix_smtp_messages_processed",
        "Total number of messages that have been processed by the smtp process.",
        "status",
        _outbound("sent", "deferred", "bounced"),
        lambda ev: ev.status,
    ),
    CompatMetric(
        "postfix_smtp_status_deferred",
        "Total number of messages deferred.",
        None,
        _outbound("deferred"),
    ),
    CompatMetric(
        "postfix_smtp_deferred_messages_by_dsn",
        "Total number of messages that have been deferred on SMTP by DSN.",
        "dsn",
        _outbound("deferred"),
        lambda ev: _bounded(_DSN, ev.enhanced),
    ),
    CompatMetric(
        "postfix_smtp_bounced_messages_by_dsn",
        "Total number of messages that have been bounced on SMTP by DSN.",
        "dsn",
        _outbound("bounced"),
        lambda ev: _bounded(_DSN, ev.enhanced),
    ),
    CompatMetric(
        "postfix_smtpd_messages_rejected",
        "Total number of NOQUEUE rejects.",
        "code",
        lambda ev: ev.direction == "inbound" and ev.status == "rejected" and ev.stage == "rcpt",
        lambda ev: _bounded(_CODE, ev.code),
    ),
    CompatMetric(
        "postfix_qmgr_messages_expired",
        "Total number of messages expired from mail queues.",
        None,
        lambda ev: ev.status == "expired",
    ),
)

# postfix_smtp_status_deferred has no _total suffix in postfix_exporter. OpenMetrics (which
# Prometheus asks for first) requires a counter's sample to end in _total, so this one is exposed
# untyped under its exact name: queries see the same series either way.
_NO_TOTAL = frozenset({"postfix_smtp_status_deferred"})


def exposed_names() -> dict[str, tuple[str, ...]]:
    """Sample name -> label names, as they appear on ``/metrics``.

    >>> exposed_names()["postfix_smtpd_messages_rejected_total"]
    ('code',)
    """
    return {
        (m.name if m.name in _NO_TOTAL else f"{m.name}_total"): ((m.label,) if m.label else ())
        for m in METRICS
    }


@dataclass(eq=False)  # registered in a CollectorRegistry, which hashes collectors by identity
class PostfixExporterCompat:
    """A sink and a Prometheus collector: postfix_exporter's counters from Postfix events."""

    counts: dict[tuple[str, str | None], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def register(cls, registry: CollectorRegistry) -> PostfixExporterCompat:
        compat = cls()
        registry.register(compat)
        return compat

    def __call__(self, classified: ClassifiedEvent) -> None:
        ev = classified.event
        if ev.mta != "postfix":
            return
        with self._lock:
            for metric in METRICS:
                if metric.counts(ev):
                    key = (metric.name, metric.value(ev) if metric.label else None)
                    self.counts[key] = self.counts.get(key, 0.0) + 1

    def describe(self) -> list[Metric]:
        return list(self._families({}))

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            counts = dict(self.counts)
        yield from self._families(counts)

    def snapshot(self) -> list[list[str | float | None]]:
        """The counts as JSON-ready rows ``[name, label value, count]``, for the checkpoint."""
        with self._lock:
            return [[name, value, count] for (name, value), count in sorted(self.counts.items())]

    def restore(self, rows: list[list[str | float | None]]) -> None:
        """Load counts saved by :meth:`snapshot` (rows for unknown metrics are dropped)."""
        known = {m.name for m in METRICS}
        with self._lock:
            for name, value, count in rows:
                if isinstance(name, str) and name in known and isinstance(count, int | float):
                    self.counts[(name, value if isinstance(value, str) else None)] = float(count)

    @staticmethod
    def _families(counts: dict[tuple[str, str | None], float]) -> Iterator[Metric]:
        for m in METRICS:
            labels = [m.label] if m.label else []
            if m.name in _NO_TOTAL:
                family = Metric(m.name, m.help, "unknown")
                family.add_sample(m.name, {}, counts.get((m.name, None), 0.0))
                yield family
                continue
            counter = CounterMetricFamily(m.name, m.help, labels=labels)
            for (name, value), count in sorted(counts.items(), key=lambda kv: str(kv[0])):
                if name == m.name:
                    counter.add_metric([value] if m.label and value is not None else [], count)
            if not m.label:
                counter.add_metric([], counts.get((m.name, None), 0.0))
            yield counter
