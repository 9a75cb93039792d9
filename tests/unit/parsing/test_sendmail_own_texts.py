"""Sendmail's own words for a failed delivery attempt, as its ``stat=`` carries them.

The texts are sm_errstring()'s (sendmail/err.c) with its blanks filled in, in the shape of a
Sendmail 8.x ``to=`` line; rules/outcomes.toml places them. Each would be ``unknown`` without
that table: no reply code, and an enhanced code (4.0.0) that says only "try again".
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent
from logscan.pipeline import Pipeline
from parsers.sendmail import SendmailParser

LINE = (
    "Mar 12 10:00:00 mx sm-mta[4242]: 2BCA0g1A004242: to=<u@example.org>, delay=00:00:05, "
    "xdelay=00:00:05, mailer=esmtp, pri=120000, relay=mx.example.org., dsn={dsn}, stat={stat}"
)


@pytest.mark.parametrize(
    ("dsn", "stat", "status", "category"),
    [
        ("4.0.0", "Deferred: Name server: mx.example.org.: non-recoverable error", "deferred",
         "dns-failure"),
        ("4.0.0", "Deferred: Name server timeout", "deferred", "dns-failure"),
        ("4.0.0", "Deferred: Host mx.example.org. is down", "deferred", "network"),
        ("4.0.0", "Deferred: World writable directory", "deferred", "server-error"),
        ("4.0.0", "Deferred: Symbolic links not allowed", "deferred", "server-error"),
    ],
)  # fmt: skip
def test_sendmail_errstring_texts_have_their_category(
    dsn: str, stat: str, status: str, category: str
) -> None:
    out: list[ClassifiedEvent] = []
    pipe = Pipeline("maillog", SendmailParser("maillog", 2024), Classifier.load(), [out.append])
    pipe.feed(LINE.format(dsn=dsn, stat=stat), 1)
    [(ev, verdict)] = out
    assert (ev.status, ev.code, ev.enhanced) == (status, None, dsn)
    assert verdict.category == category
