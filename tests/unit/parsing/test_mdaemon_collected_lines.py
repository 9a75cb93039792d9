"""Real MDaemon lines collected for issue 12 (tests/data/SOURCES.md, "Collected for issue 12:
MDaemon and Exchange"): each family of lines gets its event and category, and lines that are not
outcomes give none.

The families: lines pasted without their time stamp; an outbound attempt that the remote ends
after answering (the socket closed after STARTTLS, a TLS handshake that failed); the reply to the
end of the data when the log lost the DATA command; MDaemon 18's inbound TLS error, which is no
message outcome.
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from parsers.mdaemon import MDaemonParser
from tests.helpers.log_replay import DATA, replay
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line

PASTED = "mdaemon-l-2018-pasted-gmail-refusals.log"
OUT_TLS = "mdaemon-l-2018-smtp-out-tls.log"
IN_TLS = "mdaemon-l-2018-smtp-in-tls.log"


def events_of(lines: list[ParsedLine], file_name: str) -> list[tuple[int, str | None, str]]:
    """(line, status, stage) of every event of one file, in the order they were given."""
    return [
        (ev.line, ev.status, ev.stage)
        for p in lines
        if p.path.name == file_name
        for ev in p.events or []
    ]


def test_pasted_lines_without_time_stamps_are_read(mdaemon: list[ParsedLine]) -> None:
    # "[434849] <-- 550-5.1.1 ..." as people paste them: the ID string groups them, no time.
    line = find_line(mdaemon, PASTED, "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser")
    assert_golden(
        line,
        [
            {
                "direction": "outbound",
                "stage": "rcpt",
                "status": "bounced",
                "code": "550",
                "enhanced": "5.1.1",
                "recipient": "recipient1@example.com",
                "ts": None,
            }
        ],
    )


def test_the_reply_after_the_data_went_out_answers_its_end(mdaemon: list[ParsedLine]) -> None:
    # The paste lost the DATA command: its 354 went to the RCPT before it. "Sending <...msg> to"
    # and "Transfer Complete" say the data went out, so Gmail's refusal is of the message.
    line = find_line(mdaemon, PASTED, "550 5.7.1  https://support.google.com/mail/answer/188131")
    assert_golden(
        line,
        [{"stage": "end-of-data", "status": "bounced", "queue_id": "pd90000317403"}],
    )


@pytest.mark.parametrize(
    ("file_name", "needle", "category"),
    [
        (PASTED, "?p=NoSuchUser", "mailbox-unknown"),
        # a multi-line reply, classified on its whole text (the reputation is on line 2)
        (PASTED, "answer/188131", "spam-rejected"),
    ],
)
def test_categories_of_pasted_replies(
    clf: Classifier, mdaemon: list[ParsedLine], file_name: str, needle: str, category: str
) -> None:
    [ev] = find_line(mdaemon, file_name, needle).events or []
    assert clf.classify_event(ev).verdict.category == category


def test_an_attempt_the_remote_ends_after_answering_is_deferred(
    clf: Classifier, mdaemon: list[ParsedLine]
) -> None:
    # Session 879998: the remote answers STARTTLS, then closes the socket; session 880617: the
    # TLS handshake fails. Each attempt is a deferral (MDaemon retries), given when the session
    # ends (here, the log): a later host may still answer.
    assert find_line(mdaemon, OUT_TLS, "how rude!").events == []
    events = replay(MDaemonParser, DATA / "mdaemon" / OUT_TLS).events
    assert [(ev.line, ev.status, ev.stage) for ev in events] == [
        (2, None, "starttls"),  # the 220 to STARTTLS: no outcome
        (4, None, "connect"),  # the paste starts at this 220: its command is not in the log
        (3, "deferred", "starttls"),
        (5, "deferred", "connect"),
    ]
    categories = [clf.classify_event(ev).verdict.category for ev in events[2:]]
    assert categories == ["network", "tls-required"]


def test_an_inbound_tls_error_is_not_an_outcome(mdaemon: list[ParsedLine]) -> None:
    # A client that timed out in the TLS handshake refused nothing of ours: no event but the 220.
    assert events_of(mdaemon, IN_TLS) == [(1, None, "connect")]
    assert find_line(mdaemon, IN_TLS, "SSL error 10060").events == []


def test_a_drop_after_the_quit_is_no_deferral() -> None:
    p = MDaemonParser("MDaemon-SMTP-out.log", year=2024)
    day = "Mon 2018-04-23 20:39:0"
    p.feed(f"{day}0.100: [1] Attempting SMTP connection to [mx.example.net:25]", 1)
    p.feed(f"{day}0.200: [1] <-- 220 mx.example.net ready", 2)
    p.feed(f"{day}0.300: [1] --> QUIT", 3)
    drop = "Socket connection closed by the other side (how rude!)"
    assert p.feed(f"{day}0.400: [1] {drop}", 4) == []
    assert [ev.code for ev in p.flush()] == []


@pytest.mark.parametrize(
    "line",
    [
        "*  Name server reports domain name unknown",  # before any reply (MDaemon 10)
        "*  SSL negotiation failed, error code 0x80090331",  # after the remote's 220 (18)
        "Socket connection closed by the other side (how rude!)",  # a plain line (18)
        "*  Socket error 10065: no route to host",
    ],
)
def test_an_attempt_failure_defers_outbound_only(line: str) -> None:
    day = "Mon 2018-04-23 20:39:00"
    for role, expected in (
        ("Attempting SMTP connection to [mx.example.net:25]", 1),
        ("Accepting SMTP connection from [203.0.113.9:4242] to [10.0.0.1:25]", 0),
    ):
        p = MDaemonParser("MDaemon-SMTP.log", year=2024)
        p.feed(f"{day}: [7] {role}", 1)
        assert p.feed(f"{day}: [7] {line}", 2) == []
        assert [ev.status for ev in p.flush()] == ["deferred"] * expected


def test_a_closed_connection_of_another_protocol_or_an_unknown_role_is_no_deferral() -> None:
    day = "Mon 2018-04-23 20:39:00"
    for first in ("Accepting IMAP connection from [203.0.113.9:4242] to [10.0.0.1:143]", None):
        p = MDaemonParser("MDaemon-all.log", year=2024)
        if first is not None:
            p.feed(f"{day}: [8] {first}", 1)
        p.feed(f"{day}: [8] Socket connection closed by the other side (how rude!)", 2)
        assert p.flush() == []
