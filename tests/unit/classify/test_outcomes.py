"""Outcomes MTAs log in their own words, without an SMTP reply (issue 12).

Exim's router and transport errors and Sendmail's mailer exit statuses are decided by the
signatures of ``rules/outcomes.toml``; a delivery logged without a reply (an Exim local
delivery: ``=> user <addr> R=virtual_user T=dovecot_lda``) by ``[status."sent"]`` in
``rules/catalogue.toml``. The lines are real (tests/data/SOURCES.md) unless a test says it
builds one from the MTA's documented format.
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from parsers.exim import EximParser
from parsers.sendmail import SendmailParser
from tests.helpers.mta_corpus import ParsedLine, find_line, only_event, parse_corpus


@pytest.mark.parametrize(
    ("file_name", "needle"),
    [
        ("pastes-exim-local-deliveries.log", "R=virtual_user T=dovecot_lda"),
        ("pastes-exim-local-deliveries.log", "R=detrackify_router T=detrackify"),
        ("gpb-testtask-exim-mainlog-2012.log", "=> :blackhole:"),
        ("mailinglist-post-exim-2006.log", "=> paul@gmail.com R=dnslookup"),
    ],
)
def test_exim_delivery_without_a_reply_is_delivered(
    clf: Classifier, exim: list[ParsedLine], file_name: str, needle: str
) -> None:
    ev = only_event(find_line(exim, file_name, needle))
    assert (ev.status, ev.code) == ("sent", None)
    v = clf.classify_event(ev).verdict
    assert (v.category, v.rule, v.class_) == ("delivered", "status:sent", None)


EXIM_TESTSUITE = "exim-testsuite-mainlog-failures.log"


@pytest.mark.parametrize(
    ("file_name", "needle", "status", "category"),
    [
        (EXIM_TESTSUITE, "lowest numbered MX record points to local host", "bounced", "routing"),
        (EXIM_TESTSUITE, "never@myhost.test.ex R=never T=t3", "deferred", "policy-rejected"),
        (
            EXIM_TESTSUITE,
            "== userx@myhost.test.ex R=all T=piperet defer (0): Child process",
            "deferred",
            "server-error",
        ),
        (
            "mailinglist-post-exim-2006.log",
            "Child process of group_expansion transport returned 1",
            "bounced",
            "server-error",
        ),
        (
            EXIM_TESTSUITE,
            "failed to lock mailbox TESTSUITE/test-mail/userx (lock file)",
            "deferred",
            "server-error",
        ),
        (
            EXIM_TESTSUITE,
            "missing MX, or all MXs point to missing A records",
            "deferred",
            "bad-domain",
        ),
        (
            EXIM_TESTSUITE,
            "host lookup for test.again.dns did not complete",
            "deferred",
            "dns-failure",
        ),
        (EXIM_TESTSUITE, "defer (-54): retry time not reached for any host", "deferred", "network"),
        (EXIM_TESTSUITE, "message has lines too long for transport", "bounced", "protocol"),
        (EXIM_TESTSUITE, "utf8 support required but not offered", "bounced", "protocol"),
    ],
)
def test_exim_router_and_transport_errors_have_their_category(
    clf: Classifier,
    exim: list[ParsedLine],
    file_name: str,
    needle: str,
    status: str | None,
    category: str,
) -> None:
    lines = [p for p in exim if p.path.name == file_name and needle in p.text and p.events]
    assert lines, needle
    for line in lines:
        for ev in line.events or []:
            assert status is None or ev.status == status, line.text
            assert ev.code is None, line.text
            v = clf.classify_event(ev).verdict
            assert v.category == category, (line.text, v)
            assert v.rule.startswith("signature:"), v.rule


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Debian exim4-config "local delivery only": router nonlocal, :fail: with this text;
        # the line is built from Exim's documented "**" format.
        (
            "2024-03-12 10:00:01 1rk0Aa-0004Xy-2C ** user@example.org R=nonlocal: "
            "Mailing to remote domains not supported",
            "routing",
        ),
        # configure.default's RCPT ACL; Exim sends its default 550 and logs no code.
        (
            "2024-03-12 10:00:02 H=client.example.net [192.0.2.7] F=<a@example.net> "
            "rejected RCPT <a|b@example.com>: Restricted characters in address",
            "bad-address",
        ),
    ],
)
def test_exim_texts_from_its_configuration(clf: Classifier, text: str, category: str) -> None:
    [ev] = EximParser("mainlog", year=2024).feed(text, 1) or []
    assert clf.classify_event(ev).verdict.category == category


# The example texts of Exim's spec that administrators copy into their configuration (router
# :fail: data, cannot_route_message, ACL message =): each built into the line Exim writes for
# it, a bounce ("**", no code) or an ACL refusal (Exim's default 550, logged without a code).
SPEC_ROUTER_TEXTS = [
    ("Gone away, no forwarding address", "mailbox-disabled"),
    ("Unknown local user", "mailbox-unknown"),
    ("Invalid SRS recipient address", "mailbox-unknown"),
    ("staff@lists.example is a closed mailing list", "policy-rejected"),
]
SPEC_ACL_TEXTS = [
    ("Host not recognized", "policy-rejected"),
    ("Invalid sender from client host", "policy-rejected"),
    ("A valid sender header is required for bounces", "policy-rejected"),
    ("HTML mail is not accepted here", "policy-rejected"),
    ("Too many bad recipients", "policy-rejected"),
    ("Sender did not verify", "policy-rejected"),
    ("Can't verify sender", "policy-rejected"),
    ("This address does not send an unsigned reverse path", "policy-rejected"),
    ("Invalid reverse path signature.", "policy-rejected"),
    ("Mail from Paypal with invalid/missing signature", "sender-auth-failed"),
    ("no verified certificate", "tls-required"),  # acl.c, verify = certificate
]


@pytest.mark.parametrize(("text", "category"), SPEC_ROUTER_TEXTS)
def test_exim_spec_router_texts_bounce_by_what_they_say(
    clf: Classifier, text: str, category: str
) -> None:
    line = f"2024-03-12 10:00:01 1rk0Aa-0004Xy-2C ** user@example.org R=aliases: {text}"
    [ev] = EximParser("mainlog", year=2024).feed(line, 1) or []
    assert (ev.status, ev.code) == ("bounced", None)
    assert clf.classify_event(ev).verdict.category == category


@pytest.mark.parametrize(("text", "category"), SPEC_ACL_TEXTS)
def test_exim_spec_acl_texts_refuse_by_what_they_say(
    clf: Classifier, text: str, category: str
) -> None:
    line = (
        "2024-03-12 10:00:02 H=client.example.net [192.0.2.7] F=<a@example.net> "
        f"rejected RCPT <b@example.com>: {text}"
    )
    [ev] = EximParser("mainlog", year=2024).feed(line, 1) or []
    assert clf.classify_event(ev).verdict.category == category


@pytest.mark.parametrize(("text", "category"), SPEC_ACL_TEXTS)
def test_exim_spec_acl_texts_as_a_remote_exim_answers_them(
    clf: Classifier, text: str, category: str
) -> None:
    # What a sending MTA logs when a remote Exim refuses with one of these texts: the bare 550
    # alone would read as an unknown mailbox.
    v = clf.classify("550", None, f"550 {text}", "mx.example.net", "rcpt", "bounced")
    assert v.category == category, v


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        # smtp_in.c, tls-openssl.c, receive.c: what a remote Exim answers a client whose SMTP
        # dialogue is wrong, at the command it answers; at RCPT the bare 503 would read as
        # "authentication required", the 501 as a bad address.
        ("503 valid RCPT command must precede DATA", "data"),
        ("503 sender not yet given", "rcpt"),
        ("503 No sender yet given", "rcpt"),
        ("503 Sender already given", "mail"),
        ("503 MAIL FROM:<sender> command must precede DATA", "data"),
        ("503 RCPT TO:<recipient> must precede DATA", "data"),
        ("503 Command refused, required Proxy negotiation failed", "connect"),
        ("501 MAIL FROM must have an address operand", "mail"),
        ("501 RCPT TO must have an address operand", "rcpt"),
        ("501 Syntactically invalid SIZE argument(s)", "mail"),
        ("501 Unexpected argument data", "rcpt"),
        ("554 Already in TLS", "connect"),
        ("552 Message header not CRLF terminated", "end-of-data"),
    ],
)
def test_a_remote_exims_protocol_replies_are_protocol(
    clf: Classifier, text: str, stage: str
) -> None:
    v = clf.classify(text[:3], None, text, "mx.example.net", stage, "bounced")
    assert v.category == "protocol", v


@pytest.mark.parametrize(
    ("needle", "category"),
    [
        ("rejected by non-SMTP ACL: no verified certificate", "tls-required"),
        ("R=r3 : list1@lists.test.ex is a closed mailing list", "policy-rejected"),
        ("10HmbA-000000005vi-0000 ** unknown@test.ex <forwarder@", "mailbox-unknown"),
        (": I can't route to CALLER", "routing"),
        ("R=q : cannot route this one (FAIL)", "routing"),
        ("is not local, and can't route by DNS", "bad-domain"),  # stays a missing domain
    ],
)
def test_exim_testsuite_texts_a_person_can_read(
    clf: Classifier, exim: list[ParsedLine], needle: str, category: str
) -> None:
    v = clf.classify_event(only_event(find_line(exim, EXIM_TESTSUITE, needle))).verdict
    assert v.category == category, v


def test_exim_inferred_code_does_not_override_the_text(
    clf: Classifier, exim: list[ParsedLine]
) -> None:
    """A refusal whose code Exim did not log is judged by its text wherever a signature knows
    the text: SMTP synchronization errors are protocol violations, not service-unavailable."""
    inferred = [
        ev for p in exim for ev in p.events or [] if ev.code_inferred and ev.text is not None
    ]
    sync = [ev for ev in inferred if "synchronization error" in (ev.text or "")]
    assert len(sync) >= 10
    for ev in sync:
        assert (ev.code, clf.classify_event(ev).verdict.category) == ("554", "protocol")
    for ev in inferred:
        by_text = clf.classify(None, None, ev.text)
        if by_text.rule.startswith("signature:"):
            assert clf.classify_event(ev).verdict.category == by_text.category, ev.text


def test_sendmail_local_mailer_tempfail_is_a_server_error(clf: Classifier) -> None:
    lines = parse_corpus(SendmailParser, "sendmail")
    tempfail = [
        ev for p in lines for ev in p.events or [] if "exited with EX_TEMPFAIL" in (ev.text or "")
    ]
    assert len(tempfail) >= 10
    for ev in tempfail:
        assert ev.status == "deferred"
        v = clf.classify_event(ev).verdict
        assert (v.category, v.rule) == (
            "server-error",
            "signature:sendmail-mailer-exit-server-error",
        )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("local mailer (/usr/lib/sm.bin/mail.local) exited with EX_NOUSER", "mailbox-unknown"),
        ("local mailer (/usr/bin/procmail) exited with EX_CANTCREAT", "server-error"),
        ("local mailer (/usr/bin/procmail) exited with EX_UNAVAILABLE", "service-unavailable"),
        ("local mailer (/usr/bin/procmail) exited with EX_DATAERR", "protocol"),
    ],
)
def test_sendmail_exit_statuses(clf: Classifier, text: str, category: str) -> None:
    line = (
        "Feb 27 21:40:02 mx sm-mta[8181]: p1S0e2Wo008180: to=<u@example.com>, delay=00:00:00, "
        f"xdelay=00:00:00, mailer=local, pri=30593, dsn=4.0.0, stat=Deferred: {text}"
    )
    [ev] = SendmailParser("maillog", year=2024).feed(line, 1) or []
    assert clf.classify_event(ev).verdict.category == category


def test_codes_still_decide_a_delivery_status_cannot(clf: Classifier) -> None:
    """The status decides only what the codes leave open: a bounce's 550 5.1.1 stays
    mailbox-unknown, a sent event with no code is delivered, a deferral with no code and no
    known text stays unknown (and is listed as a gap by ``logscan scan``)."""
    assert clf.classify("550", "5.1.1", "550 5.1.1 no", status="bounced").category == (
        "mailbox-unknown"
    )
    assert clf.classify(None, None, None, status="sent").category == "delivered"
    assert clf.classify(None, None, "not just now", status="deferred").category == "unknown"


def test_domain_not_found_is_a_bad_domain_in_every_postfix_log(clf: Classifier) -> None:
    """Postfix's reject_unknown_{sender,recipient}_domain answer (450 4.1.8 / 4.1.2 "Domain not
    found" by default) says the domain does not exist: bad-domain, not a DNS failure."""
    from parsers.postfix import PostfixParser

    lines = parse_corpus(PostfixParser, "postfix")
    found = [
        ev
        for p in lines
        if not p.path.name.startswith("genlog")
        for ev in p.events or []
        if "address rejected: Domain not found" in (ev.text or "")
    ]
    assert len(found) >= 5
    for ev in found:
        assert clf.classify_event(ev).verdict.category == "bad-domain", ev.text


@pytest.mark.parametrize(
    ("needle", "category"),
    [
        ("status=deferred (mail transport unavailable)", "server-error"),
        ("status=bounced (Command died with signal 11", "server-error"),
        ("status=expired, returned to sender", "network"),
    ],
)
def test_postfix_agents_own_texts(clf: Classifier, needle: str, category: str) -> None:
    from parsers.postfix import PostfixParser

    lines = [p for p in parse_corpus(PostfixParser, "postfix") if needle in p.text]
    assert lines, needle
    for line in lines:
        for ev in line.events or []:
            assert clf.classify_event(ev).verdict.category == category, line.text


def test_exim_default_550_means_a_rule_refused(clf: Classifier, exim: list[ParsedLine]) -> None:
    """Exim sends 550 for any ACL deny without logging it: that default says a local rule
    refused; only the text can say the mailbox is unknown ("No Such User Here")."""
    inferred = [ev for p in exim for ev in p.events or [] if ev.code_inferred and ev.code == "550"]
    assert len(inferred) >= 50
    for ev in inferred:
        v = clf.classify_event(ev).verdict
        if v.category == "mailbox-unknown":
            assert v.rule.startswith("signature:"), (ev.text, v.rule)
        elif not v.rule.startswith("signature:"):
            assert (v.category, v.rule) == ("policy-rejected", "inferred:550"), ev.text
    no_user = [
        ev
        for p in exim
        if p.path.name == "crowdsec-hub-exim-tests.log" and "No Such User Here" in p.text
        for ev in p.events or []
    ]
    assert no_user and all(
        clf.classify_event(ev).verdict.category == "mailbox-unknown" for ev in no_user
    )
    # The same code, logged by the remote server itself, keeps its RFC meaning at RCPT.
    assert clf.classify("550", None, "550 nope", stage="rcpt").category == "mailbox-unknown"


@pytest.mark.parametrize(
    ("needle", "category"),
    [
        ("AUTH failure (DIGEST-MD5): user not found", "auth-failed"),
        ("AUTH failure (CRAM-MD5): user not found", "auth-failed"),
        ("due to pre-greeting traffic", "protocol"),
        ("EXPN root [rejected]", "policy-rejected"),
        ("VRFY root [rejected]", "policy-rejected"),
    ],
)
def test_sendmail_refusals_by_what_they_mean(clf: Classifier, needle: str, category: str) -> None:
    """An unknown SASL login is a failed AUTH, not an unknown mailbox; talking before the
    greeting is a protocol violation; EXPN/VRFY refused by privacy options is a policy."""
    lines = [p for p in parse_corpus(SendmailParser, "sendmail") if needle in p.text]
    assert lines, needle
    for line in lines:
        for ev in line.events or []:
            assert clf.classify_event(ev).verdict.category == category, line.text


def test_exim_mua_wrapper_failures_keep_their_text(clf: Classifier, exim: list[ParsedLine]) -> None:
    """mua_wrapper's "**" lines have no colon before their reason; the text is still read."""
    lines = [p for p in exim if p.path.name == EXIM_TESTSUITE and "mua_wrapper" in p.text]
    lines += [p for p in exim if p.path.name == EXIM_TESTSUITE and "routing yielded" in p.text]
    assert len(lines) >= 5
    for line in lines:
        ev = only_event(line)
        assert ev.text and ("mua_wrapper" in ev.text or "routing yielded" in ev.text)
        assert clf.classify_event(ev).verdict.category == "routing"
