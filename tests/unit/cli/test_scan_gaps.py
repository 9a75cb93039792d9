"""``logscan scan`` lists the texts the rules could not place (issue 12, "unknown is a bug
report"): events whose category is ``unknown`` or was decided by the reply class alone,
normalised and counted, in the table and the JSON summary."""

from __future__ import annotations

from logscan.core.event import ClassifiedEvent, Event, Verdict
from logscan.sinks.report.gaps import NO_TEXT, OTHER_TEXTS, Gaps, is_gap
from tests.helpers.logscan_cli import run, summary
from tests.helpers.paths import DATA


def _event(text: str | None, line: int = 1, mta: str = "exim") -> Event:
    return Event(path="mainlog", line=line, mta=mta, direction="outbound", text=text)


def test_only_unknown_and_class_only_verdicts_are_gaps() -> None:
    assert is_gap("none", "unknown")
    assert is_gap("class:permanent", "delivered")
    assert not is_gap("signature:user-unknown", "mailbox-unknown")
    assert not is_gap("status:sent", "delivered")
    gaps = Gaps()
    gaps(ClassifiedEvent(_event("550 no <a@x.org>", 3), Verdict("permanent", "unknown")))
    gaps(ClassifiedEvent(_event("550 no <b@y.org>", 4), Verdict("permanent", "unknown")))
    gaps(ClassifiedEvent(_event(None, 5), Verdict(None, "unknown")))
    gaps(
        ClassifiedEvent(
            _event("550 User unknown", 6),
            Verdict("permanent", "mailbox-unknown", rule="signature:user-unknown"),
        )
    )
    assert gaps.total() == 3
    top = gaps.top()
    assert [(r["text"], r["count"]) for r in top] == [("550 no <addr>", 2), (NO_TEXT, 1)]
    assert top[0]["example"] == {"path": "mainlog", "line": 3, "text": "550 no <a@x.org>"}


def test_the_counter_is_bounded() -> None:
    gaps = Gaps(max_texts=2)
    for i, word in enumerate(["alpha", "beta", "gamma", "delta"]):
        gaps(ClassifiedEvent(_event(f"weird {word}", i), Verdict(None, "unknown")))
    texts = {r["text"]: r["count"] for r in gaps.top()}
    assert texts == {"weird alpha": 1, "weird beta": 1, OTHER_TEXTS: 2}


def test_scan_lists_the_most_frequent_unclassified_texts() -> None:
    # The Exim test suite's ":defer: not just now" redirections: an administrator's free text.
    log = str(DATA / "exim" / "exim-testsuite-mainlog-failures.log")
    done = run(["scan", "--format", "json", log])
    data = summary(done)
    rows = {r["text"]: r["count"] for r in data["top_unclassified_texts"]}
    assert rows.get("not just now") == 7
    assert data["unclassified_events"] >= sum(rows.values())
    table = run(["scan", log]).stdout
    assert "Unclassified texts: " in table
    assert "not just now" in table.split("Unclassified texts: ", 1)[1]
