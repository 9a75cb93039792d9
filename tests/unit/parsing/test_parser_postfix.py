"""The Postfix parser on real log lines (tests/data/postfix/, provenance in tests/data/SOURCES.md).

Golden tests pin every field of a representative set of real lines; the recall test checks that
every corpus line holding a reply code in reply position gives an event with that code; the
genlog samples check every line against the generator's ground truth; Hypothesis checks that no
input makes the parser raise or emit an invalid event.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logscan.core.event import Event
from logscan.parsing.registry import Registry
from logscan.parsing.repeats import MARK, unfold
from parsers.postfix import PostfixParser, QueueState
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "postfix"
CORPUS = sorted(p for p in DATA.glob("*.log") if not p.name.startswith("genlog-"))


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def parse_file(path: Path) -> Iterator[tuple[int, str, list[Event] | None]]:
    parser = PostfixParser(str(path), year=2024)
    for n, line in enumerate(lines_of(path), 1):
        yield n, line, parser.feed(line, n)


def events_at(name: str, lineno: int) -> list[Event]:
    """Events of line ``lineno`` of fixture ``name``, parsed in file order (queue state)."""
    for n, _line, events in parse_file(DATA / name):
        if n == lineno:
            assert events is not None
            return events
    raise AssertionError(f"{name} has no line {lineno}")


# ---------------------------------------------------------------------- golden
# (file, line, expected fields). Fields not listed must hold their "nothing" value (None, or
# "unknown" for stage), so a spurious field is a failure too.
F2B = "fail2ban-postfix.log"
GH = "github-issues-postfix-pastes.log"
WS = "whyscream-postfix-grok-patterns.log"
LW = "logwatch-postfix-logwatch-TD.log"
CHECK = "postfix-src-smtpd-check-ref.log"
GOLDEN: list[tuple[str, int, dict[str, Any]]] = [
    # --- smtpd rejects, one per kind
    (F2B, 2, dict(direction="inbound", stage="rcpt", status="rejected", code="554",
                  enhanced="5.7.1", text="554 5.7.1 <smtp@example.com>: Relay access denied",
                  remote_host="1-2-3-4-example.com", remote_ip="1.2.3.4",
                  sender="john@example.com", recipient="smtp@example.org",
                  ts="2024-07-12T07:47:48")),
    (F2B, 8, dict(direction="inbound", stage="rcpt", status="rejected", code="550",
                  enhanced="5.1.1", queue_id="00ADB3C0899", remote_host="example.com",
                  remote_ip="192.0.2.1", sender="xxxxxx@example.com",
                  recipient="sales@server.com", ts="2024-08-13T15:45:46",
                  text="550 5.1.1 <sales@server.com>: Recipient address rejected: User unknown"
                  " in local recipient table")),
    (F2B, 16, dict(direction="inbound", stage="helo", status="rejected", code="504",
                   enhanced="5.5.2", remote_host="s271272.static.corbina.ru",
                   remote_ip="78.107.251.238", ts="2024-01-31T13:55:24",
                   text="504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname")),
    (F2B, 17, dict(direction="inbound", stage="data", status="rejected", code="550",
                   enhanced="5.7.1", text="550 5.7.1 Command rejected", queue_id="1D8CC1CA0A7F",
                   remote_host="66-220-155-151.mail-mail.facebook.com", remote_ip="192.0.2.151",
                   sender="security@mail.example.com", recipient="hostmaster@example.com",
                   ts="2024-03-07T02:09:33")),
    # BDAT, long queue id, null sender, a syslog_name with two parts
    (F2B, 18, dict(direction="inbound", stage="data", status="rejected", code="550",
                   enhanced="5.5.3", queue_id="44JCRG5tYPzCqt2", sender="",
                   recipient="some@example.com", remote_host="signing-milter.example.com",
                   remote_ip="192.0.2.109", ts="2024-03-11T23:27:54",
                   text="550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce")),
    # syslog_name "postfix-incoming"
    (F2B, 21, dict(direction="inbound", stage="helo", status="rejected", code="504",
                   enhanced="5.5.2", remote_host="s271272.static.corbina.ru",
                   remote_ip="78.107.251.238", ts="2024-01-31T13:55:24",
                   text="504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname")),
    (F2B, 22, dict(direction="inbound", stage="helo", status="rejected", code="504",
                   enhanced="5.5.2", remote_host="astra4139.startdedicated.de",
                   remote_ip="62.138.2.143", ts="2024-04-12T02:24:11",
                   text="504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname")),
    (F2B, 27, dict(direction="inbound", stage="connect", status="rejected", code="450",
                   enhanced="4.7.25", remote_ip="192.0.2.114", ts="2024-06-01T19:00:55",
                   text="450 4.7.25 Client host rejected: cannot find your hostname,"
                   " [178.215.236.114]")),
    (CHECK, 1, dict(direction="inbound", stage="helo", status="rejected", code="554",
                    enhanced="5.7.1", remote_host="localhost", remote_ip="127.0.0.1",
                    ts="2024-01-01T00:00:00",
                    text="554 5.7.1 <foo.dunno.com>: Helo command rejected: Access denied")),
    (CHECK, 6, dict(direction="inbound", stage="mail", status="rejected", code="554",
                    enhanced="5.7.1", remote_host="bar.duno.com", remote_ip="44.33.44.33",
                    sender="reject@dunno.domain", ts="2024-01-01T00:00:00",
                    text="554 5.7.1 <reject@dunno.domain>: Sender address rejected:"
                    " Access denied")),
    (WS, 142, dict(direction="inbound", status="rejected", code="454", enhanced="4.7.1",
                   remote_ip="2001:968:9999:20:88b:9b7d:2a54:2bd2", recipient="aap@henk.com",
                   ts="2024-01-01T00:00:00", text="454 4.7.1 <aap@henk.com>: Relay access denied")),
    (LW, 114, dict(direction="inbound", status="rejected", code="554", enhanced="5.7.1",
                   remote_host="host", remote_ip="10.0.0.1", ts="2024-01-01T00:00:00",
                   text="554 5.7.1 <example.com>: Etrn command rejected: Access denied")),
    # reject_warning: the reply Postfix would have given; no rejection happened
    (WS, 156, dict(direction="inbound", stage="rcpt", code="553", enhanced="5.7.1",
                   remote_host="example.com", remote_ip="93.184.216.34",
                   sender="sender@example.com", recipient="recipient@example.com",
                   ts="2024-01-01T00:00:00",
                   text="553 5.7.1 <sender@example.com>: Sender address rejected: not owned by"
                   " user ph123")),
    (WS, 145, dict(direction="inbound", stage="end-of-data", code="250", enhanced="2.0.0",
                   sender="user1@test.example.com", recipient="user2@example2.com",
                   ts="2024-01-01T00:00:00",
                   text="250 2.0.0 from MTA(smtp:[127.0.0.1]:10013): 250 2.0.0 Ok: queued as"
                   " DF66E940333")),
    # RFC 3339 timestamp
    ("crowdsec-hub-postfix-tests.log", 1, dict(
        direction="inbound", stage="rcpt", status="rejected", code="504", enhanced="5.5.2",
        remote_ip="192.168.1.1", sender="spammer@domain.tld", recipient="spammer@domain.tld",
        ts="2024-08-29T01:08:59.764590+00:00",
        text="504 5.5.2 <WIN-9QL4SDRB93L>: Helo command rejected: need fully-qualifiedhostname")),
    # --- postscreen
    (F2B, 26, dict(direction="inbound", stage="rcpt", status="rejected", code="550",
                   enhanced="5.7.1", remote_ip="216.245.194.173", sender="spammer@example.com",
                   recipient="goodguy@example.com", ts="2024-05-05T15:51:11",
                   text="550 5.7.1 Service unavailable; client [216.245.194.173] blocked using"
                   " rbl.example.com")),
    (WS, 69, dict(direction="inbound", stage="connect", status="rejected", remote_ip="1.2.3.4",
                  ts="2024-01-01T00:00:00", text="too many connections")),
    # --- cleanup
    (WS, 17, dict(direction="inbound", stage="end-of-data", status="rejected", enhanced="5.7.1",
                  queue_id="4104E3D", remote_host="061238241086.static.ctinets.com",
                  remote_ip="61.238.241.86", sender="wumt5@cchfdc.com",
                  recipient="voorzitter@example.com", ts="2024-01-01T00:00:00",
                  text="5.7.1 Blocked by SpamAssassin")),
    (LW, 244, dict(direction="inbound", stage="end-of-data", status="rejected",
                   queue_id="4A5B6C7D8E", remote_host="hb.example.com", remote_ip="10.0.0.1",
                   sender="efrom@example.com", recipient="eto@sample.net",
                   ts="2024-01-01T00:00:00", text="optional text...")),
    # --- smtp/lmtp delivery
    ("kumina-postfix_exporter-tests.log", 42, dict(
        direction="outbound", stage="end-of-data", status="sent", code="250", enhanced="2.0.0",
        queue_id="5270320179", recipient="hebj@telia.com", remote_host="mail.telia.com",
        remote_ip="81.236.60.210", ts="2024-02-24T16:18:40",
        text="250 2.0.0 6FVIjIMwUJwU66FVIjAEB0 mail accepted for delivery")),
    # sender and size come from the qmgr line before it
    (GH, 59, dict(direction="outbound", stage="connect", status="deferred", enhanced="4.4.1",
                  queue_id="81571C2D", sender="root@mail.mydomain.com", size=642,
                  recipient="root@mail.mydomain.com", remote_host="mail.mydomain.com",
                  remote_ip="123.456.789.123", ts="2024-11-03T18:06:25",
                  text="connect to mail.mydomain.com[123.456.789.123]:25: Connection timed out")),
    # multi-line Gmail reply on one line: one event, the first code
    (WS, 107, dict(direction="outbound", stage="end-of-data", status="bounced", code="550",
                   enhanced="5.7.1", queue_id="4E74613FE76", recipient="redacted@gmail.com",
                   remote_host="gmail-smtp-in.l.google.com", remote_ip="2607:f8b0:400e:c04::1b",
                   ts="2024-01-01T00:00:00",
                   text="550-5.7.1 [2607:4100:3:25:100::2      12] Our system has detected that"
                   " this 550-5.7.1 message is likely unsolicited mail. To reduce the amount of"
                   " spam sent 550-5.7.1 to Gmail, this message has been blocked. Please visit"
                   " 550-5.7.1 http://support.google.com/mail/bin/answer.py?hl=en&answer=188131"
                   " for 550 5.7.1 more information. qc12si8475009pab.211 - gsmtp")),
    (WS, 112, dict(direction="outbound", stage="end-of-data", code="421", enhanced="4.7.0",
                   queue_id="644D53D", remote_host="gmail-smtp-in.l.google.com",
                   remote_ip="74.125.136.26", ts="2024-01-01T00:00:00",
                   text="421-4.7.0 [1.2.3.4      15] Our system has detected an unusual rate of"
                   " 421-4.7.0 unsolicited mail originating from your IP address. To protect our"
                   " 421-4.7.0 users from spam, mail sent from your IP address has been"
                   " temporarily 421-4.7.0 rate limited. Please visit 421-4.7.0 "
                   " https://support.google.com/mail/answer/81126 to review our Bulk Email 421"
                   " 4.7.0 Senders Guidelines. bv15si15610322wjb.142 - gsmtp")),
    # a reply without a status (the next MX is tried): no outcome
    (GH, 2, dict(direction="outbound", stage="mail", code="421", enhanced="4.7.0",
                 queue_id="71575AA03E5", remote_host="mta7.am0.yahoodns.net",
                 remote_ip="67.195.228.109", ts="2024-04-21T08:45:21",
                 text="421 4.7.0 [TSS04] Messages from 78.225.183.108 temporarily deferred due"
                 " to user complaints - 4.16.55.1; see"
                 " https://help.yahoo.com/kb/postmaster/SLN3434.html")),
    (GH, 4, dict(direction="outbound", stage="connect", code="554", queue_id="BFBCAAA050E",
                 remote_host="mxb-001f1301.gslb.pphosted.com", remote_ip="148.163.157.204",
                 ts="2024-04-21T08:45:21",
                 text="554 Blocked - see https://ipcheck.proofpoint.com/?ip=78.225.183.108")),
    # long queue id
    (GH, 5, dict(direction="outbound", stage="connect", code="421", queue_id="4JfcKV3f3Bz1bwc",
                 remote_host="mx2.free.fr", remote_ip="212.27.42.58", ts="2024-01-23T05:33:49",
                 text="421 Refused. Your reverse DNS entry does not resolve to an IP.")),
    # a line cut by syslog: the reply has no closing parenthesis and keeps its inner one
    (GH, 21, dict(direction="outbound", stage="connect", status="deferred", code="554",
                  enhanced="4.0.0", queue_id="9843783F4B", recipient="[some email adress]",
                  remote_host="mx-ha03.web.de", remote_ip="212.227.15.17",
                  ts="2024-02-08T04:49:12",
                  text="554-web.de (mxweb010) Nemesis ESMTP Service not available 554-No SMTP"
                  " service 554-Bad DNS PTR resource record. 554 For explanation visit"
                  " https://web.de/email/senderguidelines?ip=136.244.93.80&c=rdns")),
    # Postfix < 2.3: "server refused to talk to me" inside "connect to"
    (LW, 72, dict(direction="outbound", stage="connect", code="452",
                  remote_host="mail.example.com", remote_ip="10.0.0.1", ts="2024-01-01T00:00:00",
                  text="452 try later (port 25)")),
    # DNS failure, no timestamp (a pod name as host)
    (GH, 42, dict(direction="outbound", stage="connect", status="deferred", enhanced="4.4.3",
                  queue_id="A53C31E428A", recipient="testuser@as8.lab.test",
                  text="Host or domain name not found. Name service error for name=dovecot-ce"
                  " type=AAAA: Host not found, try again")),
    # docker-compose prefix
    (GH, 66, dict(direction="outbound", stage="connect", status="deferred", enhanced="4.4.1",
                  queue_id="489E7186E99C", recipient="xubin990510@gmail.com",
                  remote_host="alt2.gmail-smtp-in.l.google.com", remote_ip="74.125.201.27",
                  ts="2024-05-06T20:29:07",
                  text="connect to alt2.gmail-smtp-in.l.google.com[74.125.201.27]:25: Connection"
                  " timed out")),
    (WS, 30, dict(direction="outbound", stage="rcpt", status="deferred", enhanced="4.4.2",
                  queue_id="2DC5552A34", recipient="user@yahoo.com", ts="2024-01-01T00:00:00",
                  text="delivery temporarily suspended: lost connection with"
                  " mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO")),
    (LW, 160, dict(direction="outbound", stage="connect", status="deferred", enhanced="4.4.2",
                   queue_id="4A5B6C7D8E", recipient="to@sample.net", remote_host="sample.net",
                   remote_ip="10.0.0.1", ts="2024-01-01T00:00:00",
                   text="conversation with example.com[10.0.0.01] timed out while receiving the"
                   " initial server greeting")),
    (WS, 121, dict(direction="outbound", stage="auth", code="535", enhanced="5.7.8",
                   queue_id="D0F29603B4", remote_host="xyz.example.com", remote_ip="1.2.3.4",
                   ts="2024-01-01T00:00:00",
                   text="535 5.7.8 Error: authentication failed: authentication failure")),
    # RFC 3339 with an offset, error transport
    (GH, 38, dict(direction="outbound", status="deferred", enhanced="4.3.0",
                  queue_id="B5D7A1858", recipient="all@remote",
                  ts="2024-04-25T22:16:21.664823+02:00", text="mail transport unavailable")),
    # a trailing number added by the source after the detail's parenthesis
    ("sekoia-intake-formats-postfix.log", 2, dict(
        direction="outbound", stage="connect", status="deferred", enhanced="4.4.1",
        queue_id="2298F5F619", recipient="admin@corp.com", remote_host="mail.corp.com",
        remote_ip="1.1.1.1", ts="2024-01-01T00:00:00",
        text="delivery temporarily suspended: connect to mail.corp.com[1.1.1.1]:25: Connection"
        " timed out")),
    # --- local, pipe, qmgr
    (WS, 34, dict(direction="outbound", status="bounced", enhanced="5.1.1",
                  queue_id="892A0205B6", recipient="ghdsgfhdslfh@localhost",
                  ts="2024-01-01T00:00:00", text='unknown user: "ghdsgfhdslfh"')),
    ("sekoia-intake-formats-postfix.log", 20, dict(
        direction="outbound", status="sent", enhanced="2.0.0", queue_id="175127B26C7",
        recipient="jdoe@example.org", ts="2024-01-01T00:00:00", text="delivered to mailbox")),
    (WS, 41, dict(direction="outbound", status="sent", enhanced="2.0.0", queue_id="0F5383D",
                  recipient="tom@example.com", ts="2024-01-01T00:00:00",
                  text="delivered via dovecot service")),
    ("kumina-postfix_exporter-tests.log", 33, dict(
        direction="outbound", status="expired", queue_id="BACE842E72",
        sender="noreply@domain.com", ts="2024-04-10T14:50:16", text="returned to sender")),
]  # fmt: skip
NOTHING = dict(
    stage="unknown", status=None, code=None, enhanced=None, text=None, remote_host=None,
    remote_ip=None, sender=None, recipient=None, queue_id=None, size=None, ts=None,
)  # fmt: skip


@pytest.mark.parametrize(("name", "lineno", "expected"), GOLDEN, ids=lambda v: str(v)[:40])
def test_golden_line(name: str, lineno: int, expected: dict[str, Any]) -> None:
    [event] = events_at(name, lineno)
    want = {**NOTHING, **expected}
    got = {key: getattr(event, key) for key in want}
    assert got == want
    assert (event.path, event.line, event.mta) == (str(DATA / name), lineno, "postfix")
    assert event.code_inferred is False


def test_golden_set_covers_the_brief() -> None:
    """Each reject kind, each status, and both directions appear in the golden set."""
    texts = {lines_of(DATA / name)[n - 1] for name, n, _ in GOLDEN}
    for kind in ("RCPT", "MAIL", "DATA", "BDAT", "EHLO", "HELO", "CONNECT", "VRFY", "ETRN"):
        assert any(f"reject: {kind} from" in t for t in texts), kind
    statuses = {exp.get("status") for _, _, exp in GOLDEN}
    assert {"sent", "deferred", "bounced", "expired", "rejected", None} <= statuses
    assert len(GOLDEN) >= 30


# ---------------------------------------------------------------------- recall
# A basic reply code in reply position: after ": " or "(", followed by space, "-" or the end.
REPLY_CODE = re.compile(r"(?:: |\()([2-5]\d\d)(?=[ -]|\)|$)")
# Lines where that pattern matches something that is not a reply, with the reason.
NOT_A_REPLY = {
    (F2B, 62): "anvil-style counter: 'rate limit exceeded: 334 from ...' is a count",
    (LW, 33): "postgrey statistics: 'before: 207' is a count",
    **{
        ("sekoia-intake-formats-postfix.log", n): "policyd-spf prints its configured"
        " 'Reject action: 550 5.7.23' on every result, even Pass; the reply is smtpd's reject"
        for n in (35, 36, 37, 46, 60, 61, 62)
    },
    ("github-issues-postfix-pastes-6.log", 28): "policyd-spf's own copy of the reject reply it"
    " hands to smtpd; smtpd's NOQUEUE line is the event",
}


def test_recall_of_reply_codes() -> None:
    total = found = 0
    missed = []
    for path in CORPUS:
        for n, line, events in parse_file(path):
            m = REPLY_CODE.search(line)
            if m is None:
                continue
            total += 1
            if any(ev.code == m.group(1) for ev in events or []):
                found += 1
            else:
                missed.append((path.name, n))
    recall = found / total
    print(f"\nPostfix reply-code recall: {found}/{total} = {recall:.3f}")
    assert set(missed) == set(NOT_A_REPLY), "unexpected misses or fixed ones: update the list"
    assert (found + len(missed)) == total
    assert recall >= 0.95
    assert found / (total - len(NOT_A_REPLY)) == 1.0


def test_every_corpus_line_is_understood() -> None:
    """All lines of these Postfix logs are Postfix's or a mail-log neighbour's: none is None."""
    unrecognized = [
        (path.name, n) for path in CORPUS for n, _, events in parse_file(path) if events is None
    ]
    assert unrecognized == []


def test_one_event_per_line_at_most() -> None:
    """One event a line at most; rsyslog's "message repeated N times: [...]" stands for N."""
    for path in CORPUS:
        for n, line, events in parse_file(path):
            unfolded = unfold(line, line.find(MARK))
            most = unfolded[1] if unfolded is not None else 1
            assert events is None or len(events) <= most, (path.name, n)


# ---------------------------------------------------------------------- ground truth
GENLOG_STATUS = {"reject": "rejected", "reject_warning": None, "-": None}


@pytest.mark.parametrize("name", ["genlog-seed7-bsd", "genlog-seed8-rfc3339"])
def test_generated_log_matches_ground_truth(name: str) -> None:
    """genlog.py's per-line truth: status, code and (reply's, else dsn) enhanced code."""
    truth = {}
    for row in lines_of(DATA / f"{name}.truth.tsv")[1:]:
        n, status, code, enh, dsn = row.split("\t")
        expected_enh = enh if enh != "-" else (dsn if dsn != "-" else None)
        truth[int(n)] = (
            GENLOG_STATUS.get(status, status),
            None if code == "-" else code,
            expected_enh,
        )
    got = {}
    for _n, _line, events in parse_file(DATA / f"{name}.log"):
        assert events is not None
        for ev in events:
            got[ev.line] = (ev.status, ev.code, ev.enhanced)
    assert got == truth
    assert len(truth) > 200


def test_long_queue_ids_correlate_sender_and_size() -> None:
    """Both id formats fill sender and size from qmgr on later delivery lines."""
    events = [
        ev
        for _, _, evs in parse_file(DATA / "genlog-seed8-rfc3339.log")
        for ev in evs or []
        if ev.direction == "outbound" and ev.status in ("sent", "bounced", "deferred")
    ]
    long_ids = [ev for ev in events if ev.queue_id and not ev.queue_id.isupper()]
    short_ids = [ev for ev in events if ev.queue_id and ev.queue_id.isupper()]
    assert long_ids and short_ids
    for group in (long_ids, short_ids):
        with_size = [ev for ev in group if ev.size is not None and ev.sender]
        assert len(with_size) / len(group) > 0.9


# ---------------------------------------------------------------------- constructed lines
# Lines in the formats Postfix's smtp client writes (src/smtp/smtp_proto.c, smtp_connect.c),
# for TLS failures and replies the corpus lacks. Hand-made, hence separate from the golden set.
def feed_one(line: str) -> Event:
    result = PostfixParser("t", year=2025).feed(line, 1)
    assert result is not None and len(result) == 1
    return result[0]


@pytest.mark.parametrize(
    ("detail", "stage", "code", "enhanced"),
    [
        ("TLS is required, but was not offered by host mx.example.com[192.0.2.1]",
         "starttls", None, "4.7.4"),
        ("TLS is required, but host mx.example.com[192.0.2.1] refused to start TLS: 454 4.7.0"
         " TLS not available due to local problem", "starttls", "454", "4.7.0"),
        ("Cannot start TLS: handshake failure", "starttls", None, "4.7.4"),
        ("Server certificate not verified", "starttls", None, "4.7.4"),
        ("lost connection with mx.example.com[192.0.2.1] while performing the EHLO handshake",
         "helo", None, "4.7.4"),
        ("conversation with mx.example.com[192.0.2.1] timed out while sending message body",
         "data", None, "4.7.4"),
        ("host mx.example.com[192.0.2.1] said: 552 5.2.2 Mailbox full (in reply to end of DATA"
         " command)", "end-of-data", "552", "5.2.2"),
        ("host mx.example.com[192.0.2.1] said: 503 Bad sequence (in reply to QUIT command)",
         "quit", "503", "4.7.4"),
    ],
)  # fmt: skip
def test_delivery_details(detail: str, stage: str, code: str | None, enhanced: str) -> None:
    ev = feed_one(
        "Feb  3 04:05:06 mx postfix-out/smtp[42]: 3F2A1C9B: to=<a@example.com>,"
        " relay=mx.example.com[192.0.2.1]:25, delay=1, delays=0.1/0/0.9/0, dsn=4.7.4,"
        f" status=deferred ({detail})"
    )
    assert (ev.stage, ev.code, ev.enhanced, ev.status) == (stage, code, enhanced, "deferred")
    assert (ev.remote_host, ev.remote_ip, ev.ts) == (
        "mx.example.com",
        "192.0.2.1",
        "2025-02-03T04:05:06",
    )


@pytest.mark.parametrize(
    ("prefix", "ts"),
    [
        ("Mar  7 02:09:33 mx", "2025-03-07T02:09:33"),
        ("Mar 7 02:09:33 mx", "2025-03-07T02:09:33"),
        ("2024-11-29 04:43:08 mx", "2024-11-29T04:43:08"),
        ("2024-11-29T04:43:08Z mx", "2024-11-29T04:43:08Z"),
        ("2024-11-29T04:43:08.123456+01:00 mx", "2024-11-29T04:43:08.123456+01:00"),
        ("mail_1  | Mar  7 02:09:33 mx", "2025-03-07T02:09:33"),
        ("Mar  7 02:09:33 mx mail.info", "2025-03-07T02:09:33"),
        ("pod-0", None),
        ("Nov 29 xx:xx:xx mx", None),
    ],
)
def test_timestamp_shapes(prefix: str, ts: str | None) -> None:
    ev = feed_one(prefix + " postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 No")
    assert (ev.ts, ev.code) == (ts, "550")


def test_bsd_timestamps_roll_over_into_the_next_year() -> None:
    p = PostfixParser("t", year=2024)
    line = "{} mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 5.7.1 No"
    stamps = ["Dec 31 23:59:59", "Jan  1 00:00:01", "Mar  2 10:00:00"]
    got = [(p.feed(line.format(ts), n) or [])[0].ts for n, ts in enumerate(stamps, 1)]
    assert got == ["2024-12-31T23:59:59", "2025-01-01T00:00:01", "2025-03-02T10:00:00"]


def test_quoted_local_part_with_comma() -> None:
    ev = feed_one(
        'Feb  3 04:05:06 mx postfix/smtp[42]: 3F2A1C9B: to=<"a,b"@example.com>,'
        ' orig_to=<"c,d"@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1,'
        " delays=0.1/0/0.9/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XYZ)"
    )
    assert (ev.recipient, ev.status, ev.code) == ('"a,b"@example.com', "sent", "250")


def test_soft_bounce_and_verify_probes() -> None:
    base = "Feb  3 04:05:06 mx postfix/smtp[42]: 3F2A1C9B: to=<a@b.example>, relay=none, dsn=5.1.1"
    assert feed_one(base + ", status=SOFTBOUNCE (unknown user)").status == "deferred"
    assert feed_one(base + ", status=undeliverable (unknown user)").status is None


def test_neighbours_and_garbage() -> None:
    p = PostfixParser("t", year=2025)
    neighbour = [
        "Nov 29 00:00:02 mx1 amavis[2276]: (02276-35) Passed CLEAN {RelayedInbound}",
        "Nov 29 00:00:01 mx1 opendkim[2193]: 1BBB92DC6C1: DKIM verification successful",
        "Nov 29 00:00:02 mx1 dovecot: imap-login: Login: user=<a@b>, method=PLAIN",
        "Nov 29 00:00:03 mx1 policyd-spf[12]: prepend Received-SPF: Pass (mailfrom)",
        "Nov 29 00:00:03 mx1 postgrey[12]: action=greylist, reason=new",
    ]
    garbage = [
        "",
        "hello world",
        "Nov 29 00:00:03 mx1 sm-mta[12]: x1: to=<a@b>, stat=Sent",
        "2024-11-29 00:00:01 1tGx-000 <= a@b H=x [1.2.3.4] P=esmtp S=1",
        "\x00\x01\x02: \xff",
    ]
    assert [p.feed(line, 1) for line in neighbour] == [[]] * len(neighbour)
    assert [p.feed(line, 1) for line in garbage] == [None] * len(garbage)


def test_lines_without_reply_are_ignored_not_events() -> None:
    p = PostfixParser("t", year=2025)
    quiet = [
        "postscreen[1]: PREGREET 14 after 0.08 from [192.0.2.2]:5: EHLO x\\r\\n",
        "postscreen[1]: DNSBL rank 5 for [192.0.2.2]:59415",
        "postscreen[1]: HANGUP after 16 from [192.0.2.3]:4 in tests after SMTP handshake",
        "smtp[2]: connect to mx.example[192.0.2.4]:25: Connection timed out",
        "smtpd[3]: connect from unknown[192.0.2.5]",
        "anvil[4]: statistics: max connection rate 1/60s for (smtp:1.2.3.4) at Nov 29 00:00:00",
        "qmgr[5]: 1BBB92DC6C1: removed",
        "smtpd[3]: warning: unknown[192.0.2.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        "cleanup[6]: 1BBB92DC6C1: message-id=<x@y>",
        "bounce[7]: 1BBB92DC6C1: sender non-delivery notification: 2AA",
    ]
    quiet = ["Nov 29 00:00:00 mx1 postfix/" + line for line in quiet]
    assert [p.feed(line, 1) for line in quiet] == [[]] * len(quiet)


# ---------------------------------------------------------------------- queue state
def test_queue_state_is_filled_and_evicted_on_removed() -> None:
    p = PostfixParser("t", year=2025)
    qmgr = "Nov 29 00:00:01 mx postfix/qmgr[7]: "
    p.feed(qmgr + "4NXMhD0pFtz9sT7: from=<s@x.example>, size=77, nrcpt=2 (queue active)", 1)
    assert p.queue.get("4NXMhD0pFtz9sT7") == ("s@x.example", 77)
    p.feed(qmgr + "4NXMhD0pFtz9sT7: removed", 2)
    assert p.queue.get("4NXMhD0pFtz9sT7") is None
    assert len(p.queue) == 0


def test_queue_state_is_bounded_by_count_and_age() -> None:
    p = PostfixParser("t", year=2025, max_queue_ids=50, max_queue_age=300)
    for n in range(1, 2001):
        qmgr = "Nov 29 00:00:01 mx postfix/qmgr[7]: "
        p.feed(qmgr + f"{n:010X}: from=<s@x>, size={n}, nrcpt=1 (queue active)", n)
        assert len(p.queue) <= 50
    assert p.queue.get(f"{2000:010X}") == ("s@x", 2000)
    assert p.queue.get(f"{1:010X}") is None
    q = QueueState(max_entries=1000, max_age=10)
    for n in range(1, 600):
        q.put(f"Q{n}", None, None, now=n)
    q.expire(now=600)
    assert len(q) == 10


# ---------------------------------------------------------------------- detect
def test_detect_postfix_logs() -> None:
    for name in (F2B, GH, "kumina-postfix_exporter-tests.log", "crowdsec-hub-postfix-tests.log",
                 "genlog-seed7-bsd.log", "genlog-seed8-rfc3339.log"):  # fmt: skip
        head = lines_of(DATA / name)[:50]
        assert PostfixParser.detect(head, name) >= 0.9, name


def test_detect_neighbours_alone_is_not_postfix() -> None:
    head = [
        "Nov 29 00:00:01 mx1 opendkim[2193]: 1BBB92DC6C1: DKIM verification successful",
        "Nov 29 00:00:02 mx1 dovecot/imap[12]: Logged out in=1 out=2",
    ]
    assert PostfixParser.detect(head, None) == 0.0
    head.append("Nov 29 00:00:03 mx1 postfix/qmgr[7]: 1BBB92DC6C1: removed")
    assert PostfixParser.detect(head, None) == 1.0


def test_registered_and_picked_by_the_registry() -> None:
    registry = Registry.load()
    assert registry.get("postfix") is PostfixParser
    head = lines_of(DATA / "genlog-seed7-bsd.log")[:50]
    assert registry.detect(head, "mail.log") is PostfixParser


# ---------------------------------------------------------------------- properties
# Random and mutated input for every parser: tests/unit/parsing/test_parser_robustness.py.


def test_huge_line_is_handled() -> None:
    p = PostfixParser("t")
    line = "Nov 29 00:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 550 "
    line += "x" * 10_000_000
    [ev] = p.feed(line, 1) or []
    assert ev.code == "550" and ev.status == "rejected"
    assert p.feed("y" * 10_000_000, 2) is None
    fields = "Nov 29 00:00:00 mx postfix/smtp[1]: AB12CD: to=<a@b>, relay=x[192.0.2.1]:25, "
    [ev] = p.feed(fields + "delay=1, " * 500_000 + "status=sent (250 ok)", 3) or []
    assert (ev.status, ev.code, ev.remote_ip) == ("sent", "250", "192.0.2.1")
