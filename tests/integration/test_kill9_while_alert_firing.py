"""``kill -9`` while an alert fires: one continuous alert in Alertmanager (never resolved, never
two), re-sent by the restarted daemon."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.alerting_daemon import daemon, lines, notifications, write_config
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import append
from tests.helpers.http_receiver import Receiver

pytestmark = pytest.mark.integration


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
