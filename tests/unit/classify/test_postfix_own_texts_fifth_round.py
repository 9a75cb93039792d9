"""Postfix delivery agents' own status texts from its source (issue 12, fifth round): the local
lookup failures, the VDA quota patch's refusal and a local LMTP socket that is down, each read
from a whole status=... line by the Postfix parser."""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from parsers.postfix import PostfixParser
from tests.helpers.mta_corpus import ParsedLine, find_line, only_event


def classify(clf: Classifier, program: str, dsn: str, text: str) -> str:
    status = "deferred" if dsn.startswith("4") else "bounced"
    line = (
        f"Mar 12 10:00:00 mx postfix/{program}[123]: 4ABCD1234: to=<u@example.net>, "
        f"relay=none, delay=1, delays=1/0/0/0, dsn={dsn}, status={status} ({text})"
    )
    [ev] = PostfixParser("maillog", year=2024).feed(line, 1) or []
    assert (ev.status, ev.text) == (status, text)
    return clf.classify_event(ev).verdict.category


@pytest.mark.parametrize(
    ("program", "dsn", "text", "category"),
    [
        # local/*.c and smtp/smtp_trouble.c, 4.3.0: our lookups and files (were unknown)
        ("local", "4.3.0", "table lookup failure", "server-error"),
        ("local", "4.3.0", "address resolver failure", "server-error"),
        ("local", "4.3.0", "unable to forward message", "server-error"),
        (
            "smtp",
            "4.3.0",
            "local data error while talking to mx.example.net[203.0.113.1]",
            "server-error",
        ),
        # the VDA patch's quota text after virtual(8)'s "maildir delivery failed: "
        (
            "virtual",
            "5.2.2",
            "maildir delivery failed: Sorry, the user's maildir has overdrawn his diskspace "
            "quota, please try again later.",
            "mailbox-full",
        ),
        # lmtp(8) to a UNIX-domain socket: our own Dovecot, not the network
        (
            "lmtp",
            "4.4.1",
            "connect to mail.example.net[private/dovecot-lmtp]: Connection refused",
            "server-error",
        ),
        # a TCP destination stays a network failure
        ("lmtp", "4.4.1", "connect to 127.0.0.1[127.0.0.1]:24: Connection refused", "network"),
    ],
)
def test_postfix_delivery_agents_own_texts(
    clf: Classifier, program: str, dsn: str, text: str, category: str
) -> None:
    assert classify(clf, program, dsn, text) == category


def test_a_missing_dovecot_lmtp_socket_in_a_real_line(
    clf: Classifier, postfix: list[ParsedLine]
) -> None:
    """A real lmtp deferral (tests/data/postfix/github-issues-postfix-delivery-agents.log)."""
    line = find_line(
        postfix, "github-issues-postfix-delivery-agents.log", "[/var/run/dovecot/lmtp]"
    )
    verdict = clf.classify_event(only_event(line)).verdict
    assert (verdict.category, verdict.rule) == (
        "server-error",
        "signature:postfix-lmtp-socket-failed",
    )
