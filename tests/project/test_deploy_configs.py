"""The shipped configs: each example passes `logscan check-config`, and the pieces agree.

deploy/logscan.toml (Postfix on Debian) and deploy/examples/<mta>.toml are what README's "Install
as a service" copies to /etc/logscan/logscan.toml; deploy/prometheus/prometheus.yml scrapes what
they serve; the systemd unit runs them with the state directory they name.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib

import pytest

from logscan.app.config import DEFAULT_LISTEN, load_config
from logscan.sinks.alerting.assembly import AlertingConfig
from tests.helpers.paths import DEPLOY

EXAMPLES = {
    "postfix": DEPLOY / "logscan.toml",
    "exim": DEPLOY / "examples" / "exim.toml",
    "sendmail": DEPLOY / "examples" / "sendmail.toml",
    "exchange": DEPLOY / "examples" / "exchange.toml",
    "mdaemon": DEPLOY / "examples" / "mdaemon.toml",
}
PROMTOOL = shutil.which("promtool")


def test_every_example_is_shipped() -> None:
    shipped = {DEPLOY / "logscan.toml", *(DEPLOY / "examples").glob("*.toml")}
    assert shipped == set(EXAMPLES.values())


@pytest.mark.parametrize("mta", sorted(EXAMPLES))
def test_example_passes_check_config(mta: str) -> None:
    path = EXAMPLES[mta]
    out = subprocess.run(
        [sys.executable, "-m", "logscan", "check-config", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{path}: OK"), out.stdout


@pytest.mark.parametrize("mta", sorted(EXAMPLES))
def test_example_reads_its_mta_with_its_parser(mta: str) -> None:
    cfg = load_config(EXAMPLES[mta])
    assert cfg.sources
    assert {src.parser for src in cfg.sources} == {mta}
    assert cfg.listen == DEFAULT_LISTEN  # loopback unless the operator decides otherwise
    assert cfg.state_dir == "/var/lib/logscan"  # the unit's StateDirectory=logscan


@pytest.mark.parametrize("mta", sorted(EXAMPLES))
def test_example_alerting_section_is_valid(mta: str) -> None:
    table = tomllib.loads(EXAMPLES[mta].read_text())["alerting"]
    alerting = AlertingConfig.from_table(table, str(EXAMPLES[mta]))
    assert alerting.alertmanagers == ("http://127.0.0.1:9093",)


def test_postfix_example_serves_postfix_exporter_names() -> None:
    assert load_config(EXAMPLES["postfix"]).compat == ("postfix_exporter",)


def test_unit_runs_the_installed_config_in_its_state_dir() -> None:
    unit = (DEPLOY / "systemd" / "logscan.service").read_text()
    # No -c: `logscan run` reads /etc/logscan/logscan.toml when it exists (the installed config),
    # and runs the embedded default when it does not, instead of failing to start.
    assert "ExecStart=/opt/logscan/bin/logscan run\n" in unit
    assert "StateDirectory=logscan\n" in unit


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian prometheus) missing")
def test_prometheus_example_is_valid_and_scrapes_the_default_listen() -> None:
    out = subprocess.run(
        [str(PROMTOOL), "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 1 rule files found" in out.stdout
    text = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    assert f'targets: ["{DEFAULT_LISTEN}"]' in text
    assert "- alerts.yml" in text
