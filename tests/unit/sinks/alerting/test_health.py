"""The health signals (``logscan.sinks.alerting.health``): quiet sources, readers down,
unrecognized lines."""

from __future__ import annotations

from logscan.sinks.alerting.health import SourceHealth
from tests.helpers.alert_helpers import T0, engine

HEALTH = """
[[alert]]
name = "Quiet"
signal = "source-quiet"
quiet = "10m"
summary = "No line from {source} for {value}"

[[alert]]
name = "ReaderDown"
signal = "reader-down"
for = "1m"

[[alert]]
name = "Drift"
signal = "unrecognized"
window = "10m"
ratio = 0.2
min_volume = 100
"""


def test_source_quiet() -> None:
    e = engine(HEALTH)
    h = SourceHealth("/var/log/mail.log", last_line_at=T0, lines={"event": 5})
    assert e.tick(T0 + 599, [h]) == []
    [alert] = e.tick(T0 + 600, [h])
    assert alert.labels["alertname"] == "Quiet" and alert.labels["source"] == "/var/log/mail.log"
    assert alert.annotations["summary"] == "No line from /var/log/mail.log for 10m"
    back = SourceHealth("/var/log/mail.log", last_line_at=T0 + 700, lines={"event": 6})
    assert [a.status for a in e.tick(T0 + 701, [back])] == ["resolved"]


def test_source_that_never_wrote_counts_from_first_tick() -> None:
    e = engine(HEALTH)
    h = SourceHealth("journal", up=True)
    assert e.tick(T0, [h]) == []
    assert e.tick(T0 + 599, [h]) == []
    assert [a.labels["alertname"] for a in e.tick(T0 + 600, [h])] == ["Quiet"]


def test_reader_down_with_for() -> None:
    e = engine(HEALTH)
    up = SourceHealth("journal", last_line_at=T0, up=True)
    down = SourceHealth("journal", last_line_at=T0, up=False)
    assert e.tick(T0, [up]) == []
    assert e.tick(T0 + 1, [down]) == []
    assert e.tick(T0 + 60, [down]) == []
    [alert] = e.tick(T0 + 61, [down])
    assert alert.labels["alertname"] == "ReaderDown" and alert.labels["source"] == "journal"
    assert [a.status for a in e.tick(T0 + 62, [up])] == ["resolved"]


def test_unrecognized_lines_rising() -> None:
    e = engine(HEALTH)
    src = "/var/log/mail.log"
    # the first sight of a source is its baseline (counters restored from a checkpoint)
    assert e.tick(T0, [SourceHealth(src, T0, lines={"event": 1000, "unrecognized": 10})]) == []
    # +50 lines, 40 unrecognized: 80 % but under the minimum volume of 100
    h1 = SourceHealth(src, T0 + 10, lines={"event": 1010, "unrecognized": 50})
    assert e.tick(T0 + 10, [h1]) == []
    h2 = SourceHealth(src, T0 + 20, lines={"event": 1100, "ignored": 10, "unrecognized": 90})
    [alert] = e.tick(T0 + 20, [h2])  # 80 unrecognized of 190 lines since the first tick
    assert alert.labels == {
        "alertname": "Drift",
        "severity": "warning",
        "source": src,
        "instance": "mx1",
    }
    assert alert.annotations["count"] == "80"
    # a restarted pipeline (counters from zero) counts its 500 lines, not a negative delta:
    # 80 unrecognized of 690 lines is 12 %, under the threshold
    h3 = SourceHealth(src, T0 + 30, lines={"event": 500})
    [resolved] = e.tick(T0 + 30, [h3])
    assert resolved.status == "resolved" and resolved.annotations["total"] == "690"
