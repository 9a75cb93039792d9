"""SIGHUP reloads the configuration: counters kept, an invalid config leaves the old one running,
a source with changed settings keeps its position, a firing alert survives the reload."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.alerting_daemon import blocklist_alerts, now_lines, start
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import append, config, lines
from tests.helpers.http_receiver import Receiver
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


def test_sighup_reload_keeps_counters(tmp_path: Path, daemon: StartDaemon) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.touch()
    b.touch()
    src_a = f'[[sources]]\nname = "a"\npath = "{a}"\nparser = "testmta"\n'
    src_b = f'[[sources]]\nname = "b"\npath = "{b}"\nparser = "testmta"\n'
    d = daemon(config=config(tmp_path / "state", src_a))
    append(a, lines(3))
    d.wait_for(lambda s: total(s) >= 3, "3 lines")
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(config(tmp_path / "state", src_a + src_b))
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(a, lines(1))
    append(b, lines(2))
    s = d.wait_for(lambda s: total(s) >= 6, "6 lines")
    assert s.get("logscan_lines_total", source="a") == 4
    assert s.get("logscan_lines_total", source="b") == 2
    assert s.get("logscan_config_reloads_total", result="ok") == 1

    cfg.write_text(config(tmp_path / "state", src_a + "[[sources]]\nname = 1\n"))
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(b, lines(1))
    s = d.wait_for(lambda s: total(s) >= 7, "7 lines")
    assert s.get("logscan_config_reloads_total", result="error") == 1
    assert s.get("logscan_lines_total", source="b") == 3  # the old config still runs
    assert "sources[1]" in d.log()


def test_reload_with_changed_settings_keeps_position(tmp_path: Path, daemon: StartDaemon) -> None:
    """New settings for the same path: its unread backlog is still read, nothing twice."""
    log, other = tmp_path / "mail.log", tmp_path / "other.log"
    log.touch()
    other.write_text(lines(7))
    src = f'[[sources]]\nname = "a"\npath = "{log}"\nparser = "testmta"\n'
    d = daemon(config=config(tmp_path / "state", src))
    append(log, lines(3))
    d.wait_for(lambda s: total(s) >= 3, "3 lines")
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(config(tmp_path / "state", src + 'watch = "poll"\n'))
    append(log, lines(50_000))  # a backlog: the reload comes before most of it is read
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    s = d.wait_for(lambda s: total(s) >= 50_003, "50003 lines", timeout=60)
    assert total(s) == 50_003
    assert "source settings changed: it keeps its position" in d.log()

    # Another path under the same name: other files, which start per 'start' (the end).
    cfg.write_text(config(tmp_path / "state", src.replace(str(log), str(other))))
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(other, lines(2))
    s = d.wait_for(lambda s: total(s) >= 50_005, "50005 lines")
    assert total(s) == 50_005
    assert "source now reads other files" in d.log()


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
