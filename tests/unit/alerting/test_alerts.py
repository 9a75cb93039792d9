"""The alert engine on synthetic event streams with a fake clock (Unix seconds passed in)."""

from __future__ import annotations

from pathlib import Path

from logscan.classify.classifier import Classifier
from logscan.sinks.alerting.assembly import Alerting, AlertingConfig
from logscan.sinks.alerting.engine import AlertEngine, AlertState, EngineOptions, Ring, SourceHealth
from logscan.sinks.labels import LabelSets
from tests.helpers.alert_helpers import event, rules_from

T0 = 1_800_000_000.0
OPTS = EngineOptions(
    resend_interval=60, generator_url="http://mx1:9842/", labels={"instance": "mx1"}
)

BLOCKLIST = """
[[alert]]
name = "Blocklisted"
filter = 'category == "blocklisted" and direction == "outbound"'
window = "60s"
count = 3
group_by = "blocklist"
severity = "page"
summary = "{count} rejections naming {blocklist} in {window}"
description = "{meaning} {action} Sample: {sample}"
"""


def engine(text: str = BLOCKLIST, **kw: object) -> AlertEngine:
    return AlertEngine(rules_from(text), options=kw.pop("options", OPTS), **kw)  # type: ignore[arg-type]


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


def test_one_alert_per_group_and_group_cap() -> None:
    e = engine(BLOCKLIST.replace('severity = "page"', 'severity = "page"\nmax_groups = 3'))
    for i in range(3):
        e.observe(event(blocklist="zen.spamhaus.org"), T0 + i)
        e.observe(event(blocklist="b.barracudacentral.org"), T0 + i)
        e.observe(event(blocklist="bl.spamcop.net"), T0)
    lists = {a.labels["blocklist"] for a in e.tick(T0 + 3)}
    assert lists == {"zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net"}
    for n in range(20):  # past the cap: folded into one "other" group
        e.observe(event(blocklist=f"list{n}.example"), T0 + 4)
    assert len(e.state.groups["Blocklisted"]) == 4
    [other] = e.tick(T0 + 5)
    assert other.labels["blocklist"] == "other" and other.annotations["count"] == "20"


def test_known_blocklist_keeps_own_alert_group_after_junk() -> None:
    """60 junk list names fill the slots; a real zen.spamhaus.org page still gets its own group,
    since the rules name that list (known values come from the rule files)."""
    known = LabelSets.from_classifier(Classifier.load()).by_field()
    e = engine(known_groups=known)  # max_groups: the default, 50
    for n in range(60):
        e.observe(event(blocklist=f"junk{n}.example"), T0)
    for i in range(3):
        e.observe(event(blocklist="zen.spamhaus.org"), T0 + 1 + i)
        e.observe(event(blocklist="b.barracudacentral.org"), T0 + 1 + i)
    lists = {a.labels["blocklist"]: a for a in e.tick(T0 + 5)}
    assert set(lists) == {"zen.spamhaus.org", "b.barracudacentral.org", "other"}
    assert lists["zen.spamhaus.org"].annotations["count"] == "3"
    assert lists["other"].annotations["count"] == "10"  # junk past the 50 slots
    # Unknown names stay capped: 50 of their own and "other", beside the two known lists.
    assert len(e.state.groups["Blocklisted"]) == 50 + 1 + 2


def test_known_values_come_from_the_rules_and_survive_a_reload(tmp_path: Path) -> None:
    """An operator's signature naming a list makes it known; the wiring in ``Alerting``."""
    site = tmp_path / "rules.d"
    site.mkdir()
    (site / "50-site.toml").write_text(
        '[[alert]]\nname = "Blocklisted"\nfilter = \'category == "blocklisted"\'\n'
        'count = 1\ngroup_by = "blocklist"\nmax_groups = 2\n'
    )
    alerting = Alerting.build(AlertingConfig(), [site])
    try:
        for n in range(5):
            alerting.engine.observe(event(blocklist=f"junk{n}.example"), T0)
        alerting.engine.observe(event(blocklist="zen.spamhaus.org"), T0)
        alerting.engine.observe(event(blocklist="dnsbl.site.example"), T0)
        groups = alerting.engine.state.groups["Blocklisted"]
        assert "zen.spamhaus.org" in groups and "dnsbl.site.example" not in groups
        (site / "60-lists.toml").write_text(
            '[[signature]]\nid = "site-dnsbl"\npattern = "listed at dnsbl.site.example"\n'
            'category = "blocklisted"\nblocklist = "dnsbl.site.example"\n'
        )
        alerting.reload([site])
        alerting.engine.observe(event(blocklist="dnsbl.site.example"), T0 + 1)
        assert "dnsbl.site.example" in alerting.engine.state.groups["Blocklisted"]
    finally:
        alerting.close(timeout=1)


def test_events_without_the_group_field() -> None:
    e = engine()
    for i in range(5):
        e.observe(event(blocklist=None), T0 + i)
    assert e.tick(T0 + 5) == []  # no group_default: not counted
    e2 = engine(
        BLOCKLIST.replace(
            'group_by = "blocklist"', 'group_by = "blocklist"\ngroup_default = "unnamed"'
        )
    )
    for i in range(3):
        e2.observe(event(blocklist=None), T0 + i)
    [alert] = e2.tick(T0 + 3)
    assert alert.labels["blocklist"] == "unnamed"


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


RATIO = """
[[alert]]
name = "Deferrals"
filter = 'status == "deferred"'
of = 'direction == "outbound" and status != null'
window = "10m"
ratio = 0.3
resolve_below = 0.2
min_volume = 20
summary = "{value} ({count} of {total})"
"""


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


def default_engine() -> AlertEngine:
    from logscan.classify.rule_files import load_rule_files
    from logscan.sinks.alerting.rules import load_alert_rules

    return AlertEngine(load_alert_rules(load_rule_files()), options=OPTS)


def burst(e: AlertEngine, ce: object, n: int, start: float = T0, step: float = 1.0) -> None:
    for i in range(n):
        e.observe(ce, start + i * step)  # type: ignore[arg-type]


def fired(e: AlertEngine, now: float) -> dict[str, dict[str, str]]:
    return {a.labels["alertname"]: dict(a.labels) for a in e.tick(now) if a.status == "firing"}


def test_default_421_per_provider_carries_the_provider_label() -> None:
    e = default_engine()
    ms = event(
        "service-unavailable",
        code="421",
        enhanced="4.3.2",
        provider="microsoft",
        blocklist=None,
        status="deferred",
    )
    burst(e, ms, 9)
    assert fired(e, T0 + 10) == {}
    burst(e, ms, 1, start=T0 + 10)
    [(name, labels)] = fired(e, T0 + 11).items()
    assert name == "ServiceUnavailable421" and labels["provider"] == "microsoft"


def test_default_rules_each_fire_on_their_own_burst() -> None:
    cases = {
        "RateLimitedByProvider": (
            # a 452 4.5.3 (too many recipients): a 421 would also be ServiceUnavailable421
            event("rate-limited", code="452", enhanced="4.5.3", provider="google", blocklist=None),
            20,
        ),
        "SenderAuthFailures": (
            event(
                "sender-auth-failed",
                code="550",
                enhanced="5.7.26",
                provider="yahoo",
                blocklist=None,
            ),
            10,
        ),
        "InboundAuthFailedBurst": (
            event("auth-failed", code="535", enhanced="5.7.8", direction="inbound", blocklist=None),
            30,
        ),
        "UnknownMailboxBounces": (
            event("mailbox-unknown", code="550", enhanced="5.1.1", blocklist=None),
            50,
        ),
        "BlocklistRejections": (event("blocklisted"), 3),
    }
    for name, (ce, n) in cases.items():
        e = default_engine()
        burst(e, ce, n - 1, step=0.5)
        assert fired(e, T0 + n) == {}, name
        burst(e, ce, 1, start=T0 + n)
        assert set(fired(e, T0 + n + 1)) == {name}, name


def test_default_ratio_rules_need_their_for_duration() -> None:
    e = default_engine()
    deferred = event("greylisted", code="451", enhanced="4.7.1", status="deferred", blocklist=None)
    sent = event("delivered", code="250", enhanced="2.0.0", status="sent", blocklist=None)
    for i in range(60):  # per second: one 451 deferral, one delivery: 50 % of both
        burst(e, deferred, 1, start=T0 + i)
        burst(e, sent, 1, start=T0 + i + 0.5)
    names = set(fired(e, T0 + 60))
    assert names == set()  # over both thresholds, but each holds for a while first
    for i in range(60, 700):
        burst(e, deferred, 1, start=T0 + i)
        burst(e, sent, 1, start=T0 + i + 0.5)
        names |= set(fired(e, T0 + i + 0.9))
        if i == 60 + 5 * 60 - 5:
            assert names == set()
    assert names == {"TransientReplies451Ratio", "DeferralRatioHigh"}


def test_default_554_rate_per_provider_fires_on_outbound_refusals_only() -> None:
    # 554 without a named list (a provider's own reputation block): 9 in 15 minutes is 0.01/s.
    def refusal(direction: str, provider: str | None) -> object:
        return event(
            "policy-rejected",
            code="554",
            enhanced="5.7.1",
            provider=provider,
            blocklist=None,
            direction=direction,
            status="bounced" if direction == "outbound" else "rejected",
        )

    e = default_engine()
    burst(e, refusal("inbound", "microsoft"), 200, step=0.5)  # our own refusals: never
    burst(e, refusal("outbound", "microsoft"), 8, start=T0 + 100)
    assert fired(e, T0 + 120) == {}
    burst(e, refusal("outbound", "microsoft"), 1, start=T0 + 120)
    [(name, labels)] = fired(e, T0 + 121).items()
    assert name == "Refusals554ByProvider" and labels["provider"] == "microsoft"
    # a host that is no known provider counts in the group "other"
    burst(e, refusal("outbound", None), 9, start=T0 + 130)
    assert {lab["provider"] for lab in [fired(e, T0 + 140)["Refusals554ByProvider"]]} == {"other"}
