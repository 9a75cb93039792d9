"""A burst of outbound rejections naming zen.spamhaus.org pages through a real Alertmanager: in
its API within a minute with the right labels and annotations, resolved once the rule's window
has passed (Alertmanager then sends the resolved notification to its webhook receiver).

Twice: through ``logscan run --alertmanager URL`` (the real daemon with the default rules), and
through the Pipeline with the postfix parser and the alert engine in process, where the burst's
lines are stamped 15 s short of one window ago (and observed as if read then), so that the
default rule (10 minute window) resolves within the test, against Alertmanager's real clock.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import load_rule_files
from logscan.parsing.api import Parser
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline
from logscan.sinks.alerting.alert import EngineOptions
from logscan.sinks.alerting.engine import AlertEngine
from logscan.sinks.alerting.notifiers import AlertmanagerNotifier, Backoff, Dispatcher
from logscan.sinks.alerting.rules import load_alert_rules
from tests.helpers.alert_helpers import restamp
from tests.helpers.alerting_daemon import DATA, blocklist_alerts, now_lines, start
from tests.helpers.alertmanager_proc import Alertmanager, run_alertmanager
from tests.helpers.daemon import append
from tests.helpers.http_receiver import Receiver

pytestmark = pytest.mark.integration


def test_run_with_alertmanager_flag_and_default_rules(
    tmp_path: Path, site: Path, am: Alertmanager
) -> None:
    log = tmp_path / "mail.log"
    log.write_text((DATA / "postfix-sent.log").read_text())
    state = tmp_path / "state"
    d = start(
        tmp_path,
        site,
        ["--source", str(log), "--state-dir", str(state), "--alertmanager", am.url],
    )
    try:
        # the daemon starts at the end of the file: append, then the burst
        append(log, now_lines("postfix-sent.log"))
        d.wait_for(lambda s: s.get("logscan_lines_total", outcome="event") >= 6, "6 deliveries")
        s = d.scrape()
        assert s.get("logscan_alerts_firing", alert="BlocklistRejections", severity="page") == 0
        assert blocklist_alerts(am) == []
        appended = time.monotonic()
        append(log, now_lines("postfix-blocklist-burst.log"))
        [alert] = am.wait_for(lambda: blocklist_alerts(am), 60, "BlocklistRejections")
        assert time.monotonic() - appended < 60  # the spec: within a minute of the burst
        labels = alert["labels"]
        assert isinstance(labels, dict)
        assert labels["blocklist"] == "zen.spamhaus.org"
        assert labels["severity"] == "page" and labels["mta"] == "postfix"
        assert labels["instance"] == os.uname().nodename
        ann = alert["annotations"]
        assert isinstance(ann, dict)
        assert ann["summary"] == (
            "8 outbound rejections naming blocklist zen.spamhaus.org in the last 10m"
        )
        assert ann["count"] == "8" and ann["meaning"] and ann["action"]
        # (the line number is the daemon's count from where it started reading: not asserted)
        assert str(ann["sample_source"]).startswith(f"{log}:")
        assert "[198.51.x.x]" in ann["sample"] and "198.51.100." not in ann["description"]
        assert str(alert["generatorURL"]).startswith("http://127.0.0.1:")
        s = d.wait_for(
            lambda s: s.get("logscan_alert_notifications_total", result="success") >= 1,
            "a successful notification",
        )
        assert s.get("logscan_alerts_firing", alert="BlocklistRejections", severity="page") == 1
        assert (
            s.get(
                "logscan_alert_notifications_total",
                alert="BlocklistRejections",
                notifier="alertmanager",
                result="success",
            )
            >= 1
        )
        assert d.stop() == 0
    finally:
        d.close()


def postfix_parser(path: str) -> Parser:
    return Registry.load().get("postfix")(path=path)


def test_blocklist_burst_reaches_alertmanager_and_resolves(tmp_path: Path) -> None:
    hook = Receiver()
    try:
        with run_alertmanager(tmp_path, webhook_url=hook.url + "/am") as am:
            run_scenario(am, hook, tmp_path)
    finally:
        hook.server.shutdown()
        hook.server.server_close()


def run_scenario(am: Alertmanager, hook: Receiver, tmp_path: Path) -> None:
    rules = load_alert_rules(load_rule_files())
    window = next(r.window for r in rules if r.name == "BlocklistRejections")
    dispatcher = Dispatcher(
        [AlertmanagerNotifier(am.url, resend_interval=60)], backoff=Backoff(0.2, 1.0, 5)
    )
    dispatcher.start()
    options = EngineOptions(generator_url="http://mx1.example:9842/", labels={"instance": "mx1"})
    engine = AlertEngine(rules, options=options, delivery=dispatcher)
    classifier = Classifier.load()
    # The events are observed as if read one window minus 15 s ago, the ticks run at the real
    # time: the default rule's 10 minute window then passes after 15 s (plus one 10 s bucket).
    lag = window - 15.0

    def clock() -> float:
        return time.time()

    seen: list[object] = []

    def sink(ce: object) -> None:
        seen.append(ce)
        engine.observe(ce, clock() - lag)  # type: ignore[arg-type]

    log = tmp_path / "mail.log"
    log.write_text(restamp((DATA / "postfix-sent.log").read_text(), clock()))
    pipe = Pipeline(str(log), postfix_parser(str(log)), classifier, [sink])
    lineno = 0

    def follow(text: str) -> None:
        nonlocal lineno
        for line in text.splitlines():
            lineno += 1
            pipe.feed(line, lineno)

    follow(log.read_text())
    assert engine.tick(clock()) == []  # deliveries only: nothing fires
    assert pipe.counts.event == 6

    burst_at = float(int(clock() - lag))  # log times are whole seconds
    burst = restamp((DATA / "postfix-blocklist-burst.log").read_text(), burst_at)
    with log.open("a") as f:
        f.write(burst)
    follow(burst)
    started = time.time()
    [fired] = engine.tick(clock())
    assert fired.labels["blocklist"] == "zen.spamhaus.org"

    def ours() -> list[dict[str, object]]:
        return am.alerts(alertname="BlocklistRejections")

    [alert] = am.wait_for(ours, timeout=60, what="BlocklistRejections")
    assert time.time() - started < 60
    labels = alert["labels"]
    assert labels == {
        "alertname": "BlocklistRejections",
        "severity": "page",
        "blocklist": "zen.spamhaus.org",
        "mta": "postfix",
        "instance": "mx1",
    }
    ann = alert["annotations"]
    assert ann["summary"] == (
        "8 outbound rejections naming blocklist zen.spamhaus.org in the last 10m"
    )
    assert ann["count"] == "8" and ann["threshold"] == "3"
    last = seen[-1]
    verdict = last.verdict  # type: ignore[attr-defined]
    assert verdict.category == "blocklisted" and verdict.blocklist == "zen.spamhaus.org"
    assert ann["meaning"] == verdict.meaning and verdict.meaning in ann["description"]
    assert ann["action"] == verdict.action
    assert ann["sample_source"] == f"{log}:14"
    # the sample is the last rejection's reply, with our IP masked
    assert ann["sample"].startswith("554 5.7.1 Service unavailable; Client host [198.51.x.x]")
    assert "198.51.100." not in ann["description"]
    assert alert["status"]["state"] == "active"
    assert alert["generatorURL"] == "http://mx1.example:9842/"

    # The window passes: the engine resolves the alert and sends the resolve with endsAt.
    deadline = time.monotonic() + 60
    while not (resolved := [a for a in engine.tick(clock()) if a.status == "resolved"]):
        assert time.monotonic() < deadline, "the alert did not resolve"
        time.sleep(0.5)
    # not before the window has passed (and at most one 10 s bucket after)
    assert resolved[0].ends_at is not None
    assert burst_at + window <= resolved[0].ends_at <= burst_at + window + 12
    am.wait_for(lambda: not ours(), timeout=30, what="the resolve")
    hook.wait(2, timeout=30)  # Alertmanager's own notifications: firing, then resolved
    statuses = [json.loads(body)["status"] for _, _, body in hook.requests]
    assert statuses[0] == "firing" and statuses[-1] == "resolved"
    dispatcher.close()
    assert dispatcher.counts() == {
        ("BlocklistRejections", "alertmanager", "success"): 2,
    }
