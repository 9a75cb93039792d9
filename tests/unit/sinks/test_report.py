"""The report sink in-process: tables, reject reasons and the caps that bound its memory."""

from __future__ import annotations

from logscan.core.event import ClassifiedEvent, Direction, Event, Verdict
from logscan.sinks.report.summary import OTHER, Report
from logscan.sinks.report.table import render


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
    (reason,) = report.summary()["top_reject_reasons"]["outbound"]
    assert reason["count"] == 2 and reason["example"]["line"] == 10


def test_unrecognized_lines_are_capped() -> None:
    report = Report(max_unrecognized=3)
    keep = report.unrecognized_line("m.log")
    for n in range(1, 11):
        keep(n, f"junk {n}")
    s = report.summary()
    assert [u["line"] for u in s["unrecognized_lines"]] == [1, 2, 3]
    assert s["unrecognized_not_shown"] == 7


def test_unrecognized_lines_of_another_report_keep_the_cap_as_if_read_here() -> None:
    """``scan -j``: a worker's kept lines of the next file, added, give what one report gives."""

    def fed(report: Report, path: str, lines: range) -> Report:
        keep = report.unrecognized_line(path)
        for n in lines:
            keep(n, f"junk {n}")
        return report

    whole = fed(fed(Report(max_unrecognized=3), "a.log", range(1, 3)), "b.log", range(1, 6))
    first = fed(Report(max_unrecognized=3), "a.log", range(1, 3))
    second = fed(Report(max_unrecognized=3), "b.log", range(1, 6))
    first.add_unrecognized(second.unrecognized, second.unrecognized_dropped)
    assert first.summary() == whole.summary()
    assert [(u["path"], u["line"]) for u in first.summary()["unrecognized_lines"]] == [
        ("a.log", 1), ("a.log", 2), ("b.log", 1),
    ]  # fmt: skip
    assert first.summary()["unrecognized_not_shown"] == 4


def listed(direction: Direction, line: int) -> ClassifiedEvent:
    status = "bounced" if direction == "outbound" else "rejected"
    text = f"554 5.7.1 blocked using zen.spamhaus.org ({direction})"
    ev = Event(path="m.log", line=line, mta="postfix", direction=direction, status=status,
               code="554", enhanced="5.7.1", text=text)  # fmt: skip
    return ClassifiedEvent(ev, Verdict("permanent", "blocklisted", blocklist="zen.spamhaus.org"))


def test_blocklists_and_reasons_separate_we_are_listed_from_we_refused_them() -> None:
    # Our own RBL refusing clients (inbound) must not bury the few refusals of our own mail
    # (outbound: we are listed) in one "zen.spamhaus.org 4,914".
    report = Report()
    for n in range(1, 49):
        report(listed("inbound", n))
    for n in range(100, 103):
        report(listed("outbound", n))
    s = report.summary()
    assert s["blocklists"] == {
        "outbound": {"zen.spamhaus.org": 3},
        "inbound": {"zen.spamhaus.org": 48},
    }
    [out] = s["top_reject_reasons"]["outbound"]
    [inb] = s["top_reject_reasons"]["inbound"]
    assert (out["direction"], out["count"], out["example"]["line"]) == ("outbound", 3, 100)
    assert (inb["direction"], inb["count"], inb["example"]["line"]) == ("inbound", 48, 1)
    text = render(s, show_unrecognized=False)
    listed_block = text.split("Blocklists: we are listed / refused by others (outbound)\n")[1]
    assert listed_block.split("\n")[0].split()[0] == "3"
    refused_block = text.split("Blocklists: we refused them (inbound)\n")[1]
    assert refused_block.split("\n")[0].split()[0] == "48"
    assert "Top reject and deferral reasons: we are listed / refused by others (outbound)" in text
    assert "m.log:100: 554 5.7.1 blocked using zen.spamhaus.org (outbound)" in text
    assert "Top reject and deferral reasons: we refused them (inbound)" in text
