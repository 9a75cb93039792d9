"""What the end-to-end tests expect, derived from what the scripted sink said (never from logscan).

Each recipient's local part names the sink's reply (tests/e2e/sink.py); its meaning, in the
docs/design.md categories, and the delivery status a one-attempt MTA must log for it are fixed here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.e2e.sink import ScriptedSink
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import Scrape

# A real Gmail wording (rules/signatures.toml, google-gsmtp): the reply names its provider.
GMAIL = "550 5.1.1 The email account that you tried to reach does not exist. a1si123 - gsmtp"
EXTRA_SCRIPT = {"gmail": GMAIL}
SENDER = "sender@logscan.test"  # the sink takes it: bounce notifications to it are sent mail

CATEGORY = {
    "ok": "delivered",
    "sender": "delivered",
    "unknown": "mailbox-unknown",
    "gmail": "mailbox-unknown",
    "full": "mailbox-full",
    "busy": "service-unavailable",
    "listed": "blocklisted",
    "drop": "network",
}
BOUNCING = ("unknown", "listed", "gmail")

ROUND_1 = ["ok1", "unknown1", "full1", "busy1", "drop1", "listed1", "gmail1"]
# Three more listed: BlocklistRejections (3 in 10 minutes) fires in logscan and, since the
# series existed before, increase() over them reaches 3 in Prometheus too.
ROUND_2 = ["ok2", "unknown2", "full2", "busy2", "drop2", "listed2", "listed3", "listed4", "gmail2"]


def kind(recipient: str) -> str:
    return recipient.split("@")[0].rstrip("0123456789")


def bounces(names: list[str]) -> int:
    """Bounce notifications the MTA sends (to SENDER, through the sink) for these recipients."""
    return sum(1 for n in names if kind(n) in BOUNCING)


def status_of(reply: str) -> str:
    """One attempt: 2xx is sent, 5xx bounces, 4xx and a dropped connection defer."""
    return {"2": "sent", "5": "bounced"}.get(reply[0], "deferred")


def sink_said(sink: ScriptedSink) -> list[tuple[str, str]]:
    """(recipient kind, reply) for every outcome the sink gave, in order."""
    return [(kind(rcpt), reply) for rcpt, reply in sink.handler.replies]


def labels_of(reply: str, drop: tuple[str, str], sent_code: bool) -> tuple[str, str]:
    """The (code, enhanced) labels a reply must be counted under, as the MTA logs it: a drop has
    no code, and the enhanced code the MTA logs for it (``drop``: Postfix dsn=4.4.2, Exim none);
    Sendmail logs a delivery's 250 without its code (``sent_code=False``)."""
    if reply == "DROP":
        return drop
    m = re.match(r"(\d{3})[ -](\d\.\d{1,3}\.\d{1,3})", reply)
    assert m is not None, reply
    if m.group(1).startswith("2") and not sent_code:
        return "none", m.group(2)
    return m.group(1), m.group(2)


def check_counters(
    s: Scrape, sink: ScriptedSink, mta: str, drop: tuple[str, str], sent_code: bool = True
) -> None:
    """Every scraped counter of ``mta`` equals what the sink said: by code and enhanced code, by
    category, by delivery status; blocklist hits and the provider named by the reply."""
    said = sink_said(sink)
    assert said, "the sink said nothing"
    by_labels = Counter(labels_of(reply, drop, sent_code) for _, reply in said)
    for (code, enhanced), n in by_labels.items():
        got = s.get(
            "logscan_replies_total", mta=mta, direction="outbound", code=code, enhanced=enhanced
        )
        assert got == n, (code, enhanced, got, n)
    assert s.get("logscan_replies_total", mta=mta) == len(said)
    for category, n in Counter(CATEGORY[k] for k, _ in said).items():
        got = s.get("logscan_replies_total", mta=mta, category=category)
        assert got == n, (category, got, n)
    for status, n in Counter(status_of(reply) for _, reply in said).items():
        got = s.get("logscan_deliveries_total", mta=mta, status=status)
        assert got == n, (status, got, n)
    listed = sum(1 for k, _ in said if k == "listed")
    hits = s.get("logscan_blocklist_hits_total", mta=mta, blocklist="zen.spamhaus.org")
    assert hits == listed
    gmail = sum(1 for k, _ in said if k == "gmail")
    assert s.get("logscan_provider_replies_total", provider="google") == gmail


def check_logscan_alert(am: Alertmanager, mta: str, log: Path) -> None:
    """logscan's own BlocklistRejections (rules/alerts.toml: 3 in 10 minutes) reached the real
    Alertmanager with the blocklist, the MTA and a masked sample line of ``log``."""
    found = am.wait_for(
        lambda: am.alerts(alertname="BlocklistRejections", blocklist="zen.spamhaus.org", mta=mta),
        timeout=30,
        what=f"BlocklistRejections from logscan ({mta})",
    )
    alert = found[0]
    assert alert["labels"]["severity"] == "page"
    notes = alert["annotations"]
    assert "zen.spamhaus.org" in notes["sample"]
    assert "127.0.0.1" not in notes["sample"]  # addresses are masked
    assert notes["sample_source"].startswith(f"{log}:")
    assert int(notes["count"]) >= 3


def check_prometheus_alert(am: Alertmanager, instance: str) -> None:
    """The shipped PromQL rule (deploy/prometheus/alerts.yml) fired on the scraped counters of
    ``instance`` (Prometheus' target label tells its alert from logscan's) and reached it too."""
    found = am.wait_for(
        lambda: am.alerts(
            alertname="BlocklistRejections", blocklist="zen.spamhaus.org", instance=instance
        ),
        timeout=60,
        what="BlocklistRejections from Prometheus",
    )
    assert found[0]["labels"]["severity"] == "page"
