"""postfix_exporter's metric names, computed from logscan's events (``--compat postfix_exporter``).

Dashboards and alerts written for the widely used postfix_exporter (Grafana dashboard 10013 and
its kin) keep working when logscan replaces it: this sink counts the same delivery outcomes under
that exporter's names and labels, beside logscan's own metrics. It is a sink: it reads the
fields the Postfix parser already filled in (``status``, ``enhanced``, ``code``, ``stage``) and
never looks at a log line::

    >>> from logscan.core.event import ClassifiedEvent, Event, Verdict
    >>> from logscan.classify.classifier import Classifier
    >>> from logscan.sinks.labels import LabelSets
    >>> from logscan.sinks.metrics import Metrics
    >>> metrics = Metrics()
    >>> labels = LabelSets.from_classifier(Classifier.load())
    >>> compat = PostfixExporterCompat(metrics, labels)  # declares its counters in the daemon's
    >>> ev = Event(path="mail.log", line=1, mta="postfix", direction="outbound",
    ...            stage="rcpt", status="bounced", code="550", enhanced="5.01.1")
    >>> compat(ClassifiedEvent(ev, Verdict(class_="permanent", category="mailbox-unknown")))
    >>> metrics.snapshot()["postfix_smtp_bounced_messages_by_dsn"]
    {('5.1.1',): 1.0}

The counters live in the daemon's :class:`~logscan.sinks.metrics.Metrics`, so they are checkpointed
and restored with logscan's own and never go down across restarts.

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
  here inbound ``rejected`` events at the ``rcpt`` stage without a queue id, by reply code.
- ``postfix_qmgr_messages_expired_total``: ``status=expired`` / ``force-expired`` from qmgr.

Known difference: postfix_exporter counts only the ``smtp`` service under ``smtp_*``; logscan's
events do not say which delivery agent wrote the line, so outcomes of ``lmtp``/``local``/
``virtual`` deliveries are counted here too.

Label values stay in bounded sets, as logscan's own (:mod:`logscan.sinks.labels`): a ``dsn`` is
spelt
canonically (``5.1.1``, never ``5.01.1``) and is ``other`` unless the catalogue has its own entry
for it; a ``code`` without a catalogue entry is ``other``; and each counter has a series budget
(``MetricSpec.max_series``) with an overflow series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from logscan.core.event import ClassifiedEvent, Event
from logscan.sinks.labels import OTHER, LabelSets
from logscan.sinks.metrics import Metrics, MetricSpec

NAME = "postfix_exporter"

# Every enhanced code with its own catalogue entry (82 x 3 classes), "other" and a spare.
_DSN_SERIES = 250


@dataclass(frozen=True)
class CompatMetric:
    """A postfix_exporter counter: its spec, and which events count and under which label."""

    spec: MetricSpec
    counts: Callable[[Event], bool]
    label: Callable[[Event, LabelSets], str] | None = None

    def exposed_name(self) -> str:
        """The sample name on ``/metrics`` (counters get ``_total`` when rendered)."""
        return f"{self.spec.name}_total" if self.spec.kind == "counter" else self.spec.name


def _outbound(*statuses: str) -> Callable[[Event], bool]:
    return lambda ev: ev.direction == "outbound" and ev.status in statuses


def _dsn(ev: Event, labels: LabelSets) -> str:
    return labels.enhanced(ev.enhanced) if ev.enhanced is not None else OTHER


def _code(ev: Event, labels: LabelSets) -> str:
    return labels.code(ev.code) if ev.code is not None else OTHER


def _noqueue_rcpt_reject(ev: Event) -> bool:
    return (
        ev.direction == "inbound"
        and ev.status == "rejected"
        and ev.stage == "rcpt"
        and ev.queue_id is None
    )


# Names and help texts as in postfix_exporter's source (see the module docstring).
METRICS: tuple[CompatMetric, ...] = (
    CompatMetric(
        MetricSpec(
            "postfix_smtp_messages_processed",
            "counter",
            "Total number of messages that have been processed by the smtp process.",
            ("status",),
        ),
        _outbound("sent", "deferred", "bounced"),
        lambda ev, _: ev.status or OTHER,
    ),
    # No _total in postfix_exporter: a counter would be rendered with one, so this is exposed
    # as a gauge under its exact name (queries see the same series; the type is not queried).
    CompatMetric(
        MetricSpec(
            "postfix_smtp_status_deferred", "gauge", "Total number of messages deferred.", ()
        ),
        _outbound("deferred"),
    ),
    CompatMetric(
        MetricSpec(
            "postfix_smtp_deferred_messages_by_dsn",
            "counter",
            "Total number of messages that have been deferred on SMTP by DSN.",
            ("dsn",),
            max_series=_DSN_SERIES,
        ),
        _outbound("deferred"),
        _dsn,
    ),
    CompatMetric(
        MetricSpec(
            "postfix_smtp_bounced_messages_by_dsn",
            "counter",
            "Total number of messages that have been bounced on SMTP by DSN.",
            ("dsn",),
            max_series=_DSN_SERIES,
        ),
        _outbound("bounced"),
        _dsn,
    ),
    CompatMetric(
        MetricSpec(
            "postfix_smtpd_messages_rejected",
            "counter",
            "Total number of NOQUEUE rejects.",
            ("code",),
        ),
        _noqueue_rcpt_reject,
        _code,
    ),
    CompatMetric(
        MetricSpec(
            "postfix_qmgr_messages_expired",
            "counter",
            "Total number of messages expired from mail queues.",
            (),
        ),
        lambda ev: ev.status == "expired",
    ),
)


def exposed_names() -> dict[str, tuple[str, ...]]:
    """Sample name -> label names, as they appear on ``/metrics``.

    >>> exposed_names()["postfix_smtpd_messages_rejected_total"]
    ('code',)
    """
    return {m.exposed_name(): m.spec.labels for m in METRICS}


class PostfixExporterCompat:
    """A sink: postfix_exporter's counters from Postfix events, in the daemon's metrics."""

    def __init__(self, metrics: Metrics, labels: LabelSets) -> None:
        self.metrics = metrics
        self.labels = labels  # the rules at start: a reload does not change the dsn set
        for m in METRICS:
            metrics.declare(m.spec)
            if not m.spec.labels:
                # postfix_exporter shows its unlabelled counters from the start, at 0.
                metrics.inc(m.spec.name, (), 0)

    def __call__(self, classified: ClassifiedEvent) -> None:
        ev = classified.event
        if ev.mta != "postfix":
            return
        for m in METRICS:
            if m.counts(ev):
                self.metrics.inc(m.spec.name, (m.label(ev, self.labels),) if m.label else ())
