"""Postfix and Sendmail lines collected for issue 12, sixth round (tests/data/SOURCES.md): each
event as a postmaster reads its line, and the reply families these sources showed."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from logscan.parsing.reply import parse_reply
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line, only_event, outcomes

POSTFIX = "github-issues-postfix-pastes-6.log"
SENDMAIL = "pages-sendmail-pastes-6.log"


def test_every_collected_line_is_understood(
    sendmail: list[ParsedLine], postfix: list[ParsedLine]
) -> None:
    for lines, name, count in ((postfix, POSTFIX, 33), (sendmail, SENDMAIL, 37)):
        mine = [p for p in lines if p.path.name == name]
        assert len(mine) == count
        assert all(p.events is not None for p in mine), name


def test_the_postfix_lines(clf: Classifier, postfix: list[ParsedLine]) -> None:
    """cleanup, bounce, qmgr, flush and policyd-spf lines give none (policyd-spf's copy of its
    reply is not a second event: smtpd logs the refusal)."""
    assert outcomes(clf, postfix, POSTFIX) == [
        (1, "outbound", "deferred", "tls-required"),
        (2, "outbound", "deferred", "rate-limited"),  # Outlook's S844 IP-reputation throttle
        (3, "outbound", "deferred", "rate-limited"),
        (4, "outbound", "bounced", "sender-auth-failed"),  # Gmail 5.7.26, both wordings
        (8, "outbound", "bounced", "sender-auth-failed"),
        (9, "outbound", "bounced", "blocklisted"),  # Gmail's UnsolicitedIPError
        (10, "outbound", "bounced", "policy-rejected"),  # check_sender_access: Access denied
        (13, "outbound", "deferred", "auth-failed"),  # our SASL login to Office 365
        (16, "inbound", "rejected", "mailbox-unknown"),
        (20, "inbound", "rejected", "spam-rejected"),  # rspamd through its milter
        (22, "outbound", "bounced", "mailbox-unknown"),  # Exchange Online's DBEB
        (23, "outbound", "bounced", "mailbox-full"),  # lmtp to Dovecot ("Okt": German locale)
        (24, "outbound", "bounced", "mailbox-full"),
        (25, "outbound", "deferred", "mailbox-full"),  # behind docker compose's prefix
        (26, "outbound", None, "mailbox-full"),  # the attempt's own line, no to=
        (29, "inbound", "rejected", "policy-rejected"),  # check_client_access, RFC 3339 stamp
        (30, "outbound", None, "blocklisted"),  # AOL's (RTR:DU): a dynamic IP, was 554's generic
        (31, "outbound", "deferred", "blocklisted"),
        (32, "outbound", "deferred", "rate-limited"),  # UOL's MX-UOL-02, a second instance
        (33, "outbound", None, "rate-limited"),  # Yahoo's 4.16.50 deferral, was service-unavailable
    ]


def test_a_relay_name_masked_by_the_poster(postfix: list[ParsedLine]) -> None:
    """The poster put "[redacted]" in front of the MX name: the bracket followed by more name is
    part of the name, only the last bracket is the IP. The line gave no event before."""
    line = find_line(postfix, POSTFIX, "relay=[redacted]-br.mail.protection.outlook.com")
    expected: dict[str, Any] = dict(
        direction="outbound",
        stage="rcpt",
        status="bounced",
        code="550",
        enhanced="5.4.1",
        remote_host="[redacted]-br.mail.protection.outlook.com",
        remote_ip="207.46.163.74",
        recipient="[redacted]@[redacted].br",
    )
    assert_golden(line, [expected])


def test_yahoos_older_deferral_wordings(clf: Classifier) -> None:
    """Before the [TSxx] codes Yahoo deferred with a bare number (sbcglobal's MX, 2012) or [GL01];
    [GL01]'s help page names Yahoo."""
    numbered = clf.classify(*parse_reply("451 Message temporarily deferred - [160]"))
    assert (numbered.category, numbered.rule) == ("rate-limited", "signature:yahoo-tss04")
    gl01 = clf.classify(
        *parse_reply(
            "421 4.7.0 [GL01] Message from (192.0.2.1) temporarily deferred - 4.16.50. Please"
            " refer to http://postmaster.yahoo.com/errors/postmaster-21.html"
        )
    )
    assert (gl01.category, gl01.provider) == ("rate-limited", "yahoo")


def test_the_sendmail_lines(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    """A bare "stat=Deferred" says nothing a postmaster could categorise: unknown is right.
    from=, DSN:, SYSERR, Milter, STARTTLS and "done" lines give none; two recipients on one to=
    line give two events."""
    assert outcomes(clf, sendmail, SENDMAIL) == [
        (1, "outbound", "deferred", "unknown"),
        (2, "outbound", "bounced", "bad-domain"),  # Host unknown (Name server: host not found)
        (3, "outbound", "sent", "delivered"),
        (4, "outbound", "deferred", "network"),
        (5, "outbound", "bounced", "service-unavailable"),  # EX_UNAVAILABLE's own words
        (6, "outbound", "sent", "delivered"),
        (7, "inbound", "rejected", "dns-failure"),  # check_mail: sender domain does not resolve
        (8, "inbound", "rejected", "relay-denied"),
        (9, "inbound", "rejected", "dns-failure"),  # relay_mx_served: the MX lookup failed
        (12, "outbound", "expired", "network"),  # 8.11's "Cannot send message within 2 days"
        (17, "outbound", "sent", "delivered"),
        (17, "outbound", "sent", "delivered"),
        (18, "outbound", "deferred", "server-error"),
        (19, "outbound", "sent", "delivered"),
        (19, "outbound", "sent", "delivered"),
        (20, "outbound", "sent", "delivered"),
        (24, "outbound", "sent", "delivered"),
        (26, "outbound", "bounced", "service-unavailable"),
        (28, "outbound", "sent", "delivered"),
        (32, "outbound", "deferred", "server-error"),  # the MSP's relay could not write its queue
        (33, "outbound", "deferred", "dns-failure"),  # the poster's "<removed hostname>" masks
        (35, "outbound", "sent", "delivered"),
        (36, "outbound", "bounced", "protocol"),  # EX_DATAERR, dsn=5.6.0
    ]


@pytest.mark.parametrize(
    ("reply", "category", "rule"),
    [
        # postfix-policyd-spf-python's reply carries pyspf's explanation of the SPF result;
        # only the fail explanation says "SPF" (Automattic/jetpack#42544 quotes the softfail one).
        (
            "550 5.7.1 <post@example.com>: Recipient address rejected: Message rejected due to:"
            " domain owner discourages use of this host.",
            "sender-auth-failed",
            "signature:spf-result-explanation",
        ),
        (
            "550 5.7.1 <a@example.com>: Recipient address rejected: Message rejected due to: access"
            " neither permitted nor denied. Please see http://www.openspf.net/Why?s=helo;id=mx."
            "example.com;ip=192.0.2.1;r=<UNKNOWN>",
            "sender-auth-failed",
            "signature:spf-result-explanation",
        ),
        # Outlook.com's high-volume sender rule (2025) and its replication failure.
        (
            "550 5.7.515 Access denied, sending domain [EXAMPLE.COM] doesn't meet the required"
            " authentication level.",
            "sender-auth-failed",
            "signature:microsoft-authentication-level",
        ),
        (
            "451 4.4.22 Message failed to be replicated: no healthy peers found",
            "server-error",
            "signature:microsoft-replication-failure",
        ),
        # Sendmail's "Deferred: <strerror>" when the socket cannot be set up (dsn=4.0.0): an
        # IPv6 MX tried from a host without IPv6 was unknown.
        (
            "Deferred: Address family not supported by protocol",
            "network",
            "signature:socket-errors",
        ),
        ("Deferred: Cannot assign requested address", "network", "signature:socket-errors"),
        # a receiving Postfix's smtpd_hard_error_limit (smtpd.c): the session broke, not the server
        (
            "421 4.7.0 mail2.mail-vert.fr Error: too many errors",
            "protocol",
            "signature:postfix-too-many-errors",
        ),
    ],
)
def test_reply_families_from_the_sources(
    clf: Classifier, reply: str, category: str, rule: str
) -> None:
    verdict = clf.classify(*parse_reply(reply))
    assert (verdict.category, verdict.rule) == (category, rule)


def test_outlooks_as_prefixed_block_list_code(clf: Classifier) -> None:
    """Outlook.com wrote S3140 as "AS3140" (root-io/vmail#91, 2017): the range block list, and
    Microsoft, not S3150's list with no provider."""
    verdict = clf.classify(
        *parse_reply(
            "550 5.7.1 Unfortunately, messages from [62.210.82.129] weren't sent. Please contact"
            " your Internet service provider since part of their network is on our block list"
            " (AS3140)."
            " You can also refer your provider to"
            " http://mail.live.com/mail/troubleshooting.aspx#errors."
        )
    )
    assert (verdict.category, verdict.blocklist, verdict.provider) == (
        "blocklisted",
        "microsoft:S3140",
        "microsoft",
    )


def test_the_line_of_a_policy_service_is_not_an_event(postfix: list[ParsedLine]) -> None:
    line = find_line(postfix, POSTFIX, "policyd-spf[228055]: 550 5.7.23")
    assert line.events == []
    ev = only_event(find_line(postfix, POSTFIX, "Client host rejected: Access denied"))
    assert (ev.code, ev.remote_ip, ev.sender) == ("554", "2a01:4f8:xxxx:xxxx::13", "")
