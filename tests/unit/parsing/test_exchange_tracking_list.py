"""Tracking records as ``Get-MessageTrackingLog | Format-List`` prints them, from real pastes
(tests/data/SOURCES.md, "Collected for issue 12: MDaemon and Exchange"): one event per record
that is an outcome, on its RecipientStatus line, with the category of its reply.
"""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from parsers.exchange import ExchangeParser
from tests.helpers.log_replay import DATA, replay

EXCHANGE = DATA / "exchange"


@pytest.mark.parametrize(
    ("file_name", "expected", "category"),
    [
        (  # Exchange 2019, en-US time stamps, a wrapped LED, blank lines between the lines
            "msqa-208018-exchange2019-get-messagetrackinglog-fl.log",
            {
                "line": 31,
                "status": "bounced",
                "code": "501",
                "enhanced": "5.1.4",
                "recipient": "officer2@Naadi  .test",
                "ts": "2020-12-22T09:28:06",
                "remote_host": "server.mylab.test",
                "remote_ip": "192.168.159.133",
                "queue_id": "25769803777",
                "size": 8564,
            },
            "bad-domain",
        ),
        (  # a transport rule's refusal, 12-hour en-US clock
            "msqa-347573-exchange2016-get-messagetrackinglog-fl.log",
            {"line": 15, "status": "bounced", "code": "550", "ts": "2021-04-06T14:46:03"},
            "policy-rejected",
        ),
        (  # the Sender ID agent, a day/month/year culture; a Format-Table row above it
            "msqa-1407358-exchange2016-get-messagetrackinglog-fl.log",
            {
                "line": 31,
                "status": "bounced",
                "ts": "2023-10-28T20:18:34",
                "remote_ip": "199.15.214.202",  # the client we refused, not our {IP=x.x.x.x}
            },
            "sender-auth-failed",
        ),
        (  # a record of the script's help, indented; the PRA's domain does not exist
            "psmodule-get-recentfailedmessage-fl-example.log",
            {"line": 16, "status": "bounced", "ts": "2017-09-29T11:38:05"},
            "bad-domain",
        ),
        (  # three properties of an AGENT DROP
            "msqa-389033-exchange2016-get-messagetrackinglog-fl-drop.log",
            {"line": 5, "status": "bounced", "code": "550", "enhanced": "4.3.2"},
            "policy-rejected",
        ),
        (  # the RecipientStatus alone: its 5xx says FAIL; Gmail's multi-line reply, wrapped
            "blog-exchange2019-oof-gmail-recipientstatus-fl.log",
            {
                "line": 1,
                "status": "bounced",
                "enhanced": "5.7.26",
                "remote_host": "gmail-smtp-in.l.google.com",
                "remote_ip": "74.125.142.27",
            },
            "sender-auth-failed",
        ),
        (  # a distribution group that only takes authenticated (internal) senders: the
            # group's delivery restriction, not SMTP AUTH (issue 12, tenth round)
            "blog-sharepoint-exchange-routing-fail-fl.log",
            {"line": 6, "status": "bounced", "recipient": "TestingGroup@nauplius.local"},
            "policy-rejected",
        ),
        (  # Exchange 2010 DELIVER, RecipientStatus {}: a delivery
            "blog-exchange2010-deliver-fl.log",
            {"line": 16, "status": "sent", "code": None, "ts": "2015-09-06T01:02:44"},
            "delivered",
        ),
    ],
)
def test_one_event_per_record(
    clf: Classifier, file_name: str, expected: dict[str, Any], category: str
) -> None:
    [ev] = replay(ExchangeParser, EXCHANGE / file_name).events
    assert {k: getattr(ev, k) for k in expected} == expected
    assert clf.classify_event(ev).verdict.category == category


def test_records_end_at_a_repeated_property_and_list_every_recipient() -> None:
    p = ExchangeParser("pasted.txt")
    first = [
        "EventId                 : FAIL",
        "Recipients              : {a@example.org, b@example.org}",
        "RecipientStatus         : {550 5.1.1 User unknown, 452 4.2.2 Mailbox full}",
    ]
    for n, text in enumerate(first, 1):
        assert p.feed(text, n) == []
    events = p.feed("EventId                 : RECEIVE", 4)  # the next record begins
    assert [(e.line, e.recipient, e.code) for e in events or []] == [
        (3, "a@example.org", "550"),
        (3, "b@example.org", "452"),
    ]
    assert p.flush() == []  # a RECEIVE without a reply is no outcome


def test_a_status_without_a_refusal_and_without_its_event_id_is_nothing() -> None:
    p = ExchangeParser("pasted.txt")
    p.feed("RecipientStatus         : {250 2.1.5 Recipient OK}", 1)
    assert p.flush() == []


@pytest.mark.parametrize(
    ("file_name", "direction", "remote_ip"),
    [
        # Source SMTP, the Intra-Organization *Send* connector: the next hop refused us
        ("msqa-208018-exchange2019-get-messagetrackinglog-fl.log", "outbound", "192.168.159.133"),
        # Source AGENT, the Transport Rule Agent: our policy refused the message
        ("msqa-347573-exchange2016-get-messagetrackinglog-fl.log", "inbound", None),
        # Source SMTP, the Sender Id Agent on a Receive connector (SERVER\Default SERVER): the
        # remote end is the client that sent it, not our own ServerIp
        ("msqa-1407358-exchange2016-get-messagetrackinglog-fl.log", "inbound", "199.15.214.202"),
        ("psmodule-get-recentfailedmessage-fl-example.log", "inbound", "222.127.163.110"),
        # Source AGENT, a DROP by a third-party routing agent
        ("msqa-389033-exchange2016-get-messagetrackinglog-fl-drop.log", "inbound", None),
        # Source ROUTING: the resolver's failed delivery stays outbound, as a local delivery's
        ("blog-sharepoint-exchange-routing-fail-fl.log", "outbound", None),
    ],
)
def test_our_own_agents_refusals_are_inbound(
    file_name: str, direction: str, remote_ip: str | None
) -> None:
    """A FAIL is "we refused them" when the record's source is AGENT, or SMTP with a receive
    side agent in SourceContext or a Receive connector in ConnectorId; else the next hop's."""
    [ev] = replay(ExchangeParser, EXCHANGE / file_name).events
    assert (ev.direction, ev.remote_ip) == (direction, remote_ip)


def test_a_table_row_names_the_event_of_its_status() -> None:
    """Get-MessageTrackingLog | Format-Table with a RecipientStatus column (hand-written in the
    console's layout): the FAIL row is the outcome; the DSN row repeats its status and is none."""
    p = ExchangeParser("table.txt")
    rows = [
        "Timestamp            EventId Source RecipientStatus",
        "---------            ------- ------ ---------------",
        "3/12/2025 7:50:43 PM FAIL    SMTP   {[{LED=550 5.1.1 unknown};{FQDN=mx.example}]}",
        "3/12/2025 7:50:43 PM DSN     DSN    {[{LED=550 5.1.1 unknown};{FQDN=mx.example}]}",
        "3/12/2025 7:50:44 PM DEFER   SMTP   {[{LED=451 4.4.0 DNS query failed};{MSG=};{FQDN=}]}",
    ]
    events = [ev for n, row in enumerate(rows, 1) for ev in p.feed(row, n) or []] + p.flush()
    assert [(ev.line, ev.status, ev.code, ev.remote_host) for ev in events] == [
        (3, "bounced", "550", "mx.example"),
        (5, "deferred", "451", None),
    ]
