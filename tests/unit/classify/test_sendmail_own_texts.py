"""Sendmail's own reply texts (sendmail 8.17.1.9's sendmail/*.c and cf/m4/proto.m4, issue 12,
tenth round): what a remote Sendmail answers and what Sendmail writes in its own reject=/stat=
fields. Each row is a format string of the source with its blanks filled in; the category is
what the code that writes it means (rules/outcomes.toml, section "Sendmail: the replies its own
SMTP server ..."). Blind, with the rules before this round, 6 of the 52 rows were right.
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier

TEXTS = [
    # srvrsmtp.c: commands out of order or malformed
    ("503 5.0.0 Need MAIL before RCPT", "protocol"),
    ("503 5.0.0 Need MAIL command", "protocol"),
    ("503 5.0.0 Need RCPT (recipient)", "protocol"),
    ("503 5.0.0 Polite people say HELO first", "protocol"),
    ("503 5.0.0 I demand that you introduce yourself first", "protocol"),
    ("503 5.5.0 Sender already specified", "protocol"),
    ("503 5.5.0 Already Authenticated", "protocol"),
    ("503 mail.example.net Duplicate HELO/EHLO", "protocol"),
    ("501 5.0.0 Missing recipient", "protocol"),
    ("501 HELO requires domain address", "protocol"),
    ("501 5.5.0 Duplicate ENVID parameter", "protocol"),
    ("421 4.7.0 mail.example.net Too many bad commands; closing connection", "protocol"),
    ("421 4.7.0 mail.example.net Command too long, possible attack [192.0.2.1]", "protocol"),
    ("421 4.7.0 mail.example.net Too many bad recipients; closing connection", "policy-rejected"),
    # recipient.c: programs, files and :include:s its local policy will not deliver to (as Exim's
    # forbid_pipe), and alias loops
    ("550 Cannot mail directly to programs", "policy-rejected"),
    ("550 Cannot mail directly to :include:s", "policy-rejected"),
    ("550 Unsafe for mailing to files", "policy-rejected"),
    ("550 UID 1005 is an unknown user: cannot mail to programs", "policy-rejected"),
    ("550 User bob@example.net doesn't have a valid shell for mailing to files", "policy-rejected"),
    ("554 aliasing/forwarding loop broken (10 aliases deep; 10 max)", "routing"),
    ("554 aliasing/forwarding loop for bob@example.net broken", "routing"),
    # collect.c: size limits
    ("552 Headers too large (32768 max)", "message-too-large"),
    ("552 Message exceeds maximum fixed size (10485760)", "message-too-large"),
    # alias.c, parseaddr.c, deliver.c, savemail.c: Sendmail's own configuration and files
    ("554 5.3.0 alias line too long", "server-error"),
    ("554 5.3.0 forward: no home", "server-error"),
    ("554 5.3.0 rewrite: map access not found", "server-error"),
    ("554 5.3.0 Too many subroutine calls (20 max)", "server-error"),
    ("554 5.3.0 cannot open /var/mail/bob: Permission denied", "server-error"),
    ("454 4.3.0 cannot open /home/bob/mbox: No space left on device", "server-error"),
    ("554 5.3.0 file changed after open", "server-error"),
    ("554 5.3.0 returntosender: infinite recursion on bob@example.net", "server-error"),
    ("554 savemail: cannot save rejected email anywhere", "server-error"),
    # deliver.c, milter.c, parseaddr.c
    ("554 Cannot send 8-bit data to 7-bit destination", "protocol"),
    ("550 Command rejected", "policy-rejected"),
    ("550 5.7.1 Command rejected", "policy-rejected"),
    ("553 5.1.1 Address too long", "bad-address"),
    # cf/m4/proto.m4: the rulesets' refusals (check_mail, require_rdns, TLS_connection, MTA-STS)
    ("553 5.5.4 <bob>... Domain name required for sender address bob", "bad-address"),
    ("553 5.5.4 <bob@host>... Real domain name required for sender address", "bad-address"),
    ("553 5.5.4 <bob@host>... Fully qualified domain name required", "bad-address"),
    ("553 5.1.2 <bob.@example.com>... Local part must not end with a dot", "bad-address"),
    ("451 4.1.8 Possibly forged hostname for 192.0.2.1", "sender-auth-failed"),
    ("403 4.7.0 authentication required", "tls-required"),
    ("403 4.7.0 authentication failed", "tls-required"),
    ("403 4.7.0 not authenticated", "tls-required"),
    ("403 4.7.0 no authentication requested", "tls-required"),
    ("403 4.7.0 STARTTLS disabled locally", "tls-required"),
    ("403 4.7.0 encryption too weak 56 less than 128", "tls-required"),
    ("403 4.7.0 CN mx.example.net does not match mail.example.net", "tls-required"),
    ("554 5.7.0 DANE check failed.", "tls-required"),
    ("454 4.7.0 STARTTLS temporarily not possible.", "tls-required"),
    ("450 4.7.0 mx.example.net not found in SANs", "tls-required"),
    ("450 4.7.0 STS lookup temp fail", "tls-required"),
]


@pytest.mark.parametrize(("text", "category"), TEXTS)
def test_a_remote_sendmails_reply_reads_by_its_text(
    clf: Classifier, text: str, category: str
) -> None:
    code = text[:3]
    status = "bounced" if code.startswith("5") else "deferred"
    v = clf.classify(code, None, text, "mx.example.net", "rcpt", status)
    assert v.category == category, v
