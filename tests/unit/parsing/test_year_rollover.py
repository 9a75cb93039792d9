"""BSD syslog timestamps carry no year: every parser that reads them crosses New Year alike
(one implementation, ``Parser.year_of``). The lines are real ones (tests/data/SOURCES.md:
fail2ban postfix/sendmail, crowdsec exim) with their dates moved to either side of New Year."""

from __future__ import annotations

import pytest

from logscan.parsing.api import Parser
from parsers.exim import EximParser
from parsers.postfix import PostfixParser
from parsers.sendmail import SendmailParser

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
DATES = ["Dec 31 23:59:58", "Dec 31 23:59:59", "Jan  1 00:00:01", "Jan  1 00:00:02"]


@pytest.mark.parametrize(
    ("parser_cls", "template"),
    [(PostfixParser, POSTFIX), (SendmailParser, SENDMAIL), (EximParser, EXIM)],
)
def test_new_year_moves_the_year_forward(parser_cls: type[Parser], template: str) -> None:
    parser = parser_cls("maillog", year=2023)
    stamps = []
    for i, date in enumerate(DATES, 1):
        [ev] = parser.feed(template.format(date=date), i) or []
        stamps.append(ev.ts)
    assert stamps == [
        "2023-12-31T23:59:58",
        "2023-12-31T23:59:59",
        "2024-01-01T00:00:01",
        "2024-01-01T00:00:02",
    ]


@pytest.mark.parametrize(
    ("parser_cls", "template"),
    [(PostfixParser, POSTFIX), (SendmailParser, SENDMAIL), (EximParser, EXIM)],
)
def test_only_december_to_january_moves_the_year(parser_cls: type[Parser], template: str) -> None:
    """A log slightly out of order (or a file of unrelated test lines) keeps its year."""
    parser = parser_cls("maillog", year=2023)
    dates = ["Mar  3 10:00:00", "Feb 27 10:00:00", "Dec  1 10:00:00", "Nov 30 10:00:00"]
    years = [
        (parser.feed(template.format(date=d), i) or [])[0].ts[:4]  # type: ignore[index]
        for i, d in enumerate(dates, 1)
    ]
    assert years == ["2023"] * 4


def test_year_of_is_the_one_rule() -> None:
    p = PostfixParser("maillog", year=2030)
    assert [p.year_of(m) for m in (11, 12, 12, 1, 1, 2, 12, 1)] == [
        2030, 2030, 2030, 2031, 2031, 2031, 2031, 2032,
    ]  # fmt: skip
