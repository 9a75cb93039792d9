"""The sliding window of counts (``logscan.sinks.alerting.window``); its properties are in
test_alerts_properties.py."""

from __future__ import annotations

from logscan.sinks.alerting.window import Ring
from tests.helpers.alert_helpers import T0


def test_ring_memory_is_bounded_and_exact() -> None:
    r = Ring(300.0)
    assert r.slots == 61 and r.width == 5.0
    for i in range(100_000):
        r.add(T0 + i * 0.01)  # 1,000 s of events, 100 per second
    assert len(r.hits) == 61
    now = T0 + 999.99  # its bucket starts at T0 + 995: the window is [T0 + 695, now]
    assert r.total_at(now) == sum(1 for i in range(100_000) if T0 + i * 0.01 >= T0 + 695)
    assert r.total_at(now) == 30_500
    assert r.total_at(T0 + 5000) == 0
    r.add(T0 + 10)  # an event older than the window when it arrives: never in it
    assert r.total_at(T0 + 5000) == 0
    r.add(T0 + 4800)  # late, but within the window: in its own bucket, leaves in time
    assert r.total_at(T0 + 5000) == 1
    assert r.total_at(T0 + 5100) == 1 and r.total_at(T0 + 5105) == 0
