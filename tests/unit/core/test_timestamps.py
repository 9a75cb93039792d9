"""Impossible timestamps become null and are counted, never invented (issue 11, item 15).

Every built-in parser builds ``ts`` from text and passes it through the parser API's one check
(:class:`logscan.core.timestamp.TimestampCheck`); ``scan`` reports the count, the daemon exports
``logscan_invalid_timestamps_total{source,parser}``.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from logscan.core.timestamp import TimestampCheck
from logscan.parsing.registry import Registry
from tests.helpers.logscan_cli import events, run, summary

POSTFIX = (
    "{ts} mx1 postfix/smtp[42]: 3F2A1: to=<a@example.org>, relay=mx.example.org[192.0.2.9]:25, "
    "status=bounced (host mx.example.org[192.0.2.9] said: 550 5.1.1 User unknown)\n"
)


def test_impossible_timestamp_becomes_null(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(
        POSTFIX.format(ts="Feb 28 23:59:59")
        + POSTFIX.format(ts="Feb 30 25:61:61")  # the day, the hour and the minute are impossible
        + POSTFIX.format(ts="2027-13-01T00:00:00+01:00")
        + POSTFIX.format(ts="2027-03-01T00:00:00.5+01:00")
    )
    mtime = datetime.datetime(2027, 3, 1, 12).timestamp()  # BSD dates take the file's year
    os.utime(log, (mtime, mtime))
    evs = events(run(["scan", "--parser", "postfix", "--format", "events", str(log)]))
    assert [e["ts"] for e in evs] == [
        "2027-02-28T23:59:59",
        None,
        None,
        "2027-03-01T00:00:00.5+01:00",
    ]
    s = summary(run(["scan", "--parser", "postfix", "--format", "json", str(log)]))
    assert s["invalid_timestamps"] == 2 and s["files"][0]["invalid_timestamps"] == 2
    assert s["events"] == 4  # the events stay; only their time is unknown
    table = run(["scan", "--parser", "postfix", str(log)]).stdout
    assert "! 2 impossible timestamps, set to null" in table


# (parser, file name, lines before, a line with an event and {ts} in the parser's own format,
# an impossible {ts}, a valid {ts}, the ISO form of the valid one)
CASES = [
    (
        "postfix",
        "mail.log",
        [],
        POSTFIX,
        "Apr 31 12:00:00",
        "Apr 30 12:00:00",
        "2026-04-30T12:00:00",
    ),
    (
        "sendmail",
        "maillog",
        [],
        "{ts} mx1 sm-mta[9]: 4AT00103578509: to=<b@example.org>, delay=00:00:02, mailer=esmtp, "
        "pri=170603, relay=mx.example.org. [192.0.2.9], dsn=4.7.0, stat=Deferred: 421 4.7.0 Later",
        "Nov 29 24:00:10",
        "Nov 29 23:00:10",
        "2026-11-29T23:00:10",
    ),
    (
        "exim",
        "mainlog",
        [],
        "{ts} H=mx.example.com [192.0.2.7]:35328 F=<a@example.com> rejected RCPT <b@example.org>: "
        "No Such User Here",
        "2022-06-29 16:04:14 +2400",
        "2022-06-29 16:04:14 +0200",
        "2022-06-29T16:04:14+02:00",
    ),
    (
        "exim",
        "mainlog",
        [],
        "{ts} mx1 exim[1]: H=mx.example.com [192.0.2.7]:35328 F=<a@example.com> rejected RCPT "
        "<b@example.org>: No Such User Here",
        "Jun 31 16:04:14",
        "Jun 30 16:04:14",
        "2026-06-30T16:04:14",
    ),
    (
        "mdaemon",
        "MDaemon-SMTP-out.log",
        ["Tue 2022-08-09 07:47:32: --> RCPT To:<user@example.com>"],
        "Tue {ts}: <-- 450 4.7.25 Client host rejected",
        "2022-02-29 07:47:32",
        "2024-02-29 07:47:32",
        "2024-02-29T07:47:32",
    ),
    (
        "exchange",
        "ex061009.log",
        [],
        "{ts} 192.0.2.7 - SMTPSVC1 MX1 192.0.2.1 0 RCPT +TO:<a@example.com> - 550 0 32 23 0 SMTP "
        "- - - -",
        "2006-10-09 14:60:46",
        "2006-10-09 14:59:46",
        "2006-10-09T14:59:46",
    ),
    (
        "exchange",
        "MSGTRK20240101-1.LOG",
        [],
        "{ts},10.0.0.5,EX1,203.0.113.7,mx.example.net,,Outbound,SMTP,FAIL,42,<m@x>,a@example.net,"
        "550 5.1.1 User unknown,900,1,,,Hi,me@x,me@x,,Originating,,,,",
        "2024-00-01T10:00:00.000Z",
        "2024-01-01T10:00:00.000Z",
        "2024-01-01T10:00:00.000Z",
    ),
    (
        "exchange",
        "RECV20240101-1.LOG",
        ["#Log-type: SMTP Receive Protocol Log"],
        "{ts},EX1\\Default,08DA0001,5,10.0.0.5:25,192.0.2.9:5123,>,535 5.7.3 Auth failed,",
        "2024-01-01T10:00:00.000+25:00",
        "2024-01-01T10:00:00.000-05:00",
        "2024-01-01T10:00:00.000-05:00",
    ),
]


@pytest.mark.parametrize(("name", "path", "before", "line", "bad", "good", "iso"), CASES)
def test_every_parser_sets_impossible_timestamps_to_null(
    name: str, path: str, before: list[str], line: str, bad: str, good: str, iso: str
) -> None:
    parser = Registry.load().get(name)(path=path, year=2026)
    for i, text in enumerate(before, 1):
        parser.feed(text, i)
    evs = parser.feed(line.format(ts=bad).rstrip("\n"), 10) or []
    assert evs and all(ev.ts is None for ev in evs), evs
    assert parser.timestamps.invalid == 1
    evs = parser.feed(line.format(ts=good).rstrip("\n"), 11) or []
    assert evs and all(ev.ts == iso for ev in evs), evs
    assert parser.timestamps.invalid == 1


@pytest.mark.parametrize(
    "ts",
    [
        "2027-02-30T00:00:00",
        "2027-02-28T25:00:00",
        "2027-02-28T23:61:00",
        "2027-02-28T23:59:61",
        "0000-01-01T00:00:00",
        "2027-02-28T23:59:59+24:00",
        "2027-02-28T23:59:59+01:60",
        "2027-02-28T23:59:59junk",
        "2027-02-28",
        "",
    ],
)
def test_check_rejects_and_counts(ts: str) -> None:
    check = TimestampCheck()
    assert check("2027-02-28T23:59:59") == "2027-02-28T23:59:59"  # the fast path is primed
    assert check(ts) is None
    assert check.invalid == 1


@pytest.mark.parametrize(
    "ts",
    [
        "2024-02-29T00:00:00",
        "2016-12-31T23:59:60Z",  # a leap second (RFC 3339)
        "2027-02-28T23:59:59,123",
        "2027-02-28T23:59:59.123456-0830",
        "2027-02-28T23:59:59Z",
    ],
)
def test_check_accepts_possible_timestamps(ts: str) -> None:
    check = TimestampCheck()
    assert check(ts) == ts and check(ts) == ts and check(None) is None
    assert check.invalid == 0
