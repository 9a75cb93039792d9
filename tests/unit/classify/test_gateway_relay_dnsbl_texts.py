"""Security gateways', sending relays' and DNS blocklists' refusal texts (issue 12).

``tests/data/gateways/gateway-relay-dnsbl-texts.tsv`` holds one reply per row as the vendor
documents it or a public log or bounce quotes it, with the category a postmaster reads in the
vendor's own explanation and the provider and blocklist the text alone names (empty: none).
Its ``source`` keys are explained at the end of tests/data/SOURCES.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from logscan.classify.classifier import Classifier
from logscan.parsing.reply import parse_reply
from logscan.sinks.labels import LabelSets
from tests.helpers.paths import DATA

TABLE = DATA / "gateways" / "gateway-relay-dnsbl-texts.tsv"


@dataclass(frozen=True)
class Row:
    source: str
    category: str
    provider: str
    blocklist: str
    text: str


def load_rows() -> list[Row]:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        return [Row(**rec) for rec in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


ROWS = load_rows()


def test_every_source_key_is_explained() -> None:
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    section = sources[sources.index("## Collected for issue 12, seventh round") :]
    assert sorted(s for s in {r.source for r in ROWS} if f"`{s}`" not in section) == []


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.text[:60])
def test_text_verdict(clf: Classifier, row: Row) -> None:
    reply = parse_reply(row.text)
    v = clf.classify(reply.code, reply.enhanced, reply.text)
    assert (v.category, v.provider or "", v.blocklist or "") == (
        row.category,
        row.provider,
        row.blocklist,
    ), v.rule


@pytest.mark.parametrize("row", [r for r in ROWS if r.blocklist], ids=lambda r: r.blocklist)
def test_named_list_is_a_bounded_label(clf: Classifier, row: Row) -> None:
    # A list the metrics would fold into "other" is not named for the operator.
    assert row.blocklist in LabelSets.from_classifier(clf).blocklists
