"""Families whose category the postmaster's audit of the real corpora (tests/data) corrected: each
test is a real line, and says from the MTA's or provider's documentation why the category is
what a postmaster would say."""

from __future__ import annotations

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import ParsedLine, assert_outcome, find_line, only_event


def test_a_sender_not_owned_by_the_logged_in_user_is_policy_not_auth_required(
    clf: Classifier, postfix: list[ParsedLine]
) -> None:
    """Postfix says 'not owned by user NAME' only to a client logged in as NAME
    (reject_sender_login_mismatch): logging in is done, the sender address is refused."""
    line = find_line(postfix, "whyscream-postfix-grok-patterns.log", "not owned by user ph123")
    ev = only_event(line)
    # reject_warning: a dry run of the restriction, so no status, but the same reply
    assert (ev.direction, ev.status) == ("inbound", None), ev
    verdict = clf.classify_event(ev).verdict
    assert (verdict.category, verdict.rule) == (
        "policy-rejected",
        "signature:postfix-sender-login-mismatch",
    )


def test_not_logged_in_stays_auth_required(clf: Classifier) -> None:
    """The unauthenticated half of the same restriction: there, logging in is the fix."""
    verdict = clf.classify(
        "553", "5.7.1", "553 5.7.1 <me@example.com>: Sender address rejected: not logged in"
    )
    assert verdict.category == "auth-required"


def test_a_multi_recipient_bounce_is_a_policy_refusal_not_a_protocol_error(
    clf: Classifier, postfix: list[ParsedLine]
) -> None:
    """A null sender with several recipients is legal SMTP; Postfix refuses it only under
    reject_multi_recipient_bounce, a restriction the postmaster chose."""
    for file_name in ("fail2ban-postfix.log", "logwatch-postfix-logwatch-TD.log"):
        assert_outcome(
            clf,
            postfix,
            file_name,
            "Multi-recipient bounce",
            "inbound",
            "rejected",
            "policy-rejected",
        )


def test_gmail_not_authorized_error_is_recognised_across_exims_escaped_line_breaks(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """Exim logs Gmail's wrapped NotAuthorizedError with literal backslash-n between the lines;
    the reply is still Gmail's own (end-user IP space), not a bare 5.7.1."""
    ev = only_event(find_line(exim, "code-index-exim-pastes.log", "not authorized"))
    assert (ev.direction, ev.status) == ("outbound", "bounced"), ev
    verdict = clf.classify_event(ev).verdict
    assert (verdict.category, verdict.provider, verdict.rule) == (
        "policy-rejected",
        "google",
        "signature:google-ip-not-authorized",
    )


def test_gmails_wrapped_replies_are_read_across_exims_escaped_line_breaks(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """Exim writes the line breaks of a multi-line reply as a literal backslash-n; Gmail's own
    signatures still decide, so its 550 block is blocklisted, not a bare 5.7.1 policy refusal."""
    ev = only_event(find_line(exim, "aminer-tests-cpanel-guide-exim.log", "unusual rate of"))
    assert clf.classify_event(ev).verdict.rule == "signature:google-rate-unsolicited"
    # google-block-unsolicited's example, with its line breaks as Exim logs them
    block = (
        "550-5.7.1 [192.0.2.1      12] Our system has detected an unusual rate of\\n"
        "550-5.7.1 unsolicited mail originating from your IP address. To protect our\\n"
        "550-5.7.1 users from spam, mail sent from your IP address has been blocked."
    )
    verdict = clf.classify("550", "5.7.1", block)
    assert (verdict.category, verdict.rule) == (
        "blocklisted",
        "signature:google-block-unsolicited",
    )
