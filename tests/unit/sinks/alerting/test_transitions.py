"""Firing and resolving (``logscan.sinks.alerting.transitions``), through the engine with a
fixed clock."""

from __future__ import annotations

from logscan.sinks.alerting.alert import EngineOptions
from tests.helpers.alert_helpers import BLOCKLIST, T0, engine, event


def test_fires_at_the_threshold_not_before() -> None:
    e = engine()
    e.observe(event(), T0)
    e.observe(event(), T0 + 1)
    assert e.tick(T0 + 2) == []
    e.observe(event(direction="inbound"), T0 + 2)  # filtered out
    e.observe(event("spam-rejected"), T0 + 2)  # filtered out (another category)
    assert e.tick(T0 + 3) == []
    e.observe(event(line=42), T0 + 3)
    [alert] = e.tick(T0 + 4)
    assert alert.status == "firing" and not alert.repeat
    assert alert.starts_at == T0 + 4 and alert.ends_at is None
    assert alert.labels == {
        "alertname": "Blocklisted",
        "severity": "page",
        "blocklist": "zen.spamhaus.org",
        "mta": "postfix",
        "instance": "mx1",
    }
    a = alert.annotations
    assert a["summary"] == "3 rejections naming zen.spamhaus.org in 1m"
    assert a["count"] == "3" and a["threshold"] == "3"
    assert a["meaning"] == "The sending IP is on a blocklist."
    assert a["action"] == "Request delisting."
    assert a["sample_source"] == "/var/log/mail.log:42"
    # the sample is masked: no full address, no full IP
    assert "<a***@example.com>" in a["sample"] and "198.51.x.x" in a["sample"]
    assert "alice@" not in a["description"] and "198.51.100.25" not in a["description"]
    assert alert.generator_url == "http://mx1:9842/"
    assert e.tick(T0 + 5) == []  # no second firing transition


def test_resolves_after_the_window() -> None:
    e = engine()
    for i in range(3):
        e.observe(event(), T0 + i)
    [fired] = e.tick(T0 + 3)
    assert e.tick(T0 + 30) == []  # still in the window
    assert e.tick(T0 + 60) == []  # the first event is 60 s old: still in
    [resolved] = e.tick(T0 + 61)  # the first event has left the 60 s window: 2 < 3
    assert resolved.status == "resolved"
    assert resolved.ends_at == T0 + 61 and resolved.starts_at == fired.starts_at
    assert resolved.labels == fired.labels
    assert e.firing() == []
    assert e.tick(T0 + 63) == []
    assert e.state.groups["Blocklisted"] == {}  # forgotten: memory stays bounded


def test_unmasked_samples_when_configured() -> None:
    e = engine(options=EngineOptions(mask_samples=False, labels={}))
    for i in range(3):
        e.observe(event(), T0 + i)
    [alert] = e.tick(T0 + 3)
    assert "<alice@example.com>" in alert.annotations["sample"]
    assert "instance" not in alert.labels


def test_for_duration_and_pending() -> None:
    e = engine(BLOCKLIST.replace('window = "60s"', 'window = "120s"\nfor = "30s"'))
    for i in range(3):
        e.observe(event(), T0 + i)
    assert e.tick(T0 + 3) == []  # pending
    assert e.tick(T0 + 32) == []
    [alert] = e.tick(T0 + 33)
    assert alert.status == "firing" and alert.starts_at == T0 + 33


def test_pending_that_clears_never_fires() -> None:
    e = engine(BLOCKLIST.replace('window = "60s"', 'window = "20s"\nfor = "10s"'))
    for i in range(3):
        e.observe(event(), T0 + i)
    assert e.tick(T0 + 3) == []
    assert e.tick(T0 + 25) == []  # back under the threshold before `for` elapsed
    for i in range(3):
        e.observe(event(), T0 + 40 + i)
    assert e.tick(T0 + 43) == []  # pending again, from the start
    assert e.tick(T0 + 52) == []
    assert [a.status for a in e.tick(T0 + 53)] == ["firing"]


def test_hysteresis_resolve_below() -> None:
    e = engine(BLOCKLIST.replace("count = 3", "count = 10\nresolve_below = 4"))
    for i in range(10):
        e.observe(event(), T0 + i * 5)  # 10 events over 45 s
    assert [a.status for a in e.tick(T0 + 46)] == ["firing"]
    # At T0+90 the window [30, 90] holds the events of 30..45: 4, under the threshold but not
    # under resolve_below; at T0+95 it holds 35, 40, 45: 3 < 4 -> resolved.
    assert e.tick(T0 + 90) == []
    assert [a.status for a in e.tick(T0 + 95)] == ["resolved"]


def test_resend_while_firing() -> None:
    e = engine(BLOCKLIST.replace('window = "60s"', 'window = "10m"'))
    for i in range(3):
        e.observe(event(), T0 + i)
    [first] = e.tick(T0 + 3)
    assert e.tick(T0 + 30) == []
    [again] = e.tick(T0 + 63)
    assert again.repeat and again.status == "firing" and again.starts_at == first.starts_at
    assert e.tick(T0 + 64) == []
