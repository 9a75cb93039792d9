"""BSD syslog timestamps carry no year: every parser that reads them crosses New Year alike
(one implementation, ``Parser.year_of``), and every parser whose log writes the year keeps it
whatever year it was given. The case list covers every registered parser, so a new one comes
with its New Year test. The syslog lines are real ones (tests/data/SOURCES.md: fail2ban
postfix/sendmail, crowdsec exim) with their dates moved to either side of New Year."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from logscan.parsing.api import Parser
from logscan.parsing.registry import Registry
from parsers.postfix import PostfixParser

Line = Callable[[datetime.datetime], str]


def bsd(template: str) -> Line:
    """A syslog line with a year-less (BSD) timestamp, ``Jan  1 00:00:01``."""
    return lambda t: template.format(date=t.strftime("%b ") + f"{t.day:2d}" + t.strftime(" %T"))


def dated(template: str, fmt: str) -> Line:
    """A line of a log that writes the year, its time in ``fmt`` (strftime)."""
    return lambda t: template.format(date=t.strftime(fmt))


POSTFIX = (
    "{date} letterman postfix/smtp[59649]: 5270320179: to=<hebj@telia.com>, "
    "relay=mail.telia.com[81.236.60.210]:25, delay=2017, delays=0.1/2017/0.03/0.05, "
    "dsn=2.0.0, status=sent (250 2.0.0 6FVIjIMwUJwU66FVIjAEB0 mail accepted for delivery)"
)
SENDMAIL = (
    "{date} cloud9 sm-mta[6400]: p1RC74q5015493: to=<www-data@cloud9.exampleNetwork.com>, "
    "delay=11:51:38, xdelay=00:00:00, mailer=local, pri=6510000, dsn=4.0.0, "
    "stat=Deferred: local mailer (/usr/sbin/sensible-mda) exited with EX_TEMPFAIL"
)
EXIM = (
    "{date} server exim[1234]: dovecot_login authenticator failed for ([1.2.3.5]) "
    "[1.2.3.4]:55379: 535 Incorrect authentication data (set_id=abuse@test.com)"
)
EXIM_MAINLOG = (
    "{date} H=mx.example.com [192.0.2.7]:35328 F=<a@example.com> "
    "rejected RCPT <b@example.org>: No Such User Here"
)
MDAEMON = "{date}: <-- 450 4.7.25 Client host rejected: cannot find your hostname"
EXCHANGE_SEND = "{date},Out,08DAB1,10,10.0.0.5:10437,192.0.2.26:25,<,550 5.1.1 No such user,"
EXCHANGE_SMTPSVC = (
    "{date} 192.0.2.7 - SMTPSVC1 MX1 192.0.2.1 0 RCPT +TO:<a@example.com> - 550 0 32 23 0 "
    "SMTP - - - -"
)

# (parser, file name, line maker): one line, one event.
CASES: list[tuple[str, str, Line]] = [
    ("postfix", "maillog", bsd(POSTFIX)),
    ("sendmail", "maillog", bsd(SENDMAIL)),
    ("exim", "maillog", bsd(EXIM)),  # syslog-wrapped
    ("exim", "mainlog", dated(EXIM_MAINLOG, "%Y-%m-%d %T")),
    ("mdaemon", "MDaemon-SMTP-out.log", dated(MDAEMON, "%a %Y-%m-%d %T")),
    ("exchange", "SEND20231231-1.LOG", dated(EXCHANGE_SEND, "%Y-%m-%dT%T.000Z")),
    ("exchange", "ex231231.log", dated(EXCHANGE_SMTPSVC, "%Y-%m-%d %T")),
]
IDS = [f"{name}-{path}" for name, path, _ in CASES]
NEW_YEAR = [
    datetime.datetime(2023, 12, 31, 23, 59, 58),
    datetime.datetime(2023, 12, 31, 23, 59, 59),
    datetime.datetime(2024, 1, 1, 0, 0, 1),
    datetime.datetime(2024, 1, 1, 0, 0, 2),
]


def years(name: str, path: str, line: Line, times: list[datetime.datetime]) -> list[str]:
    """The year of the one event of each line, read in order by one parser given 2023."""
    parser: Parser = Registry.load().get(name)(path, year=2023)
    out = []
    for i, t in enumerate(times, 1):
        [ev] = parser.feed(line(t), i) or []
        assert ev.ts is not None, line(t)
        assert ev.ts[5:19] == t.strftime("%m-%dT%T"), ev.ts  # the month, day and time read
        out.append(ev.ts[:4])
    return out


def test_every_parser_has_a_new_year_case() -> None:
    assert {name for name, _, _ in CASES} == set(Registry.load().names())


@pytest.mark.parametrize(("name", "path", "line"), CASES, ids=IDS)
def test_new_year_moves_the_year_forward(name: str, path: str, line: Line) -> None:
    assert years(name, path, line, NEW_YEAR) == ["2023", "2023", "2024", "2024"]


@pytest.mark.parametrize(("name", "path", "line"), CASES, ids=IDS)
def test_only_december_to_january_moves_the_year(name: str, path: str, line: Line) -> None:
    """A log slightly out of order (or a file of unrelated test lines) keeps its year."""
    times = [datetime.datetime(2023, m, d, 10) for m, d in ((3, 3), (2, 27), (12, 1), (11, 30))]
    assert years(name, path, line, times) == ["2023"] * 4


@pytest.mark.parametrize(("name", "path", "line"), CASES, ids=IDS)
def test_a_log_starting_in_january_keeps_the_year_it_was_given(
    name: str, path: str, line: Line
) -> None:
    """A file that starts after New Year (the rotated one, read with its mtime's year) is not
    moved on: only a December line followed by a January one is a New Year."""
    times = [datetime.datetime(2023, 1, d, 10) for d in (1, 2)] + [
        datetime.datetime(2023, 2, 1, 10),
        datetime.datetime(2023, 1, 31, 10),  # out of order, still the same year
    ]
    assert years(name, path, line, times) == ["2023"] * 4


def test_year_of_is_the_one_rule() -> None:
    p = PostfixParser("maillog", year=2030)
    assert [p.year_of(m) for m in (11, 12, 12, 1, 1, 2, 12, 1)] == [
        2030, 2030, 2030, 2031, 2031, 2031, 2031, 2032,
    ]  # fmt: skip
