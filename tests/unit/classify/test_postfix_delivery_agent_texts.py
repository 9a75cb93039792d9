"""Postfix's delivery agents other than smtp (local, virtual, pipe, lmtp, error) and postscreen in
real lines collected for issue 12, third round (tests/data/SOURCES.md): what each family of their
own texts means, from Postfix's source (pipe_command.c, sys_exits.c, local/*.c,
virtual/mailbox.c, postscreen/*.c, cited in rules/outcomes.toml)."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import (
    ParsedLine,
    assert_golden,
    assert_outcome,
    find_line,
    only_event,
)

AGENTS = "github-issues-postfix-delivery-agents.log"
PREFIXED = "github-issues-postfix-delivery-agents-prefixed.log"
POSTSCREEN = "github-issues-postfix-postscreen-4.log"
FORUMS = "ubuntuforums-postfix-virtual-pipe-discard.log"


def test_a_delivery_command_that_exits_ex_tempfail_is_our_server_error(
    clf: Classifier, postfix: list[ParsedLine]
) -> None:
    """local(8) ran dovecot-lda, which exited 75: Postfix writes sys_exits.c's 'temporary
    failure' and the command's output, with dsn=4.3.0 (which alone says nothing)."""
    line = find_line(postfix, AGENTS, "temporary failure. Command output: lda(root)")
    expected: dict[str, Any] = dict(
        direction="outbound",
        status="deferred",
        code=None,
        enhanced="4.3.0",
        recipient="root@mydomain.xyz",
        queue_id="5A58B8A0DC9",
    )
    assert_golden(line, [expected])
    v = clf.classify_event(only_event(line)).verdict
    assert (v.category, v.rule) == ("server-error", "signature:postfix-delivery-command-failed")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # pipe_command.c's other failures, with and without the command's output
        ('Command died with status 127: "/usr/lib/dovecot/deliver"', "server-error"),
        ('Command time limit exceeded: "/usr/bin/procmail"', "server-error"),
        ("internal software error. Command output: Traceback", "server-error"),
        # ... but output that names the recipient's mailbox decides
        (
            "temporary failure. Command output: Quota exceeded (mailbox for user is full)",
            "mailbox-full",
        ),
        ("user unknown. Command output: Invalid user specified.", "mailbox-unknown"),
        # local(8) and virtual(8) could not write the mailbox: ownership, locks, permissions
        (
            "cannot update mailbox /var/mail/u for user u. destination /var/mail/u is not owned "
            "by recipient",
            "server-error",
        ),
        (
            "delivery failed to mailbox /var/mail/vhosts/example.com/u: cannot open file: "
            "Permission denied",
            "server-error",
        ),
        # ... unless the write failed on a quota (mbox_open.c's EDQUOT: 5.2.2)
        (
            "cannot update mailbox /var/mail/u for user u. error writing message: Disk quota "
            "exceeded",
            "mailbox-full",
        ),
    ],
)
def test_local_and_pipe_texts(clf: Classifier, text: str, category: str) -> None:
    v = clf.classify(None, None, text, None, "unknown", "deferred", False)
    assert v.category == category


@pytest.mark.parametrize(
    ("file_name", "needle", "status", "category"),
    [
        # local(8) and error(8) (virtual alias table) say the user does not exist
        (AGENTS, 'unknown user: "ewan"', "bounced", "mailbox-unknown"),
        (AGENTS, "orig_to=<ami@example.com>", "bounced", "mailbox-unknown"),
        (PREFIXED, 'unknown user: "process.watcher"', "bounced", "mailbox-unknown"),
        # pipe(8) with EX_CONFIG: sys_exits.c's 4.3.5
        (AGENTS, "mail system configuration error", "deferred", "server-error"),
        # lmtp(8) to Dovecot: the connection, then Dovecot's own 451 for a Sieve failure
        (AGENTS, "2525: Connection refused", "deferred", "network"),
        (PREFIXED, "while sending end of data", "deferred", "network"),
        (PREFIXED, "Execution of Sieve filters was aborted", "deferred", "server-error"),
        # local(8) handed the message to a command that took it
        (PREFIXED, "delivered to command: /usr/bin/procmail-wrapper", "sent", "delivered"),
        # virtual(8): a maildir delivery (also in Postfix 2.2's form without delays=), an
        # unknown user
        (FORUMS, "3B93750047D: to=<MYEMAIL>", "sent", "delivered"),
        (FORUMS, "2828B2DC839: to=<cam@x.org>", "sent", "delivered"),
        (FORUMS, 'unknown user: "anything@MYDOMAIN"', "bounced", "mailbox-unknown"),
        # pipe(8): the fax command died (pipe_command.c), or handed over to dovecot
        (FORUMS, "Command died with status 255", "bounced", "server-error"),
        (FORUMS, "delivered via dovecot service", "sent", "delivered"),
        # discard(8) "delivers" by throwing the message away, as configured
        (FORUMS, "to=<HDYAVORGEDQZ@source.com>", "sent", "delivered"),
        (FORUMS, "to=<e@faturaporto.com.br>", "sent", "delivered"),
    ],
)
def test_delivery_agents_in_real_lines(
    clf: Classifier,
    postfix: list[ParsedLine],
    file_name: str,
    needle: str,
    status: str,
    category: str,
) -> None:
    assert_outcome(clf, postfix, file_name, needle, "outbound", status, category)


def test_postscreen_deferring_a_new_client_after_its_deep_tests_is_greylisting(
    clf: Classifier, postfix: list[ParsedLine]
) -> None:
    """postscreen_state.c's rcpt_reply: the client passed, is allowlisted, and must reconnect."""
    line = find_line(postfix, POSTSCREEN, "450 4.3.2 Service currently unavailable")
    expected: dict[str, Any] = dict(
        direction="inbound", stage="rcpt", status="rejected", code="450", enhanced="4.3.2"
    )
    assert_golden(line, [expected])
    v = clf.classify_event(only_event(line)).verdict
    assert (v.category, v.rule) == ("greylisted", "signature:postfix-postscreen-come-back-later")


@pytest.mark.parametrize(
    ("needle", "category"),
    [
        # a DNSBL that postscreen or smtpd consulted
        ("client [X] blocked using zen.spamhaus.org", "blocklisted"),
        # ... through a public resolver: the receiving MTA's DNS problem, no listing
        ("Error: open resolver", "dns-failure"),
    ],
)
def test_postscreen_and_smtpd_dnsbl_refusals(
    clf: Classifier, postfix: list[ParsedLine], needle: str, category: str
) -> None:
    assert_outcome(clf, postfix, POSTSCREEN, needle, "inbound", "rejected", category)


def test_postscreen_denylist_reply_is_a_local_policy(clf: Classifier) -> None:
    v = clf.classify("550", "5.3.2", "550 5.3.2 Service currently unavailable", None, "connect")
    assert (v.category, v.rule) == ("policy-rejected", "signature:postfix-postscreen-denylisted")
