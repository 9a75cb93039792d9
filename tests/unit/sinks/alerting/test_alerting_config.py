"""The [alerting] config section and the assembled Alerting (engine + notifiers)."""

from __future__ import annotations

import os
import time
import tomllib
from pathlib import Path

import pytest

from logscan.classify.rule_files import RuleError
from logscan.sinks.alerting.assembly import Alerting, AlertingConfig, AlertingConfigError
from logscan.sinks.alerting.health import SourceHealth
from logscan.sinks.alerting.notifiers import AlertmanagerNotifier, LogNotifier, WebhookNotifier
from tests.helpers.alert_helpers import event
from tests.helpers.http_receiver import Receiver


def config(text: str, origin: str = "/etc/logscan/logscan.toml") -> AlertingConfig:
    return AlertingConfig.from_table(tomllib.loads(text).get("alerting", {}), origin)


def test_full_section(tmp_path: Path) -> None:
    secret = tmp_path / "hook.secret"
    secret.write_text("s3cret\n")
    cfg = config(
        f"""
[alerting]
alertmanager = ["http://127.0.0.1:9093", "http://127.0.0.2:9093"]
mask_samples = false
resend_interval = "30s"
generator_url = "http://mx1.example.com:9842/"
log = false
labels = {{ instance = "mx1", site = "fra" }}

[[alerting.webhook]]
url = "https://hooks.example.com/logscan"
secret_file = "{secret}"
timeout = "3s"
"""
    )
    assert cfg.alertmanagers == ("http://127.0.0.1:9093", "http://127.0.0.2:9093")
    assert cfg.mask_samples is False and cfg.resend_interval == 30 and cfg.log is False
    assert cfg.labels == {"instance": "mx1", "site": "fra"}
    [hook] = cfg.webhooks
    assert hook.secret == b"s3cret" and hook.timeout == 3
    assert "s3cret" not in repr(cfg)  # secrets are never printed


def test_defaults_and_command_line() -> None:
    cfg = config("")
    assert cfg.alertmanagers == () and cfg.log and cfg.mask_samples
    cfg = config('[alerting]\nalertmanager = "http://a:9093"').with_alertmanagers(
        ["http://a:9093", "http://b:9093"]
    )
    assert cfg.alertmanagers == ("http://a:9093", "http://b:9093")
    with pytest.raises(AlertingConfigError, match="--alertmanager: not an http"):
        config("").with_alertmanagers(["a:9093"])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[alerting]\nalertmanagers = ["http://a"]', "alerting: unknown key(s) alertmanagers"),
        ('[alerting]\nalertmanager = "ftp://a"', "alerting.alertmanager: not an http(s) URL"),
        ("[alerting]\nalertmanager = 9093", "must be a URL or a list"),
        ('[alerting]\nmask_samples = "no"', "alerting.mask_samples: must be true or false"),
        ('[alerting]\nresend_interval = "soon"', "not a duration"),
        ("[alerting]\nlabels = { a = 1 }", "alerting.labels: must be a table of strings"),
        ('[[alerting.webhook]]\nurl = "http://h"\nsecret = "a"\nsecret_file = "b"', "not both"),
        ('[[alerting.webhook]]\nurl = "http://h"\nsecret_file = "/nonexistent/x"', "webhook[0]"),
        ('[[alerting.webhook]]\nuri = "http://h"', "alerting.webhook[0]: unknown key(s) uri"),
    ],
)
def test_errors_name_file_and_key(text: str, words: str) -> None:
    with pytest.raises(AlertingConfigError) as info:
        config(text)
    assert str(info.value).startswith("/etc/logscan/logscan.toml: alerting")
    assert words in str(info.value)


def test_build_with_operator_rules_and_reload(tmp_path: Path) -> None:
    rules_d = tmp_path / "rules.d"
    rules_d.mkdir()
    (rules_d / "site.toml").write_text(
        '[[alert]]\nname = "AnyBlocklist"\nfilter = \'category == "blocklisted"\'\ncount = 2\n'
    )
    hook = Receiver()
    try:
        cfg = config(f'[alerting]\nlog = true\n[[alerting.webhook]]\nurl = "{hook.url}"\n')
        alerting = Alerting.build(cfg, [rules_d], listen="127.0.0.1:9842")
        assert [type(n) for n in alerting.dispatcher.notifiers] == [WebhookNotifier, LogNotifier]
        assert alerting.engine.options.generator_url == "http://127.0.0.1:9842/"
        names = {r.name for r in alerting.engine.rules}
        assert {"AnyBlocklist", "BlocklistRejections", "SourceQuiet"} <= names
        t = 1_800_000_000.0
        alerting.clock = lambda: t
        alerting.health = lambda: [SourceHealth("/var/log/mail.log", last_line_at=t)]
        alerting.sink(event(direction="inbound"))
        alerting.sink(event(direction="inbound"))
        alerting.tick()
        hook.wait(1)
        assert alerting.engine.firing() == [("AnyBlocklist", None)]
        # a broken rule file on reload: an error, and the old rules and state stay
        (rules_d / "zz-broken.toml").write_text('[[alert]]\nname = "X"\nfilter = "code =="\n')
        with pytest.raises(RuleError, match=r"zz-broken\.toml: alert 'X': filter, column 8"):
            alerting.reload([rules_d])
        assert "AnyBlocklist" in {r.name for r in alerting.engine.rules}
        os.remove(rules_d / "zz-broken.toml")
        alerting.reload([rules_d])
        assert alerting.engine.firing() == [("AnyBlocklist", None)]
        alerting.close()
    finally:
        hook.server.shutdown()
        hook.server.server_close()


def test_alertmanager_notifiers_get_the_resend_interval() -> None:
    cfg = config('[alerting]\nresend_interval = "45s"\nlog = false').with_alertmanagers(
        ["http://127.0.0.1:1"]
    )
    alerting = Alerting.build(cfg)
    [am] = alerting.dispatcher.notifiers
    assert isinstance(am, AlertmanagerNotifier) and am.resend_interval == 45
    alerting.close(timeout=0.5)


def test_check_config_checks_alert_rules_and_alerting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from logscan.cli.main import main

    rules_d = tmp_path / "rules.d"
    rules_d.mkdir()
    site = rules_d / "site.toml"
    site.write_text('[[alert]]\nname = "X"\nfilter = \'category == "blocklist"\'\ncount = 1\n')
    cfg = tmp_path / "logscan.toml"
    body = f'state_dir = "{tmp_path}/state"\nrules_dirs = ["{rules_d}"]\n'
    body += f'[[sources]]\nname = "m"\npath = "{tmp_path}/m.log"\n'
    cfg.write_text(body + '[alerting]\nalertmanager = "http://127.0.0.1:9093"\n')
    assert main(["check-config", "-c", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert f"{site}: alert 'X': filter, column 13: category has no value 'blocklist'" in err
    site.unlink()
    assert main(["check-config", "-c", str(cfg)]) == 0
    assert "12 alert rules" in capsys.readouterr().out
    cfg.write_text(body + '[alerting]\nalertmanager = "127.0.0.1:9093"\n')
    assert main(["check-config", "-c", str(cfg)]) == 1
    assert f"{cfg}: alerting.alertmanager: not an http(s) URL" in capsys.readouterr().err


def test_a_failing_rule_never_breaks_the_line_path() -> None:
    from dataclasses import replace

    from structlog.testing import capture_logs

    from logscan.sinks.alerting.filter_language import Filter

    alerting = Alerting.build(config("[alerting]\nlog = false"))
    [rule] = [r for r in alerting.engine.rules if r.name == "BlocklistRejections"]

    def broken(ce: object) -> bool:
        raise ValueError("a bug")

    bad = replace(rule, name="Broken", filter=Filter("bug", broken, {}))
    alerting.engine.reload([*alerting.engine.rules, bad], 0.0)
    with capture_logs() as logs:
        for _ in range(3):
            alerting.sink(event())  # raises inside the engine: swallowed, logged once
    assert [x["event"] for x in logs] == ["alert engine failed on an event"]
    alerting.close(timeout=0.5)


def test_export_into_the_daemons_metrics_store() -> None:
    from logscan.sinks.alerting.assembly import ALERT_METRICS
    from logscan.sinks.metrics import Metrics, render

    metrics = Metrics()
    for spec in ALERT_METRICS:
        metrics.declare(spec)
    hook = Receiver()
    try:
        cfg = config(f'[alerting]\nlog = false\n[[alerting.webhook]]\nurl = "{hook.url}"\n')
        alerting = Alerting.build(cfg)
        t = 1_800_000_000.0
        alerting.clock = lambda: t
        exported: dict[tuple[str, str, str], int] = {}
        alerting.tick()
        alerting.export(metrics, exported)
        text = render(metrics.specs, metrics.snapshot()).decode()
        assert 'logscan_alerts_firing{alert="BlocklistRejections",severity="page"} 0.0' in text
        for _ in range(3):
            alerting.sink(event())
        alerting.tick()
        hook.wait(1)
        wait_until = time.monotonic() + 10
        while not alerting.dispatcher.counts() and time.monotonic() < wait_until:
            time.sleep(0.02)
        alerting.export(metrics, exported)
        alerting.export(metrics, exported)  # twice: counts are added once
        text = render(metrics.specs, metrics.snapshot()).decode()
        assert 'logscan_alerts_firing{alert="BlocklistRejections",severity="page"} 1.0' in text
        assert (
            "logscan_alert_notifications_total"
            '{alert="BlocklistRejections",notifier="webhook",result="success"} 1.0'
        ) in text
        alerting.close()
    finally:
        hook.server.shutdown()
        hook.server.server_close()


def test_runbook_base_default_and_configured() -> None:
    from logscan.sinks.alerting.settings import DEFAULT_RUNBOOK_BASE

    assert config("").runbook_base == DEFAULT_RUNBOOK_BASE
    cfg = config('[alerting]\nrunbook_base = "https://git.example.com/logscan/docs/runbooks/"')
    assert cfg.runbook_base == "https://git.example.com/logscan/docs/runbooks/"
    with pytest.raises(AlertingConfigError, match="runbook_base"):
        config("[alerting]\nrunbook_base = 3")


def test_every_alert_the_daemon_sends_carries_its_runbook_url() -> None:
    from logscan.classify.rule_files import load_rule_files
    from logscan.sinks.alerting.alert import Alert, EngineOptions
    from logscan.sinks.alerting.assembly import RunbookLinks
    from logscan.sinks.alerting.engine import AlertEngine
    from logscan.sinks.alerting.rules import load_alert_rules

    sent: list[Alert] = []

    class Collect:
        def submit(self, alerts: object) -> None:
            sent.extend(alerts)  # type: ignore[call-overload]

    rules = [r for r in load_alert_rules(load_rule_files()) if r.name == "BlocklistRejections"]
    links = RunbookLinks(Collect(), "https://git.example.com/runbooks/")
    engine = AlertEngine(rules, options=EngineOptions(labels={}), delivery=links)
    t = 1_800_000_000.0
    for i in range(3):
        engine.observe(event(), t + i)
    engine.tick(t + 5)
    [alert] = sent
    assert (
        alert.annotations["runbook_url"]
        == "https://git.example.com/runbooks/BlocklistRejections.md"
    )
    assert alert.annotations["summary"].startswith("3 outbound rejections")
