"""Exim lines collected for issue 12, fifth round (tests/data/SOURCES.md), and the families built
from Exim's source this round: connections refused over the server's limits (daemon.c,
smtp_in.c), the lmtp transport's own failures, the default DATA ACL's line-length refusal and
greylistd's deferral wording."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import Event
from parsers.exim import EximParser
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line, only_event

PASTES = "code-index-exim-pastes-5.log"
ALAVETELI = "alaveteli-spec-exim-2015-2016.log"


def feed(*lines: str) -> list[list[Event] | None]:
    parser = EximParser("mainlog", year=2024)
    return [parser.feed(line, n) for n, line in enumerate(lines, 1)]


def one(line: str) -> Event:
    [evs] = feed(line)
    assert evs is not None and len(evs) == 1, line
    return evs[0]


# -- the collected lines ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [PASTES, ALAVETELI])
def test_every_collected_line_is_understood(exim: list[ParsedLine], name: str) -> None:
    lines = [p for p in exim if p.path.name == name]
    assert len(lines) == {PASTES: 11, ALAVETELI: 11}[name]
    assert all(p.events is not None for p in lines), [p.text for p in lines if p.events is None]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            PASTES,
            [
                (5, "sent", "delivered"),
                (7, "rejected", "policy-rejected"),  # header syntax (verify = header_syntax)
                (8, "rejected", "greylisted"),
                (9, None, "rate-limited"),  # Yahoo's [TS01]; the host's reply, no "==" line
                (11, "bounced", "relay-denied"),  # the relay's "550 Relay not permitted"
            ],
        ),
        (
            ALAVETELI,
            [
                (2, "sent", "delivered"),
                (3, "sent", "delivered"),  # "->": one more address of the same delivery
                (4, "deferred", "greylisted"),  # Mimecast's 451 "Internal resource ..."
                (5, "bounced", "routing"),
                (8, "sent", "delivered"),
                (10, "sent", "delivered"),
            ],
        ),
    ],
)
def test_what_the_collected_lines_give(
    clf: Classifier, exim: list[ParsedLine], name: str, expected: list[tuple[int, Any, str]]
) -> None:
    """Each event as a postmaster reads its line: arrivals, per-host errors, TLS notes and
    Completed give none; the rest by their text."""
    lines = [p for p in exim if p.path.name == name]
    got = [
        (p.lineno, ev.status, clf.classify_event(ev).verdict.category)
        for p in lines
        for ev in p.events or []
    ]
    assert got == expected


def test_mimecasts_singular_wording_is_its_greylisting(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """Mimecast writes "Internal resource temporarily unavailable" (no "are"): the signature
    knew only Sisimai's plural wording, and the text fell to a generic service-unavailable."""
    ev = only_event(find_line(exim, ALAVETELI, "Internal resource temporarily unavailable"))
    assert (ev.stage, ev.code, ev.remote_host) == ("rcpt", "451", "eu-smtp-inbound-1.mimecast.com")
    verdict = clf.classify_event(ev).verdict
    assert (verdict.category, verdict.rule, verdict.provider) == (
        "greylisted",
        "signature:mimecast-greylisting",
        "mimecast",
    )


def test_a_header_syntax_refusal_keeps_the_client_and_sender(exim: list[ParsedLine]) -> None:
    line = find_line(exim, PASTES, "unqualified address not permitted")
    expected: dict[str, Any] = dict(
        direction="inbound",
        stage="end-of-data",
        status="rejected",
        code="550",
        code_inferred=True,
        remote_host="mga03.intel.com",
        remote_ip="134.134.136.65",
        sender="yong.liang.choong@linux.intel.com",
    )
    assert_golden(line, [expected])


# -- daemon.c and smtp_in.c: connections refused over the server's limits --------------------


@pytest.mark.parametrize(
    ("line", "ip", "category"),
    [
        (
            "2024-03-12 10:00:00 Connection from [192.0.2.7] refused: too many connections "
            "from that IP address",
            "192.0.2.7",
            "rate-limited",
        ),
        (
            "2024-03-12 10:00:00 Connection from [192.0.2.7]:4444 I=[198.51.100.1]:25 refused: "
            "too many connections",
            "192.0.2.7",
            "service-unavailable",
        ),
        (
            "2024-03-12 10:00:00 Connection from [192.0.2.7]:4444 refused: load average = 12.50",
            "192.0.2.7",
            "service-unavailable",
        ),
        (
            "2024-03-12 10:00:00 temporarily refused connection from mail.example.com "
            "[192.0.2.1]: not in reserve list: connected=99 max=100 reserve=10",
            "192.0.2.1",
            "service-unavailable",
        ),
    ],
)
def test_connections_refused_over_the_limits_are_inbound_421s(
    clf: Classifier, line: str, ip: str, category: str
) -> None:
    """daemon.c and smtp_in.c log these with the format strings filled in here and send a 421
    they do not log; until now the first three were skipped and the last not understood."""
    ev = one(line)
    assert (ev.direction, ev.stage, ev.status, ev.code, ev.code_inferred) == (
        "inbound",
        "connect",
        "rejected",
        "421",
        True,
    )
    assert ev.remote_ip == ip
    assert clf.classify_event(ev).verdict.category == category


# -- transports/lmtp.c, route.c: our own local delivery failing -----------------------------


@pytest.mark.parametrize(
    "reason",
    [
        "Failed to connect to socket /var/run/dovecot/lmtp for dovecot_lmtp transport: "
        "Connection refused",
        "Failed to connect to socket /var/run/dovecot/lmtp for dovecot_lmtp transport: "
        "No such file or directory",
        'Failed to find user "vmail" from expanded string "vmail" for the dovecot_lmtp transport',
    ],
)
def test_the_local_lmtp_service_failing_is_our_server_error(clf: Classifier, reason: str) -> None:
    """Not network: the socket is our own Dovecot's, not a remote host's."""
    ev = one(
        "2024-03-12 10:00:00 1rk3Ab-0001xX-Ab == u@example.net R=dovecot_user T=dovecot_lmtp "
        f"defer (111): {reason}"
    )
    assert (ev.status, ev.text) == ("deferred", reason)
    assert clf.classify_event(ev).verdict.category == "server-error"


# -- configure.default's DATA ACL and greylistd --------------------------------------------


def test_the_default_acl_refusing_an_overlong_line_is_a_protocol_refusal(clf: Classifier) -> None:
    """Exim's configure.default (and Debian's exim4-config) deny a message with a line over
    998 octets; the inferred 550 said policy."""
    ev = one(
        "2024-03-12 10:00:00 1rk3Ab-0001xX-Ab H=(client) [192.0.2.6] F=<a@example.com> "
        "rejected after DATA: maximum allowed line length is 998 octets, got 1234"
    )
    assert (ev.stage, ev.code) == ("end-of-data", "550")
    assert clf.classify_event(ev).verdict.category == "protocol"


def test_a_greylistd_deferral_is_greylisting(clf: Classifier) -> None:
    """The deferral mysociety/alaveteli PR 3745 quotes (2014; addresses as its template)."""
    ev = one(
        "2014-03-25 15:35:55 [3721] 1WSTOA-0000xz-JF == body@example.ac.uk R=dnslookup "
        "T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT "
        "TO:<body@example.ac.uk>: host mx.core.canterbury.ac.uk [127.0.0.1]: 451-127.0.0.2 is "
        "not yet authorized to deliver mail from\\n451-<request@example.org> to "
        "<body@example.ac.uk>.\\n451 Please try later."
    )
    assert (ev.stage, ev.status, ev.code, ev.remote_host) == (
        "rcpt",
        "deferred",
        "451",
        "mx.core.canterbury.ac.uk",
    )
    verdict = clf.classify_event(ev).verdict
    assert (verdict.category, verdict.rule) == ("greylisted", "signature:greylist-greylistd")


# -- deliver.c failure_log(): +deliver_time and the 4.99 separators -------------------------


def test_the_delivery_time_ending_a_failure_is_no_part_of_its_reason(
    exim: list[ParsedLine],
) -> None:
    """log_selector +deliver_time (4.94+) ends a "**" line with " DT=<time>" after the reason:
    the real Exim 4.98 line of drlight17/mta-log-parser#22 (github-issues-exim-pastes-3.log)."""
    line = find_line(exim, "github-issues-exim-pastes-3.log", "returned 127 (could mean")
    text = only_event(line).text
    assert text is not None and text.endswith("/usr/local/libexec/dovecot/deliver")


@pytest.mark.parametrize(
    ("reason", "text", "category"),
    [
        # anchored texts did not match with the field after them
        ("Unrouteable address DT=0s", "Unrouteable address", "routing"),
        ("Permission denied DT=0.001s", "Permission denied", "server-error"),
        (
            "SMTP error from remote mail server after RCPT TO:<u@example.net>: 550 5.1.1 "
            "User unknown DT=1m2s",
            "550 5.1.1 User unknown",
            "mailbox-unknown",
        ),
    ],
)
def test_a_failure_with_its_delivery_time(
    clf: Classifier, reason: str, text: str, category: str
) -> None:
    """deliver.c failure_log() as Exim 4.94-4.98 write it, and 4.99's " : " before the reason
    (test/log of Exim 4.99: "** userx@test.ex R=r1 T=t1 : all hosts ...")."""
    for sep in (": ", " : "):
        ev = one(
            f"2025-06-01 10:00:00 1uLXyz-00000000AbC-1xYz ** u@example.net R=r T=t{sep}{reason}"
        )
        assert (ev.status, ev.text) == ("bounced", text)
        assert clf.classify_event(ev).verdict.category == category


@pytest.mark.parametrize(
    "reason",
    [
        "all hosts for 'example.net' have been failing for a long time "
        "(and retry time not reached)",
        # 4.99 writes the last error's strerror() before the message, after " : "
        "Connection refused : all hosts for 'example.net' have been failing for a long time "
        "(and retry time not reached) DT=0s",
        "Connection timed out : retry timeout exceeded",
    ],
)
def test_the_retry_cutoff_is_an_expiry(clf: Classifier, reason: str) -> None:
    """smtp.c's "all hosts ... have been failing for a long time" fails the address at the retry
    rules' cut-off, as "retry timeout exceeded" does: expired, not a plain bounce."""
    ev = one(f"2025-06-01 10:00:00 1uLXyz-00000000AbC-1xYz ** u@example.net R=r T=t : {reason}")
    assert ev.status == "expired"
    assert clf.classify_event(ev).verdict.category == "network"


# -- smtp_in.c and receive.c: refusals logged in words of their own ------------------------


@pytest.mark.parametrize(
    ("line", "stage", "code", "client", "category"),
    [
        # host_and_ident(FALSE) has no "H=": the client was lost before
        (
            "refused connection from mail.example.com [192.0.2.1] (host_reject_connection)",
            "connect",
            "554",
            ("mail.example.com", "192.0.2.1"),
            "policy-rejected",
        ),
        # recipients_max_reject sends 552 for the whole message, not the excess's 452
        (
            "too many recipients: message rejected: sender=<a@example.com> "
            "H=mail.example.com [192.0.2.1]",
            "rcpt",
            "552",
            ("mail.example.com", "192.0.2.1"),
            "rate-limited",
        ),
        (
            "unqualified sender rejected: <root> H=(ylmf-pc) [192.0.2.1]",
            "mail",
            "501",
            (None, "192.0.2.1"),
            "bad-address",
        ),
        (
            "unqualified recipient rejected: <admin> H=(ylmf-pc) [192.0.2.1]",
            "rcpt",
            "501",
            (None, "192.0.2.1"),
            "bad-address",
        ),
        (
            "overlong message header line received from mail.example.com (helo.example.com) "
            "[192.0.2.1] (more than 998 characters): message abandoned",
            "end-of-data",
            "552",
            ("mail.example.com", "192.0.2.1"),
            "message-too-large",
        ),
        (
            "local_scan() function timed out - message temporarily rejected (size 12345)",
            "end-of-data",
            "421",
            (None, None),
            "server-error",
        ),
    ],
)
def test_refusals_exim_logs_in_its_own_words(
    clf: Classifier,
    line: str,
    stage: str,
    code: str,
    client: tuple[str | None, str | None],
    category: str,
) -> None:
    """The format strings of smtp_in.c and receive.c, filled in: the unqualified addresses, the
    header limits and local_scan() were not understood, the others lost their client or code."""
    ev = one(f"2024-03-12 10:00:00 {line}")
    assert (ev.direction, ev.stage, ev.status, ev.code, ev.code_inferred) == (
        "inbound",
        stage,
        "rejected",
        code,
        True,
    )
    assert (ev.remote_host, ev.remote_ip) == client
    assert clf.classify_event(ev).verdict.category == category


@pytest.mark.parametrize(
    "line",
    [
        # log_selector +dnslist_defer and +ident_timeout: notes, the ACL decides after them
        "DNS list lookup defer (probably timeout) for 1.2.0.192.zen.spamhaus.org: "
        "assumed not in list",
        "ident connection to 192.0.2.1 timed out",
    ],
)
def test_lookup_notes_are_understood_and_give_no_event(line: str) -> None:
    assert feed(f"2024-03-12 10:00:00 {line}") == [[]]


# -- the ACL texts of Exim's configure.default and Debian's exim4-config ---------------------


@pytest.mark.parametrize(
    ("refusal", "code", "category"),
    [
        ("rejected RCPT <u@example.net>: nice hosts say HELO first", "550", "protocol"),
        (
            "temporarily rejected RCPT <u@example.net>: Temporary DNS error while checking SPF "
            "record.  Try again later.",
            "451",
            "dns-failure",
        ),
        # log_message of the local blacklists: a list of our own, still a blocklist
        (
            "rejected RCPT <u@example.net>: sender IP address is locally blacklisted.",
            "550",
            "blocklisted",
        ),
        (
            "rejected RCPT <u@example.net>: Rejected for too many bad recipients",
            "550",
            "policy-rejected",
        ),
    ],
)
def test_debian_acl_refusals(clf: Classifier, refusal: str, code: str, category: str) -> None:
    """acl/30_exim4-config_check_rcpt's messages with the ACL refusal's line around them."""
    ev = one(f"2024-03-12 10:00:00 H=(x) [192.0.2.1] F=<a@example.com> {refusal}")
    assert (ev.stage, ev.code) == ("rcpt", code)
    assert clf.classify_event(ev).verdict.category == category


def test_the_logwrite_beside_the_bad_recipients_refusal_is_understood() -> None:
    """configure.default and Debian write 'REJECT [<ip>]: bad recipient count high [<n>]' with
    logwrite before the refusal line, which is the outcome."""
    assert feed("2024-03-12 10:00:00 REJECT [192.0.2.1]: bad recipient count high [6]") == [[]]


# -- smtp_in.c smtp_handle_acl_fail(): a receiving Exim's sender verification, quoted --------


@pytest.mark.parametrize(
    "detail",
    [
        "550-Unrouteable address",  # was bad-domain: the domain is the sender's, not ours
        # a callout to the sender's own server: was mailbox-unknown, as if the recipient were
        "550-Called:   192.0.2.1\\n550-Sent:     RCPT TO:<a@example.com>\\n"
        "550-Response: 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown",
    ],
)
def test_a_remote_sender_verification_is_a_policy_refusal(clf: Classifier, detail: str) -> None:
    ev = one(
        "2024-03-12 10:00:00 1rk3Ab-0001xX-Ab ** u@example.net R=dnslookup T=remote_smtp "
        "H=mx.example.net [203.0.113.1]: SMTP error from remote mail server after RCPT "
        f"TO:<u@example.net>: 550-Verification failed for <a@example.com>\\n{detail}\\n"
        "550 Sender verify failed"
    )
    assert (ev.stage, ev.status, ev.code) == ("rcpt", "bounced", "550")
    verdict = clf.classify_event(ev).verdict
    assert (verdict.category, verdict.rule) == (
        "policy-rejected",
        "signature:exim-sender-verification-reply",
    )
