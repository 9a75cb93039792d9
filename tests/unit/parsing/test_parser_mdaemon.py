"""The MDaemon parser on SMTP-in, SMTP-out and real-time all-in-one logs."""

from __future__ import annotations

import doctest
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import logscan.parsing.smtp_dialogue
import parsers.mdaemon
from logscan.core.event import Event
from logscan.parsing.registry import Registry
from parsers.exchange import ExchangeParser
from parsers.mdaemon import MDaemonParser
from tests.helpers.log_replay import DATA, Row, event_rows, replay, reply_recall

MDAEMON = DATA / "mdaemon"
FILES = sorted(MDAEMON.iterdir())
HAND_WRITTEN = {
    "MDaemon-SMTP-out-2024-03-12.log",
    "MDaemon-SMTP-in-2024-03-12.log",
    "MDaemon-all-realtime-2024-03-12.log",
}


def rows(name: str) -> list[Row]:
    return event_rows(MDaemonParser, MDAEMON / name)


# -- golden ------------------------------------------------------------------------------------


def test_real_dsn_transcript_golden() -> None:
    rcpt = "user@recipient.example"
    assert rows("jira-export-SNB-235-mdaemon-dsn-transcript.log") == [
        (18, "outbound", "connect", None, "220", None, rcpt),
        (28, "outbound", "helo", None, "250", None, rcpt),  # nine reply lines, one event
        (30, "outbound", "mail", None, "250", "2.1.0", rcpt),
        (32, "outbound", "rcpt", "deferred", "450", "4.7.25", rcpt),
        (34, "outbound", "quit", None, "221", "2.0.0", rcpt),
    ]


def test_real_dsn_transcript_exact_event() -> None:
    events = replay(MDaemonParser, MDAEMON / "jira-export-SNB-235-mdaemon-dsn-transcript.log")
    assert events.events[3] == Event(
        path="jira-export-SNB-235-mdaemon-dsn-transcript.log",
        line=32,
        mta="mdaemon",
        direction="outbound",
        stage="rcpt",
        status="deferred",
        code="450",
        enhanced="4.7.25",
        text="450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.67]",
        ts="2022-08-09T07:47:32",
        remote_host="mx.recipient.example",
        remote_ip="203.0.113.213",
        sender="sender@sender.example",
        recipient="user@recipient.example",
        queue_id="pd90001015916",
    )


def test_real_dns_failure_is_a_deferred_outcome_without_code() -> None:
    [ev] = replay(
        MDaemonParser, MDAEMON / "java-bounceparser-MDaemonProParser-dsn-transcript.log"
    ).events
    assert ev == Event(
        path="java-bounceparser-MDaemonProParser-dsn-transcript.log",
        line=12,
        mta="mdaemon",
        direction="outbound",
        stage="connect",
        status="deferred",
        text="Name server reports domain name unknown",
        ts="2013-09-11T12:22:05",
        remote_host="mx.recipient.example",
        sender="alerts@sender.example",
        recipient="user@recipient.example",
        queue_id="pd50004034668",
    )


def test_smtp_out_golden() -> None:
    gmail, old, gone, fab = (
        "pat.jones@gmail.com",
        "old.account@gmail.com",
        "ops@gone-away.example",
        "orders@fabrikam.example",
    )
    assert rows("MDaemon-SMTP-out-2024-03-12.log") == [
        (19, "outbound", "connect", None, "220", None, gmail),
        (27, "outbound", "helo", None, "250", None, gmail),
        (29, "outbound", "starttls", None, "220", "2.0.0", gmail),
        (34, "outbound", "helo", None, "250", None, gmail),
        (36, "outbound", "mail", None, "250", "2.1.0", gmail),
        (38, "outbound", "rcpt", None, "250", "2.1.5", gmail),
        (40, "outbound", "data", None, "354", None, gmail),
        (43, "outbound", "end-of-data", "sent", "250", "2.0.0", gmail),
        (45, "outbound", "quit", None, "221", "2.0.0", gmail),
        (59, "outbound", "connect", None, "220", None, old),
        (62, "outbound", "helo", None, "250", None, old),
        (64, "outbound", "mail", None, "250", "2.1.0", old),
        (69, "outbound", "rcpt", "bounced", "550", "5.1.1", old),  # 4 lines of 550-, one event
        (71, "outbound", "quit", None, "221", "2.0.0", old),
        (83, "outbound", "connect", "deferred", None, None, gone),  # DNS failure ends the attempt
        # The timeout to MX 1 (line 99) is no outcome: MX 2 answered.
        (111, "outbound", "connect", None, "220", None, fab),
        (115, "outbound", "helo", None, "250", None, fab),
        (117, "outbound", "mail", None, "250", "2.1.0", fab),
        (119, "outbound", "rcpt", "deferred", "452", "4.2.2", fab),
        (121, "outbound", "quit", None, "221", "2.0.0", fab),
    ]


def test_smtp_out_multiline_text_is_joined() -> None:
    events = replay(MDaemonParser, MDAEMON / "MDaemon-SMTP-out-2024-03-12.log").events
    ev = next(e for e in events if e.line == 69)
    assert ev.text == (
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "550-5.1.1 double-checking the recipient's email address for typos or "
        "550-5.1.1 unnecessary spaces. For more information, go to "
        "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser "
        "5b1f17b1804b1-41316e4fa5bsi1234567f9.40 - gsmtp"
    )
    assert (ev.remote_ip, ev.queue_id, ev.ts) == (
        "142.250.27.27",
        "pd50000012002",
        "2024-03-12T09:12:30.240",
    )


def test_smtp_in_golden() -> None:
    assert rows("MDaemon-SMTP-in-2024-03-12.log") == [
        (6, "inbound", "connect", None, "220", None, None),
        (15, "inbound", "helo", None, "250", None, None),
        (17, "inbound", "auth", None, "334", None, None),
        (19, "inbound", "auth", None, "334", None, None),  # the client's base64 is no command
        (21, "inbound", "auth", None, "535", "5.7.8", None),
        (23, "inbound", "quit", None, "221", "2.0.0", None),
        (32, "inbound", "connect", None, "554", "5.7.1", None),
        (39, "inbound", "connect", None, "220", None, None),
        (43, "inbound", "helo", None, "250", None, None),
        (47, "inbound", "mail", None, "250", "2.1.0", None),
        (49, "inbound", "rcpt", None, "250", "2.1.5", "alice@contoso.example"),
        (51, "inbound", "rcpt", "rejected", "550", "5.1.1", "nobody@contoso.example"),
        (53, "inbound", "data", None, "354", None, "alice@contoso.example"),
        (55, "inbound", "end-of-data", None, "250", "2.6.0", "alice@contoso.example"),
        (57, "inbound", "quit", None, "221", "2.0.0", None),
    ]


def test_smtp_in_exact_event() -> None:
    events = replay(MDaemonParser, MDAEMON / "MDaemon-SMTP-in-2024-03-12.log").events
    assert next(e for e in events if e.code == "554") == Event(
        path="MDaemon-SMTP-in-2024-03-12.log",
        line=32,
        mta="mdaemon",
        direction="inbound",
        stage="connect",
        code="554",
        enhanced="5.7.1",
        text="554 5.7.1 Your IP (203.0.113.155) is blacklisted by zen.spamhaus.org",
        ts="2024-03-12T10:21:10.091",
        remote_host="mail.bulk-sender.example",  # from the PTR lookup line
        remote_ip="203.0.113.155",
    )


def test_interleaved_realtime_sessions_keep_their_own_state() -> None:
    assert rows("MDaemon-all-realtime-2024-03-12.log") == [
        (7, "inbound", "connect", None, "220", None, None),
        (12, "outbound", "connect", None, "421", "4.7.0", "buyer@yahoo.com"),
        # the 250- of session 48401 resumes after the other session's line
        (13, "inbound", "helo", None, "250", None, None),
        (16, "inbound", "mail", None, "250", "2.1.0", None),
        (18, "inbound", "rcpt", "rejected", "551", "5.7.1", "friend@elsewhere.example"),
        (20, "inbound", "quit", None, "221", "2.0.0", None),
    ]


def test_lines_without_reply_are_ignored_and_foreign_lines_unrecognized() -> None:
    for path in FILES:
        run = replay(MDaemonParser, path)
        assert "unrecognized" not in run.outcomes.values(), path.name
    parser = MDaemonParser(path="x.log")
    assert parser.feed("Jan  5 12:34:56 mx1 postfix/smtp[42]: 3F2A1: to=<a@b.c>", 1) is None
    assert parser.feed("", 2) is None


def test_imap_session_in_the_all_log_gives_no_events() -> None:
    parser = MDaemonParser(path="MDaemon-all.log")
    lines = [
        "Tue 2024-03-12 09:00:00: [9:1] Session 9; child 0001",
        "Tue 2024-03-12 09:00:00: [9:1] Accepting IMAP connection from [192.0.2.7:50000]",
        "Tue 2024-03-12 09:00:00: [9:1] --> * OK mail.contoso.example IMAP4rev1 MDaemon ready",
        "Tue 2024-03-12 09:00:01: [9:1] <-- 101 LOGIN alice ****",
        "Tue 2024-03-12 09:00:01: [9:1] --> 101 NO LOGIN failed",
    ]
    assert [parser.feed(t, n) for n, t in enumerate(lines, 1)] == [[], [], [], [], []]
    assert parser.flush() == []


def test_unfinished_multiline_reply_is_flushed() -> None:
    parser = MDaemonParser(path="MDaemon-SMTP-out.log")
    parser.feed("Tue 2024-03-12 09:00:00: Session 1; child 0001", 1)
    parser.feed("Tue 2024-03-12 09:00:00: --> EHLO a.example", 2)
    assert parser.feed("Tue 2024-03-12 09:00:01: <-- 250-b.example", 3) == []
    assert parser.feed("Tue 2024-03-12 09:00:01: <-- 250-SIZE 100", 4) == []
    [ev] = parser.flush()
    assert (ev.line, ev.stage, ev.code, ev.ts) == (4, "helo", "250", "2024-03-12T09:00:01")


def test_next_session_header_closes_the_previous_one() -> None:
    parser = MDaemonParser(path="MDaemon-SMTP-out.log")
    parser.feed("Tue 2024-03-12 09:00:00: Session 1; child 0001", 1)
    parser.feed("Tue 2024-03-12 09:00:00: *  To: a@example.com", 2)
    parser.feed("Tue 2024-03-12 09:00:00: Attempting SMTP connection to [example.com]", 3)
    assert parser.feed("Tue 2024-03-12 09:00:05: *  Connection refused", 4) == []
    [ev] = parser.feed("Tue 2024-03-12 09:01:00: Session 2; child 0001", 5) or []
    assert (ev.line, ev.status, ev.code, ev.recipient) == (4, "deferred", None, "a@example.com")
    assert parser.flush() == []


# -- recall -------------------------------------------------------------------------------------

_ARROW_REPLY = re.compile(
    r"^\s*\w{3} [\d-]+ [\d:.]+: (?:\[\d+:\d+\] )?(?:<--|-->) ([2-5]\d\d)(?: |$)"
)


def reply_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line, code) of every final reply line, found without the parser's code."""
    for lineno, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _ARROW_REPLY.match(text)
        if m is not None:
            yield lineno, m.group(1)


@pytest.mark.parametrize("real", [True, False], ids=["corpus", "hand-written"])
def test_recall(real: bool) -> None:
    paths = [p for p in FILES if (p.name not in HAND_WRITTEN) == real]
    found, total = reply_recall(MDaemonParser, paths, reply_lines)
    recall = found / total
    print(
        f"mdaemon recall ({'corpus' if real else 'hand-written'}): {found}/{total} = {recall:.3f}"
    )
    assert total >= 5
    assert recall >= 0.95


# -- robustness ---------------------------------------------------------------------------------
# Random and mutated input for every parser: tests/unit/parsing/test_parser_robustness.py.


def test_huge_line_does_not_raise() -> None:
    parser = MDaemonParser(path="MDaemon-SMTP-in.log")
    [ev] = parser.feed("Tue 2024-03-12 09:00:00: --> 554 " + "x" * 10_000_000, 1) or []
    assert ev.code == "554"


def test_session_state_is_bounded() -> None:
    parser = MDaemonParser(path="MDaemon-all.log")
    limit = logscan.parsing.smtp_dialogue.MAX_SESSIONS
    for i in range(limit + 300):
        parser.feed(f"Tue 2024-03-12 09:00:00: [{i}:1] <-- EHLO x", i + 1)
    assert len(parser._sessions) == limit


# -- detect -------------------------------------------------------------------------------------


def head(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[:20]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_detect_own_logs_high(path: Path) -> None:
    assert MDaemonParser.detect(head(path), str(path)) >= 0.9
    assert MDaemonParser.detect(head(path), None) >= 0.9
    assert ExchangeParser.detect(head(path), str(path)) < 0.1


@pytest.mark.parametrize(
    "name",
    ["MDaemon-SMTP-in-2024-03-12.log", "MDaemon-SMTP-out-2024-03-12.log", "MDaemon-all.log"],
)
def test_detect_from_file_name(name: str) -> None:
    assert MDaemonParser.detect([], f"C:/MDaemon/Logs/{name}") >= 0.9


def test_registered_and_picked_by_the_registry() -> None:
    reg = Registry.load()
    assert reg.get("mdaemon") is MDaemonParser
    assert reg.detect(head(MDAEMON / "MDaemon-SMTP-in-2024-03-12.log"), None) is MDaemonParser


def test_module_docstring_examples() -> None:
    result = doctest.testmod(parsers.mdaemon)
    assert result.attempted > 0
    assert result.failed == 0


# -- MDaemon 18+ line format and multi-line replies (issue 12) ---------------------------------

# MDaemon 18 and later: weekday, ISO date, milliseconds, a thread number, the session id. The
# first reply line is the one quoted in the issue; the rest follow MDaemon's session layout.
V18_SESSIONS = [
    "Thu 2019-02-07 11:10:18.550: 03: [183789] Session 183789; child 3",
    "Thu 2019-02-07 11:10:18.551: 03: [183789] Accepting SMTP connection from [192.0.2.5:51234]",
    "Thu 2019-02-07 11:10:18.554: 03: [183789] --> 220 mail.example.com ESMTP MDaemon 18.5.2",
    "Thu 2019-02-07 11:10:18.600: 07: [183790] Session 183790; child 7",
    "Thu 2019-02-07 11:10:18.601: 07: [183790] Attempting SMTP connection to [mx.example.net]",
    "Thu 2019-02-07 11:10:18.700: 07: [183790] <-- 220 mx.example.net ESMTP",
    "Thu 2019-02-07 11:10:18.701: 03: [183789] <-- EHLO client.example.org",
    "Thu 2019-02-07 11:10:18.702: 07: [183790] --> MAIL From:<a@example.com>",
    "Thu 2019-02-07 11:10:18.703: 03: [183789] --> 250 mail.example.com Hello",
    "Thu 2019-02-07 11:10:18.800: 07: [183790] <-- 451-The server has reached its limit "
    "for processing requests from your host.",
    "Thu 2019-02-07 11:10:18.801: 07: [183790] <-- 451 Please try again later.",
]


def test_mdaemon_18_format_gives_events_per_session() -> None:
    p = MDaemonParser("MDaemon-SMTP-all.log", year=2019)
    events = [ev for i, line in enumerate(V18_SESSIONS, 1) for ev in p.feed(line, i) or []]
    got = [(e.line, e.direction, e.stage, e.code, e.ts) for e in events]
    assert got == [
        (3, "inbound", "connect", "220", "2019-02-07T11:10:18.554"),
        (6, "outbound", "connect", "220", "2019-02-07T11:10:18.700"),
        (9, "inbound", "helo", "250", "2019-02-07T11:10:18.703"),
        (11, "outbound", "mail", "451", "2019-02-07T11:10:18.801"),
    ]
    assert events[-1].remote_host == "mx.example.net"
    assert MDaemonParser.detect(V18_SESSIONS, "mail.log") >= 0.9


def test_multiline_reply_is_classified_on_its_whole_text() -> None:
    """The first line says why (a rate limit), the last only "try again later": the
    category must come from the whole reply, in every parser that reads one line per reply
    line."""
    from logscan.classify.classifier import Classifier

    clf = Classifier.load()
    p = MDaemonParser("MDaemon-SMTP-out.log", year=2019)
    [*_, ev] = [ev for i, line in enumerate(V18_SESSIONS, 1) for ev in p.feed(line, i) or []]
    assert ev.text is not None and ev.text.startswith("451-The server has reached its limit")
    assert clf.classify_event(ev).verdict.category == "rate-limited"
    assert clf.classify("451", None, "451 Please try again later.").category != "rate-limited"

    exchange = ExchangeParser("SEND20190207-1.LOG", year=2019)
    header = [
        "#Software: Microsoft Exchange Server",
        "#Version: 15.0.0.0",
        "#Log-type: SMTP Send Protocol Log",
        "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
        "remote-endpoint,event,data,context",
    ]
    body = [
        "2019-02-07T11:10:18.700Z,Out,08D68C,0,10.0.0.5:10437,192.0.2.9:25,<,220 mx ESMTP,",
        "2019-02-07T11:10:18.702Z,Out,08D68C,1,10.0.0.5:10437,192.0.2.9:25,>,"
        "MAIL FROM:<a@example.com>,",
        "2019-02-07T11:10:18.800Z,Out,08D68C,2,10.0.0.5:10437,192.0.2.9:25,<,451-The server "
        "has reached its limit for processing requests from your host.,",
        "2019-02-07T11:10:18.801Z,Out,08D68C,3,10.0.0.5:10437,192.0.2.9:25,<,"
        "451 Please try again later.,",
    ]
    evs = [ev for i, line in enumerate(header + body, 1) for ev in exchange.feed(line, i) or []]
    last = evs[-1]
    assert (last.code, last.stage) == ("451", "mail")
    assert clf.classify_event(last).verdict.category == "rate-limited"


# -- MDaemon 26: the file header, endpoints without brackets (issue 12) ------------------------


def test_mdaemon_26_file_header_is_ignored_not_unrecognized() -> None:
    """The header of a real (sanitised) MDaemon PRO v26.0.3 SMTP (in) log: four lines."""
    run = replay(MDaemonParser, MDAEMON / "viegard-sentinel-mdaemon26-smtp-in-fixture.log")
    assert [run.outcomes[n] for n in (1, 2, 3, 4)] == ["ignored"] * 4
    assert [(e.line, e.code, e.enhanced) for e in run.events] == [(7, "535", "5.7.8")]


def test_mdaemon_26_endpoint_without_brackets_names_the_client() -> None:
    # The Accepting line is the real v26 one (viegard-sentinel fixture); the reply follows it in
    # the same thread, as MDaemon writes a session.
    p = MDaemonParser("MDaemon-2026-08-18-SMTP-(in).log")
    pre = "Tue 2026-08-18 00:00:48.993: 05: "
    p.feed(pre + "Session 09012313; child 0001", 1)
    p.feed(pre + "Accepting SMTP connection from 203.0.113.10:45584 to 192.168.0.10:25", 2)
    [ev] = p.feed(pre + "--> 535 5.7.8 Authentication failed", 3) or []
    assert (ev.direction, ev.remote_ip, ev.remote_host) == ("inbound", "203.0.113.10", None)


def test_real_mdaemon_13_smtp_in_session_golden() -> None:
    """A real MDaemon 13.5.1 MSA session pasted in a GitHub issue: STARTTLS, a second EHLO and
    AUTH CRAM-MD5, each multi-line reply one event on its last line."""
    assert rows("github-issue-mailsend-go-52-mdaemon13-smtp-in.log") == [
        (2, "inbound", "connect", None, "220", None, None),
        (8, "inbound", "helo", None, "250", None, None),
        (10, "inbound", "starttls", None, "220", None, None),
        (16, "inbound", "helo", None, "250", None, None),
        (18, "inbound", "auth", None, "334", None, None),
    ]


# -- MDaemon's own over-quota reply (issue 12) ------------------------------------------------

_STORAGE = "452 Requested action not taken: insufficient system storage"


def test_mdaemon_452_storage_reply_is_an_account_over_quota_only_when_mdaemon_wrote_it() -> None:
    """MDaemon answers a recipient over quota with RFC 5321's 452 storage text and no enhanced
    code (MDaemon help, "Quotas"); from any other server the same text is its disk. The rule
    (`written_by = "mdaemon"` in rules/signatures.toml) holds for MDaemon's own replies only:
    the SMTP-in log's, not a remote server's in the SMTP-out log."""
    from logscan.classify.classifier import Classifier

    clf = Classifier.load()
    session = [
        "Tue 2024-03-12 10:22:30.101: ----------",
        "Tue 2024-03-12 10:22:30.101: Session 48230; child 0001",
        "Tue 2024-03-12 10:22:30.101: Accepting SMTP connection from [198.51.100.23 : 50512]",
        "Tue 2024-03-12 10:22:30.600: <-- MAIL From:<reports@partner.example> SIZE=18422",
        "Tue 2024-03-12 10:22:30.641: --> 250 2.1.0 Sender OK",
        "Tue 2024-03-12 10:22:30.700: <-- RCPT To:<alice@contoso.example>",
        f"Tue 2024-03-12 10:22:30.701: --> {_STORAGE}",
    ]
    inbound = MDaemonParser("MDaemon-SMTP-in-2024-03-12.log", year=2024)
    [*_, ev] = [ev for i, line in enumerate(session, 1) for ev in inbound.feed(line, i) or []]
    assert (ev.direction, ev.code, ev.text) == ("inbound", "452", _STORAGE)
    verdict = clf.classify_event(ev).verdict
    assert (verdict.category, verdict.rule) == ("mailbox-full", "signature:mdaemon-over-quota")

    # The same reply from a remote server (MDaemon's SMTP-out log), or written by Postfix.
    remote = Event("out.log", 9, "mdaemon", "outbound", code="452", stage="rcpt", text=_STORAGE)
    postfix = Event("mail.log", 9, "postfix", "inbound", code="452", stage="rcpt", text=_STORAGE)
    for other in (remote, postfix):
        assert clf.classify_event(other).verdict.category == "server-error"
