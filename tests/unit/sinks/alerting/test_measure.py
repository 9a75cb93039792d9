"""A rule's value per kind (``logscan.sinks.alerting.measure``): rates per second, ratios with
a minimum volume."""

from __future__ import annotations

from tests.helpers.alert_helpers import RATIO, T0, engine, event


def test_rate_rule() -> None:
    e = engine(
        """
[[alert]]
name = "Fast"
filter = 'code == "421"'
window = "10s"
rate = 0.5
summary = "{value}"
"""
    )
    for i in range(4):
        e.observe(event("rate-limited", code="421"), T0 + i)
    assert e.tick(T0 + 4) == []  # 0.4/s
    e.observe(event("rate-limited", code="421"), T0 + 4)
    [alert] = e.tick(T0 + 5)
    assert alert.annotations["summary"] == "0.5/s"


def test_ratio_needs_minimum_volume() -> None:
    e = engine(RATIO)
    deferred = event("rate-limited", code="421", status="deferred")
    sent = event("delivered", code="250", enhanced="2.0.0", status="sent", blocklist=None)
    for i in range(10):
        e.observe(deferred, T0 + i)  # 100 % deferred, but only 10 attempts
    assert e.tick(T0 + 10) == []
    for i in range(10):
        e.observe(sent, T0 + 10 + i)
    e.observe(event("info", code="250", status=None), T0 + 20)  # not in the base
    e.observe(event("info", code="250", direction="inbound"), T0 + 20)
    [alert] = e.tick(T0 + 21)  # 10 of 20 = 50 %
    assert alert.annotations["summary"] == "50% (10 of 20)"
    assert alert.annotations["total"] == "20"
    for i in range(15):
        e.observe(sent, T0 + 30 + i)  # 10 of 35 = 29 %: above resolve_below, still firing
    assert e.tick(T0 + 50) == []
    for i in range(20):
        e.observe(sent, T0 + 60 + i)  # 10 of 55 = 18 %
    [resolved] = e.tick(T0 + 80)
    assert resolved.status == "resolved" and resolved.annotations["summary"] == "18% (10 of 55)"
