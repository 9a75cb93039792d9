"""Integration: ``logscan run --alertmanager URL`` (the real daemon subprocess) follows a log, a
burst of blocklist rejections is appended, the alert appears in a real Alertmanager with its
labels and annotations, and resolves after the window.

The log lines are Postfix ``smtp`` lines (tests/data/alerts), read by the registered ``postfix``
parser (auto-detected), their timestamps set to the time they are appended (the engine counts
events at their log time).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.helpers.alert_helpers import restamp
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import Daemon, Scrape, append
from tests.helpers.http_receiver import Receiver
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "alerts"
pytestmark = pytest.mark.integration
FAST = ["--checkpoint-interval", "0.3", "--poll-interval", "0.1"]


@pytest.fixture
def site(plugin_site: Path) -> Path:
    return plugin_site  # the daemon tests' plug-in site (a parser for other lines)


@pytest.fixture(autouse=True)
def _am_dir(tmp_path: Path) -> None:
    (tmp_path / "_am").mkdir(exist_ok=True)


def start(tmp_path: Path, site: Path, args: list[str]) -> Daemon:
    d = Daemon(tmp_path, site, [*args, "--listen", "127.0.0.1:0", *FAST], {})
    return d.start()


def now_lines(name: str) -> str:
    """The lines of ``tests/data/alerts/<name>`` as if written now."""
    return restamp((DATA / name).read_text(), time.time())


def blocklist_alerts(am: Alertmanager) -> list[dict[str, object]]:
    return am.alerts(alertname="BlocklistRejections")


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


def test_operator_rule_resolves_after_its_window_and_survives_reload(
    tmp_path: Path, site: Path, am: Alertmanager, receiver: Receiver
) -> None:
    rules_d = tmp_path / "rules.d"
    rules_d.mkdir()
    # The operator's override of the default rule: same name, a 20 s window.
    (rules_d / "50-site.toml").write_text(
        """
[[alert]]
name = "BlocklistRejections"
filter = 'category == "blocklisted" and direction == "outbound"'
window = "20s"
count = 3
group_by = "blocklist"
severity = "page"
summary = "{count} rejections naming {blocklist}"
description = "{meaning} Sample: {sample}"
"""
    )
    log = tmp_path / "mail.log"
    log.touch()
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        f'rules_dirs = ["{rules_d}"]\n'
        f'[[sources]]\nname = "mail"\npath = "{log}"\n'
        f'[alerting]\nalertmanager = "{am.url}"\nmask_samples = false\n'
        'labels = { instance = "mx1" }\n'
    )
    d = start(tmp_path, site, ["-c", str(cfg)])
    try:
        append(log, now_lines("postfix-blocklist-burst.log"))
        fired_at = time.monotonic()
        [alert] = am.wait_for(lambda: blocklist_alerts(am), 60, "BlocklistRejections")
        assert alert["labels"] == {
            "alertname": "BlocklistRejections",
            "severity": "page",
            "blocklist": "zen.spamhaus.org",
            "mta": "postfix",
            "instance": "mx1",
        }
        ann = alert["annotations"]
        assert isinstance(ann, dict)
        assert ann["summary"] == "8 rejections naming zen.spamhaus.org"
        assert "[198.51.100.2" in ann["sample"]  # mask_samples = false
        # A reload (SIGHUP) keeps the firing alert: no new start, no resolve.
        d.signal(signal.SIGHUP)
        d.wait_message("READY=1")
        s = d.scrape()
        assert s.get("logscan_config_reloads_total", result="ok") == 1
        assert s.get("logscan_alerts_firing", alert="BlocklistRejections") == 1
        # After the window, the daemon sends the resolve: gone from the API, and Alertmanager
        # notifies its receiver of the resolution.
        am.wait_for(lambda: not blocklist_alerts(am), 60, "the resolve")
        assert time.monotonic() - fired_at >= 19  # log times are whole seconds
        s = d.wait_for(
            lambda s: s.get("logscan_alerts_firing", alert="BlocklistRejections") == 0,
            "firing back to 0",
        )
        receiver.wait(2, timeout=30)
        statuses = [json.loads(body)["status"] for _, _, body in receiver.requests]
        assert statuses[0] == "firing" and statuses[-1] == "resolved"
        assert d.stop() == 0
    finally:
        d.close()


def test_alertmanager_down_never_blocks_the_daemon(tmp_path: Path, site: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there
    log = tmp_path / "mail.log"
    log.touch()
    d = start(
        tmp_path,
        site,
        ["--source", str(log), "--state-dir", str(tmp_path / "state"), "--alertmanager", dead],
    )
    try:
        append(log, now_lines("postfix-blocklist-burst.log"))
        s: Scrape = d.wait_for(
            lambda s: s.get("logscan_alerts_firing", alert="BlocklistRejections") == 1,
            "the alert firing",
        )
        # Lines keep being counted while the notifier retries in the background.
        append(log, now_lines("postfix-sent.log"))
        s = d.wait_for(
            lambda s: s.get("logscan_lines_total", outcome="event") == 14, "all 14 lines"
        )
        assert (
            s.get("logscan_alert_notifications_total", notifier="alertmanager", result="success")
            == 0
        )
        d.wait_for(  # the log notifier is not held up by the Alertmanager one
            lambda s: s.get("logscan_alert_notifications_total", notifier="log") == 1, "log"
        )
        assert d.stop() == 0
    finally:
        d.close()
