"""Real Exim and Exchange lines collected for issue 12, sixth round (tests/data/SOURCES.md,
"Collected for issue 12, sixth round: Exim and Exchange"), scored blind before any fix, and the
family the blind score showed missing: an Exchange Send session's own failures, which the
protocol log writes as information (``*``) with no reply of the remote server."""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import Event
from logscan.parsing.reply import enhanced_in_text
from logscan.parsing.smtp_dialogue import reply_start
from parsers.exchange import ExchangeParser
from parsers.exchange_protocol import ProtocolLog
from parsers.exim import EximParser
from tests.helpers.log_replay import DATA, replay

EXIM = DATA / "exim"
EXCHANGE = DATA / "exchange"

# (line, status, stage, code, category) of each event, from an expert's reading of the lines.
TESTTASK_2012 = [
    (2, "deferred", "unknown", None, "info"),  # queue_smtp_domains: queued on purpose
    (4, "bounced", "rcpt", "550", "blocklisted"),
    (6, "sent", "unknown", None, "delivered"),  # => :blackhole:
    (11, "bounced", "end-of-data", "554", "mailbox-disabled"),
    (12, "deferred", "unknown", None, "network"),
    (13, "sent", "end-of-data", "250", "delivered"),
    (19, "deferred", "unknown", None, "info"),
    (20, "bounced", "rcpt", "550", "mailbox-unknown"),
    (21, "deferred", "unknown", None, "info"),
    (22, "bounced", "rcpt", "553", "relay-denied"),
]


def test_exim_test_task_lines_of_2012_give_one_right_event_per_outcome(clf: Classifier) -> None:
    """Arrivals, bounce messages, "Completed", locked spool files and per-host timeouts are no
    outcomes; each delivery, deferral and bounce is one, with the category its text says."""
    run = replay(EximParser, EXIM / "code-index-exim-testtask-2012-6.log")
    assert "unrecognized" not in run.outcomes.values()
    got = [
        (e.line, e.status, e.stage, e.code, clf.classify_event(e).verdict.category)
        for e in run.events
    ]
    assert got == TESTTASK_2012


def test_exim_issue_pastes_give_the_outcome_their_text_says(clf: Classifier) -> None:
    """Mimecast's 451 after RCPT is its greylisting; Exim's own "retry time not reached for any
    host" is a deferral whose cause is the hosts' earlier failures; a quota expansion that
    yields "0MM" is the configuration's fault (VestaCP); cPanel's "cwd=... args:" lines are
    no outcomes."""
    run = replay(EximParser, EXIM / "github-issues-exim-pastes-6.log")
    assert list(run.outcomes.values()) == ["event"] * 3 + ["ignored"] * 4
    got = [(e.line, e.status, e.stage, e.code) for e in run.events]
    assert got == [
        (1, None, "rcpt", "451"),
        (2, "deferred", "unknown", None),
        (3, "deferred", "unknown", None),
    ]
    verdicts = [clf.classify_event(e).verdict for e in run.events]
    assert [(v.category, v.provider) for v in verdicts] == [
        ("greylisted", "mimecast"),
        ("network", None),
        ("server-error", None),
    ]


# -- Exchange: a Send session's own failures ---------------------------------------------------


def test_a_send_session_whose_exchange_authentication_fails_is_a_deferral(
    clf: Classifier,
) -> None:
    """The Exchange 2013 Send log of Case 17388217 (a broken AD trust): after the EHLO reply,
    "Outbound Authentication failed with LogonDenied" ends the session; the messages stay
    queued. Blind, logscan gave only the EHLO reply (info) and missed the failure."""
    run = replay(
        ExchangeParser, EXCHANGE / "code-index-cn-exchange2013-smtpsend-logondenied-2019.log"
    )
    ehlo, failure = run.events
    assert (ehlo.line, ehlo.code, clf.classify_event(ehlo).verdict.category) == (18, "250", "info")
    assert (failure.line, failure.direction, failure.stage, failure.status, failure.code) == (
        19,
        "outbound",
        "auth",
        "deferred",
        None,
    )
    assert failure.text == "Outbound Authentication failed with LogonDenied"
    assert (failure.remote_ip, failure.ts) == ("10.**.**.168", "2019-11-04T06:00:35.496Z")
    assert clf.classify_event(failure).verdict.category == "auth-failed"


def test_a_capabilities_only_send_session_gives_no_outcome() -> None:
    """The TechNet Send log of 2013 (Outbound to Office 365): EHLO and its reply only."""
    run = replay(
        ExchangeParser, EXCHANGE / "technet-2013-exchange-smtpsend-outbound-to-office365.log"
    )
    assert [(e.line, e.code, e.status) for e in run.events] == [(7, "250", None)]


SESSION = "2017-02-28T10:00:00.000Z,Outbound to Office 365,08D45F0000000001,"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("send", [(3, "starttls", "deferred")]), ("receive", [])],
)
def test_a_tls_failure_is_the_send_side_s_outcome_only(
    clf: Classifier, kind: str, expected: list[tuple[int, str, str]]
) -> None:
    """Microsoft's "TLS negotiation failed with error NoCredentials" article: the Send log's
    information line, the messages deferred. In a Receive log the same words are the client's
    handshake, no delivery of ours."""
    log = ProtocolLog("SEND20170228-1.LOG", kind)
    events = []
    for n, row in enumerate(
        [
            "1,10.0.0.5:25123,203.0.113.25:25,>,STARTTLS,",
            "2,10.0.0.5:25123,203.0.113.25:25,<,220 2.0.0 SMTP server ready,",
            "3,10.0.0.5:25123,203.0.113.25:25,*,,TLS negotiation failed with error NoCredentials",
        ],
        1,
    ):
        events.extend(log.feed(SESSION + row, n) or [])
    failures = [e for e in events if e.code is None]
    assert [(e.line, e.stage, e.status) for e in failures] == expected
    for ev in failures:
        assert clf.classify_event(ev).verdict.category == "tls-required"


# -- Exchange queue errors pasted as text (no log form: classified, not parsed) ----------------

QUEUE_ERRORS = [
    # TechNet blog of John Bai, 2013-12-06 (Exchange 2010/2013 to Exchange Online Protection)
    (
        "451 4.4.0 Primary target IP address responded with: “451 5.7.3 Must issue a STARTTLS"
        " command first.” Attempted failover to alternate host, but that did not succeed."
        " Either there are no alternate hosts, or delivery failed to all alternate hosts.",
        "tls-required",
    ),
    # supertekboy.com, 2017-02-28 (Exchange 2016 hybrid)
    (
        '451 4.4.0 Primary target IP address responded with: "421 4.2.1 Unable to connect."'
        " Attempted failover to alternate host, but that did not succeed. Either there are no"
        " alternate hosts, or deliver failed to all alternate hosts.",
        "network",
    ),
    # nuangel.net, 2013-01 (Exchange 2010 behind a port-25-blocking antivirus)
    (
        "451 4.4.0 primary target IP address responded with “421.4.4.2 unable to connect.”"
        " Attempted failover to alternate host, but that did not succeed. Either there are no"
        " alternate hosts, or delivery failed to all alternate hosts.",
        "network",
    ),
    # a Chinese case note (Case 17388217, 2019): the LastError of Get-Queue, as transcribed
    (
        '451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary'
        ' authentication failure." Attempted to alternate host, but that did not succeed.'
        " Either there are no alternate hosts, or delivery failed to all alternate hosts.",
        "auth-failed",
    ),
    # oddytee.wordpress.com, 2014-12-23 (Exchange 2013 hybrid): the NDR's remote status
    ("Remote Server returned '< #4.4.7 smtp;550 4.4.7 QUEUE.Expired; message expired>'", "network"),
]


@pytest.mark.parametrize(("text", "category"), QUEUE_ERRORS)
def test_exchange_queue_errors_are_classified_by_the_reply_they_quote(
    clf: Classifier, text: str, category: str
) -> None:
    start = reply_start(text)
    code = start[0] if start is not None else None
    assert clf.classify(code, enhanced_in_text(text), text).category == category


# -- Exim: its own fatal error, as a client sees it ----------------------------------------------


def test_exim_s_panic_die_reply_is_a_server_error_not_a_busy_server(clf: Classifier) -> None:
    """MailCleaner#359 (2021): a paniclog error made Exim die with log.c's "Unexpected failure,
    please try later", a 421 to the relaying Exchange. Blind: service-unavailable, as any 421
    "please try later"; the server failed, it was not busy."""
    assert clf.classify("421", None, "421 Unexpected failure, please try later").category == (
        "server-error"
    )
    [ev] = feed_exim(
        "2021-06-29 10:00:00 1lyAbc-0001Xy-Zz == user@example.com R=dnslookup T=remote_smtp"
        " defer (-44) H=mx.example.com [192.0.2.25]: SMTP error from remote mail server after"
        " RCPT TO:<user@example.com>: 421 Unexpected failure, please try later"
    )
    assert (ev.status, ev.stage, ev.code) == ("deferred", "rcpt", "421")
    assert clf.classify_event(ev).verdict.category == "server-error"


def feed_exim(line: str) -> list[Event]:
    events = EximParser("mainlog").feed(line, 1)
    assert events is not None
    return events


def test_exim_s_command_line_records_are_exim_s_for_detection() -> None:
    """log_selector +arguments (cPanel's default) writes exim.c's "cwd=%s %d args:" line for
    every Exim process: a cPanel mainlog full of them is still Exim's (tech-MSP#14)."""
    head = (EXIM / "github-issues-exim-pastes-6.log").read_text(encoding="utf-8").splitlines()
    assert EximParser.detect(head[3:], None) == 1.0
    assert EximParser.detect(["2015-10-26 21:50:31 cwd=/root is where I was"], None) == 0.0


def test_a_failure_before_any_reply_in_a_log_of_unknown_kind_is_not_guessed() -> None:
    """Without the log's header and before a reply, nothing tells a Send session from a
    Receive one: the failure could be a client's, so it gives no event."""
    log = ProtocolLog("pasted.log", None)
    row = "1,10.0.0.5:25123,203.0.113.25:25,*,,TLS negotiation failed with error SocketError"
    assert log.feed(SESSION + row, 1) == []
