"""MDaemon's Screening log (tests/data/SOURCES.md, "Collected for issue 12, fifth round: Exchange
and MDaemon"): a connection the Host Screen or Location Screening refused is our refusal at
connect when it was to an SMTP port, and no event when it was to POP or IMAP.
"""

from __future__ import annotations

from logscan.classify.classifier import Classifier
from parsers.mdaemon import MDaemonParser
from tests.helpers.log_replay import DATA, replay

SCREENING = DATA / "mdaemon" / "viegard-sentinel-mdaemon26-screening-fixture.log"


def test_a_screened_smtp_connection_is_refused_by_us(clf: Classifier) -> None:
    [ev] = replay(MDaemonParser, SCREENING).events  # the second refusal is to port 995 (POP3S)
    assert (ev.line, ev.direction, ev.stage, ev.status, ev.code) == (
        5,
        "inbound",
        "connect",
        "rejected",
        None,
    )
    assert (ev.remote_host, ev.remote_ip, ev.ts) == (
        "localhost",
        "203.0.113.11",
        "2026-08-18T00:08:52.564",
    )
    assert clf.classify_event(ev).verdict.category == "policy-rejected"


def test_location_screening_of_an_smtp_port_is_an_event_and_of_imap_none() -> None:
    p = MDaemonParser("MDaemon-2026-08-18-Screening.log")
    line = "Tue 2026-08-18 00:09:45.644: Location Screening: IP 198.51.100.12 matched to country "
    [ev] = p.feed(line + "Hong Kong, Asia; connection blocked; port 25", 1) or []
    assert (ev.direction, ev.status, ev.remote_ip) == ("inbound", "rejected", "198.51.100.12")
    assert p.feed(line + "Hong Kong, Asia; connection blocked; port 143", 2) == []
