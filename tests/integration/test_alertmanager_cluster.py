"""Integration: a fleet. Two logscan daemons (mx1, mx2) each send to both members of a clustered
pair of real Alertmanagers, as Prometheus does; the cluster deduplicates, so the on-call engineer
gets one notification for one incident. Without the cluster each Alertmanager would notify.

Each daemon sends to every Alertmanager URL it is given, each once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from logscan.sinks.alerting.assembly import AlertingConfig, build_notifiers
from logscan.sinks.alerting.notifiers import AlertmanagerNotifier
from tests.helpers.alert_helpers import restamp
from tests.helpers.alerting_daemon import DATA, FAST
from tests.helpers.alertmanager_proc import run_cluster
from tests.helpers.daemon import Daemon, append
from tests.helpers.http_receiver import Receiver

# Long enough for both daemons' alerts to land in the group's first notification; the second
# member waits its peer timeout (3 s) for the first one's notification log before sending.
ROUTE = {"group_by": ["alertname", "blocklist"], "group_wait": "3s", "group_interval": "5m"}


def fleet_member(
    tmp: Path, site: Path, name: str, log: Path, urls: list[str], by_flag: bool
) -> Daemon:
    """A daemon labelled ``instance=name``; its Alertmanagers from the flags or the config."""
    tmp.mkdir()
    listed = ", ".join(f'"{u}"' for u in urls)
    cfg = tmp / "logscan.toml"
    cfg.write_text(
        f'state_dir = "{tmp / "state"}"\nrules_dirs = []\n'
        f'[[sources]]\nname = "mail"\npath = "{log}"\n'
        f'[alerting]\nlabels = {{ instance = "{name}" }}\n'
        + ("" if by_flag else f"alertmanager = [{listed}]\n")
    )
    flags = [arg for u in urls for arg in ("--alertmanager", u)] if by_flag else []
    return Daemon(tmp, site, ["-c", str(cfg), *FAST, *flags], {})


@pytest.mark.integration
def test_two_daemons_two_clustered_alertmanagers_one_notification(
    tmp_path: Path, plugin_site: Path, receiver: Receiver
) -> None:
    with run_cluster(tmp_path / "ams", 2, receiver.url + "/am", ROUTE) as ams:
        urls = [am.url for am in ams]
        logs = [tmp_path / "mx1.log", tmp_path / "mx2.log"]
        for log in logs:
            log.touch()
        daemons = [
            fleet_member(tmp_path / "mx1", plugin_site, "mx1", logs[0], urls, by_flag=True),
            fleet_member(tmp_path / "mx2", plugin_site, "mx2", logs[1], urls, by_flag=False),
        ]
        try:
            for d in daemons:
                d.start()
            burst = (DATA / "postfix-blocklist-burst.log").read_text()
            started = time.monotonic()
            for log in logs:  # the same listing hits both mail servers
                append(log, restamp(burst, time.time()))
            for am in ams:  # each daemon reached each member
                am.wait_for(lambda am=am: len(am.alerts()) == 2, 60, "both daemons' alerts")
                assert {a["labels"]["instance"] for a in am.alerts()} == {"mx1", "mx2"}
            receiver.wait(1, timeout=60)
            print(f"\nburst -> first notification: {time.monotonic() - started:.1f} s")
            time.sleep(3 * 3 + 5)  # well past the second member's turn (peer timeout 3 s)
            pages = [json.loads(body) for path, _, body in receiver.requests if path == "/am"]
            assert len(pages) == 1, [p["alerts"] for p in pages]
            [page] = pages
            assert page["status"] == "firing"
            assert page["groupLabels"] == {
                "alertname": "BlocklistRejections",
                "blocklist": "zen.spamhaus.org",
            }
            assert sorted(a["labels"]["instance"] for a in page["alerts"]) == ["mx1", "mx2"]
            for d in daemons:
                assert d.stop() == 0
        finally:
            for d in daemons:
                d.close()


def test_each_alertmanager_url_gets_its_own_notifier() -> None:
    listed = ["http://am1:9093", "http://am2:9093", "http://am1:9093"]
    cfg = AlertingConfig.from_table({"alertmanager": listed})
    cfg = cfg.with_alertmanagers(["http://am3:9093", "http://am1:9093"])  # flags add, no repeats
    urls = [n.url for n in build_notifiers(cfg) if isinstance(n, AlertmanagerNotifier)]
    assert urls == ["http://am1:9093", "http://am2:9093", "http://am3:9093"]
