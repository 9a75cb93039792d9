"""deploy/prometheus/alerts.yml: promtool checks it and runs its unit tests (alerts_test.yml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from logscan.classify.rule_files import load_rule_files
from logscan.sinks.alerting.rules import load_alert_rules
from tests.helpers.paths import DEPLOY

RULES = DEPLOY / "prometheus" / "alerts.yml"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=RULES.parent, capture_output=True, text=True, timeout=120
    )


def test_promtool_check_rules() -> None:
    done = run("check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_test_rules() -> None:
    done = run("test", "rules", "alerts_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_test_rules_fails_on_a_wrong_threshold(tmp_path: Path) -> None:
    # The unit tests are sharp: a blocklist threshold of 30 instead of 3 must fail them.
    text = RULES.read_text()
    assert "blocklist=" not in text.split("          >= 3\n", 1)[1].split("- alert:", 1)[0]
    failed = failing_unit_tests(tmp_path, text.replace("          >= 3\n", "          >= 30\n", 1))
    assert "alertname: BlocklistRejections" in failed


def test_promtool_test_rules_fails_when_a_rule_ignores_direction(tmp_path: Path) -> None:
    # The deferral ratio over all deliveries (inbound rejections included) must fail the tests:
    # 4 sent + 2 deferred + 10 inbound rejections per minute is 33 % of outbound deferred.
    text = RULES.read_text()
    wrong = text.replace(
        'logscan_deliveries_total{direction="outbound"}', "logscan_deliveries_total"
    )
    assert wrong != text
    assert "alertname: DeferralRatioHigh" in failing_unit_tests(tmp_path, wrong)


def test_same_alert_names_as_the_engine_defaults() -> None:
    promql = set()
    for line in RULES.read_text().splitlines():
        if line.strip().startswith("- alert: "):
            promql.add(line.split(":", 1)[1].strip())
    engine = {r.name for r in load_alert_rules(load_rule_files())}
    assert engine <= promql, engine - promql


def test_alertmanager_example_config_is_valid() -> None:
    amtool = shutil.which("amtool") or shutil.which("prometheus-alertmanager-amtool")
    if amtool is None:
        pytest.skip("amtool is not installed")
    done = subprocess.run(
        [amtool, "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_alertmanager_example_does_not_page_through_the_monitored_mta() -> None:
    config = yaml.safe_load((DEPLOY / "alertmanager" / "alertmanager.yml").read_text())
    receivers = {r["name"]: r for r in config["receivers"]}
    routed: set[str] = set()
    stack = [config["route"]]
    while stack:
        route = stack.pop()
        if "receiver" in route:
            routed.add(route["receiver"])
        stack.extend(route.get("routes", []))
    assert routed
    for name in routed:
        assert "email_configs" not in receivers[name], f"{name} pages through mail"
        assert receivers[name].get("webhook_configs"), name


def failing_unit_tests(tmp_path: Path, rules: str) -> str:
    """promtool's output for the shipped unit tests run against ``rules``, which must fail them."""
    (tmp_path / "alerts.yml").write_text(rules)
    shutil.copy(RULES.parent / "alerts_test.yml", tmp_path)
    done = subprocess.run(
        [promtool(), "test", "rules", "alerts_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0, "the unit tests passed against broken rules"
    return done.stdout + done.stderr
