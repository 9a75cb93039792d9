"""What the end-to-end tests expect, derived from what the scripted sink said (never from logscan).

Each recipient's local part names the sink's reply (tests/e2e/sink.py); its meaning, in the
DESIGN.md categories, and the delivery status a one-attempt MTA must log for it are fixed here.
"""

from __future__ import annotations

import re
from collections import Counter

from tests.daemon.harness import Scrape
from tests.e2e.sink import ScriptedSink

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
