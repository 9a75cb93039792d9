"""Postfix's own texts, taken from its source (issue 12, tenth round).

``tests/data/postfix/postfix-src-status-texts.tsv`` lists the texts Postfix's delivery agents
and queue manager put in ``status=... (text)`` (``dsb_simple``/``vstring_sprintf`` format
strings of src/local, src/smtp, src/qmgr, src/pipe and src/dns, blanks filled in), each with its
DSN code, the source file and the category a postmaster gives it; each row is fed as a whole
status line through the Postfix parser and classified.

``tests/data/postfix/postfix-src-server-replies.tsv`` lists the replies a receiving Postfix
gives a client (smtpd, postscreen, cleanup), as our client would log them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from logscan.classify.classifier import Classifier
from parsers.postfix import PostfixParser
from tests.helpers.paths import DATA
from tests.helpers.reply_texts import ReplyText, verdict_of


@dataclass(frozen=True)
class Row:
    program: str
    dsn: str
    text: str
    category: str
    source: str


def load_rows() -> list[Row]:
    path = DATA / "postfix" / "postfix-src-status-texts.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Row(rec["program"], rec["dsn"], rec["text"], rec["category"], rec["source"])
            for rec in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


ROWS = load_rows()


def test_the_table_covers_the_delivery_agents() -> None:
    assert len(ROWS) >= 60
    assert {r.source.split("/")[0] for r in ROWS} >= {"local", "smtp", "qmgr", "pipe", "dns"}


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.dsn} {r.text[:50]}")
def test_postfix_status_text_category(clf: Classifier, row: Row) -> None:
    status = "deferred" if row.dsn.startswith("4") else "bounced"
    line = (
        f"Mar 12 10:00:00 mx postfix/{row.program}[123]: 4ABCD1234: to=<u@example.net>, "
        f"relay=none, delay=1, delays=1/0/0/0, dsn={row.dsn}, status={status} ({row.text})"
    )
    [ev] = PostfixParser("maillog", year=2024).feed(line, 1) or []
    assert ev.status == status
    verdict = clf.classify_event(ev).verdict
    assert verdict.category == row.category, verdict.rule


def load_replies() -> list[ReplyText]:
    path = DATA / "postfix" / "postfix-src-server-replies.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            ReplyText(rec["source"], rec["text"], rec["category"])
            for rec in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


REPLIES = load_replies()


def test_the_reply_table_covers_the_servers() -> None:
    assert len(REPLIES) >= 70
    assert {r.source.split("/")[0] for r in REPLIES} >= {"smtpd", "postscreen", "global"}


@pytest.mark.parametrize("row", REPLIES, ids=lambda r: r.text[:60])
def test_postfix_server_reply_category(clf: Classifier, row: ReplyText) -> None:
    verdict = verdict_of(clf, row.text)
    assert verdict.category == row.category, verdict.rule
