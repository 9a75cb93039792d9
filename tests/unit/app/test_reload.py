"""A reload (SIGHUP) goes through the composition root and keeps every setting it should."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from logscan.app import compose
from logscan.app.compose import App
from logscan.app.config import Config, ConfigError, parse_config
from logscan.app.daemon import RESTART_ONLY, Daemon
from logscan.app.sdnotify import SystemdNotify


def config_text(tmp_path: Path, **extra: str) -> str:
    """A config that sets every setting away from its default."""
    rules = tmp_path / "rules.d"
    rules.mkdir(exist_ok=True)
    return f"""
state_dir = "{tmp_path / "state"}"
rules_dirs = ["{rules}"]
checkpoint_interval = {extra.get("checkpoint_interval", "2.5")}
poll_interval = {extra.get("poll_interval", "0.25")}
[metrics]
listen = "127.0.0.1:{extra.get("port", "19842")}"
compat = {extra.get("compat", '["postfix_exporter"]')}
max_connections = 7
[alerting]
log = false
labels = {{ team = "mail" }}
[[sources]]
name = "mail"
path = "{tmp_path / "mail.log"}"
parser = "postfix"
start = "beginning"
watch = "poll"
"""


def daemon_reloading_to(app: App, then: list[Config | Exception]) -> Daemon:
    def reload() -> App:
        nxt = then.pop(0)
        if isinstance(nxt, Exception):
            raise nxt
        return compose.load(nxt, app.registry)

    return Daemon(app, notifier=SystemdNotify(None, None), reload=reload)


def test_sighup_keeps_compat_and_every_other_setting(tmp_path: Path) -> None:
    """A reload copied the config field by field and lost ``compat``: the running daemon said
    it served no postfix_exporter names while it did."""
    cfg = parse_config(config_text(tmp_path), "t.toml")
    assert cfg.compat == ("postfix_exporter",)
    app = compose.load(cfg)
    d = daemon_reloading_to(app, [cfg])
    d._do_reload()
    assert d.cfg == cfg
    assert d.metrics.values["logscan_config_reloads"] == {("ok",): 1.0}


def test_reload_applies_new_settings_and_keeps_restart_only_ones(tmp_path: Path) -> None:
    cfg = parse_config(config_text(tmp_path), "t.toml")
    changed = parse_config(
        config_text(tmp_path, poll_interval="0.75", port="19843", compat="[]"), "t.toml"
    )
    d = daemon_reloading_to(compose.load(cfg), [changed])
    d._do_reload()
    assert d.cfg.poll_interval == 0.75  # applied
    assert d.cfg == replace(changed, **{k: getattr(cfg, k) for k in RESTART_ONLY})
    assert d.cfg.listen == cfg.listen and d.cfg.compat == cfg.compat  # at restart only


def test_reload_with_a_broken_config_keeps_the_running_one(tmp_path: Path) -> None:
    cfg = parse_config(config_text(tmp_path), "t.toml")
    d = daemon_reloading_to(compose.load(cfg), [ConfigError("t.toml: sources[1]: bad")])
    classifier = d.wiring.classifier
    d._do_reload()
    assert d.cfg == cfg
    assert d.wiring.classifier is classifier
    assert d.metrics.values["logscan_config_reloads"] == {("error",): 1.0}
