"""The line path (``logscan.sinks.alerting.watcher``): which group an event counts in, and the
cap on groups."""

from __future__ import annotations

from pathlib import Path

from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import load_rule_files
from logscan.sinks.alerting.assembly import Alerting, AlertingConfig
from logscan.sinks.alerting.rules import load_alert_rules
from logscan.sinks.alerting.watcher import Watcher, WatcherIndex
from logscan.sinks.labels import LabelSets
from tests.helpers.alert_helpers import BLOCKLIST, T0, engine, event


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


def test_the_shipped_rules_are_asked_only_about_events_they_can_count() -> None:
    """The index by (category, direction, code): an inbound unknown-user refusal concerns none
    of the shipped events rules, a delivery only the bases of the outbound ratios."""
    rules = [r for r in load_alert_rules(load_rule_files()) if r.filter.text]
    index = WatcherIndex(Watcher(r, {}) for r in rules)

    def asked(category: str, direction: str, code: str | None) -> set[str]:
        return {w.rule.name for w in index((category, direction, code))}

    assert asked("mailbox-unknown", "inbound", "550") == set()
    assert asked("delivered", "outbound", "250") == asked("delivered", "outbound", None)
    delivered = asked("delivered", "outbound", "250")
    assert 1 <= len(delivered) < len(rules)
    outbound_421 = asked("service-unavailable", "outbound", "421")
    assert delivered < outbound_421
    # Whatever the index skips, the rule's filter (and its ``of``) would not have matched.
    for r in rules:
        if r.name not in asked("mailbox-unknown", "inbound", "550"):
            ce = event("mailbox-unknown", code="550", direction="inbound")
            assert not r.filter.matches(ce) or (r.of is not None and not r.of.matches(ce))
