"""Real Sendmail lines collected for issue 12's eleventh round (tests/data/SOURCES.md,
"Collected for issue 12, eleventh round: Exchange, MDaemon and Sendmail"), scored blind with the
rules of the time and kept here with the category a postmaster gives each outcome.
"""

from __future__ import annotations

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import ParsedLine, outcomes

CABELAS = "ubuntuforums-2010-cabelas-php-mail-relay.log"
INSATECH = "ubuntuforums-2008-insatech-relay-refused.log"
TAKE2HOSTING = "ubuntuforums-2013-take2hosting-relay.log"
CITADEL = "ubuntuforums-2010-citadel-local-relay.log"
UNQUALIFIED = "ubuntuforums-2010-unqualified-hostname-no-mail.log"
DOKUWIKI = "blog-2017-dokuwiki-sendmail-8.14-ubuntu.log"
DEVNOTES = "devnotes-2022-sendmail-naver-yandex.log"
PASTES = "forum-pastes-sendmail-11th-round.log"
SMF_SPF = "github-issue-smf-spf-33-sendmail-8.15.log"
ITSUKI = "ubuntuforums-2010-itsuki-check-mail.log"


def test_a_submission_relayed_through_the_local_mta(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    # The MSP's to= line (mailer=relay to [127.0.0.1]) and the MTA's (mailer=esmtp) are each a
    # delivery; from= and STARTTLS=client lines give none.
    assert outcomes(clf, sendmail, CABELAS) == [
        (3, "outbound", "sent", "delivered"),
        (5, "outbound", "sent", "delivered"),
    ]
    assert outcomes(clf, sendmail, DOKUWIKI) == [
        (7, "outbound", "sent", "delivered"),
        (9, "outbound", "sent", "delivered"),
        (10, "outbound", "sent", "delivered"),
        (12, "outbound", "sent", "delivered"),
    ]


def test_a_smarthost_refusing_to_relay(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    # A Postfix smarthost refused the relay at RCPT (554 -> EX_UNAVAILABLE, "Service
    # unavailable"); dsn=5.7.1 is the reply's own code and reads as a policy refusal. The
    # "DSN: Service unavailable" line writes the bounce and gives no second event.
    assert outcomes(clf, sendmail, INSATECH) == [
        (4, "outbound", "bounced", "policy-rejected"),
        (6, "outbound", "sent", "delivered"),
    ]


def test_an_unqualified_sender_domain_both_sides(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    # The client's "User unknown" with dsn=5.1.8 and the server's own check_rcpt refusal of
    # the same message ("Domain of sender address ... does not exist") are one family.
    assert outcomes(clf, sendmail, TAKE2HOSTING) == [
        (1, "outbound", "deferred", "network"),
        (2, "outbound", "bounced", "bad-domain"),
        (3, "inbound", "rejected", "bad-domain"),
        (4, "outbound", "sent", "delivered"),
    ]


def test_local_users_unknown_to_the_relay(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    # Citadel refused root, smmsp and postmaster (dsn=5.1.6); "return to sender" and
    # "Saved message in dead.letter" are no outcomes of their own.
    assert outcomes(clf, sendmail, CITADEL) == [
        (2, "outbound", "bounced", "mailbox-unknown"),
        (4, "outbound", "bounced", "mailbox-unknown"),
        (6, "outbound", "bounced", "mailbox-unknown"),
    ]


def test_start_up_and_idle_connection_lines_give_no_event(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    # "My unqualified host name", "did not issue MAIL/EXPN/VRFY/ETRN" and a from= with
    # nrcpts=0 say nothing of a delivery.
    assert outcomes(clf, sendmail, UNQUALIFIED) == []


def test_deliveries_and_refusals_of_a_2022_korean_host(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    # Line 6: Yandex's MX answered RCPT with 550 5.7.1 (EX_NOUSER, "User unknown"); without
    # the reply's text the enhanced code decides, a policy refusal. (Yandex words an unknown
    # mailbox that way, but the line does not say so; see SOURCES.md.) Line 8 is this
    # server's own "Relaying denied".
    assert outcomes(clf, sendmail, DEVNOTES) == [
        (3, "outbound", "sent", "delivered"),
        (6, "outbound", "bounced", "policy-rejected"),
        (8, "inbound", "rejected", "relay-denied"),
    ]


def test_forum_pastes(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    assert outcomes(clf, sendmail, PASTES) == [
        (1, "outbound", "bounced", "service-unavailable"),  # Gmail, EX_UNAVAILABLE, no ESC
        (3, "outbound", "sent", "delivered"),  # the bounce to the local sender
        (5, "outbound", "bounced", "server-error"),  # 5.3.5: "buildaddr: unknown mailer"
        (8, "outbound", "bounced", "bad-domain"),  # the smart host "y" does not resolve
        (10, "outbound", "bounced", "mailbox-unknown"),
        (12, "outbound", "sent", "delivered"),
        (13, "outbound", "deferred", "network"),  # Connection refused by ...
        (14, "outbound", "deferred", "network"),
        (15, "outbound", "deferred", "network"),  # Connection timed out with ...
        (16, "outbound", "deferred", "network"),  # no dsn= (a damaged "relay=" field)
    ]


def test_our_own_refusals(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    # A milter's reject without a text of its own gets Sendmail's default "Command rejected"
    # (milter.c, SMFIR_REJECT): a policy refusal, whatever the milter checked (smf-spf's SPF
    # failure is on its own line, another program's). check_mail's unqualified sender domain.
    assert outcomes(clf, sendmail, SMF_SPF) == [(1, "inbound", "rejected", "policy-rejected")]
    assert outcomes(clf, sendmail, ITSUKI) == [(1, "inbound", "rejected", "bad-domain")]
