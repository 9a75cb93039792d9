"""Message correlation for Exchange tracking logs and MDaemon SMTP-out logs: the notes their
parsers report, followed by the real tracker (logscan/sinks/messages.py) through the pipeline."""

from __future__ import annotations

from pathlib import Path

from logscan.classify.classifier import Classifier
from logscan.core.event import MessageNote
from logscan.parsing.api import Parser
from logscan.pipeline import Pipeline
from logscan.sinks.messages import Finished, MessageTracker
from parsers.exchange import ExchangeParser
from parsers.mdaemon import MDaemonParser
from tests.helpers.log_replay import DATA

CLASSIFIER = Classifier.load()


def follow(parser: Parser, path: Path) -> tuple[list[Finished], list[Finished]]:
    """(messages the log finished, messages still held when it ended)."""
    done: list[Finished] = []
    tracker = MessageTracker(done.append)
    pipe = Pipeline(path.name, parser, CLASSIFIER, [tracker], notes=tracker.note)
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        pipe.feed(line, lineno)
    pipe.flush()
    finished = list(done)
    done.clear()
    tracker.finish_all()
    return finished, done


def outcomes(messages: list[Finished]) -> dict[str, str]:
    return {m.queue_id: m.outcome for m in messages}


# -- Exchange ----------------------------------------------------------------------------------


def test_exchange_receive_is_the_arrival_and_recipient_count_ends_the_message() -> None:
    path = DATA / "exchange" / "MSGTRK20240312-1.LOG"
    finished, left = follow(ExchangeParser(path.name), path)
    # 4123: RECEIVE for 2 recipients, then one DELIVER line for both: done, with its delay.
    [msg] = finished
    assert msg == Finished(
        "exchange", "4123", "delivered", 0, msg.delay, "reports@partner.example", 18422,
        "mail.partner.example", "2024-03-12T08:01:02.118Z", "2024-03-12T08:01:02.655Z",
    )  # fmt: skip
    assert msg.delay is not None and abs(msg.delay - 0.537) < 1e-6
    # Messages whose arrival is in another server's log are followed from their first outcome.
    assert outcomes(left) == {
        "4130": "delivered",
        "4131": "bounced",
        "4140": "in_flight",  # deferred once, still queued
        "4151": "bounced",
        "4160": "bounced",
        "4170": "in_flight",  # received, not yet sent on
    }


def test_exchange_2010_tracking_log() -> None:
    path = DATA / "exchange" / "MSGTRK20160405-1.LOG"
    finished, _ = follow(ExchangeParser(path.name), path)
    [msg] = finished
    assert (msg.queue_id, msg.outcome, msg.sender, msg.size, msg.client) == (
        "90211", "delivered", "dispatch@supplier.example", 7301, "mx.supplier.example",
    )  # fmt: skip


def test_exchange_arrivals_are_read_only_when_notes_are_wanted() -> None:
    line = (
        "2024-01-01T09:59:59.000Z,203.0.113.7,mx.example.net,10.0.0.5,EX1,,,SMTP,RECEIVE,42,"
        "<m@x>,a@example.org,,900,1,,,Hi,me@x,me@x,,Incoming,,,,"
    )
    plain = ExchangeParser("MSGTRK20240101-1.LOG")
    assert plain.feed(line, 1) == []
    notes: list[MessageNote] = []
    wanted = ExchangeParser("MSGTRK20240101-1.LOG")
    wanted.notes = notes.append
    assert wanted.feed(line, 1) == []
    assert notes == [
        MessageNote("received", "exchange", "42", "2024-01-01T09:59:59.000Z", "me@x", 900,
                    "mx.example.net", 1, line=1),
    ]  # fmt: skip


def test_exchange_drop_and_fail_end_their_recipients_like_fail() -> None:
    path = DATA / "exchange" / "MSGTRK20240313-1.LOG"
    finished, left = follow(ExchangeParser(path.name), path)
    # 5101: RECEIVE for 2 recipients, a transport agent DROPs one, the resolver FAILs the other.
    assert outcomes(finished) == {"5101": "bounced"}
    assert finished[0].arrived == "2024-03-13T09:01:10.120Z"
    assert outcomes(left) == {
        "5130": "bounced",  # BADMAIL
        "5140": "bounced",  # SUBMITFAIL
        "5141": "in_flight",  # SUBMITDEFER: retried
        "5150": "bounced",  # MODERATORREJECT
        "5151": "bounced",  # MODERATIONEXPIRE: the approval timed out, an NDR
    }


# -- MDaemon -----------------------------------------------------------------------------------


def test_mdaemon_session_without_deferral_ends_its_message_file() -> None:
    path = DATA / "mdaemon" / "MDaemon-SMTP-out-2024-03-12.log"
    finished, left = follow(MDaemonParser(path.name), path)
    assert [(m.queue_id, m.outcome, m.sender, m.size) for m in finished] == [
        ("pd50000012001", "delivered", "alice@contoso.example", 9312),
        ("pd50000012002", "bounced", "news@contoso.example", 6001),
    ]
    # A DNS failure and a 452 after a timed-out MX: deferred, still in the retry queue.
    assert [(m.queue_id, m.outcome, m.deferrals) for m in left] == [
        ("pd50000012003", "in_flight", 1),
        ("pd50000012004", "in_flight", 1),
    ]


def test_mdaemon_retry_of_the_same_file_is_one_message() -> None:
    def attempt(session: int, minute: int, reply: str) -> list[str]:
        t = f"Tue 2024-03-12 09:{minute:02d}:00.000: "
        return [
            t + f"Session {session}; child 0001",
            t + r"Parsing message <c:\mdaemon\queues\remote\pd50000099001.msg>",
            t + "*  From: a@contoso.example",
            t + "*  To: b@example.net",
            t + "*  Size (bytes): 1200",
            t + "Attempting SMTP connection to [192.0.2.25:25]",
            t + "<-- 220 mx.example.net ESMTP",
            t + "--> MAIL From:<a@contoso.example>",
            t + "<-- 250 2.1.0 OK",
            t + "--> RCPT To:<b@example.net>",
            t + f"<-- {reply}",
            t + "--> QUIT",
            t + "SMTP session terminated (Bytes in/out: 10/10)",
            t + "----------",
        ]

    lines = [
        *attempt(1, 0, "451 4.7.1 Greylisted, try again later"),
        *attempt(2, 20, "250 2.1.5 OK"),
    ]
    # The second attempt's recipient is accepted but no data follows: the RCPT 250 decides
    # nothing, so the file stays queued; then the data goes through in a third attempt.
    third = attempt(3, 40, "250 2.1.5 OK")
    t = "Tue 2024-03-12 09:40:00.000: "
    third[-3:-3] = [t + "--> DATA", t + "<-- 354 go ahead", t + "<-- 250 2.0.0 queued"]
    done: list[Finished] = []
    tracker = MessageTracker(done.append)
    pipe = Pipeline("MDaemon-SMTP-out.log", MDaemonParser("MDaemon-SMTP-out.log"), CLASSIFIER,
                    [tracker], notes=tracker.note)  # fmt: skip
    for lineno, line in enumerate([*lines, *third], 1):
        pipe.feed(line, lineno)
    assert [(m.queue_id, m.outcome, m.deferrals, m.size) for m in done] == [
        ("pd50000099001", "delivered_after_deferral", 1, 1200),
    ]
    assert done[0].done == "2024-03-12T09:40:00.000"


def test_mdaemon_session_that_sends_two_files_ends_each() -> None:
    """MDaemon spools several messages per outbound session (its "Maximum SMTP outbound
    messages spooled per session"): each "Parsing message" ends the file before it."""
    t = "Tue 2024-03-12 09:00:00.000: "
    lines = [t + "Session 7; child 0001"]
    for n, (rcpt, final) in enumerate(
        [("a@example.net", "250 2.0.0 queued"), ("b@example.net", "550 5.7.1 refused")], 1
    ):
        lines += [
            t + rf"Parsing message <c:\mdaemon\queues\remote\pd5000000000{n}.msg>",
            t + "*  From: me@contoso.example",
            t + f"*  Size (bytes): {n}000",
            t + "Attempting SMTP connection to [192.0.2.25:25]",
            t + "<-- 220 mx.example.net ESMTP",
            t + "--> MAIL From:<me@contoso.example>",
            t + "<-- 250 OK",
            t + f"--> RCPT To:<{rcpt}>",
            t + "<-- 250 OK",
            t + "--> DATA",
            t + "<-- 354 go ahead",
            t + f"<-- {final}",
        ]
    lines += [t + "SMTP session successful (Bytes in/out: 10/10)", t + "----------"]
    done: list[Finished] = []
    tracker = MessageTracker(done.append)
    pipe = Pipeline("MDaemon-SMTP-out.log", MDaemonParser("MDaemon-SMTP-out.log"), CLASSIFIER,
                    [tracker], notes=tracker.note)  # fmt: skip
    for lineno, line in enumerate(lines, 1):
        pipe.feed(line, lineno)
    assert [(m.queue_id, m.outcome, m.size) for m in done] == [
        ("pd50000000001", "delivered", 1000),
        ("pd50000000002", "bounced", 2000),
    ]
    assert len(tracker) == 0


def test_mdaemon_smtp_in_sessions_report_no_notes() -> None:
    notes: list[MessageNote] = []
    p = MDaemonParser("MDaemon-SMTP-in.log")
    p.notes = notes.append
    for lineno, line in enumerate(
        (DATA / "mdaemon" / "MDaemon-SMTP-in-2024-03-12.log").read_text().splitlines(), 1
    ):
        p.feed(line, lineno)
    assert notes == []
