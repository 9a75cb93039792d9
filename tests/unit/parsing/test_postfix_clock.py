"""The times of Postfix lines (parsers/postfix/clock.py): a new second of the minute before is
taken as written, and a stamp no clock shows is still refused and counted."""

from __future__ import annotations

from parsers.postfix.clock import LineClock
from parsers.postfix.parser import PostfixParser


def times(lines: list[str]) -> tuple[list[str | None], int]:
    parser = PostfixParser("mail.log", year=2024)
    clock = LineClock(parser)
    return [clock.ts(line) for line in lines], parser.timestamps.invalid


def line(stamp: str) -> str:
    return f"{stamp} mx postfix/smtp[8]: 3F2A1: to=<a@b.example>, status=sent (250 ok)"


def test_seconds_of_one_minute_each_get_their_own_time() -> None:
    stamps = ["Nov 29 00:00:02", "Nov 29 00:00:03", "Nov 29 00:00:59", "Nov 29 00:01:00"]
    assert times([line(s) for s in stamps]) == (
        [
            "2024-11-29T00:00:02", "2024-11-29T00:00:03", "2024-11-29T00:00:59",
            "2024-11-29T00:01:00",
        ],
        0,
    )  # fmt: skip


def test_an_impossible_second_after_good_ones_is_refused_every_time() -> None:
    stamps = ["Nov 29 00:00:02", "Nov 29 00:00:61", "Nov 29 00:00:7x", "Nov 29 00:00:61"]
    ts, invalid = times([line(s) for s in stamps])
    assert ts == ["2024-11-29T00:00:02", None, None, None]
    assert invalid == 2  # "7x" is no time stamp at all: no time, not an impossible one


def test_a_leap_second_is_a_time() -> None:
    ts, invalid = times([line("Dec 31 23:59:59"), line("Dec 31 23:59:60")])
    assert ts == ["2024-12-31T23:59:59", "2024-12-31T23:59:60"] and invalid == 0


def test_a_different_day_at_the_same_minute_is_not_taken_for_it() -> None:
    ts, _ = times([line("Nov 29 10:00:02"), line("Nov 30 10:00:03"), line("Nov 29 10:00:04")])
    assert ts == ["2024-11-29T10:00:02", "2024-11-30T10:00:03", "2024-11-29T10:00:04"]
