"""Exchange's own status texts get their category (issue 12).

``tests/data/exchange/exchange-status-texts.tsv`` (provenance in tests/data/SOURCES.md) holds the
replies Exchange writes, as its transport defines them: the acknowledgement reasons of the
transport (``ackreason``: QUEUE., RESOLVER., ROUTING., SMTPSEND., STOREDRV. ...), the SMTP
responses of its Receive and Send connectors (``smtpresponse``), the NDR table Microsoft
publishes for Exchange Online (``exo-ndr-table``) and the texts Exchange Server's own
documentation gives that the other three lack (``exchange-server-docs``: its NDR table, its
antispam agents). Each row lists the categories it may get (``a|b`` where the text allows two
readings).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass

import pytest

from logscan.classify.classifier import Classifier
from logscan.parsing.reply import parse_reply
from tests.helpers.paths import DATA


@dataclass(frozen=True)
class Row:
    source: str
    categories: frozenset[str]
    text: str


def load_rows() -> list[Row]:
    path = DATA / "exchange" / "exchange-status-texts.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Row(rec["source"], frozenset(rec["categories"].split("|")), rec["text"])
            for rec in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


ROWS = load_rows()


def test_the_table_covers_each_source() -> None:
    counts = Counter(r.source for r in ROWS)
    assert set(counts) == {"ackreason", "smtpresponse", "exo-ndr-table", "exchange-server-docs"}
    assert min(counts[s] for s in ("ackreason", "smtpresponse", "exo-ndr-table")) >= 50
    assert counts["exchange-server-docs"] >= 14


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.text[:60])
def test_exchange_status_text_category(clf: Classifier, row: Row) -> None:
    reply = parse_reply(row.text)
    verdict = clf.classify(reply.code, reply.enhanced, reply.text)
    assert verdict.category in row.categories, verdict.rule
