"""Real Exchange lines collected for issue 12, fifth round (tests/data/SOURCES.md, "Collected for
issue 12, fifth round: Exchange and MDaemon"): Format-List records whose wrapped values lost
their indentation, a queue's ``LastError``, and the ``{LED=...}`` statuses people paste alone
from Exchange Online's message trace, queue viewers and delivery reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from logscan.sources.batch import read_lines
from parsers.exchange import ExchangeParser
from tests.helpers.log_replay import DATA, replay

EXCHANGE = DATA / "exchange"


def test_a_record_wrapped_without_indentation_keeps_its_whole_status(clf: Classifier) -> None:
    """Q&A 134852: the DELIVERFAIL (an agent's folder move) is no outcome; the FAIL's status
    runs over five unindented lines and still gives its reply, the store's size refusal."""
    events = replay(
        ExchangeParser, EXCHANGE / "msqa-134852-exchange2019-get-messagetrackinglog-fl-storedrv.log"
    ).events
    [ev] = events
    assert (ev.line, ev.direction, ev.status, ev.code, ev.enhanced) == (
        103,
        "outbound",
        "bounced",
        "554",
        "5.2.0",
    )
    assert (ev.sender, ev.size, ev.ts) == ("user2016@keyman  .ru", 12846608, "2020-10-07T19:27:20")
    assert ev.text is not None and ev.text.endswith("[Agent: Meeting Message Processing Agent]")
    assert clf.classify_event(ev).verdict.category == "message-too-large"


def test_tracking_records_without_an_outcome_and_a_queue_give_only_the_queue_error(
    clf: Classifier,
) -> None:
    """Q&A 234456: HAREDIRECT, RECEIVE without a reply, AGENTINFO and TRANSFER are no events;
    the queue's LastError (a deferral, wrapped without indentation) is, with its next hop."""
    [ev] = replay(
        ExchangeParser, EXCHANGE / "msqa-234456-exchange2013-get-queue-and-tracking-fl.log"
    ).events
    assert (ev.line, ev.direction, ev.status, ev.code, ev.enhanced) == (
        17,
        "outbound",
        "deferred",
        "450",
        "4.7.0",
    )
    assert (ev.remote_host, ev.remote_ip) == ("MAILSERVER.DOMAIN.LOCAL", "192.168.12.4")
    assert ev.text is not None and "The last endpoint attempted was" in ev.text
    assert clf.classify_event(ev).verdict.category == "tls-required"


@pytest.mark.parametrize(
    ("file_name", "expected", "categories"),
    [
        (  # a delivery report: only the bracketed status is an outcome
            "msqa-2192662-exchange2019-delivery-report.log",
            [{"line": 8, "status": "bounced", "code": "554", "remote_ip": "192.168.1.246"}],
            ["message-too-large"],
        ),
        (  # two queue errors quoted in backticks, without the status's brackets
            "msqa-2247914-exchange2019-queue-led.log",
            [
                {"line": 1, "status": "deferred", "code": "451", "enhanced": "4.4.395"},
                {"line": 3, "status": "deferred", "code": "451", "enhanced": "4.4.395"},
            ],
            ["service-unavailable", "network"],
        ),
        (  # Exchange Online message trace reasons, some cut short by the poster
            "msqa-exchange-online-message-trace-reasons.log",
            [
                {  # Telstra's reply nests a brace in the LED; the FQDN and IP still follow
                    "line": 1,
                    "status": "deferred",
                    "code": "451",
                    "enhanced": "4.7.23",
                    "remote_host": "extmail.bigpond.com",
                    "remote_ip": "203.42.22.10",
                },
                {"line": 2, "status": "deferred", "code": "450", "enhanced": "4.4.317"},
                {"line": 3, "status": "deferred", "code": "450", "enhanced": "4.4.316"},
                {"line": 4, "status": "deferred", "code": "450", "enhanced": "4.4.316"},
            ],
            ["sender-auth-failed", "tls-required", "network", "network"],
        ),
    ],
)
def test_statuses_pasted_alone_are_outcomes(
    clf: Classifier, file_name: str, expected: list[dict[str, Any]], categories: list[str]
) -> None:
    events = replay(ExchangeParser, EXCHANGE / file_name).events
    assert len(events) == len(expected)
    got = [{k: getattr(ev, k) for k in want} for ev, want in zip(events, expected, strict=True)]
    assert got == expected
    assert all(ev.direction == "outbound" for ev in events)
    assert [clf.classify_event(ev).verdict.category for ev in events] == categories


def test_statuses_pasted_alone_are_detected_as_exchange() -> None:
    head = (EXCHANGE / "msqa-2192662-exchange2019-delivery-report.log").read_text().splitlines()
    assert ExchangeParser.detect(head, "report.txt") == 0.9
    assert ExchangeParser.detect(["Pending", "Failed", "550 5.1.1 no such user"], "x.txt") == 0.0


def test_a_receive_session_pasted_in_an_indented_block_reads_as_the_log() -> None:
    """A blog's relay session, indented by four spaces as Markdown code: the same replies as the
    protocol log itself, ending in the 250 2.6.0 that queued the message; the final
    Remote(ConnectionReset) is no reply."""
    path = EXCHANGE / "blog-2024-exchange-smtp-relay-report-receive.log"
    assert ExchangeParser.detect(path.read_text().splitlines(), str(path)) >= 0.8
    events = replay(ExchangeParser, path).events
    assert [(ev.line, ev.stage, ev.code) for ev in events] == [
        (2, "connect", "220"),
        (4, "helo", "250"),
        (7, "mail", "250"),
        (9, "rcpt", "250"),
        (11, "data", "354"),
        (13, "end-of-data", "250"),
    ]
    last = events[-1]
    assert (last.direction, last.remote_ip, last.sender, last.recipient) == (
        "inbound",
        "10.100.100.30",
        "veeam@contoso.com",
        "edv@contoso.com",
    )


def test_a_utf16_file_reads_as_its_text(tmp_path: Path) -> None:
    """Windows PowerShell 5.1 writes UTF-16LE when output is redirected, and Exchange Online's
    trace exports are UTF-16LE: the batch source decodes such a file (by its BOM), and the
    record gives the event of the text itself."""
    path = EXCHANGE / "msqa-347573-exchange2016-get-messagetrackinglog-fl.log"
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    saved = tmp_path / "trace.txt"
    saved.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    lines = [line for _, line in read_lines(str(saved))]
    assert ExchangeParser.detect(lines[:20], "trace.txt") == 0.9
    p = ExchangeParser("trace.txt")
    events = [ev for n, ln in enumerate(lines, 1) for ev in p.feed(ln, n) or []] + p.flush()
    [plain] = replay(ExchangeParser, path).events
    assert [(ev.line, ev.code, ev.text, ev.ts, ev.recipient) for ev in events] == [
        (plain.line, plain.code, plain.text, plain.ts, plain.recipient)
    ]


def test_prose_after_a_status_cut_short_is_not_its_reply() -> None:
    """Q&A 1187616's reason ends mid-{MSG=...} where the poster cut it; the question's next
    sentence (here on the following line, as a paste without indentation would put it) is no
    part of the reply, while the LastError of Q&A 234456 wraps inside its LED and is."""
    lines = (EXCHANGE / "msqa-exchange-online-message-trace-reasons.log").read_text().splitlines()
    p = ExchangeParser("reasons.txt")
    assert p.feed(lines[1], 1) == []
    prose = "Has been working okay just suddenly stopped, blocked by spam filters?"
    [ev] = (p.feed(prose, 2) or []) + p.flush()  # the prose ends the status
    assert ev.line == 1 and ev.text is not None and "spam" not in ev.text
