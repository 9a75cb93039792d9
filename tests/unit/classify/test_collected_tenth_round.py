"""Real Exim and Sendmail lines collected for issue 12's tenth round (tests/data/SOURCES.md,
"Collected for issue 12, tenth round: Exim, Sendmail and MDaemon"), scored blind with the rules
of the time and kept here with the category a postmaster gives each outcome.
"""

from __future__ import annotations

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line, outcomes

FILEBEAT = "filebeat-exim4-pipeline-tests-2021-2025.log"
FORUM_2014 = "forum-exim4-2014-network-unreachable.log"
SONIC = "grok-patterns-sonic-sendmail-2012.log"
TITAN = "go-tests-titan-exim-2026-defer-reasons.log"
SMARTHOST_AUTH = "ubuntuforums-exim4-2008-smarthost-auth.log"


def test_filebeat_exim4_lines_with_a_log_timezone(clf: Classifier, exim: list[ParsedLine]) -> None:
    # log_timezone = true puts "+0100" after the time; deliveries, bounces and the refusals of
    # the server's own ACLs keep their outcome, arrivals ("<=") give none.
    assert outcomes(clf, exim, FILEBEAT) == [
        (1, "outbound", "sent", "delivered"),
        (7, "outbound", "sent", "delivered"),
        (8, "outbound", "sent", "delivered"),
        (10, "outbound", "bounced", "mailbox-unknown"),
        (11, "outbound", "sent", "delivered"),
        (12, "outbound", "deferred", "network"),  # retry time not reached for any host
        (13, "outbound", "sent", "delivered"),
        (14, "outbound", "sent", "delivered"),
        (17, "outbound", "sent", "delivered"),
        (18, "inbound", "rejected", "spam-rejected"),
        (19, "inbound", "rejected", "greylisted"),
        (20, "inbound", "rejected", "blocklisted"),
        (21, "inbound", "rejected", "sender-auth-failed"),
        (22, "inbound", "rejected", "mailbox-unknown"),
        (23, "inbound", "rejected", "blocklisted"),
        (24, "inbound", None, "protocol"),  # dropped: too many syntax or protocol errors
    ]


def test_a_line_cut_inside_its_confirmation_keeps_the_reply(exim: list[ParsedLine]) -> None:
    # The line ends inside C="..." (cut by whatever stored it): the reply up to the cut is read.
    line = find_line(exim, FILEBEAT, "1tvXWP-009NZS-3B =>")
    assert_golden(
        line,
        [
            {
                "status": "sent",
                "code": "250",
                "enhanced": "2.0.0",
                "text": "250 2.0.0 Ok: queued as 3B/26-10141-8EF1DD76",
            }
        ],
    )


def test_per_host_failures_leave_the_outcome_to_the_deferral(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    # Exim logs each host it could not reach on a line of its own; the "==" line is the outcome.
    assert outcomes(clf, exim, FORUM_2014) == [(7, "outbound", "deferred", "network")]


def test_titan_deferral_reasons(clf: Classifier, exim: list[ParsedLine]) -> None:
    # A cPanel server's retry deferrals (the host form, and the routing form without R=/T=),
    # connection failures and Gmail's NoSuchUser bounce.
    assert outcomes(clf, exim, TITAN) == [
        (1, "outbound", "deferred", "network"),  # defer (101): Network is unreachable
        *[(n, "outbound", "deferred", "network") for n in range(2, 7)],  # retry time not reached
        (7, "outbound", "deferred", "network"),  # defer (111): Connection refused
        (8, "outbound", "bounced", "mailbox-unknown"),
        (9, "outbound", "bounced", "mailbox-unknown"),
    ]


def test_a_smarthost_that_wants_auth_is_auth_required(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    # mail.ru's Exim: its default "Administrative prohibition" before the words that say what
    # is missing (blind: policy-rejected; the poster's fix was client-side SMTP AUTH).
    assert outcomes(clf, exim, SMARTHOST_AUTH) == [(1, "outbound", "bounced", "auth-required")]


def test_sonic_net_sendmail_lines(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    # A 2012 ISP's Sendmail (grok pattern tests): deliveries (one event per recipient of a
    # to= line), a local refusal without a mailer, check_relay's ConnectionRateThrottle and
    # ConnControl refusals. tls_server's reject= (client side) and AUTH=/STARTTLS= lines give
    # no event. A bare "stat=Deferred" says nothing of why and stays unknown.
    assert outcomes(clf, sendmail, SONIC) == [
        (3, "outbound", "sent", "delivered"),
        (4, "outbound", "sent", "delivered"),
        (6, "outbound", "deferred", "unknown"),
        (7, "outbound", "bounced", "policy-rejected"),  # "high volume mailings not allowed"
        (8, "outbound", "sent", "delivered"),
        (8, "outbound", "sent", "delivered"),
        (8, "outbound", "sent", "delivered"),
        (21, "inbound", "rejected", "rate-limited"),  # Connection rate limit exceeded.
        (22, "inbound", "rejected", "rate-limited"),  # Too many open connections.
    ]
