"""Agreement of the classifier with Sisimai's reasons on real bounce replies.

The rows (tests/data/sisimai/, BSD-2, see tests/data/SOURCES.md) hold a reply code, Sisimai's
status, its reason and the diagnostic text. Sisimai decides from the whole bounce, we decide
from the reply alone, so 100 % is out of reach: ``reason-map.tsv`` lists the categories we
accept for each reason. Run ``python -m tests.unit.classify.test_sisimai_agreement`` for the
per-reason misses.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from dataclasses import dataclass

from logscan.classify.classifier import Classifier
from logscan.parsing.reply import enhanced_in_text
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "sisimai"
# Sisimai's "5.0.9NN" statuses encode its answer; they are not input.
_PSEUDO_STATUS = re.compile(r"^[45]\.0\.9\d\d$")
THRESHOLD = 0.95


@dataclass(frozen=True)
class Row:
    sample: str
    code: str
    enhanced: str | None
    reason: str
    text: str


@dataclass(frozen=True)
class Outcome:
    row: Row
    category: str
    rule: str
    agrees: bool


def load_rows() -> list[Row]:
    """Rows with a reply code; the enhanced code is Sisimai's status unless it is a pseudo-code,
    else the one in the text (what a parser would extract)."""
    rows = []
    with (DATA / "replies.tsv").open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not rec["replycode"]:
                continue
            status = rec["status"]
            enhanced = status if status and not _PSEUDO_STATUS.match(status) else None
            text = rec["text"]
            rows.append(
                Row(
                    rec["sample"],
                    rec["replycode"],
                    enhanced or enhanced_in_text(text),
                    rec["reason"],
                    text,
                )
            )
    return rows


def load_reason_map() -> dict[str, frozenset[str]]:
    with (DATA / "reason-map.tsv").open(encoding="utf-8", newline="") as fh:
        return {
            rec["reason"]: frozenset(rec["categories"].split("|"))
            for rec in csv.DictReader(fh, delimiter="\t")
        }


def evaluate(clf: Classifier) -> list[Outcome]:
    allowed = load_reason_map()
    outcomes = []
    for row in load_rows():
        verdict = clf.classify(row.code, row.enhanced, row.text)
        ok = verdict.category in allowed[row.reason]
        outcomes.append(Outcome(row, verdict.category, verdict.rule, ok))
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    agree = sum(o.agrees for o in outcomes)
    lines = [f"agreement {agree}/{len(outcomes)} = {agree / len(outcomes):.1%}"]
    misses = Counter(o.row.reason for o in outcomes if not o.agrees)
    totals = Counter(o.row.reason for o in outcomes)
    for reason, n in sorted(misses.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {reason}: {n} of {totals[reason]} missed")
    return "\n".join(lines)


def test_data_is_complete() -> None:
    rows = load_rows()
    assert len(rows) == 418
    assert not any(r.enhanced and _PSEUDO_STATUS.match(r.enhanced) for r in rows)
    reasons = load_reason_map()
    assert {r.reason for r in rows} <= set(reasons)


def test_agreement_with_sisimai() -> None:
    outcomes = evaluate(Classifier.load())
    print("\n" + report(outcomes))
    rate = sum(o.agrees for o in outcomes) / len(outcomes)
    assert rate >= THRESHOLD, report(outcomes)


def main() -> int:
    outcomes = evaluate(Classifier.load())
    for o in outcomes:
        if not o.agrees:
            print(f"{o.row.reason:15} {o.category:20} {o.rule:40} {o.row.code} {o.row.enhanced}")
            print(f"    {o.row.text[:200]}")
    print(report(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
