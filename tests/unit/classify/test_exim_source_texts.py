"""Exim's own router and transport texts, taken from its source (issue 12, eleventh round).

``tests/data/exim/exim-src-delivery-texts.tsv`` lists the texts Exim's routers
(src/src/routers/*.c), transports (src/src/transports/*.c) and delivery process (deliver.c)
put in ``addr->message``, blanks filled in, with the errno Exim logs in ``defer (N)``, the
category a postmaster gives each and the source file. Each row is written as the line
deliver.c's deferral_log() or failure_log() makes of it (``== addr R=r T=t defer (N): text``,
``** addr R=r T=t: text``, or 4.99's ``** addr R=r T=t : text``) and fed through the Exim parser.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from logscan.classify.classifier import Classifier
from parsers.exim import EximParser
from tests.helpers.paths import DATA


@dataclass(frozen=True)
class Row:
    kind: str
    errno: str
    router: str
    transport: str
    text: str
    category: str
    source: str

    def line(self, reason_separator: str = ": ") -> str:
        drivers = "".join(
            f" {flag}={name}" for flag, name in (("R", self.router), ("T", self.transport)) if name
        )
        head = "2024-03-12 10:00:01 1rk0Aa-0004Xy-2C"
        if self.kind == "defer":
            return f"{head} == user@example.com{drivers} defer ({self.errno}): {self.text}"
        return f"{head} ** user@example.com{drivers}{reason_separator}{self.text}"


def load_rows() -> list[Row]:
    path = DATA / "exim" / "exim-src-delivery-texts.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [Row(**rec) for rec in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


ROWS = load_rows()


def test_the_table_covers_routers_transports_and_delivery() -> None:
    assert len(ROWS) >= 70
    sources = {r.source.split("/")[-1] for r in ROWS}
    assert sources >= {"deliver.c", "dnslookup.c", "manualroute.c", "redirect.c", "appendfile.c"}
    assert sources >= {"pipe.c", "lmtp.c", "smtp.c"}


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.kind} {r.text[:50]}")
def test_exim_source_text_category(clf: Classifier, row: Row) -> None:
    [ev] = EximParser("mainlog", year=2024).feed(row.line(), 1) or []
    assert ev.status == ("deferred" if row.kind == "defer" else "bounced")
    verdict = clf.classify_event(ev).verdict
    assert verdict.category == row.category, (row.text, verdict.rule)


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r.kind == "fail"], ids=lambda r: f"4.99 {r.text[:50]}"
)
def test_exim_source_text_after_the_499_separator(clf: Classifier, row: Row) -> None:
    # deliver.c failure_log() of 4.99 puts " : " before the reason.
    [ev] = EximParser("mainlog", year=2024).feed(row.line(" : "), 1) or []
    assert ev.status == "bounced"
    assert clf.classify_event(ev).verdict.category == row.category, row.text
