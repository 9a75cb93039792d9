"""deploy/prometheus/alerts.yml against the daemon's real metrics: a real Prometheus scrapes
``logscan run`` and evaluates the shipped rules (promtool's unit tests use made-up series; this
checks the names and labels the daemon really exports).

A counter that appears with its first hits has no earlier sample, so ``increase()`` cannot see
those hits: the PromQL blocklist rule fires from the second scrape that sees new rejections
(the daemon's own rule fires on the first). The test appends the burst in two parts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StartDaemon
from tests.helpers.alert_helpers import restamp
from tests.helpers.alerting_daemon import DATA
from tests.helpers.alertmanager_proc import free_port
from tests.helpers.daemon import append
from tests.helpers.paths import DEPLOY

RULES = DEPLOY / "prometheus" / "alerts.yml"
pytestmark = pytest.mark.integration


class Prometheus:
    def __init__(self, workdir: Path, target: str) -> None:
        self.port = free_port()
        cfg = workdir / "prometheus.yml"
        cfg.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {RULES}\n"
            "scrape_configs:\n  - job_name: logscan\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        self.log = workdir / "prometheus.log"
        self.proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={cfg}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"),
        )

    def get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return json.load(r)["data"]
        except OSError:
            return None

    def wait(self, what: str, check: Any, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = check()
            if got:
                return got
            time.sleep(0.25)
        log = self.log.read_text(errors="replace")[-2000:]
        raise AssertionError(f"Prometheus: {what} not seen in {timeout} s\n{log}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


@pytest.fixture
def prometheus_dir(tmp_path: Path) -> Iterator[Path]:
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus (Debian package) is not installed")
    d = tmp_path / "_prometheus"
    d.mkdir()
    yield d


def test_shipped_promql_rules_fire_on_the_daemons_metrics(
    tmp_path: Path, daemon: StartDaemon, prometheus_dir: Path
) -> None:
    # Written now: the daemon's engine counts events at their log time.
    text = restamp((DATA / "postfix-blocklist-burst.log").read_text(), time.time())
    burst = text.splitlines(keepends=True)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log))
    append(log, "".join(burst[:3]))
    d.wait_for(lambda s: s.get("logscan_blocklist_hits_total") == 3, "3 blocklist hits")
    prom = Prometheus(prometheus_dir, f"127.0.0.1:{d.port}")
    try:
        query = "/api/v1/query?query=logscan_blocklist_hits_total"
        series = prom.wait("the first scrape", lambda: (prom.get(query) or {}).get("result"))
        assert series[0]["metric"]["blocklist"] == "zen.spamhaus.org"
        assert series[0]["metric"]["direction"] == "outbound"
        time.sleep(1.5)  # one more scrape of the first 3: the series now has a history
        append(log, "".join(burst[3:]))

        def firing() -> list[dict[str, Any]]:
            alerts = (prom.get("/api/v1/alerts") or {}).get("alerts", [])
            return [
                a
                for a in alerts
                if a["labels"]["alertname"] == "BlocklistRejections" and a["state"] == "firing"
            ]

        [alert] = prom.wait("BlocklistRejections firing", firing)
        assert alert["labels"] == {
            "alertname": "BlocklistRejections",
            "severity": "page",
            "instance": f"127.0.0.1:{d.port}",
            "blocklist": "zen.spamhaus.org",
        }
        # the summary is the daemon's template, with the count Prometheus computed
        summary = alert["annotations"]["summary"]
        assert summary.endswith(
            "outbound rejections naming blocklist zen.spamhaus.org in the last 10m"
        )
        assert alert["annotations"]["runbook_url"].endswith("/BlocklistRejections.md")
        # the daemon's own copy of the rule fired too, and its gauge says so
        assert d.scrape().get("logscan_alerts_firing", alert="BlocklistRejections") == 1
        # nothing else in the shipped rules fires on this healthy daemon
        others = {
            a["labels"]["alertname"]
            for a in (prom.get("/api/v1/alerts") or {}).get("alerts", [])
            if a["labels"]["alertname"] != "BlocklistRejections"
        }
        assert others == set()
    finally:
        prom.stop()
