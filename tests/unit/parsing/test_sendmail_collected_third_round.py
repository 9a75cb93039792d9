"""Sendmail lines collected for issue 12, third round (tests/data/SOURCES.md): what the stat=
texts of Sendmail 8.13-8.15 mean, in the forms these logs show (syslog with BSD and RFC 3339
time stamps, sm-mta and sm-msp-queue, a multi-line reply cut to its first line)."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from parsers.sendmail import SendmailParser
from tests.helpers.mta_corpus import (
    ParsedLine,
    assert_golden,
    assert_outcome,
    find_line,
    only_event,
)

FORUMS = "ubuntuforums-sendmail-pastes-3.log"
MSP = "journal-stfc-sendmail-msp-2020.log"
VCENTER = "notes-vcenter-sendmail-rfc3339-2020.log"
OHMAGE = "github-issues-sendmail-pastes-3.log"
REJECTS = "code-index-sendmail-rejects.log"


def test_gmail_rate_deferral_cut_to_its_first_line_is_rate_limited(
    clf: Classifier, sendmail: list[ParsedLine]
) -> None:
    """usersmtp.c reply() keeps only the first line of a multi-line reply: Gmail's "unusual
    rate of unsolicited mail" ends at "unusual rate of", and the 421 alone says little."""
    line = find_line(sendmail, FORUMS, "Our system has detected an unusual rate of")
    expected: dict[str, Any] = dict(
        direction="outbound",
        status="deferred",
        code="421",
        enhanced="4.7.0",
        recipient="bdahiya2007@gmail.com",
        remote_host="alt4.gmail-smtp-in.l.google.com",
        remote_ip="173.194.65.27",
    )
    assert_golden(line, [expected])
    v = clf.classify_event(only_event(line)).verdict
    assert (v.category, v.provider, v.rule) == (
        "rate-limited",
        "google",
        "signature:google-rate-first-line",
    )


@pytest.mark.parametrize(
    ("file_name", "needle", "status", "category"),
    [
        # the local MTA could not write its queue file: our side (collect.c)
        (FORUMS, "p94NL2H8017112: to=postmaster", "deferred", "server-error"),
        (FORUMS, "r5SAR5il014101: to=test@gmail.com", "deferred", "server-error"),
        # the relay host's name does not resolve: the mail cannot go anywhere
        (FORUMS, "w4BIqpMb016834: to=postmaster", "bounced", "bad-domain"),
        (VCENTER, "0AU4NVat063189: to=<adm.vms@domain.hk>", "bounced", "bad-domain"),
        # the receiving server does not know our sender's domain
        (FORUMS, "Sender address rejected: Domain not found", "deferred", "bad-domain"),
        # the smarthost refuses to relay for the MSP's unqualified sender
        (MSP, "0397TlbO013757: to=postmaster", "deferred", "relay-denied"),
    ],
)
def test_stat_texts_in_real_lines(
    clf: Classifier,
    sendmail: list[ParsedLine],
    file_name: str,
    needle: str,
    status: str,
    category: str,
) -> None:
    assert_outcome(clf, sendmail, file_name, needle, "outbound", status, category)


def test_an_rfc3339_syslog_time_stamp_keeps_its_fraction_and_offset(
    sendmail: list[ParsedLine],
) -> None:
    ev = only_event(find_line(sendmail, VCENTER, "to=<adm.vms@domain.hk>"))
    assert ev.ts is not None and ev.ts.startswith("2020-11-30T04:23:31")
    assert (ev.queue_id, ev.enhanced) == ("0AU4NVat063189", "5.1.2")


def test_a_server_failing_our_tls_requirements_is_tls_not_unknown(clf: Classifier) -> None:
    """deliver.c's own reply when the tls_server ruleset refuses the session it negotiated as a
    client (no real line found; built from Sendmail's to= format with that stat= text)."""
    line = (
        "Mar  3 10:00:01 mx1 sm-mta[4242]: 2BCA0000001236: to=<a@example.net>, delay=00:00:01, "
        "xdelay=00:00:01, mailer=esmtp, pri=120000, relay=mx.example.net. [192.0.2.8], "
        "dsn=4.7.0, stat=Deferred: 403 4.7.0 server not authenticated."
    )
    [ev] = SendmailParser("maillog", year=2024).feed(line, 1) or []
    assert (ev.status, ev.code, ev.enhanced) == ("deferred", "403", "4.7.0")
    v = clf.classify_event(ev).verdict
    assert (v.category, v.rule) == (
        "tls-required",
        "signature:sendmail-tls-server-not-authenticated",
    )


@pytest.mark.parametrize(
    ("file_name", "needle", "text", "category"),
    [
        # a remote's 550 5.7.1 to RCPT: Sendmail logs EX_UNAVAILABLE's name and the remote's DSN
        (OHMAGE, "to=<jeroen.ooms@stat.ucla.edu>", None, "policy-rejected"),
        # a 553 5.1.8 (the sender's domain does not exist) becomes EX_NOUSER, "User unknown"
        (REJECTS, "o23BRwlA004693: to=<doron@doron-desktop>", None, "bad-domain"),
        # with Sendmail's own default DSN (no enhanced code from the remote) the name stays
        (OHMAGE, "to=<no-reply@ohmage.org>", "Service unavailable", "service-unavailable"),
    ],
)
def test_a_bounce_named_only_by_its_exit_status_is_read_from_the_remote_dsn(
    clf: Classifier,
    sendmail: list[ParsedLine],
    file_name: str,
    needle: str,
    text: str | None,
    category: str,
) -> None:
    """usersmtp.c smtprcpt(): 550/551/553 to RCPT -> EX_NOUSER, any other 5xx -> EX_UNAVAILABLE,
    whatever the reply said; before 8.17's reply= the remote's words are lost, its DSN is not."""
    ev = only_event(find_line(sendmail, file_name, needle))
    assert (ev.status, ev.text) == ("bounced", text)
    assert clf.classify_event(ev).verdict.category == category
