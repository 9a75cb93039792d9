"""The one command -> stage table (logscan/core/smtp.py) and every reader of a stage.

Issue 13: the SMTP command -> stage table existed four times (smtp_dialogue, Postfix's reject
kinds and "in reply to" phrases, Exim's "after" commands); Exim put every BDAT at the end of the
data. Each test gives the same commands to every reader and requires the shared table's answer.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from logscan.core.event import STAGES, Event
from logscan.core.smtp import COMMAND_STAGES, stage_of_command
from logscan.parsing.smtp_dialogue import Dialogue
from parsers.exchange_smtpsvc import SmtpSvcLog
from parsers.exim import EximParser
from parsers.postfix import PostfixParser


def test_command_stages_are_contract_stages() -> None:
    assert set(COMMAND_STAGES.values()) <= set(STAGES)


@pytest.mark.parametrize(
    ("command", "stage"),
    [
        ("EHLO mx.example.org", "helo"),
        ("helo x", "helo"),
        ("LHLO x", "helo"),
        ("MAIL FROM:<a@example.org> SIZE=100", "mail"),
        ("RCPT TO:<a@example.org>", "rcpt"),
        ("DATA", "data"),
        ("BDAT 1024", "data"),
        ("BDAT 1024 LAST", "end-of-data"),
        ("bdat 0 last", "end-of-data"),
        ("STARTTLS", "starttls"),
        ("AUTH PLAIN", "auth"),
        ("QUIT", "quit"),
        ("VRFY postmaster", None),
        ("NOOP", None),
        ("", None),
        ("   ", None),
    ],
)
def test_stage_of_command(command: str, stage: str | None) -> None:
    assert stage_of_command(command) == stage


def _only(events: list[Event] | None) -> Event:
    assert events is not None and len(events) == 1, events
    return events[0]


def _exim_stage(command: str) -> str:
    line = (
        "2024-01-01 00:00:00 1RwtJa-000AFB-07 == a@b.example R=dnslookup T=remote_smtp "
        "defer (-44) H=mx.b.example [192.0.2.1]: SMTP error from remote mail server after "
        f"{command}: 452 4.3.1 Insufficient system storage"
    )
    return _only(EximParser("mainlog", year=2024).feed(line, 1)).stage


def _postfix_stage(command: str) -> str:
    line = (
        "Nov 29 00:00:02 mx1 postfix/smtp[8]: 1BB92DC6C1: to=<c@d.example>, "
        "relay=mx.d.example[192.0.2.7]:25, delay=1, delays=0.5/0/0.4/0.1, dsn=4.3.1, "
        "status=deferred (host mx.d.example[192.0.2.7] said: 452 4.3.1 Insufficient system "
        f"storage (in reply to {command} command))"
    )
    return _only(PostfixParser("mail.log", year=2024).feed(line, 1)).stage


def _postfix_reject_stage(verb: str) -> str:
    line = (
        "Nov 29 00:00:02 mx1 postfix/smtpd[9]: NOQUEUE: reject: "
        f"{verb} from unknown[192.0.2.9]: 554 5.7.1 Access denied; proto=ESMTP helo=<x>"
    )
    return _only(PostfixParser("mail.log", year=2024).feed(line, 1)).stage


def _dialogue_stage(command: str) -> str:
    d = Dialogue(stage="helo")
    d.command(command)
    reply = d.reply_line("452 4.3.1 Insufficient system storage", 1)
    assert reply is not None
    return reply.stage


def _smtpsvc_stage(verb: str) -> str:
    line = f"2006-10-09 14:04:46 192.0.2.7 - SMTPSVC1 MX1 192.0.2.1 0 {verb} - - 452 0 32 23 0 SMTP"
    return _only(SmtpSvcLog("ex061009.log").feed(line, 1)).stage


_COMMANDS = [*COMMAND_STAGES, "VRFY", "ETRN", "NOOP", "XCLIENT"]


@pytest.mark.parametrize(
    "stage_in",
    [_exim_stage, _postfix_stage, _postfix_reject_stage, _dialogue_stage, _smtpsvc_stage],
)
@pytest.mark.parametrize("verb", _COMMANDS)
def test_every_stage_table_agrees(stage_in: Callable[[str], str], verb: str) -> None:
    assert stage_in(verb) == (stage_of_command(verb) or "unknown")


@pytest.mark.parametrize("stage_in", [_exim_stage, _dialogue_stage])
def test_bdat_last_is_the_end_of_data(stage_in: Callable[[str], str]) -> None:
    # Exim logs "after BDAT 1024 LAST" for the last chunk (it saves that command for the error
    # message); any other chunk's reply answers the data, not its end.
    assert stage_in("BDAT 1024 LAST") == "end-of-data"
    assert stage_in("BDAT 1024") == "data"


def test_a_354_answers_data_even_when_replies_before_it_were_not_logged() -> None:
    """An excerpt that lost the RCPT's 250: the 354 still answers DATA, and the reply after
    it answers the end of the data (not the DATA command)."""
    d = Dialogue(stage="helo")
    for command in ("MAIL FROM:<a@example.org>", "RCPT TO:<b@example.com>", "DATA"):
        d.command(command)
    invite = d.reply_line("354 Enter mail, end with <CRLF>.<CRLF>", 1)
    refusal = d.reply_line("550 5.7.1 Message rejected as spam", 2)
    assert invite is not None and refusal is not None
    assert (invite.stage, refusal.stage) == ("data", "end-of-data")
    assert not d.awaiting  # nothing left to mislabel the next transaction's replies


def test_a_354_without_its_data_command_in_the_log_is_still_data() -> None:
    d = Dialogue(stage="helo")
    d.command("RCPT TO:<b@example.com>")
    invite = d.reply_line("354 Start mail input", 1)
    done = d.reply_line("250 2.0.0 Ok: queued as 4QbXc3", 2)
    assert invite is not None and done is not None
    assert (invite.stage, done.stage) == ("data", "end-of-data")
