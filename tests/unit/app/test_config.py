"""The daemon's config, ``logscan check-config``, the web config and the metric label folding."""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.app.config import DEFAULT_TOML, ConfigError, load_config, parse_config, with_overrides
from logscan.app.endpoint.metrics_endpoint import WebConfigError, load_web_config
from logscan.classify.classifier import Classifier
from logscan.cli.main import main
from logscan.core.event import ClassifiedEvent, Event
from logscan.sinks.messages import MessageTracker
from logscan.sinks.metrics import Metrics, MetricsSink
from tests.helpers.logscan_cli import run


def test_embedded_default_is_a_debian_host() -> None:
    cfg = parse_config(DEFAULT_TOML, "<embedded default>")
    (src,) = cfg.sources
    assert src.path == "/var/log/mail.log" and src.parser == "auto" and src.journald_if_missing
    assert cfg.listen == "127.0.0.1:9842"
    assert cfg.state_dir == "/var/lib/logscan"
    assert cfg.rules_dirs == ("/etc/logscan/rules.d",)
    assert cfg.max_connections == 32


S = '[[sources]]\npath = "/a"\n'
CASES = [
    ("sources = []", "sources: at least one"),
    ('[[sources]]\nname = "a"\n', "sources[0]: needs exactly one of 'path' or 'journald'"),
    ('[[sources]]\npath = "rel.log"\n', "sources[0].path: must be absolute"),
    (S + '[[sources]]\npath = "/b"\nstart = "middle"\n', "sources[1].start"),
    (S + 'paht = "/b"\n', "sources[0].paht: unknown key"),
    (S + 'name = "x"\n[[sources]]\npath = "/b"\nname = "x"\n', "sources[1].name: duplicate"),
    (S + 'units = ["x"]\n', "sources[0].units: only for a journald"),
    ('[metrics]\nlisten = "9842"\n' + S, "metrics.listen: must be HOST:PORT"),
    ("[metrics]\nmax_connections = 0\n" + S, "metrics.max_connections: must be a whole number"),
    ("[metrics]\nmax_connections = 1.5\n" + S, "metrics.max_connections: must be a whole"),
    ("[metrics]\nmax_connections = 5000\n" + S, "from 1 to 4096, got 5000"),
    ("checkpoint_interval = 0\n" + S, "checkpoint_interval: must be a positive"),
    (S + "[messages]\nmax_in_flight = 99\n", "messages.max_in_flight: must be a whole number"),
    (S + "[messages]\nmax_in_flight = true\n", "from 100 to 10000000, got True"),
    (S + "[messages]\nmax_bytes = 1e9\n", "messages.max_bytes: must be a whole number"),
    (S + "[messages]\nmax_bytes = 17179869185\n", "to 17179869184, got 17179869185"),
    (S + "[messages]\nmax_messages = 5\n", "messages.max_messages: unknown key"),
    ("messages = 5\n" + S, "messages: must be a table"),
    ("[[sources]\n", "line 1"),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_errors_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "logscan.toml")
    assert str(err.value).startswith("logscan.toml")
    assert message in str(err.value)


def test_messages_section_bounds_the_correlation() -> None:
    default = parse_config(S, "t.toml").messages
    tracker = MessageTracker()
    assert (default.max_in_flight, default.max_bytes) == (tracker.max_messages, tracker.max_bytes)
    cfg = parse_config(S + "[messages]\nmax_in_flight = 100\nmax_bytes = 1048576\n", "t.toml")
    assert (cfg.messages.max_in_flight, cfg.messages.max_bytes) == (100, 1 << 20)
    assert with_overrides(cfg, listen="[::1]:1").messages == cfg.messages


def test_flags_override_the_config() -> None:
    cfg = parse_config('[[sources]]\nname = "a"\npath = "/a"\n', "t.toml")
    out = with_overrides(
        cfg, sources=["/x.log"], parser="postfix", listen="[::1]:1", state_dir="/s"
    )
    assert [(s.name, s.path, s.parser) for s in out.sources] == [("/x.log", "/x.log", "postfix")]
    assert out.listen == "[::1]:1" and out.state_dir == "/s"
    with pytest.raises(ConfigError, match="--listen"):
        with_overrides(cfg, listen="nope")


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_check_config_ok_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    good = tmp_path / "good.toml"
    good.write_text(
        f'rules_dirs = ["{rules}"]\n[[sources]]\nname = "m"\npath = "/var/log/mail.log"\n'
    )
    assert main(["check-config", "-c", str(good)]) == 0
    assert "OK (1 source, rules from 1 extra directory)" in capsys.readouterr().out

    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\npath = "/a"\nparser = "nosuch"\n')
    assert main(["check-config", "-c", str(bad)]) == 1
    assert "sources[0].parser: no parser named 'nosuch'" in capsys.readouterr().err

    (rules / "broken.toml").write_text("[basic.\n")
    assert main(["check-config", "-c", str(good)]) == 1
    assert "broken.toml" in capsys.readouterr().err

    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'[[sources]]\npath = "/a\xff"\n')
    assert main(["check-config", "-c", str(binary)]) == 1
    assert "binary.toml:2: not valid UTF-8" in capsys.readouterr().err


def test_web_config_errors(tmp_path: Path) -> None:
    web = tmp_path / "web.yml"
    web.write_text("basic_auth_users:\n  prom: plaintext\n")
    with pytest.raises(WebConfigError, match=r"basic_auth_users\.prom: must be a bcrypt hash"):
        load_web_config(str(web))
    web.write_text("tls_server_config:\n  cert_file: /nope.crt\n  key_file: /nope.key\n")
    with pytest.raises(WebConfigError, match="cannot load cert/key"):
        load_web_config(str(web))
    web.write_text("tls_config: {}\n")
    with pytest.raises(WebConfigError, match="tls_config: unknown key"):
        load_web_config(str(web))


def test_labels_are_folded_to_bounded_sets() -> None:
    clf = Classifier.load()
    m = Metrics()
    sink = MetricsSink(m, clf)
    ev = Event(
        path="p",
        line=1,
        mta="postfix",
        direction="outbound",
        status="bounced",
        code="550",
        enhanced="5.1.1",
        text="550 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org",
    )
    odd = Event(
        path="p", line=2, mta="postfix", direction="inbound", code="999", enhanced="5.99.99"
    )
    for e in (ev, odd):
        sink(ClassifiedEvent(e, clf.classify_event(e).verdict))
    replies = m.snapshot()["logscan_replies"]
    assert ("postfix", "outbound", "550", "5.1.1", "permanent", "blocklisted") in replies
    assert ("postfix", "inbound", "other", "other", "permanent", "unknown") in replies
    assert m.snapshot()["logscan_blocklist_hits"] == {
        ("postfix", "outbound", "zen.spamhaus.org"): 1.0
    }


def test_metrics_restore_skips_malformed_rows() -> None:
    m = Metrics()
    m.restore(
        {
            "logscan_lines": [["a", "p", "event", 5], ["bad"], ["a", "p", 3, 1]],
            "logscan_source_lag_bytes": [["a", 9]],  # a gauge that is not persisted
            "unknown_metric": [["x", 1]],
        }
    )
    assert m.snapshot()["logscan_lines"] == {("a", "p", "event"): 5.0}
    assert m.snapshot()["logscan_source_lag_bytes"] == {}


# -- bad numbers, duplicate files, deep nesting (issue 11, item 12) ----------------------------


@pytest.mark.parametrize("key", ["checkpoint_interval", "poll_interval"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e-300", "1e300", "-1", "true"])
def test_nan_interval_is_rejected(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^t.toml: {key}: must be a positive number"):
        parse_config(f"{key} = {value}\n" + S, "t.toml")


@pytest.mark.parametrize("flag", ["--checkpoint-interval", "--poll-interval"])
def test_nan_interval_flag_is_rejected_by_run(flag: str, tmp_path: Path) -> None:
    conf = tmp_path / "logscan.toml"
    conf.write_text(f'state_dir = "{tmp_path}"\n[[sources]]\npath = "{tmp_path}/mail.log"\n')
    done = run(["run", "-c", str(conf), "--listen", "127.0.0.1:0", flag, "nan"])
    assert done.returncode == 1
    assert f"{flag}: must be a positive number of seconds" in done.stderr


def test_same_path_under_two_sources_is_rejected(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    (tmp_path / "link.log").symlink_to(log)
    spellings = [f"{tmp_path}/../{tmp_path.name}/mail.log", f"{tmp_path}/link.log", f"{tmp_path}/*"]
    for other in spellings:
        conf = tmp_path / "logscan.toml"
        conf.write_text(
            f'[[sources]]\nname = "a"\npath = "{log}"\n[[sources]]\nname = "b"\npath = "{other}"\n'
        )
        done = run(["check-config", "-c", str(conf)])
        assert done.returncode == 1, other
        assert f"{conf}: sources[1].path: sources[0] ('a', path '{log}')" in done.stderr
        assert f"sources[1] ('b', path '{other}') both read {log}" in done.stderr


def test_glob_over_a_file_not_yet_there_is_rejected() -> None:
    text = '[[sources]]\npath = "/nowhere/*.log"\n[[sources]]\npath = "/nowhere/mail.log"\n'
    with pytest.raises(ConfigError, match=r"sources\[0\] .* both read /nowhere/mail.log"):
        parse_config(text, "t.toml")
    # A glob does not reach into sub-directories: no overlap there.
    parse_config(
        '[[sources]]\npath = "/nowhere/*.log"\n[[sources]]\npath = "/nowhere/a/m.log"\n', "t"
    )


def test_deeply_nested_toml_gives_clear_error(tmp_path: Path) -> None:
    deep = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    conf = tmp_path / "logscan.toml"
    conf.write_text(deep + S)
    done = run(["check-config", "-c", str(conf)])
    assert done.returncode == 1
    assert f"{conf}: arrays or inline tables nested too deeply" in done.stderr

    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "deep.toml").write_text("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n")
    conf.write_text(f'rules_dirs = ["{rules}"]\n' + S)
    done = run(["check-config", "-c", str(conf)])
    assert done.returncode == 1
    assert f"{rules / 'deep.toml'}: arrays or inline tables nested too deeply" in done.stderr


RULE = '[[alert]]\nname = "R"\nfilter = "class == \'permanent\'"\n'


@pytest.mark.parametrize(
    ("numbers", "key"),
    [
        ("count = 5\nwindow = nan", "window"),
        ("count = 5\nwindow = inf", "window"),
        ('count = 5\nwindow = "9999h"', "window"),
        ("count = nan", "count"),
        ("count = inf", "count"),
        ("count = 5\nfor = inf", "for"),
        ("count = 5\nmin_volume = inf", "min_volume"),
        ("count = 5\nresolve_below = nan", "resolve_below"),
    ],
)
def test_alert_rule_numbers_must_be_finite(tmp_path: Path, numbers: str, key: str) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "mine.toml").write_text(RULE + numbers + "\n")
    conf = tmp_path / "logscan.toml"
    conf.write_text(f'rules_dirs = ["{rules}"]\n' + S)
    done = run(["check-config", "-c", str(conf)])
    assert done.returncode == 1
    assert f"{rules / 'mine.toml'}: alert 'R': '{key}'" in done.stderr


@pytest.mark.parametrize("value", ["nan", "inf", '"9999h"'])
def test_nan_resend_interval_is_rejected(tmp_path: Path, value: str) -> None:
    conf = tmp_path / "logscan.toml"
    conf.write_text(S + f"[alerting]\nresend_interval = {value}\n")
    done = run(["check-config", "-c", str(conf)])
    assert done.returncode == 1
    assert f"{conf}: alerting.resend_interval: " in done.stderr


def test_nan_webhook_timeout_is_rejected(tmp_path: Path) -> None:
    conf = tmp_path / "logscan.toml"
    conf.write_text(S + '[[alerting.webhook]]\nurl = "http://127.0.0.1:1/"\ntimeout = nan\n')
    done = run(["check-config", "-c", str(conf)])
    assert done.returncode == 1
    assert "alerting.webhook[0].timeout: not a duration: nan" in done.stderr


def test_deeply_nested_web_config_gives_clear_error(tmp_path: Path) -> None:
    web = tmp_path / "web.yml"
    web.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    conf = tmp_path / "logscan.toml"
    conf.write_text(f'[metrics]\nweb_config = "{web}"\n' + S)
    done = run(["check-config", "-c", str(conf)])
    assert done.returncode == 1
    assert f"{web}: lists or mappings nested too deeply" in done.stderr


def test_deeply_nested_alert_filter_gives_clear_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    nested = "(" * 3000 + "class == 'permanent'" + ")" * 3000
    (rules / "deep.toml").write_text(f'[[alert]]\nname = "R"\ncount = 5\nfilter = "{nested}"\n')
    conf = tmp_path / "logscan.toml"
    conf.write_text(f'rules_dirs = ["{rules}"]\n' + S)
    done = run(["check-config", "-c", str(conf)])
    assert done.returncode == 1
    assert (
        f"{rules / 'deep.toml'}: alert 'R': 'filter': parentheses nested too deeply" in done.stderr
    )
