"""Postfix on Solaris/SmartOS: syslog puts its message id after the program
(``postfix/smtp[2076]: [ID 197553 mail.info] 2E35E2F68: ...``); the line is read as without it."""

from __future__ import annotations

from typing import Any

from logscan.classify.classifier import Classifier
from parsers.postfix import PostfixParser
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line

SOLARIS = "solaris-syslog-message-id.log"


def test_a_deferral_behind_a_message_id_is_read(postfix: list[ParsedLine]) -> None:
    line = find_line(postfix, SOLARIS, "2E35E2F68: to=<linda@example.com>")
    expected: dict[str, Any] = dict(
        direction="outbound",
        status="deferred",
        stage="rcpt",
        code="450",
        enhanced="4.7.1",
        queue_id="2E35E2F68",
        recipient="linda@example.com",
        remote_host="mail.example.com",
        remote_ip="8.12.37.104",
    )
    assert_golden(line, [expected])
    verdict = Classifier.load().classify_event(line.events[0]).verdict  # type: ignore[index]
    assert verdict.category == "sender-auth-failed"  # the client's missing reverse DNS


def test_a_discard_behind_a_message_id_is_a_delivery(postfix: list[ParsedLine]) -> None:
    line = find_line(postfix, SOLARIS, "4D847A5B: to=<john@blackhole.com>")
    assert_golden(line, [dict(status="sent", queue_id="4D847A5B", recipient="john@blackhole.com")])


def test_message_notes_see_the_queue_id_behind_a_message_id() -> None:
    notes: list[Any] = []
    parser = PostfixParser(path="mail.log", year=2024)
    parser.notes = notes.append
    tag = "[ID 197553 mail.info]"
    parser.feed_block(
        [
            f"Jan  1 00:00:00 h postfix/smtpd[1]: {tag} 4D847A5B: client=a[192.0.2.1]",
            f"Jan  1 00:00:01 h postfix/qmgr[2]: {tag} 4D847A5B: removed",
        ],
        1,
    )
    assert [(n.kind, n.queue_id) for n in notes] == [
        ("received", "4D847A5B"),
        ("removed", "4D847A5B"),
    ]
