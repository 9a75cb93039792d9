"""Integration: the real daemon (``logscan run``) and a real Alertmanager across downtime,
``kill -9`` and a source that never writes. The pages an on-call engineer would get are what
Alertmanager's webhook receiver records.

Log lines are Postfix ``smtp`` lines (tests/data/alerts) with their timestamps set by the test:
the engine counts events at their log time.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.alert_helpers import restamp
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import Daemon, append
from tests.helpers.http_receiver import Receiver
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "alerts"
FAST = ["--listen", "127.0.0.1:0", "--checkpoint-interval", "0.3", "--poll-interval", "0.1"]
HOUR = 3600.0
pytestmark = pytest.mark.integration


def lines(name: str, at: float, step: float = 0.0) -> str:
    return restamp((DATA / name).read_text(), at, step)


def notifications(receiver: Receiver) -> list[dict[str, Any]]:
    """What Alertmanager sent its receiver: one entry per notification (a page)."""
    return [json.loads(body) for path, _, body in receiver.requests if path == "/am"]


def daemon(tmp_path: Path, site: Path, cfg: Path) -> Daemon:
    return Daemon(tmp_path, site, ["-c", str(cfg), *FAST], {})


def write_config(tmp_path: Path, log: Path, alerting: str, rules: str = "") -> Path:
    rules_d = tmp_path / "rules.d"
    rules_d.mkdir(exist_ok=True)
    (rules_d / "50-site.toml").write_text(rules)
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\nrules_dirs = ["{rules_d}"]\n'
        f'[[sources]]\nname = "mail"\npath = "{log}"\n'
        f'[alerting]\nlabels = {{ instance = "mx1" }}\n{alerting}\n'
    )
    return cfg


def test_backlog_after_downtime_does_not_page(
    tmp_path: Path, plugin_site: Path, am: Alertmanager, receiver: Receiver
) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    cfg = write_config(tmp_path, log, f'alertmanager = "{am.url}"')
    d = daemon(tmp_path, plugin_site, cfg).start()
    try:
        assert d.stop() == 0  # downtime: the log grows while the daemon is down
        now = time.time()
        one = (DATA / "postfix-blocklist-burst.log").read_text().splitlines(keepends=True)[0]
        for ago in (6 * HOUR, 5 * HOUR, 4 * HOUR):  # the 09:00, 10:00, 11:00 bounces
            append(log, restamp(one, now - ago))
        append(log, lines("postfix-blocklist-burst.log", now - 3 * HOUR))  # a burst, over
        append(log, lines("postfix-sent.log", now - 60, step=1))  # recent deliveries
        d.start()
        s = d.wait_for(lambda s: s.get("logscan_lines_total", outcome="event") == 17, "backlog")
        # every old bounce is counted in the metrics ...
        assert s.get("logscan_blocklist_hits_total", blocklist="zen.spamhaus.org") == 11
        time.sleep(3)  # ... and many ticks later, nothing fires
        s = d.scrape()
        assert s.get("logscan_alerts_firing", alert="BlocklistRejections") == 0
        assert am.alerts() == [] and notifications(receiver) == []

        burst_at = time.monotonic()  # a fresh burst, now: one page within a minute
        append(log, lines("postfix-blocklist-burst.log", time.time()))
        receiver.wait(1, timeout=60)
        took = time.monotonic() - burst_at
        print(f"\nfresh burst -> receiver notification: {took:.1f} s")
        assert took < 60
        [page] = notifications(receiver)
        assert page["status"] == "firing"
        [alert] = page["alerts"]
        assert alert["labels"]["blocklist"] == "zen.spamhaus.org"
        assert alert["annotations"]["count"] == "8"  # the fresh burst only, not the history
        assert d.stop() == 0
    finally:
        d.close()


def test_kill_9_while_firing_keeps_one_continuous_alert(
    tmp_path: Path, plugin_site: Path, am: Alertmanager, receiver: Receiver
) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    # Re-sent every 2 s with endsAt 8 s ahead: a daemon that lost the alert lets it resolve fast.
    cfg = write_config(tmp_path, log, f'alertmanager = "{am.url}"\nresend_interval = "2s"')
    d = daemon(tmp_path, plugin_site, cfg).start()
    try:
        append(log, lines("postfix-blocklist-burst.log", time.time()))
        [before] = am.wait_for(lambda: am.alerts(), 60, "the alert")
        receiver.wait(1, timeout=30)
        checkpoint = tmp_path / "state" / "checkpoint.json"
        deadline = time.monotonic() + 10
        while not any(g["status"] == "firing" for g in _alert_groups(checkpoint)):
            assert time.monotonic() < deadline, "the firing alert never reached the checkpoint"
            time.sleep(0.1)

        d.kill9()
        killed_at = time.time()
        time.sleep(3)
        d.start()
        # Longer than the endsAt the last send before the crash gave Alertmanager.
        until = time.monotonic() + 15
        while time.monotonic() < until:
            [alert] = am.alerts()  # never gone, never two
            assert alert["startsAt"] == before["startsAt"]
            time.sleep(0.5)
        assert _rfc3339(alert["endsAt"]) > killed_at + 8  # the restarted daemon re-sent it
        assert d.scrape().get("logscan_alerts_firing", alert="BlocklistRejections") == 1
        assert [n["status"] for n in notifications(receiver)] == ["firing"]  # no resolve, no repeat
        assert d.stop() == 0
    finally:
        d.close()


def _alert_groups(checkpoint: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(checkpoint.read_text())
    except (OSError, ValueError):
        return []
    groups: list[dict[str, Any]] = (doc.get("alerts") or {}).get("groups", [])
    return groups


def _rfc3339(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_source_that_never_produced_a_line_is_quiet(
    tmp_path: Path, plugin_site: Path, receiver: Receiver
) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    never = tmp_path / "never.log"  # configured, never written (not even created)
    rules = '[[alert]]\nname = "SourceQuiet"\nsignal = "source-quiet"\nquiet = "3s"\n'
    cfg = write_config(tmp_path, log, f'[[alerting.webhook]]\nurl = "{receiver.url}/hook"', rules)
    cfg.write_text(cfg.read_text() + f'[[sources]]\nname = "never"\npath = "{never}"\n')
    d = daemon(tmp_path, plugin_site, cfg)
    started = time.monotonic()
    d.start()
    try:
        stop_writing = time.monotonic() + 15
        while time.monotonic() < stop_writing and not _quiet_sources(receiver):
            append(log, lines("postfix-sent.log", time.time()).splitlines(keepends=True)[0])
            time.sleep(0.5)
        fired = _quiet_sources(receiver)
        assert fired == ["never"]  # the busy source is not quiet; the silent one is
        assert time.monotonic() - started >= 3  # counted from the daemon's start
        d.signal(signal.SIGTERM)
        assert d.proc is not None and d.proc.wait(20) == 0
    finally:
        d.close()


def _quiet_sources(receiver: Receiver) -> list[str]:
    return [
        a["labels"]["source"]
        for path, _, body in receiver.requests
        if path == "/hook"
        for a in json.loads(body)["alerts"]
        if a["status"] == "firing" and a["labels"]["alertname"] == "SourceQuiet"
    ]
