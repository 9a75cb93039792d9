"""The report sink in-process: tables, reject reasons and the caps that bound its memory."""

from __future__ import annotations

from logscan.event import ClassifiedEvent, Event, Verdict
from logscan.report import OTHER, Report


def event(code: str, line: int, category: str = "mailbox-unknown") -> ClassifiedEvent:
    ev = Event(path="m.log", line=line, mta="postfix", direction="outbound", status="bounced",
               code=code, enhanced="5.1.1", text=f"{code} 5.1.1 no such user")  # fmt: skip
    return ClassifiedEvent(ev, Verdict("permanent", category))


def test_distinct_keys_are_capped_and_folded_into_other() -> None:
    report = Report(max_keys=2)
    for n, code in enumerate(["550", "551", "552", "553", "550"], 1):
        report(event(code, n))
    s = report.summary()
    assert s["events"] == 5
    assert s["by_code"] == {"550": 2, OTHER: 2, "551": 1}


def test_reject_reason_example_is_the_earliest_line() -> None:
    report = Report()
    report(event("550", 10))
    # same reason (category, code), another key (a provider): still one reason, first example
    google = Verdict("permanent", "mailbox-unknown", provider="google")
    report(ClassifiedEvent(event("550", 11).event, google))
    (reason,) = report.summary()["top_reject_reasons"]
    assert reason["count"] == 2 and reason["example"]["line"] == 10


def test_unrecognized_lines_are_capped() -> None:
    report = Report(max_unrecognized=3)
    keep = report.unrecognized_line("m.log")
    for n in range(1, 11):
        keep(n, f"junk {n}")
    s = report.summary()
    assert [u["line"] for u in s["unrecognized_lines"]] == [1, 2, 3]
    assert s["unrecognized_not_shown"] == 7
