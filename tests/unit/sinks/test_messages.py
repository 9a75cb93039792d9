"""Message correlation (logscan/sinks/messages.py): outcomes, bounds, checkpoint, and the scan's
counts
against a truth derived independently from the log's own lines."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logscan.core.event import ClassifiedEvent, Event, MessageNote, Verdict
from logscan.sinks.messages import Finished, MessageTracker, _cost
from tests.helpers.logscan_cli import run, summary
from tests.helpers.paths import DATA

POSTFIX = DATA / "postfix"


def _event(qid: str, status: str, ts: str = "2024-01-01T00:00:10", **kw: object) -> ClassifiedEvent:
    ev = Event("m", 1, "postfix", "outbound", status=status, queue_id=qid, ts=ts, **kw)  # type: ignore[arg-type]
    return ClassifiedEvent(ev, Verdict(None, "none"))


def test_outcomes_of_retry_storm_count_messages_not_attempts() -> None:
    done: list[Finished] = []
    t = MessageTracker(done.append)
    t.note(MessageNote("received", "postfix", "A1", "2024-01-01T00:00:00"))
    for _ in range(12):
        t(_event("A1", "deferred"))
    t(_event("A1", "sent", delay=9000.0))
    t.note(MessageNote("removed", "postfix", "A1", "2024-01-01T02:30:00"))
    t(_event("B2", "bounced"))
    t.note(MessageNote("removed", "postfix", "B2"))
    t(_event("C3", "deferred"))
    t.finish_all()
    assert [(f.queue_id, f.outcome, f.deferrals) for f in done] == [
        ("A1", "delivered_after_deferral", 12),
        ("B2", "bounced", 0),
        ("C3", "in_flight", 1),
    ]
    assert done[0].delay == 9000.0


def test_sendmail_message_done_when_all_recipients_have_an_outcome() -> None:
    done: list[Finished] = []
    t = MessageTracker(done.append)
    t.note(MessageNote("received", "sendmail", "q1", recipients=2))
    ev = Event("m", 1, "sendmail", "outbound", status="sent", queue_id="q1")
    t(ClassifiedEvent(ev, Verdict(None, "none")))
    assert not done
    t(ClassifiedEvent(ev, Verdict(None, "none")))
    assert [f.outcome for f in done] == ["delivered"] and len(t) == 0


def test_an_expired_recipient_is_a_final_outcome_for_the_recipient_count() -> None:
    """Exchange and Sendmail log no removal: a message with 2 recipients, one delivered and one
    expired, is done at the second outcome (it used to wait for the end of the input)."""
    done: list[Finished] = []
    t = MessageTracker(done.append)
    t.note(MessageNote("received", "exchange", "m1", recipients=2))
    for status in ("sent", "expired"):
        ev = Event("m", 1, "exchange", "outbound", status=status, queue_id="m1")  # type: ignore[arg-type]
        t(ClassifiedEvent(ev, Verdict(None, "none")))
    assert [f.outcome for f in done] == ["expired"] and len(t) == 0


def test_flood_of_unique_queue_ids_stays_bounded_and_counts_evictions() -> None:
    outcomes: Counter[str] = Counter()
    t = MessageTracker(lambda f: outcomes.update([f.outcome]), max_messages=1000, max_bytes=1 << 20)
    for i in range(50_000):
        t.note(MessageNote("received", "postfix", f"Q{i:08X}", sender="x" * 5000, client="c" * 900))
        assert len(t) <= 1000 and t.bytes <= 1 << 20
    assert outcomes["evicted"] == t.evictions == 50_000 - len(t)
    assert all(len(m.sender or "") <= 256 for m in t._messages.values())


def test_checkpoint_round_trip_and_validation() -> None:
    t = MessageTracker()
    t.note(
        MessageNote("received", "postfix", "A1", "2024-01-01T00:00:00", "a@b", 123, "h[1.2.3.4]")
    )
    t(_event("A1", "deferred"))
    saved = t.save()
    bad = {"version": 1, "messages": [*saved["messages"], ["postfix"], [1, 2], "x", None]}
    done: list[Finished] = []
    u = MessageTracker(done.append)
    u.restore(bad)
    assert len(u) == 1 and u.skipped == 4
    u(_event("A1", "sent"))
    u.note(MessageNote("removed", "postfix", "A1", "2024-01-01T00:10:00"))
    assert done[0].outcome == "delivered_after_deferral" and done[0].size == 123
    assert done[0].delay == 600.0
    u.restore({"version": 99, "messages": saved["messages"]})  # another version: ignored
    assert len(u) == 0


def test_memory_per_message_in_flight_at_the_default_cap() -> None:
    """100k messages in flight (the default cap), long senders: RSS stays under 150 MiB."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so the child would report
    # the test runner's own peak (290 MB in one CI run) instead of its own.
    code = """
import re
from logscan.core.event import MessageNote
from logscan.sinks.messages import MessageTracker
t = MessageTracker()
for i in range(100_000):
    t.note(MessageNote("received", "postfix", f"4XztbQ4JD5z{i:06d}", "2024-11-29T00:00:03",
                       f"{i}" + "s" * 200 + "@example.com", 20000,
                       f"mail{i}.example.org[192.0.2.1]"))
status = open("/proc/self/status").read()
print(len(t), re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n, rss_kib = map(int, out.stdout.split())
    assert n == 100_000
    assert rss_kib < 150 * 1024, rss_kib


_LINE = re.compile(r"postfix/(\w+)\[\d+\]: ([0-9A-Za-z]+): (.*)")


def _fate(s: Counter[str], removed: bool) -> str:
    if s["rejected"]:
        return "rejected"
    if s["expired"]:
        return "expired"
    if s["sent"] and s["bounced"]:
        return "partially_bounced"
    if s["bounced"]:
        return "bounced"
    if s["sent"]:
        return "delivered_after_deferral" if s["deferred"] else "delivered"
    return "no_outcome" if removed else "in_flight"


def truth(path: Path) -> Counter[str]:
    """Message outcomes derived from the log by a plain reading of its lines (not logscan)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    out: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        m = _LINE.search(line)
        if m is None:
            continue
        daemon, qid, rest = m.groups()
        if rest == "removed":
            if qid in seen:
                out[_fate(seen.pop(qid), removed=True)] += 1
            continue
        st = re.search(r"status=(sent|deferred|bounced|expired)", rest)
        if st and daemon != "cleanup":
            seen[qid][st.group(1)] += 1
        elif daemon == "cleanup" and re.match(r"(milter-)?reject:", rest):
            seen[qid]["rejected"] += 1
        elif rest.startswith(("client=", "uid=", "from=<")):
            seen[qid]["arrived"] += 1
    out.update(_fate(s, removed=False) for s in seen.values())
    return out


@pytest.mark.parametrize("name", ["genlog-seed7-bsd.log", "genlog-seed8-rfc3339.log"])
def test_scan_message_counts_equal_the_truth_of_the_log(name: str) -> None:
    path = POSTFIX / name
    got = summary(run(["scan", "--format", "json", str(path)]))["traffic"]["messages"]["by_outcome"]
    want = truth(path)
    assert got == {o: want[o] for o in got}
    assert got["delivered"] > 0 and got["evicted"] == 0


def exim_truth(path: Path) -> Counter[str]:
    """Exim: ``<=`` arrival, ``=>``/``->`` delivered, ``**`` bounced, ``==`` deferred,
    ``Completed`` done."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    out: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        parts = line.split(" ", 4)
        if len(parts) < 4 or not re.fullmatch(r"\w{6}-\w{6,11}-\w{2,4}", parts[2]):
            continue
        qid, mark = parts[2], parts[3]
        if mark == "Completed":
            out[_fate(seen.pop(qid, Counter()), removed=True)] += 1
        elif mark in ("=>", "->"):
            seen[qid]["sent"] += 1
        elif mark == "**":
            seen[qid]["bounced"] += 1
        elif mark == "==":
            seen[qid]["deferred"] += 1
        elif mark == "<=":
            seen[qid]["arrived"] += 1
    out.update(_fate(s, removed=False) for s in seen.values())
    return out


def sendmail_truth(path: Path) -> Counter[str]:
    """Sendmail: ``from=`` with ``nrcpts=N``; ``to=`` with ``stat=Sent`` (delivered), a 4.x.x
    dsn (deferred) or a 5.x.x dsn (bounced); done when N recipients have a final outcome."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    out: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        m = re.search(r"sm-mta\[\d+\]: (\w+): (from|to)=.*?(?:nrcpts=(\d+)|dsn=(\d))", line)
        if m is None:
            continue
        qid, kind, nrcpts, dsn = m.groups()
        s = seen[qid]
        if kind == "from":
            s["nrcpts"] = int(nrcpts)
            continue
        s[{"2": "sent", "4": "deferred", "5": "bounced"}[dsn]] += 1
        if s["nrcpts"] and s["sent"] + s["bounced"] >= s["nrcpts"]:
            out[_fate(seen.pop(qid), removed=True)] += 1
    out.update(_fate(s, removed=False) for s in seen.values())
    return out


@pytest.mark.parametrize(("mta", "truth_of"), [("exim", exim_truth), ("sendmail", sendmail_truth)])
def test_exim_and_sendmail_message_counts_equal_the_truth(mta: str, truth_of: Any) -> None:
    path = DATA / mta / "genlog-seed2.log"
    got = summary(run(["scan", "--format", "json", str(path)]))["traffic"]
    want = truth_of(path)
    assert got["messages"]["by_outcome"] == {o: want[o] for o in got["messages"]["by_outcome"]}
    assert got["totals"]["received"] > 0 and got["totals"]["bytes_received"] > 0


def test_flood_through_the_daemons_pipeline_is_bounded_and_counted() -> None:
    """Unique queue ids through the real Postfix parser, pipeline and message metrics (as
    `logscan run` wires them): state within its cap, every dropped message counted."""
    from logscan.classify.classifier import Classifier
    from logscan.pipeline import Pipeline
    from logscan.sinks.message_metrics import MESSAGE_METRICS, MessageMetrics
    from logscan.sinks.metrics import Metrics
    from parsers.postfix import PostfixParser

    metrics = Metrics()
    for spec in MESSAGE_METRICS:
        metrics.declare(spec)
    tracker = MessageTracker(MessageMetrics(metrics), max_messages=5_000)
    pipe = Pipeline(
        "mail.log", PostfixParser("mail.log", 2024), Classifier.load(), [tracker],
        notes=tracker.note,
    )  # fmt: skip
    n = 60_000
    for i in range(n):
        pipe.feed(
            f"Nov 29 00:00:01 mx postfix/smtpd[1]: {i:010X}F: client=h{i}.example[192.0.2.1]", i
        )
        assert len(tracker) <= 5_000
    assert tracker.evictions == n - 5_000
    assert metrics.values["logscan_messages"] == {("postfix", "evicted"): float(n - 5_000)}


_TEXTS = st.one_of(st.none(), st.text(max_size=300))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["received", "queued", "removed"]),
            st.sampled_from(["Q1", "Q2", "Q3"]),
            _TEXTS,
            _TEXTS,
        ),
        max_size=40,
    )
)
def test_the_byte_count_is_the_cost_of_the_messages_held(
    notes: list[tuple[str, str, str | None, str | None]],
) -> None:
    """Costs are kept up to date by the change of each string replaced (not recomputed): after
    any notes, the count must still be what each held message costs."""
    t = MessageTracker(max_messages=100, max_bytes=1 << 30)
    for kind, qid, sender, client in notes:
        t.note(MessageNote(kind, "postfix", qid, None, sender, None, client))  # type: ignore[arg-type]
        assert t.bytes == sum(_cost(m) for m in t._messages.values())
