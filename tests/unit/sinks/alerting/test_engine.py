"""The engine across a rules reload: state kept, windows refitted, removed rules resolved."""

from __future__ import annotations

from logscan.sinks.alerting.engine import AlertEngine
from logscan.sinks.alerting.groups import AlertState
from tests.helpers.alert_helpers import BLOCKLIST, OPTS, RATIO, T0, engine, event, rules_from


def test_reload_keeps_state() -> None:
    state = AlertState()
    e = AlertEngine(rules_from(BLOCKLIST), state=state, options=OPTS)
    for i in range(3):
        e.observe(event(), T0 + i)
    [fired] = e.tick(T0 + 3)
    # Same rules reloaded (e.g. SIGHUP): no new transition, still counting the same window.
    e.reload(rules_from(BLOCKLIST), T0 + 4)
    assert e.tick(T0 + 5) == []
    assert e.firing() == [("Blocklisted", "zen.spamhaus.org")]
    # A new engine over the same state carries on too.
    e2 = AlertEngine(rules_from(BLOCKLIST), state=state, options=OPTS, now=T0 + 6)
    assert e2.tick(T0 + 7) == []
    [resolved] = e2.tick(T0 + 62)
    assert resolved.status == "resolved" and resolved.starts_at == fired.starts_at


def test_reload_with_a_new_window_holds_then_resolves() -> None:
    e = engine()
    for i in range(3):
        e.observe(event(), T0 + i)
    e.tick(T0 + 3)
    e.reload(rules_from(BLOCKLIST.replace('window = "60s"', 'window = "120s"')), T0 + 10)
    assert e.tick(T0 + 11) == []  # counts were reset with the new window: no false resolve
    assert [a.repeat for a in e.tick(T0 + 129)] == [True]  # re-sent, still firing
    assert [a.status for a in e.tick(T0 + 131)] == ["resolved"]


def test_reload_without_the_rule_resolves_it() -> None:
    e = engine()
    for i in range(3):
        e.observe(event(), T0 + i)
    [fired] = e.tick(T0 + 3)
    e.reload(rules_from(RATIO), T0 + 4)
    [resolved] = e.tick(T0 + 5)
    assert resolved.status == "resolved" and resolved.labels == fired.labels
    assert e.tick(T0 + 6) == []
