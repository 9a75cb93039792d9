"""Real Exim, Sendmail and Postfix lines collected for issue 12 (tests/data/SOURCES.md,
"Collected for issue 12, second round"): each family of texts the MTAs write gets its category,
and lines that are not outcomes give no event.

The categories come from the MTAs' own sources (Exim's src/src, Sendmail's conf.c, srvrsmtp.c
and cf/m4/proto.m4, cited in rules/outcomes.toml); these lines show them in the field.
"""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import Verdict
from parsers.exim import EximParser
from parsers.postfix import PostfixParser
from parsers.sendmail import SendmailParser
from tests.helpers.mta_corpus import (
    ParsedLine,
    assert_golden,
    find_line,
    only_event,
    parse_corpus,
)

EXIM_PASTES = "code-index-exim-pastes.log"
PLANETWORK = "lua-syslog-grammar-planetwork-exim-2017.log"
OSSEC = "ossec-docs-exim-log-samples-2006.log"
REJECTS = "rules-fixtures-exim-rejects-2017-2019.log"
AMINER = "aminer-tests-cpanel-guide-exim.log"
LIVE = "go-tests-cpanel-exim-4.98-live-server.log"
DEBIAN_2022 = "blog-debian-exim-4.92-smarthost-2022.log"
UBUNTU = "ubuntuforums-sendmail-pastes.log"
BLOGS = "blogs-sendmail-pastes.log"
ISO_SYSLOG = "hoddmimes-iptblk-sendmail-2019.log"


# -- Exim ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "needle", "status", "category", "rule"),
    [
        # appendfile.c: a maildir transport without its directory option (a configuration error)
        (
            EXIM_PASTES,
            'maildir_format requires "directory"',
            "deferred",
            "server-error",
            "signature:exim-local-config-error",
        ),
        # receive.c: the receiving Exim lost our connection during DATA and says so with 421
        (
            PLANETWORK,
            "421 Lost incoming connection",
            "deferred",
            "network",
            "signature:exim-lost-incoming-connection",
        ),
        # pipe.c: cyrus deliver exited with EX_DATAERR
        (
            OSSEC,
            "returned 65 (could mean error in input data)",
            "bounced",
            "server-error",
            "signature:exim-pipe-failed",
        ),
        (
            OSSEC,
            "501 This system is not configured to relay mail",
            "bounced",
            "relay-denied",
            "signature:relay-denied",
        ),
        (OSSEC, "550 Mailbox unavailable", "bounced", "mailbox-unknown", "signature:user-unknown"),
        (
            REJECTS,
            "rejected RCPT <example@exampley.com>: Unrouteable address",
            "rejected",
            "routing",
            "signature:exim-unrouteable-address",
        ),
        # smtp_in.c drops a client sending too many non-mail commands with 554 (since 4.68)
        (
            "fail2ban-exim.log",
            "too many nonmail commands",
            None,
            "protocol",
            "signature:exim-session-dropped",
        ),
        # SA-Exim's local_scan() refusal carries SpamAssassin's score
        (
            "fail2ban-exim-spam.log",
            "Rejected: hits=7.5 required=5.0",
            "rejected",
            "spam-rejected",
            "signature:exim-sa-exim-spam-score",
        ),
        # Yahoo's older [GL01] deferral, as a per-host error line (no recipient outcome yet)
        (AMINER, "[GL01] Message from", None, "rate-limited", "signature:yahoo-tss04"),
        # a sender verification quoting cPanel's cannot_route_message: the verification decides
        (
            AMINER,
            "550-Verification for <garfield@domain.com>",
            "bounced",
            "policy-rejected",
            "signature:sender-verify-failed",
        ),
        # CVE-2019-10149 probes bounce on their own loop detection
        (AMINER, 'Too many "Received" headers', "bounced", "routing", "signature:mail-loop"),
        (
            LIVE,
            "Gmail has detected that this message is likely unsolicited",
            "bounced",
            "spam-rejected",
            "signature:google-likely-unsolicited",
        ),
        # the older form of a dropped connection names the host inside the text
        (
            EXIM_PASTES,
            "closed connection in response to end of data",
            "deferred",
            "network",
            "signature:exim-remote-closed",
        ),
        (
            EXIM_PASTES,
            "530-5.5.1 Authentication Required",
            "bounced",
            "auth-required",
            "signature:auth-required",
        ),
    ],
)
def test_exim_texts_in_real_lines(
    clf: Classifier,
    exim: list[ParsedLine],
    file_name: str,
    needle: str,
    status: str | None,
    category: str,
    rule: str,
) -> None:
    ev = only_event(find_line(exim, file_name, needle))
    assert ev.status == status
    v = clf.classify_event(ev).verdict
    assert (v.category, v.rule) == (category, rule)


def test_a_host_list_whose_dns_lookup_deferred_is_a_dns_failure_not_the_451(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """match.c's 'DNS lookup of "..." deferred': an ACL's host list could not be resolved, so
    Exim answered 451; the inferred code alone would say 'server error'."""
    line = find_line(exim, EXIM_PASTES, 'DNS lookup of "MAIN_RELAY_NETS" deferred')
    expected: dict[str, Any] = dict(
        direction="inbound",
        stage="rcpt",
        status="rejected",
        code="451",
        code_inferred=True,
        remote_ip="127.0.0.1",
        sender="me@localhost",
        recipient="me@localhost",
    )
    assert_golden(line, [expected])
    v = clf.classify_event(only_event(line)).verdict
    assert (v.category, v.rule) == ("dns-failure", "signature:exim-host-lookup-failed")


@pytest.mark.parametrize(
    "needle",
    [
        "=> vveronico <root@srv-cucina> R=local_user T=mail_spool",
        "=> jmvl <jmvl@acmea.tech> R=localuser T=local_delivery",
        "=> sales+spam |/usr/local/cpanel/bin/autorespond",  # a cPanel autoresponder pipe
        "=> kmr <kmr@system3.local.com> R=local_user T=mail_spool",
    ],
)
def test_exim_local_deliveries_without_a_reply_are_delivered(
    clf: Classifier, exim: list[ParsedLine], needle: str
) -> None:
    ev = only_event(find_line(exim, EXIM_PASTES, needle))
    assert (ev.status, ev.code, ev.direction) == ("sent", None, "outbound")
    assert clf.classify_event(ev).verdict.category == "delivered"


@pytest.mark.parametrize(
    ("file_name", "needle"),
    [
        # per-host connection errors: the "==" or "**" line that follows is the outcome
        (EXIM_PASTES, "H=mail.mydomain.com [65.254.254.52] Connection timed out"),
        (EXIM_PASTES, "TLS error on connection (recv)"),
        (PLANETWORK, "SMTP timeout after EHLO bayamo.planet-work.net"),
        # a verification that could not finish: the ACL's own refusal line carries the reply
        (PLANETWORK, "sender verify defer for <bounce@emailbackend.com>"),
        # the bounce could not be written, or a message was frozen: no SMTP reply
        (EXIM_PASTES, "Process failed (1) when writing error message"),
        (OSSEC, "Frozen (delivery error message)"),
        (PLANETWORK, "X-Sender=divianne@hxmedia.com"),
    ],
)
def test_exim_lines_that_are_not_outcomes_give_no_event(
    exim: list[ParsedLine], file_name: str, needle: str
) -> None:
    assert not find_line(exim, file_name, needle).events


def test_exim_smarthost_unreachable_defers_each_message_once(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """Exim logs the host's error, then the deferral: only the "==" line is an outcome."""
    lines = [p for p in exim if p.path.name == DEBIAN_2022 and "Network is unreachable" in p.text]
    assert len(lines) == 12
    events = [ev for p in lines for ev in p.events or []]
    assert len(events) == 6
    assert {(ev.status, clf.classify_event(ev).verdict.category) for ev in events} == {
        ("deferred", "network")
    }


def test_exim_syslog_line_quoted_without_its_time_stamp_and_host_is_exim(
    exim: list[ParsedLine],
) -> None:
    """OSSEC's alert quotes 'exim[14706]: 2006-11-21 15:01:39 ...': detection and parsing both
    take the relay prefix without a syslog time stamp or host."""
    line = find_line(exim, OSSEC, "1Gmary-0002iA-00 **")
    assert EximParser.detect([line.text], None) == 1.0
    assert only_event(line).ts == "2006-11-21T15:01:39"


# -- Sendmail --------------------------------------------------------------------------------


def test_tcpwrappers_rejection_is_a_refused_connection(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    line = find_line(sendmail, BLOGS, "tcpwrappers (localhost, 127.0.0.1) rejection")
    expected: dict[str, Any] = dict(
        direction="inbound",
        stage="connect",
        status="rejected",
        code="554",
        code_inferred=True,
        remote_host="localhost",
        remote_ip="127.0.0.1",
        queue_id=None,
    )
    assert_golden(line, [expected])
    v = clf.classify_event(only_event(line)).verdict
    assert (v.category, v.rule) == ("policy-rejected", "signature:sendmail-tcpwrappers-rejection")


def test_client_ruleset_reject_leaves_the_outcome_to_the_to_line(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    """ruleset=tls_rcpt runs when Sendmail is the client: its reject= (here the access map was
    missing, proto.m4's '451 4.3.0 Temporary system failure') is not a reply any peer sent;
    the to= line after it is the delivery's outcome."""
    assert find_line(sendmail, UBUNTU, "ruleset=tls_rcpt").events == []
    ev = only_event(find_line(sendmail, UBUNTU, "to=benloc@sipnsearch.com"))
    assert (ev.direction, ev.status) == ("outbound", "deferred")
    assert clf.classify_event(ev).verdict.category == "server-error"


@pytest.mark.parametrize(
    ("file_name", "needle", "status", "category"),
    [
        (UBUNTU, "r39G922P001173: to=<v**e@inbox.lv>", "deferred", "bad-domain"),
        (UBUNTU, "stat=Deferred: Connection timed out with rediff.com.", "deferred", "network"),
        (UBUNTU, "stat=Deferred: Connection reset by owa.paytmbank.com.", "deferred", "network"),
        (UBUNTU, "to=<root@server.domain.local>", "deferred", "server-error"),
        (BLOGS, "exited with EX_TEMPFAIL", "deferred", "server-error"),
        (ISO_SYSLOG, "barracudacentral.org", "rejected", "blocklisted"),
    ],
)
def test_sendmail_texts_in_real_lines(
    clf: Classifier,
    sendmail: list[ParsedLine],
    file_name: str,
    needle: str,
    status: str,
    category: str,
) -> None:
    lines = [p for p in sendmail if p.path.name == file_name and needle in p.text]
    assert lines, needle
    for line in lines:
        ev = only_event(line)
        assert ev.status == status, line.text
        assert clf.classify_event(ev).verdict.category == category, line.text


def test_sendmail_8_14_sender_notify_of_an_expired_message_is_expired(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    """The notice line in its older form ("sender notify:" where later versions say "DSN:")
    records the queue lifetime running out, as "DSN: Cannot send message for 5 days" does."""
    ev = only_event(find_line(sendmail, UBUNTU, "sender notify: Cannot send message for 5 days"))
    assert (ev.status, ev.queue_id, ev.text) == (
        "expired",
        "mAO2tx04010773",
        "Cannot send message for 5 days",
    )
    assert clf.classify_event(ev).verdict.category == "network"


def test_sendmail_through_an_iso_time_syslog_template(sendmail: list[ParsedLine]) -> None:
    """rsyslog with a template that writes '2019-08-11 23:06:55 host sendmail[pid]: ...'."""
    ev = only_event(find_line(sendmail, ISO_SYSLOG, "x7BL5tbV014209"))
    assert (ev.ts, ev.stage, ev.code, ev.recipient) == (
        "2019-08-11T23:06:55",
        "rcpt",
        "550",
        "anna.bertilsson@bertilzon.com",
    )


# -- Postfix ---------------------------------------------------------------------------------


def test_postfix_pastes_from_github_issues(clf: Classifier) -> None:
    lines = parse_corpus(PostfixParser, "postfix")
    name = "github-issues-postfix-pastes-2.log"
    # T-Online's own blocklist, named by its "(BL)" suffix; the host was T-Online's MX
    ev = only_event(find_line(lines, name, "tosa@rx.t-online.de"))
    v = clf.classify_event(ev).verdict
    assert (ev.code, v.category, v.provider) == ("554", "blocklisted", "t-online")
    ev = only_event(find_line(lines, name, "to=<doesnotexist@example.com>"))
    assert (ev.status, clf.classify_event(ev).verdict.category) == ("bounced", "mailbox-unknown")
    for line in [p for p in lines if p.path.name == name and "tiscali" in p.text]:
        ev = only_event(line)
        assert (ev.status, ev.stage, clf.classify_event(ev).verdict.category) == (
            "deferred",
            "end-of-data",
            "network",
        )


# -- forms the collected lines lack, built from the MTAs' format strings ---------------------


def test_exim_mail_without_helo_is_a_protocol_error_with_its_503(clf: Classifier) -> None:
    """smtp_in.c (hosts_require_helo): log_write "rejected MAIL from %s: no HELO/EHLO given",
    synprot_error(503, "HELO or EHLO required"); the host is host_and_ident()'s."""
    line = (
        "2024-03-12 10:00:00 rejected MAIL from mx.example.net (helo) [192.0.2.7]: "
        "no HELO/EHLO given"
    )
    [ev] = EximParser("mainlog", year=2024).feed(line, 1) or []
    assert (ev.stage, ev.code, ev.code_inferred) == ("mail", "503", True)
    assert (ev.remote_host, ev.remote_ip) == ("mx.example.net", "192.0.2.7")
    v = clf.classify_event(ev).verdict
    assert (v.category, v.rule) == ("protocol", "signature:helo-missing")


def test_cpanel_cannot_route_is_routing_but_after_a_sender_verify_it_is_the_verify(
    clf: Classifier,
) -> None:
    """cPanel's cannot_route_message replaces "Unrouteable address"; quoted in a sender-verify
    refusal (a Python paste of the SMTP error: 'Verification failed for <...>\\nThe mail server
    ...\\nSender verify failed'), the verification decides."""
    cannot = (
        "The mail server could not deliver mail to a@example.invalid.  The account or domain "
        "may not exist, they may be blacklisted, or missing the proper dns entries."
    )
    assert verdict_of(clf, "550", cannot).category == "routing"
    quoted = f"Verification failed for <a@example.invalid>\\n{cannot}\\nSender verify failed"
    verdict = verdict_of(clf, "550", quoted)
    assert (verdict.category, verdict.rule) == (
        "policy-rejected",
        "signature:exim-sender-verification-reply",
    )


def verdict_of(clf: Classifier, code: str, text: str) -> Verdict:
    return clf.classify(code, None, text, None, "rcpt", "rejected", True)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # parse.c: the address's syntax, whatever the inferred 550 would say
        ("domain missing or malformed", "bad-address"),
        ('missing or malformed local part (expected word or "<")', "bad-address"),
        # ... but in an alias file it is the configuration's fault
        (
            'error in redirect data: missing or malformed local part (expected word or "<") '
            'in "bad address"',
            "server-error",
        ),
    ],
)
def test_exim_address_parse_errors_in_a_refusal(clf: Classifier, text: str, category: str) -> None:
    line = f"2024-03-12 10:00:03 H=(x) [192.0.2.7] F=<a@example.net> rejected RCPT <u@>: {text}"
    [ev] = EximParser("mainlog", year=2024).feed(line, 1) or []
    assert (ev.code, ev.code_inferred) == ("550", True)
    assert clf.classify_event(ev).verdict.category == category


def test_sendmail_reply_read_error_is_network(clf: Classifier) -> None:
    """usersmtp.c's own 451 4.4.1 when the connection broke while waiting for the reply; the
    line is built from Sendmail's to= format with that stat= text."""
    line = (
        "Mar 12 10:00:04 mx1 sm-mta[4242]: 2BCA0000001234: to=<a@example.net>, delay=00:00:31, "
        "xdelay=00:00:30, mailer=esmtp, pri=120000, relay=mx.example.net. [192.0.2.8], "
        "dsn=4.4.1, stat=Deferred: 451 4.4.1 reply: read error from mx.example.net."
    )
    [ev] = SendmailParser("maillog", year=2024).feed(line, 1) or []
    assert (ev.status, ev.code) == ("deferred", "451")
    v = clf.classify_event(ev).verdict
    assert (v.category, v.rule) == ("network", "signature:sendmail-reply-read-error")
