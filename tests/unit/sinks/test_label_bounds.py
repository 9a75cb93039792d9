"""Label values and series are bounded: canonical spellings, known sets, a series budget per
metric with an overflow series, on the line path and on a restored checkpoint.

The floods are hostile but valid Postfix lines (tests/helpers/hostile_flood.py) through the real
parser,
classifier, sinks and renderer; the integration test runs them through ``logscan run`` and reads
its endpoint, against the budget README.md states.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Event, Verdict
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline
from logscan.sinks.alerting.assembly import ALERT_METRICS
from logscan.sinks.labels import LabelSets
from logscan.sinks.message_metrics import MESSAGE_METRICS, MessageMetrics
from logscan.sinks.messages import MessageTracker
from logscan.sinks.metrics import OVERFLOW_METRIC, Metrics, MetricsSink, render, series_budget
from logscan.sinks.postfix_exporter import PostfixExporterCompat
from tests.conftest import StartDaemon
from tests.helpers.daemon import append
from tests.helpers.hostile_flood import hostile_postfix_lines
from tests.helpers.paths import REPO

CLASSIFIER = Classifier.load()
LABELS = LabelSets.from_classifier(CLASSIFIER)
README = REPO / "README.md"
# A label value that is an enhanced code spelt with a leading zero in a part.
NONCANONICAL = re.compile(r'(?:enhanced|dsn)="\d\.(?:0\d|\d+\.0\d)')
SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$")
PROCESS_SERIES = 6  # prometheus_client's process_* collector on Linux


def daemon_metrics() -> tuple[Metrics, MetricsSink, PostfixExporterCompat]:
    """The metrics ``logscan run --compat postfix_exporter`` declares, with its two sinks."""
    metrics = Metrics()
    for spec in (*ALERT_METRICS, *MESSAGE_METRICS):
        metrics.declare(spec)
    return metrics, MetricsSink(metrics, CLASSIFIER), PostfixExporterCompat(metrics, LABELS)


def exposed(text: str) -> list[tuple[str, str, float]]:
    """(sample name, label text, value) of every sample of an exposition."""
    out = []
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            out.append((m.group(1), m.group(2) or "", float(m.group(3))))
    return out


def readme_budget(what: str) -> int:
    """The number README.md states, e.g. "at most 4,360 series with ``--compat``"."""
    text = " ".join(README.read_text().split())
    m = re.search(rf"at most ([\d,]+) series {re.escape(what)}", text)
    assert m, f"README.md states no series budget {what!r}"
    return int(m.group(1).replace(",", ""))


def replies(enhanced: str, code: str = "550") -> ClassifiedEvent:
    ev = Event(
        path="mail.log",
        line=1,
        mta="postfix",
        direction="outbound",
        status="bounced",
        code=code,
        enhanced=enhanced,
    )
    return ClassifiedEvent(ev, Verdict(class_="permanent", category="mailbox-unknown"))


def test_noncanonical_enhanced_codes_are_canonicalised() -> None:
    metrics, sink, compat = daemon_metrics()
    for spelling in ("5.1.1", "5.01.1", "5.001.001", "4.0.000", "5.99.99", "5.1.1x"):
        sink(replies(spelling))
        compat(replies(spelling))
    snap = metrics.snapshot()
    by_enhanced = Counter[str]()
    for labels, value in snap["logscan_replies"].items():
        by_enhanced[labels[3]] += int(value)
    assert by_enhanced == {"5.1.1": 3, "4.0.0": 1, "other": 2}
    assert snap["postfix_smtp_bounced_messages_by_dsn"] == {
        ("5.1.1",): 3.0,
        ("4.0.0",): 1.0,
        ("other",): 2.0,
    }


def test_unknown_codes_providers_and_blocklists_fold_into_other() -> None:
    metrics, sink, _ = daemon_metrics()
    ev = replies("5.7.1", code="571").event
    sink(ClassifiedEvent(ev, Verdict("permanent", "blocklisted", blocklist="zen.spamhaus.org")))
    sink(ClassifiedEvent(ev, Verdict("permanent", "blocklisted", blocklist="junk.bl.example")))
    sink(ClassifiedEvent(ev, Verdict("permanent", "blocklisted", provider="junk-provider")))
    snap = metrics.snapshot()
    assert {labels[2] for labels in snap["logscan_replies"]} == {"other"}  # 571: no entry
    assert snap["logscan_blocklist_hits"] == {
        ("postfix", "outbound", "zen.spamhaus.org"): 1.0,
        ("postfix", "outbound", "other"): 1.0,
    }
    assert snap["logscan_provider_replies"] == {
        ("postfix", "outbound", "other", "other", "permanent", "blocklisted"): 1.0
    }


def flood(n: int) -> tuple[Metrics, str]:
    metrics, sink, compat = daemon_metrics()
    parser = Registry.load().get("postfix")(path="mail.log", year=2026)
    messages = MessageTracker(MessageMetrics(metrics))  # as `logscan run` wires it
    pipe = Pipeline("mail.log", parser, CLASSIFIER, [sink, compat, messages], notes=messages.note)
    for lineno, line in enumerate(hostile_postfix_lines(n), 1):
        pipe.feed(line, lineno)
    pipe.flush()
    return metrics, render(metrics.specs, metrics.snapshot()).decode()


def assert_bounded(text: str, n: int, budget: int) -> None:
    """What the flood must leave on /metrics: at most ``budget`` series, each metric within its
    own budget, canonical spellings, the folded events counted, and no event lost."""
    samples = exposed(text)
    assert len(samples) <= budget + PROCESS_SERIES, len(samples)
    per_metric = Counter(name for name, _, _ in samples)
    metrics = Metrics()
    for name, count in per_metric.items():
        spec = metrics.specs.get(name.removesuffix("_total"))
        if spec is not None:
            assert count <= spec.max_series, name
    assert not [s for s in samples if NONCANONICAL.search(s[1])]
    total = {name: sum(v for n_, _, v in samples if n_ == name) for name in per_metric}
    assert total["logscan_replies_total"] == n
    assert total["postfix_smtp_messages_processed_total"] == n
    dsn = total["postfix_smtp_bounced_messages_by_dsn_total"]
    assert dsn + total["postfix_smtp_deferred_messages_by_dsn_total"] == n
    overflow = {labels: v for name, labels, v in samples if name == f"{OVERFLOW_METRIC}_total"}
    folded = [v for name, labels, v in samples if name == "logscan_replies_total" and
              labels.count('="other"') == 6]  # fmt: skip
    assert folded and overflow['metric="logscan_replies"'] == folded[0] > 0


def test_hostile_label_flood_stays_within_series_budget() -> None:
    n = 20_000
    metrics, text = flood(n)
    assert series_budget(metrics.specs) == readme_budget("with `--compat postfix_exporter`")
    assert_bounded(text, n, series_budget(metrics.specs))
    # The flood did try: the replies alone would have made thousands of series.
    assert metrics.snapshot()[OVERFLOW_METRIC][("logscan_replies",)] > 1000


def test_readme_states_the_budget_of_a_plain_daemon() -> None:
    metrics = Metrics()
    for spec in (*ALERT_METRICS, *MESSAGE_METRICS):
        metrics.declare(spec)
    assert series_budget(metrics.specs) == readme_budget("for `logscan run`")


def test_restored_checkpoint_is_canonicalised_and_folded() -> None:
    """A checkpoint written before the bounds (or under other rules) holds non-canonical and
    too many label values; the restore folds them as the sinks would, and loses no count."""
    rows = [["postfix", "outbound", "550", "5.01.1", "permanent", "mailbox-unknown", 2.0]]
    rows.append(["postfix", "outbound", "550", "5.1.1", "permanent", "mailbox-unknown", 3.0])
    rows += [
        ["postfix", "outbound", "550", f"5.{s}.{d}", "permanent", cat, 1.0]
        for s in range(8)
        for d in range(10)
        for cat in ("mailbox-unknown", "spam-rejected", "policy-rejected", "unknown", "blocklisted")
    ]  # 400 rows that fold to 5 x (known 5.S.D + other) ...
    rows += [
        [f"mta{i}", "outbound", "550", "5.1.1", "permanent", "policy-rejected", 1.0]
        for i in range(900)
    ]
    saved = {
        "logscan_replies": rows,
        "postfix_smtp_bounced_messages_by_dsn": [["5.01.1", 4.0], ["5.1.1", 1.0], ["5.9.99", 1]],
        "logscan_provider_replies": [
            ["junk.example", "permanent", "policy-rejected", 7.0],
            ["microsoft", "permanent", "policy", 1.0],
        ],
    }
    metrics, _, _ = daemon_metrics()
    metrics.restore(json.loads(json.dumps(saved)), LABELS)
    snap = metrics.snapshot()
    replies_ = snap["logscan_replies"]
    assert len(replies_) <= metrics.specs["logscan_replies"].max_series
    assert sum(replies_.values()) == sum(r[-1] for r in rows)
    assert replies_[("postfix", "outbound", "550", "5.1.1", "permanent", "mailbox-unknown")] == 6
    assert not [k for k in replies_ if NONCANONICAL.search(f'enhanced="{k[3]}"')]
    overflow = ("other",) * 6
    assert snap[OVERFLOW_METRIC][("logscan_replies",)] == replies_[overflow] > 0
    assert snap["postfix_smtp_bounced_messages_by_dsn"] == {("5.1.1",): 5.0, ("other",): 1.0}
    # Rows of the former label layout: the labels they lacked (mta, direction, code) are none.
    assert snap["logscan_provider_replies"] == {
        ("none", "none", "other", "none", "permanent", "policy-rejected"): 7.0,
        ("none", "none", "microsoft", "none", "permanent", "other"): 1.0,  # not a category
    }
    # Written again and restored again: nothing changes, nothing more is counted as folded.
    again, _, _ = daemon_metrics()
    again.restore(json.loads(json.dumps(metrics.persisted())), LABELS)
    assert again.snapshot() == snap


@pytest.mark.integration
def test_hostile_label_flood_through_the_daemon_stays_within_the_readme_budget(
    tmp_path: Path, daemon: StartDaemon
) -> None:
    n = 15_000
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "postfix", "--compat", "postfix_exporter")
    append(log, "".join(f"{line}\n" for line in hostile_postfix_lines(n)))
    d.wait_for(lambda s: s.get("logscan_lines_total") >= n, f"{n} lines", timeout=120)
    with urllib.request.urlopen(d.url(), timeout=10) as resp:
        text = resp.read().decode()
    assert_bounded(text, n, readme_budget("with `--compat postfix_exporter`"))


@pytest.mark.integration
def test_daemon_folds_a_noncanonical_checkpoint_on_restore(
    tmp_path: Path, daemon: StartDaemon
) -> None:
    """Counters written before the bounds come back canonical and within budget, none lost."""
    log = tmp_path / "mail.log"
    log.touch()
    args = ("--source", str(log), "--parser", "postfix", "--compat", "postfix_exporter")
    d = daemon(*args)
    append(log, "".join(f"{line}\n" for line in hostile_postfix_lines(2)))
    d.wait_for(lambda s: s.get("logscan_lines_total") >= 2, "2 lines")
    assert d.stop() == 0
    checkpoint = tmp_path / "state" / "checkpoint.json"
    doc = json.loads(checkpoint.read_text())
    counters = doc["counters"]
    old = [["postfix", "outbound", "550", "5.01.1", "permanent", "mailbox-unknown", 5]]
    old += [[f"mta{i}", "outbound", "550", "5.1.1", "permanent", "unknown", 1] for i in range(1500)]
    counters["logscan_replies"] += old
    counters["postfix_smtp_bounced_messages_by_dsn"] += [["5.001.1", 4], ["5.9.99", 1]]
    checkpoint.write_text(json.dumps(doc))

    s = daemon(*args).scrape()
    assert s.get("logscan_replies_total") == 2 + 5 + 1500
    assert s.get("logscan_replies_total", enhanced="5.01.1") == 0
    assert s.get("logscan_replies_total", enhanced="5.1.1", category="mailbox-unknown") >= 5
    assert len(s.series("logscan_replies_total")) <= 1000
    assert s.get("logscan_series_overflow_total", metric="logscan_replies") > 0
    assert s.get("postfix_smtp_bounced_messages_by_dsn_total", dsn="5.001.1") == 0
    assert s.get("postfix_smtp_bounced_messages_by_dsn_total", dsn="5.1.1") >= 4
