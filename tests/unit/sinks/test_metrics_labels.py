"""Labels of the contract counters that tell directions apart, and restoring older checkpoints."""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Direction, Event, Verdict
from logscan.sinks.metrics import Metrics, MetricsSink


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


def event(
    direction: Direction, code: str, status: str | None, provider: str | None
) -> ClassifiedEvent:
    ev = Event(path="m.log", line=1, mta="postfix", direction=direction, status=status, code=code)
    return ClassifiedEvent(ev, Verdict("permanent", "blocklisted", provider=provider))


def test_provider_replies_carry_mta_direction_and_code(classifier: Classifier) -> None:
    m = Metrics()
    sink = MetricsSink(m, classifier)
    sink(event("outbound", "554", "bounced", "google"))
    sink(event("inbound", "554", "rejected", "google"))
    sink(event("outbound", "554", "bounced", "not-a-provider"))
    assert m.snapshot()["logscan_provider_replies"] == {
        ("postfix", "outbound", "google", "554", "permanent", "blocklisted"): 1.0,
        ("postfix", "inbound", "google", "554", "permanent", "blocklisted"): 1.0,
        ("postfix", "outbound", "other", "554", "permanent", "blocklisted"): 1.0,
    }


def test_deliveries_carry_direction(classifier: Classifier) -> None:
    m = Metrics()
    sink = MetricsSink(m, classifier)
    sink(event("outbound", "451", "deferred", None))
    sink(event("inbound", "554", "rejected", None))
    assert m.snapshot()["logscan_deliveries"] == {
        ("postfix", "outbound", "deferred"): 1.0,
        ("postfix", "inbound", "rejected"): 1.0,
    }


def test_a_checkpoint_from_before_the_labels_still_restores() -> None:
    m = Metrics()
    m.restore(
        {
            "logscan_provider_replies": [["google", "transient", "rate-limited", 7]],
            "logscan_deliveries": [["postfix", "sent", 12]],
            "logscan_blocklist_hits": [["postfix", "inbound", "zen.spamhaus.org", 3]],
        }
    )
    snap = m.snapshot()
    assert snap["logscan_provider_replies"] == {
        ("none", "none", "google", "none", "transient", "rate-limited"): 7.0
    }
    assert snap["logscan_deliveries"] == {("postfix", "none", "sent"): 12.0}
    assert snap["logscan_blocklist_hits"] == {("postfix", "inbound", "zen.spamhaus.org"): 3.0}


def test_today_s_rows_round_trip_and_malformed_rows_are_skipped() -> None:
    m = Metrics()
    m.inc("logscan_deliveries", ("exim", "outbound", "deferred"), 4)
    again = Metrics()
    malformed = [["google", 3], ["a", "b", "c", "d", "e"], "row"]
    again.restore({**m.persisted(), "logscan_provider_replies": malformed})
    assert again.snapshot()["logscan_deliveries"] == {("exim", "outbound", "deferred"): 4.0}
    assert again.snapshot()["logscan_provider_replies"] == {}
