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
OSSEC_SENDMAIL = "ossec-docs-sendmail-log-samples.log"
SOLARIS = "ubuntuforums-2014-solaris-sendmail-deferrals.log"
OPENBSD_CLAMAV = "blog-openbsd-2005-clamav-milter.log"


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
    # to= line), check_relay's ConnectionRateThrottle and ConnControl refusals. tls_server's
    # reject= (client side) and AUTH=/STARTTLS= lines give no event, nor does line 7, a to=
    # line without mailer= (logundelrcpts(): the recipients of a message refused while it was
    # received; the refusal is its reject= line's event). A bare "stat=Deferred" (EX_TEMPFAIL
    # with no errno and no reply, deliver.c giveresponse()) says nothing of why: unknown.
    assert outcomes(clf, sendmail, SONIC) == [
        (3, "outbound", "sent", "delivered"),
        (4, "outbound", "sent", "delivered"),
        (6, "outbound", "deferred", "unknown"),
        (8, "outbound", "sent", "delivered"),
        (8, "outbound", "sent", "delivered"),
        (8, "outbound", "sent", "delivered"),
        (21, "inbound", "rejected", "rate-limited"),  # Connection rate limit exceeded.
        (22, "inbound", "rejected", "rate-limited"),  # Too many open connections.
    ]


def test_ossec_sendmail_log_samples(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    # check_mail and check_relay refusals, a SpamAssassin milter, NJABL's dynablock (blind:
    # bad-address by the bare 553), a connection rate limit; "savemail panic" gives none.
    assert outcomes(clf, sendmail, OSSEC_SENDMAIL) == [
        (1, "inbound", "rejected", "spam-rejected"),
        (2, "inbound", "rejected", "spam-rejected"),
        (3, "inbound", "rejected", "blocklisted"),  # dnsbl.sorbs.net
        (4, "inbound", "rejected", "spam-rejected"),
        (5, "inbound", "rejected", "blocklisted"),  # dynablock.njabl.org
        (6, "inbound", "rejected", "rate-limited"),
    ]


def test_solaris_sendmail_deferrals(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    # Solaris syslog's "[ID 801593 mail.info]" tag; "timeout waiting for input ... during
    # client greeting" leaves the outcome to the to= line.
    assert outcomes(clf, sendmail, SOLARIS) == [
        (1, "outbound", "deferred", "network"),
        (2, "outbound", "deferred", "unknown"),  # a bare "stat=Deferred"
        (4, "outbound", "deferred", "network"),
    ]


def test_a_milters_virus_refusal_is_one_inbound_event(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    # The milter's reject= is the refusal; the to= line without mailer= after it names the
    # recipient of the refused message and is no bounce of ours (blind: a second, outbound
    # event).
    assert outcomes(clf, sendmail, OPENBSD_CLAMAV) == [(3, "inbound", "rejected", "spam-rejected")]
