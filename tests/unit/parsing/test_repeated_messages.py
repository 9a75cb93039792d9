"""rsyslog's ``message repeated N times: [MESSAGE]`` lines count the N outcomes they stand for, in
each syslog-framed parser (Postfix, Exim through syslog, Sendmail), without repeating message
notes. Real lines from tests/data (provenance in tests/data/SOURCES.md) and the form as rsyslog's
source writes it."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.core.event import MessageNote
from logscan.parsing.api import Parser
from logscan.parsing.repeats import MAX_REPEATS, unfold
from parsers.exim import EximParser
from parsers.postfix import PostfixParser
from parsers.sendmail import SendmailParser
from tests.helpers.logscan_cli import run, summary
from tests.helpers.mta_corpus import ParsedLine, fields, find_line, parse_corpus
from tests.helpers.paths import DATA

# rsyslog runtime/ratelimit.c, ratelimitGenRepMsg() (action.c before 7.3): the text that
# replaces MSG, MSG keeping the space after the program's colon. Python's % reads %d and %.800s
# as C's printf does.
RSYSLOG_REPEAT = " message repeated %d times: [%.800s]"

REJECT = (
    "NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <x@example.org>: Relay access "
    "denied; from=<a@b.c> to=<x@example.org> proto=ESMTP helo=<h>"
)


def rsyslog_line(header: str, message: str, times: int) -> str:
    """The line rsyslog writes for ``message`` of ``header`` (``... program[pid]``) held back
    ``times`` times."""
    return header + ":" + RSYSLOG_REPEAT % (times, " " + message)


@pytest.mark.parametrize("times", [2, 3, 117])
def test_unfold_reads_the_form_rsyslog_writes(times: int) -> None:
    line = rsyslog_line("Jan 12 10:00:01 mx postfix/smtpd[1234]", REJECT, times)
    at = line.index("message repeated")
    assert unfold(line, at) == ("Jan 12 10:00:01 mx postfix/smtpd[1234]: " + REJECT, times)


def test_a_message_ending_in_a_bracket_keeps_it() -> None:
    line = rsyslog_line("Jan 12 10:00:01 mx postfix/smtpd[1]", "connect from a[192.0.2.1]", 2)
    assert line.endswith("[192.0.2.1]]")
    assert unfold(line, line.index("message"))[0].endswith("[192.0.2.1]")  # type: ignore[index]


def test_a_message_cut_at_800_characters_is_read_as_far_as_it_goes() -> None:
    long_reject = REJECT.replace("Relay access denied", "Relay access denied " + "x" * 900)
    line = rsyslog_line("Jan 12 10:00:01 mx postfix/smtpd[1]", long_reject, 5)
    unfolded = unfold(line, line.index("message"))
    assert unfolded is not None
    assert unfolded[0].endswith("x" * 100) and len(unfolded[0]) < len(long_reject)
    events = PostfixParser(year=2026).feed(line, 1)
    assert events is not None and len(events) == 5
    assert events[0].code == "554" and events[0].stage == "rcpt"


@pytest.mark.parametrize(
    "message",
    [
        "message repeated many times: [ x]",  # no count
        "message repeated 3 times [ x]",  # not rsyslog's punctuation
        "message repeated 12345678901 times: [ x]",  # more digits than rsyslog's %d
        "message repeated 2 times: [ message repeated 9 times: [ x]]",  # nested
        "messages repeated 2 times: [ x]",
    ],
)
def test_other_texts_are_not_unfolded(message: str) -> None:
    assert unfold("Jan 12 10:00:01 mx postfix/smtpd[1]: " + message, 37) is None


def test_the_count_is_bounded() -> None:
    line = rsyslog_line("Jan 12 10:00:01 mx postfix/smtpd[1]", REJECT, 2_000_000_000)
    events = PostfixParser(year=2026).feed(line, 1)
    assert events is not None and len(events) == MAX_REPEATS


# ---------------------------------------------------------------- golden events per MTA
CASES = [
    # (parser, data directory, file, text of the repeat line, N)
    (
        PostfixParser,
        "postfix",
        "github-issues-postfix-postscreen-4.log",
        "message repeated 2 times: [ C71221E1E6C: to=<admin@svcenmta01",
        2,
    ),
    (EximParser, "exim", "rsyslog-repeated-built.log", "message repeated 3 times", 3),
    (SendmailParser, "sendmail", "rsyslog-repeated-built.log", "message repeated 4 times", 4),
]


@pytest.mark.parametrize(("parser", "mta", "name", "needle", "times"), CASES)
def test_a_repeat_line_gives_its_message_events_n_times(
    parser: type[Parser], mta: str, name: str, needle: str, times: int
) -> None:
    """The line just before each repeat line is its message logged once (as rsyslog does):
    the repeat gives that line's events, N times, numbered with its own line."""
    corpus = parse_corpus(parser, mta)
    repeat = find_line(corpus, name, needle)
    first = next(p for p in corpus if p.path == repeat.path and p.lineno == repeat.lineno - 1)
    assert first.events is not None and len(first.events) == 1
    assert repeat.events is not None and len(repeat.events) == times
    for ev in repeat.events:
        assert ev.line == repeat.lineno
        assert fields(ev) | {"ts": None} == fields(first.events[0]) | {"ts": None}


def test_golden_postfix_bounce_repeated() -> None:
    repeat = find_line(
        parse_corpus(PostfixParser, "postfix"),
        "github-issues-postfix-postscreen-4.log",
        "message repeated 2 times: [ C71221E1E6C",
    )
    want: dict[str, Any] = dict(
        direction="outbound", status="bounced", enhanced="5.4.6", queue_id="C71221E1E6C",
        recipient="admin@svcenmta01.ldomain.local", ts="2024-09-30T17:10:44",
        text="mail for svcenmta01.ldomain.local loops back to myself",
    )  # fmt: skip
    assert repeat.events is not None
    assert [{k: fields(ev)[k] for k in want} for ev in repeat.events] == [want, want]


# ---------------------------------------------------------------- the parsers' block paths
def block_answers(parser: Parser, lines: list[str]) -> list[int | None]:
    """How many events ``feed_block`` gave each line (0 for ignored, None for unrecognized)."""
    result = parser.feed_block(lines, 1)
    given = {lineno: events for lineno, _, events in result.rest}
    out: list[int | None] = []
    for lineno in range(1, len(lines) + 1):
        events = given.get(lineno, [])
        out.append(None if events is None else len(events))
    return out


def test_postfix_block_path_gives_what_feed_gives() -> None:
    """Postfix's feed_block skips quiet programs' lines and smtpd lines without "reject" before
    feed(): a repeat of such a line is skipped alike; a repeated refusal reaches feed()."""
    lines = [
        rsyslog_line("Jan 12 10:00:01 mx postfix/smtpd[1234]", REJECT, 3),
        rsyslog_line("Jan 12 10:00:02 mx postfix/smtpd[1234]", "connect from a[192.0.2.1]", 2),
        rsyslog_line("Jan 12 10:00:03 mx postfix/anvil[9]", "statistics: max cache size 2", 2),
        rsyslog_line(
            "Jan 12 10:00:04 mx postfix/postscreen[5]",
            "NOQUEUE: reject: RCPT from [192.0.2.9]:4096: 550 5.7.1 Service unavailable; "
            "client [192.0.2.9] blocked using zen.spamhaus.org; from=<a@b.c>, to=<x@example.org>,"
            " proto=ESMTP, helo=<h>",
            4,
        ),
        rsyslog_line(
            "Jan 12 10:00:05 mx postfix/smtp[77]",
            "3F2A1BC: to=<x@example.org>, relay=mx.example.org[192.0.2.5]:25, delay=1, "
            "dsn=4.7.1, status=deferred (host mx.example.org[192.0.2.5] said: 450 4.7.1 "
            "Try again later (in reply to RCPT TO command))",
            2,
        ),
    ]
    assert block_answers(PostfixParser(year=2026), lines) == [3, 0, 0, 4, 2]
    one_by_one = PostfixParser(year=2026)
    fed = [one_by_one.feed(text, n) for n, text in enumerate(lines, 1)]
    assert [None if e is None else len(e) for e in fed] == [3, 0, 0, 4, 2]


def test_exim_and_sendmail_block_paths() -> None:
    exim = rsyslog_line(
        "Jan 12 10:00:01 mx exim[123]",
        "2026-01-12 10:00:01 H=(bot) [192.0.2.9] F=<a@b.c> rejected RCPT <x@example.org>: "
        "relay not permitted",
        2,
    )
    split_part = rsyslog_line(  # Exim's own split of a long message, repeated
        "Jan 12 10:00:01 mx exim[123]",
        "[2\\2] the rest of a long message",
        2,
    )
    assert block_answers(EximParser(year=2026), [exim, split_part]) == [2, 0]
    sendmail = rsyslog_line(
        "Jan 12 10:00:01 mx sm-mta[42]",
        "k0ABC123: ruleset=check_rcpt, arg1=<x@example.org>, relay=bot [192.0.2.9], "
        "reject=550 5.7.1 <x@example.org>... Relaying denied",
        3,
    )
    quiet = rsyslog_line("Jan 12 10:00:02 mx sm-mta[42]", "starting daemon (8.17.1)", 2)
    assert block_answers(SendmailParser(year=2026), [sendmail, quiet]) == [3, 0]


# ---------------------------------------------------------------- message notes
def test_message_notes_are_not_repeated() -> None:
    """A real Zimbra log where rsyslog collapsed each duplicated line (darold/sendmailanalyzer#30):
    the arrivals and queue entries are noted once, for the lines logged in full (the message
    still queued when the log ends has its envelope noted at the end)."""
    path = DATA / "postfix" / "rsyslog-repeated-sendmailanalyzer-30.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    notes: list[MessageNote] = []
    parser = PostfixParser(str(path), year=2024)
    parser.notes = notes.append
    result = parser.feed_block(lines, 1)
    assert result.rest == [] and result.ignored == len(lines)  # no reply in any of them
    assert parser.flush() == []
    assert [(n.kind, n.queue_id) for n in notes] == [
        ("received", "535721E1E6C"),
        ("received", "6CE4E1E1E71"),
        ("queued", "535721E1E6C"),
    ]
    assert parser.notes is not None  # handed back after each repeat line


def test_real_repeat_lines_are_understood() -> None:
    corpus: list[ParsedLine] = parse_corpus(PostfixParser, "postfix")
    zimbra = [p for p in corpus if p.path.name == "rsyslog-repeated-sendmailanalyzer-30.log"]
    assert len(zimbra) == 17
    assert all(p.events == [] for p in zimbra)


# ---------------------------------------------------------------- logscan scan
def test_scan_counts_each_repeated_outcome(tmp_path: Any) -> None:
    """The status table counts the N outcomes of a repeat line; the line counts once, as an
    event line."""
    log = tmp_path / "mail.log"
    log.write_text(
        "Jan 12 10:00:01 mx postfix/smtpd[1234]: " + REJECT + "\n"
        + rsyslog_line("Jan 12 10:00:31 mx postfix/smtpd[1234]", REJECT, 3) + "\n"
        + "Jan 12 10:00:32 mx postfix/smtpd[1234]: disconnect from unknown[192.0.2.7]\n",
        encoding="utf-8",
    )  # fmt: skip
    done = run(["scan", "-q", "--format", "json", str(log)])
    assert done.returncode == 0, done.stderr
    s = summary(done)
    assert s["outcomes"] == {"event": 2, "ignored": 1, "unrecognized": 0}
    assert s["events"] == 4
    assert s["by_status"] == {"rejected": 4}
    table = run(["scan", "-q", str(log)]).stdout
    assert "3 lines (2 with events, 1 ignored, 0 unrecognized), 4 events" in table


# ---------------------------------------------------------------- "last message repeated N times"
# sysklogd and the BSD syslogds (FreeBSD usr.sbin/syslogd/syslogd.c, fprintlog(): the time of the
# last duplicate, the host, then this text) write a line of its own, with no program, for the
# duplicates of the last message written to the file.
BSD_REPEAT = "%.15s %s last message repeated %d times"

POSTFIX_REJECT = "Jan 12 10:00:01 mx postfix/smtpd[1234]: " + REJECT
EXIM_REJECT = (
    "Jan 12 10:00:01 mx exim[123]: H=(bot) [192.0.2.9] F=<a@b.c> rejected RCPT "
    "<x@example.org>: relay not permitted"
)
SENDMAIL_REJECT = (
    "Jan 12 10:00:01 mx sm-mta[42]: k0ABC123: ruleset=check_rcpt, arg1=<x@example.org>, "
    "relay=bot [192.0.2.9], reject=550 5.7.1 <x@example.org>... Relaying denied"
)


def bsd_line(ts: str, times: int, host: str = "mx") -> str:
    return BSD_REPEAT % (ts, host, times)


@pytest.mark.parametrize(
    ("parser", "first"),
    [(PostfixParser, POSTFIX_REJECT), (EximParser, EXIM_REJECT), (SendmailParser, SENDMAIL_REJECT)],
)
def test_last_message_repeated_gives_the_line_before_n_more_times(
    parser: type[Parser], first: str
) -> None:
    p = parser(year=2026)
    result = p.feed_block([first, bsd_line("Jan 12 10:00:31", 3)], 1)
    assert result.ignored == 0
    (_, _, once), (lineno, _, repeated) = result.rest
    assert once is not None and len(once) == 1
    assert lineno == 2 and repeated is not None and len(repeated) == 3
    for ev in repeated:
        assert ev.line == 2
        assert fields(ev) == fields(once[0])  # the time too: that of the message repeated


def test_counts_flushed_by_the_timer_repeat_the_message_not_the_count() -> None:
    """syslogd writes the count every 30 s or more while the duplicates go on (domark): each
    line is that many more of the same message."""
    lines = [
        POSTFIX_REJECT,
        bsd_line("Jan 12 10:00:31", 30),
        bsd_line("Jan 12 10:02:31", 120),
        "Jan 12 10:02:32 mx postfix/smtpd[1234]: disconnect from unknown[192.0.2.7]",
    ]
    assert block_answers(PostfixParser(year=2026), lines) == [1, 30, 120, 0]


def test_the_line_before_may_end_the_block_before() -> None:
    p = PostfixParser(year=2026)
    p.feed_block(["Jan 12 10:00:00 mx postfix/smtpd[1234]: connect from a[1.2.3.4]"], 1)
    p.feed_block([POSTFIX_REJECT], 2)
    result = p.feed_block([bsd_line("Jan 12 10:00:31", 4), bsd_line("Jan 12 10:01:31", 2)], 3)
    assert [(n, len(evs or [])) for n, _, evs in result.rest] == [(3, 4), (4, 2)]
    assert [ev.line for ev in result.rest[1][2] or []] == [4, 4]
    p.feed_block([], 5)  # a read that found nothing new
    result = p.feed_block([bsd_line("Jan 12 10:02:31", 7)], 5)
    assert [(n, len(evs or [])) for n, _, evs in result.rest] == [(5, 7)]


def test_a_repeat_of_an_ignored_line_is_ignored_and_of_an_unknown_one_unknown() -> None:
    """The real form from a Linux /var/log/warn (LKML, 2000-11-21): the kernel line before it is
    not a mail line, so neither are its repeats."""
    lines = [
        "Jan 12 10:00:00 mx postfix/smtpd[1234]: connect from a[1.2.3.4]",
        bsd_line("Jan 12 10:00:30", 5),
        "Nov 21 23:07:09 elfie kernel: _isofs_bmap: block < 0",
        "Nov 21 23:07:33 elfie last message repeated 2 times",
    ]
    p = PostfixParser(year=2026)
    result = p.feed_block(lines, 1)
    assert result.ignored == 2
    assert [(n, evs) for n, _, evs in result.rest] == [(3, None), (4, None)]
    assert p.feed(lines[1], 2) is None  # feed() alone cannot know the line before


def test_a_block_that_ends_on_an_ignored_line_repeats_nothing() -> None:
    p = PostfixParser(year=2026)
    p.feed_block([POSTFIX_REJECT, "Jan 12 10:00:02 mx postfix/anvil[9]: statistics: x"], 1)
    result = p.feed_block([bsd_line("Jan 12 10:00:31", 3)], 3)
    assert result.ignored == 1 and result.rest == []


def test_scan_counts_last_message_repeated(tmp_path: Any) -> None:
    log = tmp_path / "maillog"
    log.write_text(
        f"{SENDMAIL_REJECT}\n{bsd_line('Jan 12 10:00:31', 6)}\n{bsd_line('Jan 12 10:01:31', 2)}\n",
        encoding="utf-8",
    )
    done = run(["scan", "-q", "--format", "json", str(log)])
    assert done.returncode == 0, done.stderr
    s = summary(done)
    assert s["outcomes"] == {"event": 3, "ignored": 0, "unrecognized": 0}
    assert s["by_status"] == {"rejected": 9}
