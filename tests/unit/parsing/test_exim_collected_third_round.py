"""Exim lines collected for issue 12, third round (tests/data/SOURCES.md), and the forms of the
same families built from Exim's source where no real line was found: the companion line of a
router that found the local host, protocol errors Exim answers with an unlogged 503,
messages split across syslog lines, and the lines of a message's own log (exim -Mvl)."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import Event
from parsers.exim import EximParser
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line, only_event

PASTES = "github-issues-exim-pastes-3.log"
FORUM_2011 = "ubuntuforums-exim4-2011-no-route.log"
MSGLOG_2013 = "ubuntuforums-exim4-2013-msglog.log"


def feed(*lines: str) -> list[list[Event] | None]:
    parser = EximParser("mainlog", year=2024)
    return [parser.feed(line, n) for n, line in enumerate(lines, 1)]


# -- routers/rf_self_action.c (self = freeze): the address's own line, then the outcome -------


def test_a_router_finding_the_local_host_names_the_address_the_refusal_is_the_outcome(
    clf: Classifier,
) -> None:
    """Exim's test suite (test/stderr/0130) shows the pair: rf_self_action.c's log_write
    "%s: %s (while verifying <%s> from host %s)", then the ACL's deferral with the same text.
    The first is understood but is no outcome; the second is the one event, a routing fault."""
    notice, refusal = feed(
        "2024-03-12 10:00:00 remote host address is the local host: not.test.ex "
        "(while verifying <userx@not.test.ex> from host [192.0.2.1])",
        "2024-03-12 10:00:00 H=[192.0.2.1] F=<userx@test.ex> temporarily rejected RCPT "
        "<userx@not.test.ex>: remote host address is the local host",
    )
    assert notice == []
    assert refusal is not None and len(refusal) == 1
    ev = refusal[0]
    assert (ev.stage, ev.status, ev.code, ev.recipient) == (
        "rcpt",
        "rejected",
        "451",
        "userx@not.test.ex",
    )
    assert clf.classify_event(ev).verdict.category == "routing"


@pytest.mark.parametrize(
    "line",
    [
        # no host: a verification from the command line or a local submission
        "2024-03-12 10:00:00 lowest numbered MX record points to local host: example.net "
        "(while routing <u@example.net>)",
        # during a delivery the address is on the "==" line that follows
        "2024-03-12 10:00:00 lowest numbered MX record points to local host: example.net",
    ],
)
def test_the_other_forms_of_the_self_notice_are_understood_and_give_no_event(line: str) -> None:
    assert feed(line) == [[]]


# -- smtp_in.c synprot_error(): commands out of order or not offered -----------------------


def test_auth_when_not_advertised_is_a_protocol_error_with_its_503(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    line = find_line(exim, PASTES, "[45.32.34.167]:60723")
    expected: dict[str, Any] = dict(
        direction="inbound",
        stage="auth",
        code="503",
        code_inferred=True,
        text="AUTH command used when not advertised",
        remote_host=None,
        remote_ip="45.32.34.167",
    )
    assert_golden(line, [expected])
    v = clf.classify_event(only_event(line)).verdict
    assert (v.category, v.rule) == ("protocol", "signature:exim-smtp-command-out-of-order")


@pytest.mark.parametrize(
    ("command", "reason", "stage"),
    [
        # at RCPT a bare 503 would read as "authentication required"
        ("rcpt to:<userx@test.ex>", "sender not yet given", "rcpt"),
        ("DATA", "valid RCPT command must precede DATA", "data"),
        ("mail from:<x@y>", "sender already given", "mail"),
    ],
)
def test_commands_out_of_order_are_protocol_errors(
    clf: Classifier, command: str, reason: str, stage: str
) -> None:
    """smtp_in.c's texts as Exim's test suite logs them (test/log/0022 and others), with a
    real port in place of the harness's PORT_D."""
    [evs] = feed(
        f'2024-03-12 10:00:00 SMTP protocol error in "{command}" H=(rhu.barb) '
        f"[192.0.2.7]:10007 I=[192.0.2.1]:25 {reason}"
    )
    assert evs is not None
    [ev] = evs
    assert (ev.stage, ev.code, ev.code_inferred, ev.text) == (stage, "503", True, reason)
    assert clf.classify_event(ev).verdict.category == "protocol"


# -- log.c write_syslog(): a message in several syslog lines ------------------------------


def test_the_parts_of_a_message_split_across_syslog_lines_are_understood(
    exim: list[ParsedLine],
) -> None:
    """A real Exim 4.98 syslog pair: "[1\\2]" and "[2/2]" (a message holding a newline)."""
    first = find_line(exim, PASTES, "[1\\2] 2025-02-14 18:12:33 Warning")
    rest = find_line(exim, PASTES, "[2/2]  Suggested action")
    assert (first.events, rest.events) == ([], [])


def test_the_first_part_of_a_split_line_carries_its_outcome(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """A line longer than a syslog line is cut at 870 characters into "[1/2]", "[2/2]" parts
    (log.c MAX_SYSLOG_LEN); here the real bounce of the same paste, cut in its command path."""
    whole = find_line(exim, PASTES, "returned 127 (could mean unable to exec")
    prefix, message = whole.text.split("exim[47012]: ", 1)
    cut = message.index("from command: ")
    head = f"{prefix}exim[47012]: [1/2] {message[:cut]}"
    tail = f"{prefix}exim[47012]: [2/2] {message[cut:]}"
    [first, rest] = feed(head, tail)
    assert rest == []
    assert first is not None and len(first) == 1
    ev = first[0]
    assert (ev.status, ev.recipient, ev.queue_id, ev.ts) == (
        "bounced",
        "test@domain.ru",
        "1tixMn-00000000C5j-1wRa",
        "2025-02-14T18:12:33.501",
    )
    assert clf.classify_event(ev).verdict.category == "server-error"


# -- other real lines of this round ----------------------------------------------------------


def test_a_smarthost_without_route_defers_each_message(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """The per-host errors are no outcome; the "==" lines (the errno, then the retry time the
    host's failure set for the other messages) are network deferrals."""
    lines = [p for p in exim if p.path.name == FORUM_2011]
    events = [ev for p in lines for ev in p.events or []]
    assert len(events) == 7
    assert {(ev.status, clf.classify_event(ev).verdict.category) for ev in events} == {
        ("deferred", "network")
    }


# -- a message's own log (exim -Mvl) -------------------------------------------------------


def test_a_pasted_message_log_is_exim_and_its_deferrals_are_outcomes(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """`exim -Mvl <id>` as a poster pasted it: deliver.c's lines without message id or flag."""
    lines = [p for p in exim if p.path.name == MSGLOG_2013]
    assert EximParser.detect([p.text for p in lines], None) == 1.0
    assert all(p.events is not None for p in lines)  # every line understood
    events = [ev for p in lines for ev in p.events or []]
    assert [(ev.status, ev.recipient, ev.queue_id, ev.text) for ev in events] == [
        ("deferred", "me@mycompany.com", None, "Connection refused")
    ] * 3
    assert {clf.classify_event(ev).verdict.category for ev in events} == {"network"}


@pytest.mark.parametrize(
    ("line", "status", "category"),
    [
        # the other message-log forms, as Exim's test suite expects them (test/msglog)
        ("routing failed for u@example.com : Unrouteable address", "bounced", "routing"),
        ("u@example.com <alias@example.com>: appendfile transport succeeded", "sent", "delivered"),
        (
            "u@example.com R=localuser T=appendfile defer (-22): mailbox is full (MTA-imposed "
            "quota exceeded while writing to /var/mail/u)",
            "deferred",
            "mailbox-full",
        ),
    ],
)
def test_message_log_forms(clf: Classifier, line: str, status: str, category: str) -> None:
    [evs] = feed(f"2024-03-12 10:00:00 {line}")
    assert evs is not None and len(evs) == 1
    assert (evs[0].status, evs[0].recipient) == (status, "u@example.com")
    assert clf.classify_event(evs[0]).verdict.category == category


def test_a_smarthost_refusing_our_credentials_is_an_auth_failure(clf: Classifier) -> None:
    """The "==" line after an "authenticator failed ... 535" line, as a Hestia operator quoted
    both from a real mainlog (code index id 41369471689; time stamp and id added here)."""
    [auth, deferral] = feed(
        "2025-03-12 10:00:00 1tAbCd-000Xyz-Ef smtp_relay_login authenticator failed "
        "H=relay.edpnet.be [212.71.0.16] 535 Error: authentication failed",
        "2025-03-12 10:00:00 1tAbCd-000Xyz-Ef == recipient@example.com R=send_via_smtp_relay "
        "T=smtp_relay_smtp defer (-42): authentication required but authentication attempt(s) "
        "failed",
    )
    assert auth is not None and deferral is not None
    assert [(ev.direction, ev.stage, ev.code) for ev in auth] == [("outbound", "auth", "535")]
    [ev] = deferral
    assert (ev.status, ev.recipient) == ("deferred", "recipient@example.com")
    v = clf.classify_event(ev).verdict
    assert (v.category, v.rule) == ("auth-failed", "signature:exim-client-auth-failed")


def test_a_hosting_ratelimit_refusal_is_a_rate_limit(clf: Classifier) -> None:
    """'Sender rate overlimit - <rate> / <period>': a ratelimit ACL's wording on shared hosting,
    here in the refusal line Exim logs for it (the text as a real reply quoted it)."""
    [evs] = feed(
        "2024-03-12 10:00:00 U=webuser F=<shop@example.org> rejected RCPT <a@example.net>: "
        "Sender rate overlimit - 290.8 / 24h"
    )
    assert evs is not None and len(evs) == 1
    assert (evs[0].stage, evs[0].code) == ("rcpt", "550")
    v = clf.classify_event(evs[0]).verdict
    assert (v.category, v.rule) == ("rate-limited", "signature:exim-sender-rate-overlimit")


def test_the_envelope_and_headers_the_reject_log_lists_under_a_refusal_are_understood() -> None:
    """log.c (log_selector +rejected_header) after a refusal once the headers were read; the
    entry as Exim's test suite expects it (test/rejectlog/0014). Only the refusal is an event."""
    lines = feed(
        "1999-03-02 09:44:33 10HmaY-000000005vi-0000 F=<userx@test1> rejected by non-SMTP ACL: "
        "don't like sender userx@test1",
        "Envelope-from: <userx@test1>",
        "Envelope-to: <userx@test.ex>",
        "P Received: from CALLER by myhost.test.ex with local (Exim x.yz)",
        "\t(envelope-from <userx@test1>)",
        "\tid 10HmaY-000000005vi-0000",
        "I Message-Id: <E10HmaY-000000005vi-0000@myhost.test.ex>",
        "F From: userx@test1",
        "  Date: Tue, 2 Mar 1999 09:44:33 +0000",
    )
    refusal, *headers = lines
    assert refusal is not None and [ev.status for ev in refusal] == ["rejected"]
    assert headers == [[]] * 8
    assert feed("P Received: without a refusal before it") == [None]
