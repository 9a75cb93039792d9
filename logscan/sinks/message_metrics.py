"""The daemon's message metrics: finished messages by outcome, and the delivery delay.

Fed by :class:`logscan.sinks.messages.MessageTracker` (one call per finished message). Labels are
bounded: ``mta`` is a registered parser's name, ``outcome`` one of
:data:`logscan.sinks.messages.OUTCOMES`; a domain or an address never becomes a label::

    >>> from logscan.sinks.metrics import Metrics
    >>> from logscan.sinks.messages import Finished
    >>> m = Metrics()
    >>> for spec in MESSAGE_METRICS: m.declare(spec)
    >>> sink = MessageMetrics(m)
    >>> sink(Finished("postfix", "3F2A1", "delivered", 0, 42.0, None, None, None, None, None))
    >>> m.values["logscan_messages"], m.values["logscan_message_delivery_delay_seconds"][
    ...     ("postfix", "60")]
    ({('postfix', 'delivered'): 1.0}, 1.0)
"""

from __future__ import annotations

from logscan.sinks.messages import DELIVERED, OUTCOMES, Finished
from logscan.sinks.metrics import Metrics, MetricSpec

# From a second to five days (Postfix's default maximal_queue_lifetime): first-try deliveries
# fall in the first buckets, retried ones (queue run every 5 min, backing off to 66 min) after.
DELAY_BUCKETS = (1.0, 5.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0, 432000.0)
# Room for 10 MTAs (a host runs one or two).
_MTAS = 10

MESSAGE_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "logscan_messages",
        "counter",
        "Messages the MTA is done with, by final outcome (one per message, however many "
        "delivery attempts it took; evicted: dropped from the correlation state)",
        ("mta", "outcome"),
        max_series=_MTAS * len(OUTCOMES) + 1,
    ),
    MetricSpec(
        "logscan_message_delivery_delay_seconds",
        "histogram",
        "Time from a message's arrival to its last delivery, for delivered messages",
        ("mta", "le"),
        max_series=_MTAS * (len(DELAY_BUCKETS) + 2) + 1,
        buckets=DELAY_BUCKETS,
    ),
)


class MessageMetrics:
    """Listener of the tracker: counts each finished message and observes its delay."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def __call__(self, f: Finished) -> None:
        self.metrics.inc("logscan_messages", (f.mta, f.outcome))
        if f.outcome in DELIVERED and f.delay is not None:
            self.metrics.observe("logscan_message_delivery_delay_seconds", (f.mta,), f.delay)
