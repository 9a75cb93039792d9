"""The real daemon with alerting, for the integration tests whose pages a real Alertmanager and
its webhook receiver record.

Log lines are Postfix ``smtp`` lines (tests/data/alerts), read by the registered ``postfix``
parser (auto-detected), with their timestamps set by the test: the engine counts events at their
log time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.helpers.alert_helpers import restamp
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import Daemon
from tests.helpers.http_receiver import Receiver
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "alerts"
FAST = ["--listen", "127.0.0.1:0", "--checkpoint-interval", "0.3", "--poll-interval", "0.1"]


def lines(name: str, at: float, step: float = 0.0) -> str:
    return restamp((DATA / name).read_text(), at, step)


def now_lines(name: str) -> str:
    """The lines of ``tests/data/alerts/<name>`` as if written now."""
    return lines(name, time.time())


def notifications(receiver: Receiver) -> list[dict[str, Any]]:
    """What Alertmanager sent its receiver: one entry per notification (a page)."""
    return [json.loads(body) for path, _, body in receiver.requests if path == "/am"]


def blocklist_alerts(am: Alertmanager) -> list[dict[str, object]]:
    return am.alerts(alertname="BlocklistRejections")


def start(tmp_path: Path, site: Path, args: list[str]) -> Daemon:
    """The daemon of ``logscan run ARGS``, started."""
    return Daemon(tmp_path, site, [*args, *FAST], {}).start()


def daemon(tmp_path: Path, site: Path, cfg: Path) -> Daemon:
    """The daemon of ``logscan run -c CFG``, not yet started."""
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
