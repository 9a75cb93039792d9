"""Parser state is bounded by bytes, not only by count: long hostile lines on thousands of queue
ids or open sessions must not grow memory, and what had to be dropped is counted.

Memory is measured with tracemalloc (what the parser still holds once the lines are gone) and
checked against the parser's own byte accounting. Before the bounds, 2,000 Postfix queue ids
with 60 KiB senders held 123 MB, and 500 MDaemon sessions 216 MB (about 430 KB each).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from logscan.parsing.api import Parser
from logscan.parsing.message_state import MAX_SENDER_CHARS
from logscan.parsing.smtp_dialogue import MAX_REPLY_CHARS
from parsers.exchange import ExchangeParser
from parsers.exim import EximParser
from parsers.mdaemon import MDaemonParser
from parsers.postfix import PostfixParser
from tests.conftest import StartDaemon
from tests.helpers.daemon import append

LONG = 60 * 1024  # characters of hostile text per line (the pipeline cuts lines at 64 KiB)
MiB = 1 << 20


def retained(parser: Parser, lines: Iterator[str]) -> int:
    """Bytes the parser still holds after being fed ``lines`` (made one at a time)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for lineno, line in enumerate(lines, 1):
            parser.feed(line, lineno)
        del line
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def postfix_queued(n: int, filler: Callable[[int], str]) -> Iterator[str]:
    """qmgr lines for ``n`` queue ids that are never removed, each with a hostile sender."""
    for i in range(n):
        yield (
            f"Nov 29 05:42:49 mx postfix/qmgr[77]: {0x100000 + i:X}: from=<{filler(i)}@x.test>, "
            "size=1234, nrcpt=1 (queue active)"
        )


def long_text(i: int) -> str:
    return f"{i:08d}" + "a" * LONG


def test_long_hostile_lines_do_not_grow_postfix_state() -> None:
    parser = PostfixParser("mail.log", 2026)
    held = retained(parser, postfix_queued(2_000, long_text))
    assert len(parser.queue) == 2_000  # all still known (under the count bound) ...
    assert held < 2 * MiB, held  # ... at ~600 bytes each, not 60 KiB
    assert parser.queue.bytes <= held * 1.5
    [event] = parser.feed(
        "Nov 29 05:42:50 mx postfix/smtp[78]: 100000: to=<r@y.test>, relay=none, delay=1, "
        "delays=0/0/0/1, dsn=5.1.1, status=bounced (unknown user)",
        9_999,
    )
    assert event.sender is not None and len(event.sender) == MAX_SENDER_CHARS
    assert parser.state_evictions() == 0


def test_postfix_state_past_its_byte_budget_evicts_oldest_and_counts() -> None:
    parser = PostfixParser("mail.log", 2026, max_queue_bytes=MiB)
    held = retained(parser, postfix_queued(6_000, long_text))
    assert parser.queue.bytes <= MiB
    assert held < 1.5 * MiB, held
    assert parser.state_evictions() == 6_000 - len(parser.queue) > 0
    assert parser.queue.get(f"{0x100000:X}") is None  # the oldest went first
    assert parser.queue.get(f"{0x100000 + 5_999:X}") is not None


def test_long_hostile_senders_do_not_grow_exim_state() -> None:
    """Exim keeps the sender of each arrival (``<=``) until its ``Completed`` line."""
    parser = EximParser("mainlog")
    lines = (
        f"2024-03-02 09:44:33 1R{i:04d}-0009RI-2d <= {long_text(i)}@x.test H=h [5.6.7.8] "
        "P=esmtp S=1234"
        for i in range(2_000)
    )
    held = retained(parser, lines)
    assert len(parser._messages) == 2_000  # all remembered ...
    assert held < 2 * MiB, held  # ... at ~600 bytes each, not 60 KiB
    assert parser.state_evictions() == 0


def mdaemon_sessions(n: int) -> Iterator[str]:
    """``n`` SMTP-out sessions that never end, each with long headers, a long recipient and a
    multi-line reply whose final line never comes."""
    for i in range(n):
        head = f"Tue 2022-08-09 07:47:32: [{i}:1] "
        pad = "b" * LONG
        yield f"{head}Attempting SMTP connection to [mx{i}.{pad}.test:25]"
        yield f"{head}*  To: {pad}"
        yield f"{head}*  From: {pad}"
        yield f"{head}--> RCPT To:<{i}{pad}@y.test>"
        for _ in range(3):
            yield f"{head}<-- 550-{pad}"


def test_long_hostile_lines_do_not_grow_mdaemon_sessions() -> None:
    parser = MDaemonParser("MDaemon-SMTP-out.log")
    held = retained(parser, mdaemon_sessions(1_500))
    assert len(parser._sessions) == 1_500  # under the count bound, none evicted ...
    assert held < 10 * MiB, held  # ... at a few KB each, not 360 KB
    assert parser._sessions.bytes <= held * 1.5
    assert parser.state_evictions() == 0
    [event, *_] = parser.flush()
    assert event.text is not None and len(event.text) <= MAX_REPLY_CHARS
    assert event.recipient is not None and len(event.recipient) <= 256


def test_mdaemon_sessions_past_their_byte_budget_evict_and_count() -> None:
    parser = MDaemonParser("MDaemon-SMTP-out.log", max_session_bytes=MiB)
    held = retained(parser, mdaemon_sessions(1_500))
    assert parser._sessions.bytes <= MiB + 8 * 1024  # one session's last line may lag
    assert held < 2 * MiB, held
    assert parser.state_evictions() == 1_500 - len(parser._sessions) > 1_000


def exchange_sessions(n: int) -> Iterator[str]:
    """``n`` Send protocol log sessions that never end, each with a long banner host, a long
    recipient and a multi-line reply whose final line never comes."""
    pad = "c" * LONG
    for i in range(n):
        head = f"2024-01-01T10:00:00.000Z,Out,{i:08X},"
        yield f"{head}0,10.0.0.5:10437,192.0.2.26:25,+,,"
        yield f"{head}1,10.0.0.5:10437,192.0.2.26:25,<,220 mx{i}.{pad}.test ESMTP,"
        yield f"{head}2,10.0.0.5:10437,192.0.2.26:25,>,RCPT TO:<{i}{pad}@y.test>,"
        for seq in range(3, 6):
            yield f"{head}{seq},10.0.0.5:10437,192.0.2.26:25,<,550-{pad},"


def test_long_hostile_lines_do_not_grow_exchange_sessions() -> None:
    """Issue 11: Exchange protocol sessions have a byte budget like MDaemon's."""
    parser = ExchangeParser("SEND20240101-1.LOG")
    held = retained(parser, exchange_sessions(1_500))
    sessions = parser._protocol._sessions  # type: ignore[union-attr]
    assert len(sessions) == 1_500  # under the count bound, none evicted ...
    assert held < 10 * MiB, held  # ... at a few KB each
    assert sessions.bytes <= held * 1.5
    assert parser.state_evictions() == 0
    [event, *_] = parser.flush()
    assert event.text is not None and len(event.text) <= MAX_REPLY_CHARS
    assert event.recipient is not None and len(event.recipient) <= 256
    assert event.remote_host is not None and len(event.remote_host) <= 256


def test_exchange_sessions_past_their_byte_budget_evict_and_count() -> None:
    parser = ExchangeParser("SEND20240101-1.LOG", max_session_bytes=MiB)
    held = retained(parser, exchange_sessions(1_500))
    sessions = parser._protocol._sessions  # type: ignore[union-attr]
    assert sessions.bytes <= MiB + 8 * 1024  # one session's last line may lag
    assert held < 2 * MiB, held
    assert parser.state_evictions() == 1_500 - len(sessions) > 1_000


@pytest.mark.integration
def test_parser_state_evictions_are_exported(tmp_path: Path, daemon: StartDaemon) -> None:
    """Sessions past the count bound (4,096) are evicted; the daemon counts them per source."""
    log = tmp_path / "MDaemon-SMTP-out.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "mdaemon")
    n = 5_000
    append(
        log,
        "".join(
            f"Tue 2022-08-09 07:47:32: [{i}:1] --> RCPT To:<u{i}@y.test>\n"
            f"Tue 2022-08-09 07:47:32: [{i}:1] <-- 250-first line\n"
            for i in range(n)
        ),
    )
    s = d.wait_for(lambda s: s.get("logscan_lines_total") >= 2 * n, f"{2 * n} lines")
    evicted = s.get("logscan_parser_state_evictions_total", parser="mdaemon", source=str(log))
    assert evicted == n - 4_096
