"""The daemon's config, ``logscan check-config``, the web config and the metric label folding."""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.classifier import Classifier
from logscan.cli import main
from logscan.config import DEFAULT_TOML, ConfigError, load_config, parse_config, with_overrides
from logscan.event import ClassifiedEvent, Event
from logscan.exporter import WebConfigError, load_web_config
from logscan.metrics import Metrics, MetricsSink


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
    ("[[sources]\n", "line 1"),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_errors_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "logscan.toml")
    assert str(err.value).startswith("logscan.toml")
    assert message in str(err.value)


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
