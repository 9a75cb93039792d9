"""Real Exim and Postfix lines collected for issue 12's eleventh round (tests/data/SOURCES.md,
"Collected for issue 12, eleventh round: Postfix and Exim"), scored blind with the rules of
the time and kept here with the category a postmaster gives each outcome.
"""

from __future__ import annotations

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line, outcomes

EXIM_PASTES = "github-issues-exim-pastes-11.log"
NAG2 = "ldp-nag2-exim-2000.log"
POSTFIX_PASTES = "github-issues-postfix-pastes-11.log"


def test_exim_pastes(clf: Classifier, exim: list[ParsedLine]) -> None:
    # The paniclog lines (a full disk, lines 6-12), a read-only spool (13-14) and a lost SMTP
    # connection (3) are no recipient's outcome and give none.
    assert outcomes(clf, exim, EXIM_PASTES) == [
        (1, "inbound", "rejected", "routing"),  # recipient verification: Unrouteable address
        (2, "inbound", "rejected", "relay-denied"),
        (4, "outbound", "deferred", "dns-failure"),  # host lookup did not complete
        (5, "outbound", "deferred", "dns-failure"),
        (15, "outbound", "deferred", "server-error"),  # Hestia's expansion of a missing path
        (16, "inbound", "rejected", "relay-denied"),  # fail2ban's <HOST>/<EMAIL> placeholders
        (17, "inbound", "rejected", "relay-denied"),  # with X= and CV= of a TLS session
    ]


def test_exim_3_lines_of_a_manual(clf: Classifier, exim: list[ParsedLine]) -> None:
    # Exim 3 wrote D= (a director) where Exim 4 writes R=; the local delivery is a delivery.
    assert outcomes(clf, exim, NAG2) == [
        (2, "outbound", "sent", "delivered"),
        (4, "outbound", "bounced", "mailbox-unknown"),
        (5, "outbound", "deferred", "network"),
    ]
    line = find_line(exim, NAG2, "12EvcH-0003rC-00 **")
    assert_golden(
        line,
        [{"code": "550", "remote_host": "lager.vbrew.com", "remote_ip": "192.168.157.2"}],
    )


def test_postfix_pastes(clf: Classifier, postfix: list[ParsedLine]) -> None:
    # qmgr, postscreen, dnsblog, smtpd connect/disconnect, TLS and opendmarc lines give none.
    assert outcomes(clf, postfix, POSTFIX_PASTES) == [
        (1, "outbound", "deferred", "network"),
        (3, "outbound", "sent", "delivered"),
        (6, "outbound", "sent", "delivered"),  # the hand-off to amavis
        (8, "outbound", "sent", "delivered"),  # Dovecot's LMTP "Saved"
        (18, "inbound", "rejected", "dns-failure"),  # Spamhaus refused an open resolver
        (20, "outbound", "bounced", "bad-domain"),  # a line pasted without its time stamp
        (25, "inbound", "rejected", "greylisted"),  # rmilter's greylisting through cleanup
        (32, "inbound", "rejected", "greylisted"),  # the same under syslog_name postfix-in
        (33, "inbound", "rejected", "greylisted"),
    ]


def test_the_lines_users_quoted_in_the_exim_faq(clf: Classifier, exim: list[ParsedLine]) -> None:
    # Q0430: an unreadable .forward (was unknown); Q0617: MX hosts without address records.
    assert outcomes(clf, exim, "exim-faq-lines-1998-1999.log") == [
        (1, "outbound", "deferred", "server-error"),
        (2, "outbound", "deferred", "dns-failure"),
    ]
